"""Shared pieces of endpoint specs: families of lists, orderings and the filters transactions
have in common."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..factories.documents import NUMBER_BASES
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
from ..spec import EndpointSpec, RowFactory
from ..timeline import Timeline

CONSECUTIVE = Timeline(id_gaps=False)
"""For lists other tables cite by position (accounts, companies, tax rates, ...)."""

NO_ACTORS: dict[str, Any] = {"updated_actor": None, "created_actor": None}

SERVER_TIMES: dict[str, Any] = {"timestamps_required": True, "updated_at_field": "updated_at"}
"""Items with required top-level `created_at`/`updated_at`."""


def path_of(name: str) -> str:
    """The path fragment of a list named after its URL: `fixed_assets` → `fixed-assets/`."""
    return name.replace("_", "-") + "/"


def fixed_order_list(
    name: str,
    path: str,
    factory: RowFactory,
    *,
    rows: int,
    default_ordering: str = "id",
    **options: Any,
) -> EndpointSpec:
    """A list served in one fixed order (it takes no `ordering`: the parameter is ignored
    as unknown), with neither record statuses nor actors."""
    return EndpointSpec(
        name=name,
        path=path,
        factory=factory,
        default_ordering=default_ordering,
        ordering_param=False,
        record_statuses=None,
        default_rows=rows,
        **NO_ACTORS,
        **options,
    )


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
    endpoint: str,
    *,
    party: str | None = "customer",
    approval: bool = False,
    currency: bool = True,
) -> dict[str, Filter]:
    """The filters every transaction list has: search, company, number, counterparty
    (`party`: "customer" or "vendor", its `_id` and `_name` fields), currency, approval
    status and the date window."""

    def number_text(item: dict[str, Any]) -> str:
        return str(item.get("number", ""))

    searched: tuple[Any, ...] = ("memo", number_text, "reference_number")
    if party:
        searched += (f"{party}_name",)
    out: dict[str, Filter] = {
        "search": TextContains(searched),
        "company_id": ColumnIn("company_id"),
        "number": IdIn(offset=NUMBER_BASES[endpoint]),
    }
    if party:
        out[f"{party}_id"] = ValuesIn(f"{party}_id")
    if currency:
        out["transaction_currency"] = ValuesIn("currency_iso_4217_code", str)
    if approval:
        out["approval_status"] = CategoryIn("approval_status")
    out["start_date"] = DateCompare("date", "gte")
    out["end_date"] = DateCompare("date", "lte")
    return out


UPDATED_WINDOW: Mapping[str, Filter] = {
    "updated_after": HiddenKeyCompare("gte"),
    "updated_before": HiddenKeyCompare("lte"),
}
"""The newer API's filters (invoices, bills, journal entries; `Behaviour.updated_after_filter`)."""
