"""The catalogue of served list endpoints: one declarative `EndpointSpec` each.

To add an endpoint: write its factory under `factories/` and add a spec to a module under
`catalogue/`. Paths, parameters and defaults come from `list-endpoints.json` and
`schema-notes.md`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .catalogue.approvals import APPROVALS_AND_BANKING
from .catalogue.reference import REFERENCE
from .catalogue.transactions import TRANSACTIONS
from .factories.customers import CustomerFactory
from .filters import CategoryIn, ColumnIn, IdIn, TextContains, TextExact
from .ordering import HIDDEN_UPDATED, PRIMARY_KEY, VisibleField
from .spec import EndpointSpec

HEALTH = "health"
"""Catalogue name of `GET /public/{v}/health/` (for request records, faults, persistent)."""


def _address_text(item: dict[str, Any]) -> str:
    # `address` filters the flat address of the detail record; the list item shows it as the
    # full_address object, so match over its parts.
    address = item.get("full_address") or {}
    parts = ("street", "second_line", "city", "state", "postal_code", "country")
    return " ".join(str(address.get(p) or "") for p in parts)


CUSTOMERS = EndpointSpec(
    name="customers",
    path="customers/",
    factory=CustomerFactory(),
    versions=("v1", "v2"),
    primary_key=("id",),
    default_ordering="-updated_at",
    orderings={"updated_at": HIDDEN_UPDATED, "id": PRIMARY_KEY, "name": VisibleField("name")},
    filters={
        "id": IdIn(),
        "company_id": ColumnIn("company_id"),
        "customer_type": CategoryIn("customer_type"),
        "approval_status": CategoryIn("approval_status"),
        "name": TextContains(("name",)),
        "email": TextContains(("email",)),
        "website": TextContains(("website",)),
        "address": TextContains((_address_text,)),
        "country": TextContains(("full_address.country",)),
        "state": TextContains(("full_address.state",)),
        "phone": TextContains(("phone",)),
        "unique_id": TextExact("unique_id"),
        "search": TextContains(("name", "email", "unique_id")),
    },
    default_rows=250,
)

CATALOGUE: Mapping[str, EndpointSpec] = {
    spec.name: spec for spec in (*TRANSACTIONS, CUSTOMERS, *REFERENCE, *APPROVALS_AND_BANKING)
}
"""All 46 paginated list endpoints of the v2 Public API (v1: all but the v2-only ones)."""
