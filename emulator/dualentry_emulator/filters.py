"""Query-parameter filters: parse the raw values, then test rows.

A filter's parsed value is hashable: it becomes part of the cache key of the filtered,
ordered view it selects. Predicates see hidden columns or visible fields, so a filter can
use attributes the item does not show (the customers list filters on `company_id` and
`record_status`, neither of which it serializes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .tables import Table

Predicate = Callable[[int], bool]
Getter = str | Callable[[dict[str, Any]], Any]
"""A visible field: a dotted path into the item, or a function of the whole item."""

_INT = re.compile(r"^[+-]?\d+$")


class ParamError(ValueError):
    """A bad query parameter: answered with 400 and the message keyed by the parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def parse_int(param: str, value: str) -> int:
    if not _INT.match(value.strip()):
        raise ParamError(
            param, "Input should be a valid integer, unable to parse string as an integer"
        )
    return int(value)


def present(values: list[str]) -> list[str]:
    """Empty values (`?name=`) count as absent."""
    return [v for v in values if v != ""]


class Filter(Protocol):
    def parse(self, param: str, values: list[str]) -> Hashable | None:
        """The normalized value, or None when the filter does not apply."""
        ...

    def predicate(self, table: Table, parsed: Any) -> Predicate: ...


def code_mask(column: bytearray, codes: Iterable[int]) -> bytes:
    """One byte per slot: 1 where the column's code is one of `codes` (C-speed translate)."""
    wanted = set(codes)
    return bytes(column).translate(bytes(int(b in wanted) for b in range(256)))


def code_predicate(column: bytearray, codes: Iterable[int]) -> Predicate:
    wanted = frozenset(codes)
    return lambda slot: column[slot] in wanted


def _value(table: Table, slot: int, getter: Getter) -> Any:
    if isinstance(getter, str):
        return table.field(slot, getter)
    return getter(table.visible(slot))


@dataclass(frozen=True)
class IdIn:
    """Repeatable integer primary key filter (`?id=1&id=2`)."""

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        ids = present(values)
        return frozenset(parse_int(param, v) for v in ids) if ids else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        rid = table.cols.rid
        return lambda slot: rid[slot] in parsed

    def mask(self, table: Table, parsed: Any) -> bytes:
        out = bytearray(len(table.cols))
        for pk in parsed:
            slot = table.find_slot(pk)
            if slot is not None:
                out[slot] = 1
        return bytes(out)


@dataclass(frozen=True)
class ColumnIn:
    """Repeatable integer filter on a hidden column (`?company_id=1&company_id=2` = either)."""

    column: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        return frozenset(parse_int(param, v) for v in items) if items else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        return code_predicate(table.cols.column(self.column), parsed)

    def mask(self, table: Table, parsed: Any) -> bytes:
        return code_mask(table.cols.column(self.column), parsed)


@dataclass(frozen=True)
class CategoryIn:
    """Repeatable exact-match filter on a categorical hidden column (`customer_type`)."""

    column: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        return frozenset(items) if items else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        return code_predicate(
            table.cols.column(self.column), table.category_codes(self.column, parsed)
        )

    def mask(self, table: Table, parsed: Any) -> bytes:
        return code_mask(table.cols.column(self.column), table.category_codes(self.column, parsed))


@dataclass(frozen=True)
class TextContains:
    """Case-insensitive substring over one or more visible fields (`icontains`; OR-ed)."""

    getters: tuple[Getter, ...]

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        return items[-1].casefold() if items else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        getters = self.getters

        def match(slot: int) -> bool:
            for getter in getters:
                value = _value(table, slot, getter)
                if isinstance(value, str) and parsed in value.casefold():
                    return True
            return False

        return match


@dataclass(frozen=True)
class TextExact:
    """Case-insensitive equality (`iexact`)."""

    getter: Getter

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        return items[-1].casefold() if items else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        def match(slot: int) -> bool:
            value = _value(table, slot, self.getter)
            return isinstance(value, str) and value.casefold() == parsed

        return match


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class BoolEquals:
    """A boolean visible field (`?is_active=true`)."""

    getter: Getter

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        if not items:
            return None
        raw = items[-1].strip().lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ParamError(param, "Input should be a valid boolean, unable to interpret input")

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        return lambda slot: _value(table, slot, self.getter) is parsed


@dataclass(frozen=True)
class DateCompare:
    """`start_date`-style filters: the field's date part compared with `op` ("gte"/"lte").

    The field may hold a date (`YYYY-MM-DD`) or a date-time string; rows with no value
    never match.
    """

    getter: Getter
    op: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        if not items:
            return None
        try:
            return date.fromisoformat(items[-1].strip())
        except ValueError:
            raise ParamError(
                param, "Input should be a valid date in the format YYYY-MM-DD"
            ) from None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        wanted: str = parsed.isoformat()
        gte = self.op == "gte"

        def match(slot: int) -> bool:
            value = _value(table, slot, self.getter)
            if not isinstance(value, str) or len(value) < 10:
                return False
            day = value[:10]
            return day >= wanted if gte else day <= wanted

        return match
