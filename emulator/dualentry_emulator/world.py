"""The organisation every table belongs to: companies, users, custom field definitions.

Shared by all factories so that actors, approvers and company ids are consistent across
endpoints. Chosen from the seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .draw import Draw, salt
from .refs import References

_COMPANY_NAMES = (
    ("Northwind Holdings Inc.", "USD"),
    ("Northwind Europe GmbH", "EUR"),
    ("Northwind UK Ltd", "GBP"),
    ("ノースウィンド株式会社", "JPY"),
)

_USERS = (
    ("Ana", "García", "https://avatars.example.com/u/ana.png"),
    ("Björn", "Lindqvist", None),
    ("Chloé", "Dubois", "https://avatars.example.com/u/chloe.png"),
    ("Priya", "Raman", None),
    ("Kenji", "Sato", "https://avatars.example.com/u/kenji.png"),
    ("Ngozi", "Okafor", None),
    ("Siobhán", "O'Neill", "https://avatars.example.com/u/siobhan.png"),
    ("Tomasz", "Wiśniewski", None),
)


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    currency: str


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str
    email: str
    avatar_url: str | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class World:
    seed: int
    companies: tuple[Company, ...]
    users: tuple[User, ...]
    customer_custom_fields: tuple[dict[str, Any], ...]
    custom_fields: tuple[dict[str, Any], ...] = ()
    """Every custom field definition (the custom-fields list), customers' first."""
    refs: References = field(default_factory=References, compare=False)

    @property
    def company_ids(self) -> tuple[int, ...]:
        return tuple(c.id for c in self.companies)

    def company(self, company_id: int | None) -> Company:
        """The company of a row (rows without one are shown as the parent company's)."""
        if company_id is None or not 1 <= company_id <= len(self.companies):
            return self.companies[0]
        return self.companies[company_id - 1]

    def custom_fields_for(self, record_type: str) -> tuple[dict[str, Any], ...]:
        return tuple(
            d for d in self.custom_fields if any(a["type"] == record_type for a in d["applies_to"])
        )


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _custom_fields(draw: Draw, applies_to: str, first_id: int) -> tuple[dict[str, Any], ...]:
    def applies(required: bool = False) -> list[dict[str, Any]]:
        return [{"type": applies_to, "is_active": True, "is_required": required}]

    definitions: list[dict[str, Any]] = [
        {
            "name": "Tier",
            "description": "Commercial tier",
            "helper_text": None,
            "field_type": "single_select",
            "applies_to": applies(),
            "default_value": None,
            "options": ["Gold", "Silver", "Bronze"],
        },
        {
            "name": "Partner",
            "description": None,
            "helper_text": "Tick for channel partners",
            "field_type": "boolean",
            "applies_to": applies(),
            "default_value": "false",
            "options": None,
        },
        {
            "name": "Account manager",
            "description": "Owner of the relationship",
            "helper_text": None,
            "field_type": "text",
            "applies_to": applies(required=True),
            "default_value": None,
            "options": None,
        },
        {
            "name": "Credit limit",
            "description": None,
            "helper_text": None,
            "field_type": "currency",
            "applies_to": applies(),
            "default_value": None,
            "options": None,
        },
        {
            "name": "Onboarded on",
            "description": None,
            "helper_text": None,
            "field_type": "date",
            "applies_to": applies(),
            "default_value": None,
            "options": None,
        },
        {
            "name": "Industries",
            "description": "Markets served",
            "helper_text": None,
            "field_type": "multi_select",
            "applies_to": applies(),
            "default_value": ["Retail"],
            "options": ["Retail", "Manufacturing", "Software", "Hospitality"],
        },
    ]
    out = []
    for offset, definition in enumerate(definitions):
        company_specific = draw.chance(0.25)
        out.append(
            {
                "id": first_id + offset,
                "company_id": 1 if company_specific else None,
                "company_ids": [1] if company_specific else [],
                **definition,
                "is_active": draw.chance(0.9),
            }
        )
    return tuple(out)


# name, field type, options, record types it applies to
_RECORD_FIELDS: tuple[tuple[str, str, tuple[str, ...] | None, tuple[str, ...]], ...] = (
    ("Sales rep", "text", None, ("invoice", "sales_order", "contract")),
    ("Channel", "single_select", ("Direct", "Partner", "Marketplace"), ("invoice", "cash_sale")),
    ("PO received", "boolean", None, ("invoice", "sales_order")),
    ("Cost center", "single_select", ("CC-100", "CC-200", "CC-300"), ("bill", "direct_expense")),
    ("Approver note", "paragraph", None, ("bill", "vendor_credit")),
    ("Preferred vendor", "boolean", None, ("vendor",)),
    ("Vendor since", "date", None, ("vendor",)),
    ("Prepared by", "text", None, ("journal_entry",)),
    ("Audit ticket", "link", None, ("journal_entry", "direct_expense")),
    (
        "Credit reason",
        "single_select",
        ("Return", "Pricing error", "Goodwill"),
        ("customer_credit",),
    ),
    ("Remittance ref", "text", None, ("customer_payment", "vendor_payment")),
    ("Payment batch", "number", None, ("vendor_payment", "vendor_refund")),
    (
        "Internal reference",
        "text",
        None,
        ("customer_prepayment", "customer_deposit", "customer_refund", "vendor_prepayment"),
    ),
    ("Renewal owner", "text", None, ("contract",)),
    ("Deal size", "currency", None, ("contract", "sales_order")),
    ("Regions", "multi_select", ("EMEA", "APAC", "AMER"), ("contract", "customer_credit")),
    ("Legacy code", "text", None, ("company",)),
    ("Cash drawer", "text", None, ("cash_sale",)),
)
CUSTOM_FIELD_COUNT = 6 + len(_RECORD_FIELDS)
"""Definitions in every world: the custom-fields list's default size."""


def _record_custom_fields(draw: Draw, first_id: int) -> tuple[dict[str, Any], ...]:
    out = []
    for offset, (name, kind, options, types) in enumerate(_RECORD_FIELDS):
        company_specific = draw.chance(0.2)
        out.append(
            {
                "id": first_id + offset,
                "company_id": 1 if company_specific else None,
                "company_ids": [1] if company_specific else [],
                "name": name,
                "description": f"{name} ({', '.join(types)})" if draw.chance(0.5) else None,
                "helper_text": None,
                "field_type": kind,
                "applies_to": [
                    {"type": t, "is_active": draw.chance(0.95), "is_required": draw.chance(0.15)}
                    for t in types
                ],
                "default_value": None,
                "options": list(options) if options is not None else None,
                "is_active": draw.chance(0.9),
            }
        )
    return tuple(out)


def make_world(seed: int) -> World:
    draw = Draw(seed, salt("world"))
    n_companies = draw.between(2, 4)
    companies = tuple(
        Company(id=i + 1, name=name, currency=currency)
        for i, (name, currency) in enumerate(_COMPANY_NAMES[:n_companies])
    )
    users = tuple(
        User(
            id=101 + i,
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}@northwind.example",
            avatar_url=avatar,
        )
        for i, (first, last, avatar) in enumerate(_USERS)
    )
    customer_fields = _custom_fields(draw, "customer", first_id=11)
    return World(
        seed=seed,
        companies=companies,
        users=users,
        customer_custom_fields=customer_fields,
        custom_fields=customer_fields + _record_custom_fields(draw, 11 + len(customer_fields)),
    )
