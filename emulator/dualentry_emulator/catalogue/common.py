"""Shared pieces of endpoint specs: orderings and the filters transactions have in common."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..filters import (
    CategoryIn,
    ColumnIn,
    DateCompare,
    Filter,
    HiddenKeyCompare,
    IdIn,
    TextContains,
    ValuesIn,
)
from ..ordering import HIDDEN_UPDATED, PRIMARY_KEY, SortField, VisibleField
from ..timeline import Timeline

CONSECUTIVE = Timeline(id_gaps=False)
"""For lists other tables cite by position (accounts, companies, tax rates, ...)."""

NO_ACTORS: dict[str, Any] = {"updated_actor": None, "created_actor": None}


def orderings(**extra: SortField) -> dict[str, SortField]:
    """`updated_at` (the hidden key) and `id` everywhere, plus the list's own fields."""
    return {"updated_at": HIDDEN_UPDATED, "id": PRIMARY_KEY, **extra}


def named_orderings() -> dict[str, SortField]:
    return orderings(name=VisibleField("name"))


TRANSACTION_ORDERINGS = orderings(internal_id=PRIMARY_KEY, number=PRIMARY_KEY)
"""`number` = base + internal id, so it orders exactly as the primary key."""


def lines_of(
    key: str, field: str, transform: Callable[[Any], Any] = lambda v: v
) -> Callable[[dict[str, Any]], list[Any]]:
    """A getter of one field across a document's lines (line-level `__in` filters)."""

    def get(item: dict[str, Any]) -> list[Any]:
        return [
            transform(line.get(field))
            for line in item.get(key) or ()
            if line.get(field) is not None
        ]

    return get


def transaction_filters(
    *,
    number_base: int,
    party: str | None = "customer_id",
    party_name: str | None = "customer_name",
    approval: bool = False,
    currency: bool = True,
    dates: bool = True,
    date_field: str = "date",
) -> dict[str, Filter]:
    """The filters every transaction list has: search, company, number, counterparty,
    currency, approval status and the date window."""

    def number_text(item: dict[str, Any]) -> str:
        return str(item.get("number", ""))

    searched: tuple[Any, ...] = ("memo", number_text, "reference_number")
    if party_name:
        searched += (party_name,)
    out: dict[str, Filter] = {
        "search": TextContains(searched),
        "company_id": ColumnIn("company_id"),
        "number": IdIn(offset=number_base),
    }
    if party:
        out[party] = ValuesIn(party)
    if currency:
        out["transaction_currency"] = ValuesIn("currency_iso_4217_code", str)
    if approval:
        out["approval_status"] = CategoryIn("approval_status")
    if dates:
        out["start_date"] = DateCompare(date_field, "gte")
        out["end_date"] = DateCompare(date_field, "lte")
    return out


UPDATED_WINDOW: Mapping[str, Filter] = {
    "updated_after": HiddenKeyCompare("gte"),
    "updated_before": HiddenKeyCompare("lte"),
}
"""The newer API's filters (invoices, bills, journal entries; `Behaviour.updated_after_filter`)."""
