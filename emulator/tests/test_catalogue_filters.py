"""Every documented filter of every endpoint, over HTTP, against an oracle computed from
the stored rows (and hidden columns where the filter looks at them); bad values are 400s
keyed by the parameter; record statuses are repeatable per endpoint."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from dualentry_emulator import CATALOGUE, Emulator, EndpointSpec, Table
from dualentry_emulator.filters import (
    BoolEquals,
    CategoryBool,
    CategoryIn,
    ColumnIn,
    CreatedCompare,
    DateCompare,
    DecimalCompare,
    HiddenKeyCompare,
    HideUnless,
    IdIn,
    IsNull,
    ItemTest,
    TextContains,
    TextExact,
    TimeCompare,
    ValuesIn,
)
from dualentry_emulator.timestamps import from_us, to_us

from .catalogue_support import (
    NAMES,
    SMALL,
    category,
    created_us,
    everything,
    fetch_keys,
    pk_of,
    url,
)

Oracle = tuple[list[str], Any]  # (values to send, predicate(pk, item) -> bool)


@pytest.fixture(scope="module")
def emu(client):
    with Emulator(client.key, seed=33, rows=SMALL) as emulator:
        yield emulator


def _get(item: dict[str, Any], getter: Any) -> Any:
    if callable(getter):
        return getter(item)
    value: Any = item
    for part in getter.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if v is not None]
    return [] if value is None else [value]


def _common(values: list[Any], k: int = 2) -> list[Any]:
    return [v for v, _ in Counter(values).most_common(k)]


def _median(values: list[Any]) -> Any:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


def _bool(text: str) -> bool:
    return text == "true"


def oracle(
    table: Table, spec: EndpointSpec, param: str, flt: Any, rows: list[dict[str, Any]]
) -> Oracle | None:
    """What to send for one filter, and which rows it must select."""
    pks = [pk_of(spec, r) for r in rows]
    if isinstance(flt, IdIn):
        rids = [r[spec.rid_field] for r in rows[1:3]] if spec.rid_field else []
        if not rids:
            return None
        wanted = {rid + flt.offset for rid in rids}
        return [
            str(v) for v in wanted
        ], lambda pk, item: item[spec.rid_field] + flt.offset in wanted
    if isinstance(flt, ColumnIn):
        companies = _common([table.company_id(pk) or 0 for pk in pks], 2)
        chosen = set(companies[:2]) - {0} or {1}
        if flt.exclude:
            return [
                str(c) for c in chosen
            ], lambda pk, item: (table.company_id(pk) or 0) not in chosen
        return [str(c) for c in chosen], lambda pk, item: table.company_id(pk) in chosen
    if isinstance(flt, CategoryIn):
        present = [category(table, pk, flt.column) for pk in pks]
        chosen = set(_common([v for v in present if v is not None], 2))
        return [str(v) for v in chosen], lambda pk, item: category(table, pk, flt.column) in chosen
    if isinstance(flt, CategoryBool):
        return ["false"], lambda pk, item: category(table, pk, flt.column) is False
    if isinstance(flt, ValuesIn):
        values = [v for r in rows for v in _flat(_get(r, flt.getter)) if v != ""]
        if not values:
            return None
        chosen = set(_common(values, 2))
        return [str(v) for v in chosen], lambda pk, item: any(
            v in chosen for v in _flat(_get(item, flt.getter))
        )
    if isinstance(flt, TextContains):
        texts = [
            t for r in rows for t in [_get(r, flt.getters[0])] if isinstance(t, str) and len(t) >= 2
        ]
        if not texts:
            return None
        text = _median(texts)
        needle = (text[1:4] if len(text) >= 4 else text).swapcase()

        def contains(pk: Any, item: dict[str, Any]) -> bool:
            return any(
                isinstance(v, str) and needle.casefold() in v.casefold()
                for v in (_get(item, g) for g in flt.getters)
            )

        return [needle], contains
    if isinstance(flt, TextExact):
        texts = [t for r in rows for t in [_get(r, flt.getter)] if isinstance(t, str) and t]
        if not texts:
            return None
        wanted = _median(texts)
        return [
            wanted.upper()
        ], lambda pk, item: str(_get(item, flt.getter)).casefold() == wanted.casefold()
    if isinstance(flt, BoolEquals | IsNull):
        if isinstance(flt, IsNull):
            return ["true"], lambda pk, item: _get(item, flt.getter) is None
        return ["true"], lambda pk, item: _get(item, flt.getter) is True
    if isinstance(flt, DateCompare):
        days = [v[:10] for r in rows for v in [_get(r, flt.getter)] if isinstance(v, str)]
        day = _median(days)
        if day is None:
            return None
        if flt.op == "gte":
            return [
                day
            ], lambda pk, item: isinstance(v := _get(item, flt.getter), str) and v[:10] >= day
        return [
            day
        ], lambda pk, item: isinstance(v := _get(item, flt.getter), str) and v[:10] <= day
    if isinstance(flt, DecimalCompare):
        amounts = [Decimal(str(v)) for r in rows for v in [_get(r, flt.getter)] if v is not None]
        bound = _median(amounts)
        if flt.op == "gte":
            return [str(bound)], lambda pk, item: Decimal(str(_get(item, flt.getter))) >= bound
        return [str(bound)], lambda pk, item: Decimal(str(_get(item, flt.getter))) <= bound
    if isinstance(flt, CreatedCompare):
        instants = sorted(created_us(table, pk) for pk in pks)
        middle = from_us(instants[len(instants) // 2])
        if flt.unit == "date":
            day = middle.date().isoformat()
            start = to_us(datetime.fromisoformat(day + "T00:00:00+00:00"))
            if flt.op == "gte":
                return [day], lambda pk, item: created_us(table, pk) >= start
            return [day], lambda pk, item: created_us(table, pk) < start + 86_400_000_000
        bound = to_us(middle)
        text = middle.isoformat()
        if flt.op == "gte":
            return [text], lambda pk, item: created_us(table, pk) >= bound
        return [text], lambda pk, item: created_us(table, pk) <= bound
    if isinstance(flt, TimeCompare):
        instants = sorted(
            to_us(datetime.fromisoformat(v)) for r in rows for v in [_get(r, flt.getter)] if v
        )
        bound = instants[len(instants) // 2]
        text = from_us(bound).isoformat()

        def within(pk: Any, item: dict[str, Any]) -> bool:
            instant = to_us(datetime.fromisoformat(_get(item, flt.getter)))
            return instant >= bound if flt.op == "gte" else instant <= bound

        return [text], within
    if isinstance(flt, ItemTest):
        value = {"bool": "true", "int": "1" if "company" in param else "365", "str": "invoice"}[
            flt.kind
        ]
        parsed: Any = True if flt.kind == "bool" else int(value) if flt.kind == "int" else value
        return [value], lambda pk, item: flt.test(item, parsed)
    raise AssertionError(f"no oracle for {type(flt).__name__}")


CASES = [
    (name, param)
    for name in NAMES
    for param, flt in CATALOGUE[name].filters.items()
    if not isinstance(flt, HideUnless | HiddenKeyCompare)  # tested with their switches/flags
]


@pytest.mark.parametrize(("name", "param"), CASES)
def test_filter_selects_what_the_oracle_selects(emu, client, name, param):
    spec, table = CATALOGUE[name], emu.table(name)
    rows = table.rows()
    made = oracle(table, spec, param, spec.filters[param], rows)
    if made is None:
        pytest.skip("no value of this field in the generated rows")
    values, predicate = made
    expected = [pk_of(spec, r) for r in rows if predicate(pk_of(spec, r), r)]
    params = everything(spec) + [(param, v) for v in values]
    assert sorted(map(str, fetch_keys(client, emu, name, params))) == sorted(map(str, expected))


_BAD = {
    IdIn: "seven",
    ColumnIn: "x",
    DateCompare: "31/12/2024",
    DecimalCompare: "lots",
    BoolEquals: "maybe",
    CategoryBool: "maybe",
    IsNull: "perhaps",
    CreatedCompare: "yesterday",
    TimeCompare: "noon",
}
BAD_CASES = [
    (name, param)
    for name in NAMES
    for param, flt in CATALOGUE[name].filters.items()
    if type(flt) in _BAD or (isinstance(flt, ValuesIn) and flt.kind is int)
]


@pytest.mark.parametrize(("name", "param"), BAD_CASES)
def test_bad_filter_values_are_400_keyed_by_the_parameter(emu, client, name, param):
    flt = CATALOGUE[name].filters[param]
    reply = client.request(url(emu, name), {param: _BAD.get(type(flt), "abc")})
    assert reply.status == 400
    assert list(reply.json()["errors"]) == [param]


STATUS_NAMES = [
    n for n in NAMES if CATALOGUE[n].record_statuses and CATALOGUE[n].record_status_param
]


@pytest.mark.parametrize("name", STATUS_NAMES)
def test_record_status_is_repeatable_and_checked(emu, client, name):
    spec, table = CATALOGUE[name], emu.table(name)
    extra = [p for p in everything(spec) if p[0] != "record_status"]
    statuses = {pk_of(spec, r): table.record_status(pk_of(spec, r)) for r in table.rows()}
    for chosen in ([spec.record_statuses[0]], list(spec.record_statuses[1:])):
        got = fetch_keys(client, emu, name, extra + [("record_status", s) for s in chosen])
        assert sorted(map(str, got)) == sorted(str(pk) for pk, s in statuses.items() if s in chosen)
    reply = client.request(url(emu, name), {"record_status": "deleted"})
    assert reply.status == 400 and list(reply.json()["errors"]) == ["record_status"]
