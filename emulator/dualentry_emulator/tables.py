"""A table of one endpoint: rows, hidden sort keys, mutations, and ordered filtered views.

Rows live in compact columns (see `columns.py`) indexed by *slot*; a slot's visible item is
generated on demand by the endpoint's factory, or taken from `_overrides` once a mutation
has changed it (copy-on-write: a served item is never modified afterwards, so pages can be
serialized outside the lock).

Serving a page of a million-row table must not sort a million rows per request, so each
(ordering, filters) pair gets a *view*: an `array` of slots in final order, built once and
then kept up to date by every mutation (bisect out under the old key, bisect in under the
new one). Views are cached LRU; a page is then a slice.

Served items are also kept rendered (their JSON bytes, see `rendering.py`), dropped when
their row changes: a page is the join of its rows' bytes. `prerender` renders every row
ahead of the first request, for clients that read at many pages a second.
"""

from __future__ import annotations

import copy
import threading
from array import array
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import compress
from random import Random
from typing import Any

from .behaviour import Behaviour
from .clock import Clock
from .columns import Columns, categorical
from .draw import Draw, mix, salt
from .factories.common import actor
from .filters import code_mask, code_predicate
from .ordering import PRIMARY_KEY, SortField, Term
from .query import ListQuery
from .rendering import dumps
from .spec import EndpointSpec, RowContext
from .timeline import generate
from .timestamps import NO_TS, from_us, render, to_us
from .world import World

MAX_VIEWS = 8
BUILT_CACHE = 4096
"""Generated items kept per table (a page read twice is built once)."""
RENDERED_CACHE = 65536
"""Rendered items kept per table, unless the whole table was rendered ahead."""

_EDIT = salt("edit")
_INSERT = salt("insert")


@dataclass
class _View:
    terms: tuple[tuple[SortField, bool], ...]
    predicate: Callable[[int], bool] | None
    slots: array[int]
    key: Callable[[int], Any]


class Table:
    """One endpoint's rows. Public methods are thread-safe (they take the emulator's lock)."""

    def __init__(
        self,
        spec: EndpointSpec,
        *,
        seed: int,
        size: int,
        behaviour: Behaviour,
        world: World,
        clock: Clock,
        lock: threading.RLock | None = None,
    ) -> None:
        if size < 0:
            raise ValueError("a table cannot have a negative size")
        self.spec = spec
        self.name = spec.name
        self.seed = seed
        self.behaviour = behaviour
        self.world = world
        self.factory = spec.factory
        self._clock = clock
        self._lock = lock if lock is not None else threading.RLock()
        self._salt = salt(spec.name)
        self.statuses: tuple[str, ...] = spec.record_statuses or (spec.new_row_status,)

        rng = Random(mix(seed, self._salt))
        generation, timeline = behaviour, spec.timeline
        if spec.timestamps_required:
            generation = replace(behaviour, untimestamped_fraction=0.0)
            timeline = replace(timeline, updated_absent_fraction=0.0)
        times = generate(rng, size, generation, timeline)
        n_companies = len(world.companies)
        weights = spec.company_weights[:n_companies]
        if spec.company_null_fraction > 0:
            # code 0 = no company, code k = company k
            company_column = categorical(rng, size, (spec.company_null_fraction, *weights))
        else:
            company_ids = bytes((code + 1) % 256 for code in range(256))
            company_column = bytearray(categorical(rng, size, weights).translate(company_ids))
        status_weights = spec.status_weights if spec.record_statuses else (1.0,)
        self.cols = Columns(
            rid=times.rid,
            hidden_key=times.hidden_key,
            updated_ts=times.updated_ts,
            created_ts=times.created_ts,
            company_id=company_column,
            record_status=categorical(rng, size, status_weights),
            alive=bytearray(b"\x01" * size),
            extra={
                name: categorical(rng, size, self.factory.category_weights[name])
                for name in self.factory.categories
            },
        )
        self._generated = size
        self._alive_count = size
        self._overrides: dict[int, dict[str, Any]] = {}
        self._built: dict[int, dict[str, Any]] = {}  # insertion-ordered: oldest first out
        self._rendered: dict[int, bytes] = {}  # served items' JSON, until their row changes
        self._rendered_limit: int | None = RENDERED_CACHE
        self._views: OrderedDict[tuple[Any, ...], _View] = OrderedDict()
        self._mutations = 0
        self._pk_index: dict[Any, int] | None = None
        self._reference_keys: list[str] | None = None

    # ------------------------------------------------------------------ reading rows

    def __len__(self) -> int:
        return self._alive_count

    def context(self, slot: int) -> RowContext:
        cols = self.cols
        updated, created = cols.updated_ts[slot], cols.created_ts[slot]
        return RowContext(
            seed=self.seed,
            rid=cols.rid[slot],
            company_id=cols.company_id[slot] or None,
            record_status=self.statuses[cols.record_status[slot]],
            categories={
                name: values[cols.extra[name][slot]]
                for name, values in self.factory.categories.items()
            },
            updated_ts=None if updated == NO_TS else updated,
            created_ts=None if created == NO_TS else created,
            world=self.world,
            style=self.behaviour.timestamp_style,
        )

    def _raw(self, slot: int) -> dict[str, Any]:
        """The stored or generated item, before server-side decoration."""
        item = self._overrides.get(slot)
        if item is not None:
            return item
        item = self._built.get(slot)
        if item is None:
            item = self.factory.build(self.context(slot))
            if len(self._built) >= BUILT_CACHE:
                del self._built[next(iter(self._built))]
            self._built[slot] = item
        return item

    def visible(self, slot: int) -> dict[str, Any]:
        """The served item (shared: callers must not modify it)."""
        item = self._raw(slot)
        if self.spec.server_timestamps and self.behaviour.updated_after_filter:
            item = {**self._server_times(slot), **item}
        if self.behaviour.undocumented_fields:
            item = with_undocumented_fields(item, self.cols.rid[slot])
        return item

    def _server_times(self, slot: int) -> dict[str, str]:
        # The newer API's top-level times come from the server's own columns: updated_at is
        # the hidden key itself, so they move on system edits too.
        cols, style = self.cols, self.behaviour.timestamp_style
        hidden, created = cols.hidden_key[slot], cols.created_ts[slot]
        choice = mix(self._salt, cols.rid[slot])
        return {
            "created_at": render(created if created != NO_TS else hidden, style, choice),
            "updated_at": render(hidden, style, choice >> 16),
        }

    def generated_ids(self) -> array[int]:
        """The ids the table was generated with (whatever was inserted or deleted since)."""
        return self.cols.rid[: self._generated]

    def generated_field(self, rid: int, name: str) -> Any:
        """A top-level field of a row as generated (ignoring later edits), or None."""
        rids = self.cols.rid
        slot = bisect_left(rids, rid, 0, self._generated)
        if slot >= self._generated or rids[slot] != rid:
            return None
        context = self.context(slot)
        try:
            return self.factory.field(context, name)
        except LookupError:
            return self.factory.build(context).get(name)

    def field(self, slot: int, path: str) -> Any:
        """A visible field by dotted path, without building the whole item when possible."""
        first, _, rest = path.partition(".")
        item = self._overrides.get(slot) or self._built.get(slot)
        if item is not None:
            value = item.get(first)
        else:  # a scan (filter, sort): do not fill the page cache with the whole table
            try:
                value = self.factory.field(self.context(slot), first)
            except LookupError:
                value = self.factory.build(self.context(slot)).get(first)
        for part in rest.split(".") if rest else ():
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def category_codes(self, column: str, values: Any) -> list[int]:
        known = self.factory.categories[column]
        return [code for code, value in enumerate(known) if value in values]

    def _public(self, slot: int) -> dict[str, Any]:
        # A private copy: factories may share nested constants between rows.
        return copy.deepcopy(self.visible(slot))

    def _pk(self, slot: int) -> Any:
        if self.spec.rid_field is not None:
            return self.cols.rid[slot]
        item = self.visible(slot)
        keys = tuple(item[k] for k in self.spec.primary_key)
        return keys[0] if len(keys) == 1 else keys

    def _alive_slots(self) -> list[int]:
        return list(compress(range(len(self.cols.alive)), self.cols.alive))

    def find_slot(self, pk: Any) -> int | None:
        """The slot of a live row, or None."""
        if self.spec.rid_field is not None:
            rid = self.cols.rid
            slot = bisect_left(rid, pk)
            if slot < len(rid) and rid[slot] == pk and self.cols.alive[slot]:
                return slot
            return None
        if self._pk_index is None:
            self._pk_index = {self._pk(s): s for s in self._alive_slots()}
        return self._pk_index.get(pk)

    def _slot(self, pk: Any) -> int:
        slot = self.find_slot(pk)
        if slot is None:
            raise KeyError(f"{self.name}: no row with primary key {pk!r}")
        return slot

    def rows(self) -> list[dict[str, Any]]:
        """Every current row (all record statuses), as served, in primary-key order."""
        with self._lock:
            return [self._public(s) for s in self._alive_slots()]

    def row(self, pk: Any) -> dict[str, Any]:
        with self._lock:
            return self._public(self._slot(pk))

    def ids(self) -> list[Any]:
        """All current primary keys, ascending."""
        with self._lock:
            if self.spec.rid_field is not None:
                return list(compress(self.cols.rid, self.cols.alive))
            return [self._pk(s) for s in self._alive_slots()]

    def hidden_key(self, pk: Any) -> datetime:
        """The row's hidden sort key (the server's updated_at), for assertions in tests."""
        with self._lock:
            return from_us(self.cols.hidden_key[self._slot(pk)])

    def record_status(self, pk: Any) -> str:
        with self._lock:
            return self.statuses[self.cols.record_status[self._slot(pk)]]

    def company_id(self, pk: Any) -> int | None:
        with self._lock:
            return self.cols.company_id[self._slot(pk)] or None

    # ------------------------------------------------------------------ views and pages

    def _resolve(self, terms: tuple[Term, ...]) -> tuple[tuple[SortField, bool], ...]:
        resolved = [(self.spec.orderings[t.name], t.descending) for t in terms]
        if all(field is not PRIMARY_KEY for field, _ in resolved):
            resolved.append((PRIMARY_KEY, resolved[0][1] if resolved else False))
        return tuple(resolved)

    def _filters(
        self, filters: tuple[tuple[str, Hashable], ...]
    ) -> list[tuple[bytes | None, Callable[[int], bool]]]:
        """(mask, predicate) per filter. A mask (one byte per slot, 0/1) is how hidden-column
        filters select from a million rows at C speed when a view is built; predicates keep
        the view correct as single rows change."""
        parts: list[tuple[bytes | None, Callable[[int], bool]]] = []
        for param, parsed in filters:
            if param == "record_status":
                assert isinstance(parsed, frozenset)
                codes = [i for i, name in enumerate(self.statuses) if name in parsed]
                parts.append(
                    (
                        code_mask(self.cols.record_status, codes),
                        code_predicate(self.cols.record_status, codes),
                    )
                )
                continue
            flt = self.spec.filters[param]
            mask = getattr(flt, "mask", None)
            parts.append((mask(self, parsed) if mask else None, flt.predicate(self, parsed)))
        return parts

    @staticmethod
    def _all_of(predicates: list[Callable[[int], bool]]) -> Callable[[int], bool]:
        if len(predicates) == 1:
            return predicates[0]

        def all_of(slot: int) -> bool:
            for predicate in predicates:  # noqa: SIM110 - a plain loop beats all() + genexpr
                if not predicate(slot):
                    return False
            return True

        return all_of

    def _sorted(self, slots: list[int], terms: tuple[tuple[SortField, bool], ...]) -> array[int]:
        # `slots` ascend, and so do row ids: a trailing primary-key pass is free.
        order = list(slots)
        passes = [p for field, descending in terms for p in field.passes(self, descending)]
        if terms and terms[-1][0] is PRIMARY_KEY:
            passes.pop()
            if terms[-1][1]:
                order.reverse()
        for key, reverse in reversed(passes):
            order.sort(key=key, reverse=reverse)
        return array("q", order)

    def _view(self, terms: tuple[Term, ...], filters: tuple[tuple[str, Hashable], ...]) -> _View:
        cache_key = (terms, filters)
        view = self._views.get(cache_key)
        if view is not None:
            self._views.move_to_end(cache_key)
            return view
        resolved = self._resolve(terms)
        master = self._views.get((terms, ()))
        predicate = None
        if not filters:
            slots = self._sorted(self._alive_slots(), resolved)
        else:
            parts = self._filters(filters)
            predicate = self._all_of([p for _, p in parts])
            candidates = list(master.slots) if master is not None else self._alive_slots()
            for mask, _ in parts:
                if mask is not None:
                    candidates = [s for s in candidates if mask[s]]
            for mask, test in parts:
                if mask is None:
                    candidates = [s for s in candidates if test(s)]
            if master is not None:  # already in order
                slots = array("q", candidates)
            else:
                slots = self._sorted(candidates, resolved)

        def key(slot: int) -> tuple[Any, ...]:
            return tuple(field.key(self, slot, descending) for field, descending in resolved)

        view = _View(terms=resolved, predicate=predicate, slots=slots, key=key)
        self._views[cache_key] = view
        while len(self._views) > MAX_VIEWS:
            self._views.popitem(last=False)
        return view

    def warm(self, query: ListQuery) -> None:
        """Build the view a query needs ahead of the first request."""
        with self._lock:
            self._view(query.terms, query.filters)

    def page(self, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
        """(items, true count) for a validated query. Items are shared, do not modify."""
        with self._lock:
            view = self._view(query.terms, query.filters)
            window = view.slots[query.offset : query.offset + query.limit]
            return [self.visible(s) for s in window], len(view.slots)

    def rendered_page(self, query: ListQuery) -> tuple[list[bytes], int]:
        """(items as JSON bytes, true count) for a validated query."""
        with self._lock:
            view = self._view(query.terms, query.filters)
            window = view.slots[query.offset : query.offset + query.limit]
            return [self._render(s) for s in window], len(view.slots)

    def _render(self, slot: int) -> bytes:
        body = self._rendered.get(slot)
        if body is None:
            body = dumps(self.visible(slot))
            limit = self._rendered_limit
            if limit is not None and len(self._rendered) >= limit:
                del self._rendered[next(iter(self._rendered))]
            self._rendered[slot] = body
        return body

    def prerender(self) -> None:
        """Render every row now, and keep every rendering until its row changes."""
        with self._lock:
            self._rendered_limit = None
            for slot in self._alive_slots():
                self._render(slot)
                # Items live on as bytes: the generated dicts need not be kept too.
                self._built.pop(slot, None)

    # ------------------------------------------------------------------ mutations

    def _mutate(self, slot: int, change: Callable[[], None]) -> None:
        """Apply `change` to one row, keeping every cached view ordered and filtered."""
        self._built.pop(slot, None)  # its columns are about to change
        self._rendered.pop(slot, None)
        views = list(self._views.values())
        for view in views:
            index = bisect_left(view.slots, view.key(slot), key=view.key)
            if index < len(view.slots) and view.slots[index] == slot:
                del view.slots[index]
        change()
        if self.cols.alive[slot]:
            for view in views:
                if view.predicate is None or view.predicate(slot):
                    insort(view.slots, slot, key=view.key)

    def _next_draw(self, slot: int, purpose: int) -> Draw:
        self._mutations += 1
        return Draw(self.seed, self._salt, purpose, self.cols.rid[slot], self._mutations)

    def _key_order(self) -> list[str]:
        """Item keys in schema order, from a row that has every optional actor."""
        if self._reference_keys is None:
            stamp = self.spec.timeline.start
            context = self.context(0) if len(self.cols) else None
            if context is None:
                return []
            context.updated_ts = context.created_ts = to_us(stamp)
            self._reference_keys = list(self.factory.build(context))
        return self._reference_keys

    def _bump_actor(self, item: dict[str, Any], stamp: int, draw: Draw) -> dict[str, Any]:
        """A copy of `item` whose updated actor/updated_at show a user edit at `stamp`."""
        spec = self.spec
        updated = dict(item)
        style = self.behaviour.timestamp_style
        if spec.updated_at_field is not None:
            updated[spec.updated_at_field] = render(stamp, style, draw.bits())
        if spec.updated_actor is None:
            return updated
        was_absent = spec.updated_actor not in updated
        updated[spec.updated_actor] = actor(self.world, draw, stamp, style, kinds=("user",))
        if not was_absent:
            return updated
        # The key was missing on this row: put it back where the schema has it.
        order = {key: i for i, key in enumerate(self._key_order())}
        return dict(sorted(updated.items(), key=lambda kv: order.get(kv[0], len(order))))

    def insert(self, n: int = 1, at: datetime | None = None) -> list[Any]:
        """Insert n new rows (fresh ids, hidden key = now or `at`); returns their keys."""
        ids: list[Any] = []
        with self._lock:
            for _ in range(n):
                stamp = self._clock.stamp(at)
                cols = self.cols
                rid = cols.rid[-1] + 1 if len(cols) else self.spec.timeline.first_id
                draw = Draw(self.seed, self._salt, _INSERT, rid)
                extra = {
                    name: self.factory.categories[name].index(
                        draw.weighted(values, self.factory.category_weights[name])
                    )
                    for name, values in self.factory.categories.items()
                }
                slot = cols.append(
                    rid=rid,
                    hidden_key=stamp,
                    updated_ts=stamp,
                    created_ts=stamp,
                    company_id=draw.pick(self.world.company_ids),
                    record_status=self.statuses.index(self.spec.new_row_status),
                    extra=extra,
                )
                self._alive_count += 1
                self._pk_index = None
                for view in self._views.values():
                    if view.predicate is None or view.predicate(slot):
                        insort(view.slots, slot, key=view.key)
                ids.append(self._pk(slot))
        return ids

    def edit(self, pk: Any, at: datetime | None = None) -> None:
        """A user edit: some visible fields change, the updated actor and hidden key = now."""
        with self._lock:
            slot = self._slot(pk)
            stamp = self._clock.stamp(at)
            draw = self._next_draw(slot, _EDIT)
            item = copy.deepcopy(self._raw(slot))
            self.factory.edit(item, draw)
            item = self._bump_actor(item, stamp, draw)

            def change() -> None:
                self.cols.hidden_key[slot] = stamp
                self.cols.updated_ts[slot] = stamp
                self._overrides[slot] = item

            self._mutate(slot, change)

    def touch(self, pk: Any, at: datetime | None = None) -> None:
        """A system edit: the hidden key moves to now, nothing visible changes."""
        with self._lock:
            slot = self._slot(pk)
            stamp = self._clock.stamp(at)

            def change() -> None:
                self.cols.hidden_key[slot] = stamp

            self._mutate(slot, change)

    def recompute(self, pk: Any, field: str, value: Any) -> None:
        """A value the server derives changes on its own (an invoice's amount due after a
        payment, an approval status): the item changes, its timestamps and hidden key
        do not, so no newest-first read notices."""
        with self._lock:
            slot = self._slot(pk)
            item = dict(self._raw(slot))
            if field not in item:
                raise KeyError(f"{self.name}: items have no field {field!r}")
            item[field] = value

            def change() -> None:
                self._overrides[slot] = item

            self._mutate(slot, change)

    def set_company(self, pk: Any, company: int | None, *, bump: bool = True) -> None:
        """Move a row to another company, or to none: the hidden company column and the
        item's `company_id` change; with `bump` (default) it is a user's edit."""
        with self._lock:
            slot = self._slot(pk)
            item = dict(self._raw(slot))
            if "company_id" in item:
                item["company_id"] = company
            stamp = self._clock.stamp() if bump else None
            if stamp is not None:
                item = self._bump_actor(item, stamp, self._next_draw(slot, _EDIT))

            def change() -> None:
                self.cols.company_id[slot] = company or 0
                if stamp is not None:
                    self.cols.hidden_key[slot] = stamp
                    self.cols.updated_ts[slot] = stamp
                self._overrides[slot] = item

            self._mutate(slot, change)

    def set_record_status(
        self, pk: Any, status: str, at: datetime | None = None, *, bump: bool = True
    ) -> None:
        """Change a row's record status. With `bump` (default) it is a user's action: the
        updated actor and the hidden key move to now, as any saved change would."""
        if self.spec.record_statuses is None:
            raise ValueError(f"{self.name} has no record_status")
        if status not in self.statuses:
            raise ValueError(f"{self.name}: record status must be one of {self.statuses}")
        with self._lock:
            slot = self._slot(pk)
            code = self.statuses.index(status)
            item = dict(self._raw(slot))
            if self.spec.status_field is not None:
                item[self.spec.status_field] = status
            stamp = self._clock.stamp(at) if bump else None
            if stamp is not None:
                item = self._bump_actor(item, stamp, self._next_draw(slot, _EDIT))

            def change() -> None:
                self.cols.record_status[slot] = code
                if stamp is not None:
                    self.cols.hidden_key[slot] = stamp
                    self.cols.updated_ts[slot] = stamp
                if stamp is not None or self.spec.status_field is not None:
                    self._overrides[slot] = item

            self._mutate(slot, change)

    def archive(self, pk: Any, at: datetime | None = None, *, bump: bool = True) -> None:
        """record_status → archived (see `set_record_status`)."""
        self.set_record_status(pk, "archived", at, bump=bump)

    def delete(self, pk: Any) -> None:
        """Hard delete: the row is gone from every list, no tombstone."""
        with self._lock:
            slot = self._slot(pk)

            def change() -> None:
                self.cols.alive[slot] = 0
                self._overrides.pop(slot, None)

            self._mutate(slot, change)
            self._alive_count -= 1
            self._pk_index = None


def with_undocumented_fields(item: dict[str, Any], rid: int) -> dict[str, Any]:
    """`Behaviour.undocumented_fields`: the item with fields no API document lists, at the
    top, in each nested object and in each line of an array of objects."""
    served: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            value = {**value, "geo_precision": "rooftop"}
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            value = [{**line, "carbon_kg": f"{(rid % 97) / 8:.3f}"} for line in value]
        served[key] = value
    served["esg_rating"] = {"score": f"{rid % 100}.50", "scale": "0-100", "audited": rid % 2 == 0}
    return served
