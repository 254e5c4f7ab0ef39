"""Query-parameter filters: parse the raw values, then test rows.

A filter's parsed value is hashable: it becomes part of the cache key of the filtered,
ordered view it selects. Predicates see hidden columns or visible fields, so a filter can
use attributes the item does not show (the customers list filters on `company_id` and
`record_status`, neither of which it serializes).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from .timestamps import NO_TS, to_us

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


def last(values: list[str]) -> str | None:
    """The value of a single-valued parameter: the last one given (None when absent)."""
    items = present(values)
    return items[-1] if items else None


def compare(op: str) -> Callable[[Any, Any], bool]:
    """`value >= bound` for "gte", `value <= bound` for "lte" (inclusive bounds)."""
    return operator.ge if op == "gte" else operator.le


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
    """Repeatable integer primary key filter (`?id=1&id=2`). With an offset, a key derived
    from the row id (a document `number` = offset + internal id)."""

    offset: int = 0

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        ids = present(values)
        return frozenset(parse_int(param, v) - self.offset for v in ids) if ids else None

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


class _ColumnCodes:
    """Base of the filters decided by one hidden column's codes alone: a mask selects from a
    whole table at C speed, the predicate keeps views right as single rows change.
    Subclasses name the `column` and say which `codes` a parsed value selects."""

    column: str

    def codes(self, table: Table, parsed: Any) -> Iterable[int]:
        raise NotImplementedError

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        return code_predicate(table.cols.column(self.column), self.codes(table, parsed))

    def mask(self, table: Table, parsed: Any) -> bytes:
        return code_mask(table.cols.column(self.column), self.codes(table, parsed))


@dataclass(frozen=True)
class ColumnIn(_ColumnCodes):
    """Repeatable integer filter on a hidden column (`?company_id=1&company_id=2` = either).
    `exclude` turns it into `exclude_company_id`: rows with none of the values."""

    column: str
    exclude: bool = False

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        return frozenset(parse_int(param, v) for v in items) if items else None

    def codes(self, table: Table, parsed: Any) -> Iterable[int]:
        return [c for c in range(256) if c not in parsed] if self.exclude else parsed


@dataclass(frozen=True)
class CategoryIn(_ColumnCodes):
    """Repeatable exact-match filter on a categorical hidden column (`customer_type`)."""

    column: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        return frozenset(items) if items else None

    def codes(self, table: Table, parsed: Any) -> Iterable[int]:
        return table.category_codes(self.column, parsed)


@dataclass(frozen=True)
class TextContains:
    """Case-insensitive substring over one or more visible fields (`icontains`; OR-ed)."""

    getters: tuple[Getter, ...]

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        text = last(values)
        return text.casefold() if text is not None else None

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
        text = last(values)
        return text.casefold() if text is not None else None

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
        return parse_bool(param, values)

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
        text = last(values)
        return parse_date(param, text) if text is not None else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        wanted: str = parsed.isoformat()
        holds = compare(self.op)

        def match(slot: int) -> bool:
            value = _value(table, slot, self.getter)
            if not isinstance(value, str) or len(value) < 10:
                return False
            return holds(value[:10], wanted)

        return match


def parse_bool(param: str, values: list[str]) -> bool | None:
    text = last(values)
    if text is None:
        return None
    raw = text.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ParamError(param, "Input should be a valid boolean, unable to interpret input")


def parse_date(param: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ParamError(param, "Input should be a valid date in the format YYYY-MM-DD") from None


def parse_datetime(param: str, value: str) -> int:
    """ISO 8601 date-time (or date) → µs; naive values are UTC. A `+` that arrived as a space
    (an unencoded offset) is put back."""
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ParamError(param, "Input should be a valid datetime") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_us(parsed)


@dataclass(frozen=True)
class ValuesIn:
    """Repeatable exact match on a visible value (`?customer_id=3&customer_id=9`). The getter
    may return a list (line-level filters such as a payment's invoice numbers): any match."""

    getter: Getter
    kind: type = int

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        items = present(values)
        if not items:
            return None
        if self.kind is int:
            return frozenset(parse_int(param, v) for v in items)
        return frozenset(items)

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        def match(slot: int) -> bool:
            value = _value(table, slot, self.getter)
            if isinstance(value, list | tuple | set | frozenset):
                return any(v in parsed for v in value)
            return value in parsed

        return match


@dataclass(frozen=True)
class CategoryBool(_ColumnCodes):
    """A boolean held as a categorical hidden column (`?is_active=false`)."""

    column: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        return parse_bool(param, values)

    def codes(self, table: Table, parsed: Any) -> Iterable[int]:
        return table.category_codes(self.column, {parsed})


@dataclass(frozen=True)
class HideUnless(_ColumnCodes):
    """Rows whose categorical column holds `hidden` are left out unless the flag is true
    (`show_inactive`, `include_expired`): applied even when the parameter is absent."""

    column: str
    hidden: Any
    always: bool = True

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        return None if parse_bool(param, values) else "hide"

    def codes(self, table: Table, parsed: Any) -> Iterable[int]:
        known = table.factory.categories[self.column]
        return [code for code, value in enumerate(known) if value != self.hidden]


@dataclass(frozen=True)
class IsNull:
    """`?no_income_account=true`: the field is null (false: it is not)."""

    getter: Getter

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        return parse_bool(param, values)

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        return lambda slot: (_value(table, slot, self.getter) is None) is parsed


def parse_decimal(param: str, values: list[str]) -> Decimal | None:
    text = last(values)
    if text is None:
        return None
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ParamError(param, "Input should be a valid decimal") from None
    if not number.is_finite():
        raise ParamError(param, "Input should be a finite number")
    return number


@dataclass(frozen=True)
class DecimalCompare:
    """`amount_gte`-style filters on a decimal-string field ("gte" / "lte")."""

    getter: Getter
    op: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        return parse_decimal(param, values)

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        holds = compare(self.op)

        def match(slot: int) -> bool:
            value = _value(table, slot, self.getter)
            return value is not None and holds(Decimal(str(value)), parsed)

        return match


@dataclass(frozen=True)
class HiddenKeyCompare:
    """`updated_after` / `updated_before` (inclusive) on the server's updated_at, the hidden
    key. Only exists under a `Behaviour` switch (a newer API version)."""

    op: str
    switch: str = "updated_after_filter"

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        text = last(values)
        return parse_datetime(param, text) if text is not None else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        hidden, holds = table.cols.hidden_key, compare(self.op)
        return lambda slot: holds(hidden[slot], parsed)

    def mask(self, table: Table, parsed: Any) -> bytes:
        test = self.predicate(table, parsed)
        return bytes(test(slot) for slot in range(len(table.cols)))


@dataclass(frozen=True)
class CreatedCompare:
    """Filters on the row's creation time, a server column (`created_at__date__gte`, or a
    date-time bound). Rows whose creation time is not shown fall back to their hidden key."""

    op: str
    unit: str = "date"  # "date": compare calendar days (UTC); "datetime": instants
    switch: str | None = None  # a Behaviour switch that, when off, ignores the parameter

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        text = last(values)
        if text is None:
            return None
        if self.unit == "datetime":
            return parse_datetime(param, text)
        day = parse_date(param, text)
        start = to_us(datetime(day.year, day.month, day.day, tzinfo=UTC))
        # A whole day: from its first microsecond (gte) or through its last (lte).
        return start if self.op == "gte" else start + 86_400_000_000 - 1

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        created, hidden = table.cols.created_ts, table.cols.hidden_key
        holds = compare(self.op)

        def match(slot: int) -> bool:
            value = created[slot]
            return holds(value if value != NO_TS else hidden[slot], parsed)

        return match


@dataclass(frozen=True)
class ItemTest:
    """A one-off filter: `test(item, value)` on the whole visible item, the value parsed as
    "int", "str" or "bool" (e.g. custom fields' `record_type` + `is_required` pair)."""

    test: Callable[[dict[str, Any], Any], bool]
    kind: str = "str"

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        if self.kind == "bool":
            return parse_bool(param, values)
        text = last(values)
        if text is None:
            return None
        return parse_int(param, text) if self.kind == "int" else text

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        return lambda slot: self.test(table.visible(slot), parsed)


@dataclass(frozen=True)
class TimeCompare:
    """A date-time bound (inclusive) on a visible date-time field (`date_from` on a bank
    feed row's `date`)."""

    getter: Getter
    op: str

    def parse(self, param: str, values: list[str]) -> Hashable | None:
        text = last(values)
        return parse_datetime(param, text) if text is not None else None

    def predicate(self, table: Table, parsed: Any) -> Predicate:
        holds = compare(self.op)

        def match(slot: int) -> bool:
            value = _value(table, slot, self.getter)
            return isinstance(value, str) and holds(to_us(datetime.fromisoformat(value)), parsed)

        return match
