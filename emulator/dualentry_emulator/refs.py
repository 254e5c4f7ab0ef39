"""Cross-references between tables: ids and names one endpoint's rows cite from another's.

An invoice's `customer_id` should name a customer the customers list serves. A referencing
row picks from the referenced table's ids *as generated* (later inserts and deletes do not
change what existing rows cite, so a seed keeps giving the same bytes), and reads generated
fields (a customer's name) from that table, built on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .draw import Draw

if TYPE_CHECKING:
    from .tables import Table

TableGetter = Callable[[str], "Table | None"]

FALLBACK_IDS = range(1, 101)
"""Ids cited when the referenced table is not served or empty (dangling, but plausible)."""


_FIELD_CACHE = 100_000


class References:
    def __init__(self, table: TableGetter | None = None) -> None:
        self._table = table
        self._ids: dict[str, Sequence[int]] = {}
        self._fields: dict[tuple[str, int, str], Any] = {}

    def table(self, name: str) -> Table | None:
        return self._table(name) if self._table is not None else None

    def ids(self, name: str) -> Sequence[int]:
        """The referenced table's ids as generated, ascending."""
        ids = self._ids.get(name)
        if ids is None:
            table = self.table(name)
            generated = table.generated_ids() if table is not None else None
            ids = generated if generated else FALLBACK_IDS
            self._ids[name] = ids
        return ids

    def pick(self, name: str, draw: Draw) -> int:
        ids = self.ids(name)
        return ids[draw.below(len(ids))]

    def nth(self, name: str, index: int) -> int:
        """A distinct id per index: the index-th generated id, or beyond the last one."""
        ids = self.ids(name)
        return ids[index] if index < len(ids) else ids[-1] + 1 + index - len(ids)

    def field(self, name: str, rid: int, field: str) -> Any:
        """A field of the referenced row as generated (None if there is no such row).
        Generated values never change, so they are remembered (a bounded cache)."""
        key = (name, rid, field)
        if key in self._fields:
            return self._fields[key]
        table = self.table(name)
        value = table.generated_field(rid, field) if table is not None else None
        if len(self._fields) >= _FIELD_CACHE:
            self._fields.clear()
        self._fields[key] = value
        return value
