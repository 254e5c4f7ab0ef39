"""Master data: vendors, items, accounts, companies, classifications and their lines, custom
field definitions, budgets.

Lists other tables cite by position (accounts, companies, classifications, custom fields)
are served with consecutive ids mapping onto the fixed reference lists; rows past the end of
a list (larger sizes, inserts) are generated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from ..timestamps import render
from .common import BaseFactory, approvers, custom_field_values, rejected_by, slug
from .documents import APPROVAL_STATUSES, APPROVAL_WEIGHTS, put_actors, revise_memo
from .places import PLACES, SECOND_LINES, STREETS, address
from .reference import (
    ACCOUNT_ID,
    CHART,
    CLASSIFICATION_LINES,
    CLASSIFICATIONS,
    EXPENSE_ACCOUNTS,
    INCOME_ACCOUNTS,
    PRODUCT_TAX_CODES,
    Account,
    ClassificationLine,
)
from .values import classifications as record_classifications

# --------------------------------------------------------------------------- vendors

VENDOR_TYPES = ("company", "individual", "intercompany", "tax_agency")
_VENDOR_STEMS = (
    "Office Depot",
    "Amazon Web Services",
    "DHL Express",
    "Deutsche Telekom",
    "Müller Logistik",
    "佐川急便",
    "WeWork",
    "Staples",
    "Gusto",
    "FedEx",
    "Lufthansa Cargo",
    "Café Central",
    "Ørsted Energi",
    "Łódź Print House",
    "Nordic Timber",
    "São Jorge Têxteis",
    "Blue Bottle ☕ Coffee",
    "Kyoto Ceramics",
    "Atlassian",
    "Iron Mountain",
)
_TAX_AGENCIES = ("Internal Revenue Service", "HMRC", "Finanzamt München", "国税庁")
_VENDOR_SUFFIXES = ("Inc.", "GmbH", "Ltd", "LLC", "S.A.", "AB", "K.K.", "")
_PEOPLE = ("Ana Souza", "Jonas Weber", "Mei Tanaka", "Oskar Nilsson", "Chidi Eze", "Léa Martin")
_TIN_TYPES = ("ein", "ssn", "utr", "")


def _vendor_identity(seed: int, rid: int, vendor_type: str) -> dict[str, Any]:
    draw = Draw(seed, salt("vendors.identity"), rid)
    if vendor_type == "individual":
        name = draw.pick(_PEOPLE)
    elif vendor_type == "tax_agency":
        name = draw.pick(_TAX_AGENCIES)
    elif vendor_type == "intercompany":
        name = draw.pick(("Northwind Europe GmbH", "Northwind UK Ltd", "ノースウィンド株式会社"))
    else:
        suffix = draw.pick(_VENDOR_SUFFIXES)
        stem = draw.pick(_VENDOR_STEMS)
        name = f"{stem} {suffix}" if suffix else stem
    domain = f"{slug(name)[:18] or 'vendor'}.example.com"
    return {
        "name": name,
        "unique_id": f"V-{rid:05d}" if draw.chance(0.75) else None,
        "email": draw.pick((f"billing@{domain}", f"ar@{domain}", None, "")),
        "website": draw.pick((f"https://{domain}", None, "")),
        "phone": draw.pick((f"+1 650-555-{draw.below(10_000):04d}", "+49 30 1234567", None, "")),
    }


class VendorFactory(BaseFactory):
    """PublicVendorListSchemaOut."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {
            "vendor_type": VENDOR_TYPES,
            "approval_status": APPROVAL_STATUSES,
            "is_active": (True, False),
        }
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {
            "vendor_type": (0.75, 0.15, 0.04, 0.06),
            "approval_status": APPROVAL_WEIGHTS,
            "is_active": (0.9, 0.1),
        }
    )
    _salt = salt("vendors.extra")

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name in ("vendor_type", "approval_status", "is_active"):
            return row.categories[name]
        if name in ("name", "unique_id", "email", "website", "phone"):
            return _vendor_identity(row.seed, row.rid, row.categories["vendor_type"])[name]
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        vendor_type = row.categories["vendor_type"]
        identity = _vendor_identity(row.seed, row.rid, vendor_type)
        draw = Draw(row.seed, self._salt, row.rid)
        status = row.categories["approval_status"]
        company = row.world.company(row.company_id) if row.company_id else None
        country, state, city, postal = draw.pick(PLACES)
        street = f"{draw.between(1, 900)} {draw.pick(STREETS)}"
        has_address = draw.chance(0.85)
        us_1099 = vendor_type in ("individual", "company") and country == "US" and draw.chance(0.5)
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(row, draw, row.world.custom_fields_for("vendor"))
        }
        put_actors(item, row, draw)
        nxt: list[Any] | None = None
        if status == "pending":
            nxt = approvers(row.world, draw, 1)
        item.update(
            {
                "approval_status": status,
                "next_approvers": nxt,
                "rejected_by": rejected_by(row.world, draw) if status == "rejected" else None,
                "id": row.rid,
                "address": {
                    "street": street,
                    "city": city,
                    "state": state,
                    "postal_code": postal,
                    "second_line": draw.pick(SECOND_LINES),
                    "country": country,
                }
                if has_address
                else None,
                "vendor_type": vendor_type,
                "company_id": company.id if company else None,
                "company_name": company.name if company else None,
                "customer_account_number": draw.pick(("", "", f"ACC-{draw.between(100, 9999)}")),
                "single_address": f"{street}, {postal} {city}".strip() if has_address else None,
                "country": country,
                "name": identity["name"],
                "unique_id": identity["unique_id"],
                "website": identity["website"],
                "email": identity["email"],
                "is_active": row.categories["is_active"],
                "phone": identity["phone"],
                "is_1099_eligible": us_1099,
                "tin": f"{draw.between(10, 99)}-{draw.between(1_000_000, 9_999_999)}"
                if us_1099 or draw.chance(0.2)
                else None,
                "tin_type": draw.pick(_TIN_TYPES) if us_1099 else draw.pick(("", None)),
                "record_status": row.record_status,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        choice = draw.pick(("phone", "email", "name", "active"))
        if choice == "phone":
            item["phone"] = f"+1 415-555-{draw.below(10_000):04d}"
        elif choice == "email":
            item["email"] = f"payables{draw.between(1, 99)}@example.com"
        elif choice == "name":
            item["name"] = item["name"].split(" (", 1)[0] + draw.pick((" (EU)", " (new)", " (旧)"))
        else:
            item["is_1099_eligible"] = not item["is_1099_eligible"]


# --------------------------------------------------------------------------- items

ITEM_TYPES = ("good", "service", "discount")
_GOODS = ("Widget", "Laptop stand", "USB-C cable", "Schreibtisch", "抹茶 tin", "Café beans 1 kg")
_SERVICES = ("Consulting hour", "Onboarding", "Support plan", "Wartung", "Training day")
_STRATEGIES = ("straight_line", "daily_prorata", "immediate", "usage", "milestone")
_CADENCES = ("monthly", "quarterly", "annually", "one_time")


def _item_name(seed: int, rid: int, item_type: str) -> str:
    draw = Draw(seed, salt("items.name"), rid)
    if item_type == "discount":
        return draw.pick(("Volume discount", "Loyalty rebate", "Promo — 10 % off"))
    base = draw.pick(_GOODS if item_type == "good" else _SERVICES)
    return f"{base} {draw.pick(('', 'Pro', 'XL', 'v2', 'Basic'))}".strip()


class ItemFactory(BaseFactory):
    """PublicItemSchemaOut. Inactive items are a hidden column so that the default listing
    (active only unless `show_inactive=true`) selects at C speed."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {"item_type": ITEM_TYPES, "is_active": (True, False)}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"item_type": (0.55, 0.4, 0.05), "is_active": (0.8, 0.2)}
    )
    _salt = salt("items.extra")

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name in ("item_type", "is_active"):
            return row.categories[name]
        if name == "name":
            return _item_name(row.seed, row.rid, row.categories["item_type"])
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        item_type = row.categories["item_type"]
        draw = Draw(row.seed, self._salt, row.rid)
        service = item_type == "service"
        item: dict[str, Any] = {}
        put_actors(item, row, draw)
        lines = [ln.id for ln in CLASSIFICATION_LINES]
        item.update(
            {
                "id": row.rid,
                "name": _item_name(row.seed, row.rid, item_type),
                "sku": f"SKU-{row.rid:05d}" if draw.chance(0.8) else "",
                "description": draw.pick(("", "Imported", "Hecho a mano", "再入荷")),
                "item_type": item_type,
                "is_active": row.categories["is_active"],
                "record_status": row.record_status,
                "product_tax_code_id": draw.between(1, len(PRODUCT_TAX_CODES))
                if draw.chance(0.6)
                else None,
                "expense_account_id": ACCOUNT_ID[draw.pick(EXPENSE_ACCOUNTS)]
                if item_type == "good" or draw.chance(0.2)
                else None,
                "income_account_id": ACCOUNT_ID[draw.pick(INCOME_ACCOUNTS)]
                if item_type != "discount" and draw.chance(0.95)
                else None,
                "deferral_account_id": ACCOUNT_ID[2400] if service and draw.chance(0.3) else None,
                "asset_account_id": ACCOUNT_ID[1300] if item_type == "good" else None,
                "discount_account_id": ACCOUNT_ID[4900] if item_type == "discount" else None,
                "default_classification_line_ids": draw.sample(lines, 2)
                if draw.chance(0.2)
                else None,
                "default_rev_rec_method": draw.pick(_STRATEGIES) if service else None,
                "default_rev_rec_invoice_frequency": draw.pick(_CADENCES) if service else None,
                "default_rev_rec_invoice_interval": draw.between(1, 3) if service else None,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw, "description")
        if draw.chance(0.3):
            item["sku"] = f"SKU-{item['id']:05d}-{draw.between(2, 9)}"


# --------------------------------------------------------------------------- accounts


def chart_entry(rid: int) -> Account:
    """Account id k is CHART[k-1]; ids past the chart are generated expense sub-accounts."""
    if 1 <= rid <= len(CHART):
        return CHART[rid - 1]
    n = rid - len(CHART) - 1
    return Account(6005 + 10 * n, f"Expense sub-account {n + 1}", "expense")


class AccountFactory(BaseFactory):
    """PublicAccountSchemaOut."""

    _salt = salt("accounts")

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name == "number":
            return chart_entry(row.rid).number
        if name == "name":
            return chart_entry(row.rid).name
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        account = chart_entry(row.rid)
        draw = Draw(row.seed, self._salt, row.rid)
        company_id = None
        if account.currency is not None:
            company_id = next(
                (c.id for c in row.world.companies if c.currency == account.currency), None
            )
        item: dict[str, Any] = {}
        put_actors(item, row, draw)
        item.update(
            {
                "id": row.rid,
                "name": account.name,
                "number": account.number,
                "description": draw.pick(("", "", "See accounting policy 4.2", "Legacy GL 7710")),
                "is_active": account.number != 1520 and draw.chance(0.97),
                "is_system": account.system_ref is not None,
                "company_id": company_id,
                "account_type": account.account_type,
                "currency_iso_4217_code": account.currency,
                "category_1099": account.category_1099,
                "system_ref": account.system_ref,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw, "description")


# --------------------------------------------------------------------------- companies

_EXTRA_COMPANIES = (
    ("Northwind Eliminations", "USD", True, True),  # name, currency, is_elimination, active
    ("Northwind Canada Ltd", "CAD", False, False),
    ("Northwind Brasil Ltda", "BRL", False, True),
    ("Northwind Australia Pty Ltd", "AUD", False, True),
)


class CompanyFactory(BaseFactory):
    """CompanySchemaOut: ids 1..n are the world's companies (the ones transactions cite),
    then an elimination entity and dormant subsidiaries."""

    _salt = salt("companies")

    def _identity(self, row: RowContext) -> tuple[str, str, bool, bool]:
        companies = row.world.companies
        if row.rid <= len(companies):
            company = companies[row.rid - 1]
            return company.name, company.currency, False, True
        extra = row.rid - len(companies) - 1
        if extra < len(_EXTRA_COMPANIES):
            return _EXTRA_COMPANIES[extra]
        return f"Northwind Subsidiary {row.rid}", "USD", False, extra % 3 != 0

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name == "name":
            return self._identity(row)[0]
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        name, currency, elimination, active = self._identity(row)
        draw = Draw(row.seed, self._salt, row.rid)
        vat = []
        if currency in ("EUR", "GBP"):
            country = "DE" if currency == "EUR" else "GB"
            vat.append(
                {
                    "id": row.rid * 10 + 1,
                    "country": country,
                    "registration_number": f"{country}{draw.between(10**8, 10**9 - 1)}",
                }
            )
        item: dict[str, Any] = {"vat_registration_numbers": vat}
        put_actors(item, row, draw)
        place = None if draw.chance(0.1) else address(draw, name)
        if place is not None:  # AddressSchemaOut order
            place = {
                k: place[k]
                for k in (
                    "name",
                    "street",
                    "second_line",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                )
            }
        us = currency == "USD"
        item.update(
            {
                "id": row.rid,
                "name": name,
                "parent_company_id": None if row.rid == 1 else 1,
                "currency_iso_4217_code": currency,
                "address": place,
                "tin": f"{draw.between(10, 99)}-{draw.between(10**6, 10**7 - 1)}" if us else "",
                "tin_type": "ein" if us else "",
                "is_active": active,
                "is_elimination": elimination,
                "fiscal_year_end_month": draw.pick((12, 12, 12, 3, 6)),
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["fiscal_year_end_month"] = draw.pick(
            tuple(m for m in range(1, 13) if m != item["fiscal_year_end_month"])
        )


# --------------------------------------------------------------------------- classifications

_TEAM_PARENT = {"Platform": "Engineering", "Growth": "Sales", "Payroll": "Finance"}


def classification_line(rid: int) -> ClassificationLine:
    if 1 <= rid <= len(CLASSIFICATION_LINES):
        return CLASSIFICATION_LINES[rid - 1]
    owner = (rid - 1) % len(CLASSIFICATIONS) + 1
    return ClassificationLine(rid, f"Line {rid}", owner, rid % 5 != 0)


def _line_id(name: str) -> int | None:
    return next((ln.id for ln in CLASSIFICATION_LINES if ln.name == name), None)


class ClassificationFactory(BaseFactory):
    """PublicClassificationSchemaOut: selections are the classification's lines."""

    _salt = salt("classifications")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        if row.rid <= len(CLASSIFICATIONS):
            owner = CLASSIFICATIONS[row.rid - 1]
            name, parent, required = owner.name, owner.parent, owner.required_for
        else:
            name, parent, required = f"Dimension {row.rid}", None, ()
        parent_name = CLASSIFICATIONS[parent].name if parent is not None else None
        selections = []
        for line in CLASSIFICATION_LINES:
            if line.classification_id != row.rid:
                continue
            parent_line = _TEAM_PARENT.get(line.name) if parent is not None else None
            selections.append(
                {
                    "id": line.id,
                    "name": line.name,
                    "is_active": line.is_active,
                    "parent_id": _line_id(parent_line) if parent_line else None,
                    "parent_name": parent_line,
                }
            )
        item: dict[str, Any] = {}
        put_actors(item, row, draw)
        item.update(
            {
                "id": row.rid,
                "selections": selections,
                "required_for_records": list(required),
                "parent_id": parent + 1 if parent is not None else None,
                "parent_name": parent_name,
                "name": name,
                "is_active": row.rid != 4,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["is_active"] = not item["is_active"]


class ClassificationLineFactory(BaseFactory):
    """PublicClassificationLineSchemaOut (no actors, no times)."""

    def build(self, row: RowContext) -> dict[str, Any]:
        line = classification_line(row.rid)
        owner = line.classification_id
        owner_name = CLASSIFICATIONS[owner - 1].name if owner <= len(CLASSIFICATIONS) else ""
        return {
            "id": row.rid,
            "name": line.name,
            "is_active": line.is_active,
            "classification_id": owner,
            "classification_name": owner_name,
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw, "name")


# --------------------------------------------------------------------------- custom fields


class CustomFieldFactory(BaseFactory):
    """PublicCustomFieldSchemaOut: ids from 11 are the world's definitions (the ones records
    cite), generated ones after them."""

    _salt = salt("custom_fields")

    def build(self, row: RowContext) -> dict[str, Any]:
        definitions = row.world.custom_fields
        index = row.rid - 11
        if 0 <= index < len(definitions):
            return dict(definitions[index])
        draw = Draw(row.seed, self._salt, row.rid)
        return {
            "id": row.rid,
            "company_id": None,
            "company_ids": [],
            "name": f"Extra field {row.rid}",
            "description": None,
            "helper_text": draw.pick((None, "Free text")),
            "field_type": draw.pick(("text", "number", "date", "boolean")),
            "applies_to": [
                {
                    "type": draw.pick(("invoice", "bill", "vendor")),
                    "is_active": True,
                    "is_required": False,
                }
            ],
            "default_value": None,
            "options": None,
            "is_active": draw.chance(0.8),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["helper_text"] = draw.pick(("Shown on the PDF", "Internal only", "Pflichtfeld"))


# --------------------------------------------------------------------------- budgets

BUDGET_TYPES = ("income_statement", "balance_sheet")
_BUDGET_NAMES = ("Operating plan", "Forecast v2", "Board budget", "Plan de gestión")


class BudgetFactory(BaseFactory):
    """PublicBudgetSchemaOut: a required top-level `updated_at`, no actors."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"budget_type": BUDGET_TYPES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"budget_type": (0.75, 0.25)}
    )
    _salt = salt("budgets")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        year = 2019 + row.rid % 8
        company = row.world.company(row.company_id) if row.company_id else None
        dims = [
            {k: c[k] for k in ("id", "name", "line_id", "line_name")}
            for c in record_classifications(draw, 1)
        ]
        updated = row.updated_ts if row.updated_ts is not None else row.created_ts
        return {
            "id": row.rid,
            "name": f"FY{year} {draw.pick(_BUDGET_NAMES)}",
            "company_id": company.id if company else None,
            "company_name": company.name if company else "",
            "budget_type": row.categories["budget_type"],
            "calendar_year": year,
            "start_date": f"{year}-01-01",
            "end_date": f"{year}-12-31",
            "record_status": row.record_status,
            "actuals_offset_in_months": draw.pick((None, 0, 3, 6)),
            "classifications": dims,
            "updated_at": render(updated or 0, row.style, draw.bits()),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw, "name")
