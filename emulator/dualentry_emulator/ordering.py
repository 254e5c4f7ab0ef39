"""How an `ordering` term maps onto a row, and the resulting total order.

A list is ordered by its terms plus the primary key in the direction of the first term, so
every row has a unique sort key and offset paging is deterministic. The same order is
produced two ways that must agree exactly: stable multi-pass sorts (fast, to build a view of
a million rows) and a composite per-row key (to bisect one row in or out of a view when it
changes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .timestamps import NO_TS

if TYPE_CHECKING:
    from .tables import Table

SlotKey = Callable[[int], Any]
SortPass = tuple[SlotKey, bool]  # (key function, reverse)


@functools.total_ordering
class Desc:
    """Inverts the order of any comparable value (for descending non-numeric terms)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Desc) and self.value == other.value

    def __lt__(self, other: Desc) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


def directed(value: Any, descending: bool) -> Any:
    if not descending:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return -value
    return Desc(value)


class SortField(Protocol):
    """One orderable field of an endpoint."""

    def key(self, table: Table, slot: int, descending: bool) -> Any:
        """This row's directed component of the composite sort key."""
        ...

    def passes(self, table: Table, descending: bool) -> list[SortPass]:
        """Stable sort passes, most significant first, giving the same order as `key`."""
        ...


@dataclass(frozen=True)
class HiddenUpdated:
    """The server's own `updated_at` column: the hidden key, not any visible timestamp.

    Under `Behaviour.untimestamped_sort` "first"/"last", rows with no visible timestamp are
    grouped before/after all others whatever the direction (as a server sorting on a nullable
    visible column would), ordered among themselves by hidden key.
    """

    def _flag(self, table: Table) -> SlotKey | None:
        mode = table.behaviour.untimestamped_sort
        if mode == "hidden_key":
            return None
        updated, created = table.cols.updated_ts, table.cols.created_ts
        first = mode == "first"

        def flag(slot: int) -> int:
            untimestamped = updated[slot] == NO_TS and created[slot] == NO_TS
            return int(untimestamped != first)

        return flag

    def key(self, table: Table, slot: int, descending: bool) -> Any:
        hidden = directed(table.cols.hidden_key[slot], descending)
        flag = self._flag(table)
        return hidden if flag is None else (flag(slot), hidden)

    def passes(self, table: Table, descending: bool) -> list[SortPass]:
        by_key: list[SortPass] = [(table.cols.hidden_key.__getitem__, descending)]
        flag = self._flag(table)
        return by_key if flag is None else [(flag, False), *by_key]


@dataclass(frozen=True)
class PrimaryKey:
    """The internal row id, which is the integer primary key where the endpoint has one."""

    def key(self, table: Table, slot: int, descending: bool) -> Any:
        return directed(table.cols.rid[slot], descending)

    def passes(self, table: Table, descending: bool) -> list[SortPass]:
        return [(table.cols.rid.__getitem__, descending)]


@dataclass(frozen=True)
class Column:
    """A hidden integer column (e.g. `company_id`)."""

    name: str

    def key(self, table: Table, slot: int, descending: bool) -> Any:
        return directed(table.cols.column(self.name)[slot], descending)

    def passes(self, table: Table, descending: bool) -> list[SortPass]:
        return [(table.cols.column(self.name).__getitem__, descending)]


@dataclass(frozen=True)
class CreatedColumn:
    """The server's creation time (`-created_at` on paper checks, newest-first bank feeds):
    full precision even where the item shows only a date."""

    def _value(self, table: Table, slot: int) -> int:
        created = table.cols.created_ts[slot]
        return created if created != NO_TS else table.cols.hidden_key[slot]

    def key(self, table: Table, slot: int, descending: bool) -> Any:
        return directed(self._value(table, slot), descending)

    def passes(self, table: Table, descending: bool) -> list[SortPass]:
        return [(lambda slot: self._value(table, slot), descending)]


def _null_last(value: Any) -> tuple[bool, Any]:
    # NULLs after every value ascending, before every value descending (PostgreSQL's default).
    return (value is None, value)


@dataclass(frozen=True)
class VisibleField:
    """A field of the served item (dotted path for nested objects), e.g. `name`."""

    path: str

    def key(self, table: Table, slot: int, descending: bool) -> Any:
        value = _null_last(table.field(slot, self.path))
        return Desc(value) if descending else value

    def passes(self, table: Table, descending: bool) -> list[SortPass]:
        path = self.path
        return [(lambda slot: _null_last(table.field(slot, path)), descending)]


HIDDEN_UPDATED = HiddenUpdated()
PRIMARY_KEY = PrimaryKey()
CREATED = CreatedColumn()


@dataclass(frozen=True)
class Term:
    name: str
    descending: bool

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.name


def parse_terms(text: str) -> list[Term]:
    """`"-updated_at, id"` → terms; empty pieces are skipped."""
    terms = []
    for raw in text.split(","):
        piece = raw.strip()
        if not piece:
            continue
        descending = piece.startswith("-")
        name = piece.lstrip("+-").strip()
        terms.append(Term(name, descending))
    return terms
