"""Master and reference data lists: vendors, items, accounts, companies, classifications,
custom fields, budgets, depreciation books and the tax catalogues."""

from __future__ import annotations

from typing import Any

from ..factories.assets import DepreciationBookFactory
from ..factories.master import (
    AccountFactory,
    BudgetFactory,
    ClassificationFactory,
    ClassificationLineFactory,
    CompanyFactory,
    CustomFieldFactory,
    ItemFactory,
    VendorFactory,
)
from ..factories.reference import (
    CHART,
    CLASSIFICATION_LINES,
    CLASSIFICATIONS,
    DEPRECIATION_BOOKS,
    GST_RATES,
    PRODUCT_TAX_CODES,
    VAT_RATES,
)
from ..factories.tax import GstTaxRateFactory, ProductTaxCodeFactory, VatRateFactory
from ..filters import (
    BoolEquals,
    CategoryBool,
    CategoryIn,
    ColumnIn,
    CreatedCompare,
    HideUnless,
    IdIn,
    IsNull,
    ItemTest,
    TextContains,
    TextExact,
    ValuesIn,
)
from ..ordering import VisibleField
from ..spec import EndpointSpec, RowFactory
from ..timeline import Timeline
from ..world import CUSTOM_FIELD_COUNT
from .common import CONSECUTIVE, NO_ACTORS, SERVER_TIMES, named_orderings, orderings, path_of

VENDORS = EndpointSpec(
    name="vendors",
    path="vendors/",
    factory=VendorFactory(),
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name", "email", "unique_id")),
        "id": IdIn(),
        "vendor_type": CategoryIn("vendor_type"),
        "name": TextContains(("name",)),
        "unique_id": TextExact("unique_id"),
        "email": TextContains(("email",)),
        "website": TextContains(("website",)),
        "single_address": TextContains(("single_address",)),
        "country": TextContains(("country",)),
        "state": TextContains(("address.state",)),
        "phone": TextContains(("phone",)),
        "is_active": CategoryBool("is_active"),
        "is_1099_eligible": BoolEquals("is_1099_eligible"),
        "tin": TextContains(("tin",)),
        "company_id": ColumnIn("company_id"),
        "exclude_company_id": ColumnIn("company_id", exclude=True),
        "names": ValuesIn("name", str),
        "approval_status": CategoryIn("approval_status"),
        "start_date": CreatedCompare("gte"),
        "end_date": CreatedCompare("lte"),
    },
    status_field="record_status",
    company_null_fraction=0.5,
    default_rows=150,
)

ITEMS = EndpointSpec(
    name="items",
    path="items/",
    factory=ItemFactory(),
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name", "sku", "description")),
        "id": IdIn(),
        "name": TextContains(("name",)),
        "item_type": CategoryIn("item_type"),
        "is_active": CategoryBool("is_active"),
        # Only active items unless show_inactive=true, whatever else is asked.
        "show_inactive": HideUnless("is_active", hidden=False),
        **{
            f"no_{kind}_account": IsNull(f"{kind}_account_id")
            for kind in ("income", "expense", "deferral", "asset", "discount")
        },
        **{
            f"{kind}_account_id": ValuesIn(f"{kind}_account_id")
            for kind in ("income", "expense", "deferral", "asset", "discount")
        },
        "product_tax_code_id": ValuesIn("product_tax_code_id"),
    },
    status_field="record_status",
    default_rows=120,
)


def _number_text(item: dict[str, Any]) -> str:
    return str(item["number"])


ACCOUNTS = EndpointSpec(
    name="accounts",
    path="accounts/",
    factory=AccountFactory(),
    default_ordering="number",
    orderings=orderings(number=VisibleField("number"), name=VisibleField("name")),
    filters={
        "search": TextContains(("name", _number_text, "description")),
        "id": IdIn(),
        "name": TextContains(("name",)),
        "description": TextContains(("description",)),
        "number": TextContains((_number_text,)),
        "account_types": ValuesIn("account_type", str),
        "is_active": BoolEquals("is_active"),
        "is_system": BoolEquals("is_system"),
        "company_id": ValuesIn("company_id"),
        "currency_iso_4217_code": ValuesIn("currency_iso_4217_code", str),
        "category_1099": ValuesIn("category_1099", str),
        "numbers": ValuesIn("number"),
        "names": ValuesIn("name", str),
        "system_ref": ValuesIn("system_ref", str),
        "start_date": CreatedCompare("gte"),
        "end_date": CreatedCompare("lte"),
    },
    record_statuses=None,
    updated_ordering_switch=True,
    timeline=CONSECUTIVE,
    default_rows=len(CHART) + 6,
)

COMPANIES = EndpointSpec(
    name="companies",
    path="companies/",
    factory=CompanyFactory(),
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name",)),
        "id": IdIn(),
        "name": TextContains(("name",)),
        "parent_company_id": ValuesIn("parent_company_id"),
        "currency_iso_4217_code": ValuesIn("currency_iso_4217_code", str),
        "is_active": BoolEquals("is_active"),
        "is_elimination": BoolEquals("is_elimination"),
    },
    record_statuses=None,
    timeline=CONSECUTIVE,
    default_rows=6,
)

CLASSIFICATIONS_SPEC = EndpointSpec(
    name="classifications",
    path="classifications/",
    factory=ClassificationFactory(),
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name",)),
        "id": IdIn(),
        "name": TextContains(("name",)),
        "is_active": BoolEquals("is_active"),
        "is_required": ItemTest(
            lambda item, flag: bool(item["required_for_records"]) is flag, "bool"
        ),
    },
    record_statuses=None,
    timeline=CONSECUTIVE,
    default_rows=len(CLASSIFICATIONS),
)

CLASSIFICATION_LINES_SPEC = EndpointSpec(
    name="classification_lines",
    path="classifications-lines/",
    factory=ClassificationLineFactory(),
    default_ordering="-id",
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name", "classification_name")),
        "id": IdIn(),
        "name": TextContains(("name",)),
        "is_active": BoolEquals("is_active"),
        "classification_id": ValuesIn("classification_id"),
    },
    record_statuses=None,
    timeline=CONSECUTIVE,
    default_rows=len(CLASSIFICATION_LINES),
    **NO_ACTORS,
)


def _applies(item: dict[str, Any], record_type: str) -> bool:
    return any(a["type"] == record_type for a in item["applies_to"])


CUSTOM_FIELDS = EndpointSpec(
    name="custom_fields",
    path="custom-fields/",
    factory=CustomFieldFactory(),
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name", "description")),
        "id": IdIn(),
        "field_type": ValuesIn("field_type", str),
        "is_active": BoolEquals("is_active"),
        "name": TextContains(("name",)),
        "record_type": ItemTest(_applies),
        # Organisation-wide definitions plus those of the company.
        "company_id": ItemTest(
            lambda item, company: item["company_id"] is None or company in item["company_ids"],
            "int",
        ),
        "is_required": ItemTest(
            lambda item, flag: any(a["is_required"] for a in item["applies_to"]) is flag, "bool"
        ),
        "is_active_record": ItemTest(
            lambda item, flag: any(a["is_active"] for a in item["applies_to"]) is flag, "bool"
        ),
    },
    record_statuses=None,
    timeline=Timeline(first_id=11, id_gaps=False),
    default_rows=CUSTOM_FIELD_COUNT,
    **NO_ACTORS,
)

BUDGETS = EndpointSpec(
    name="budgets",
    path="budgets/",
    factory=BudgetFactory(),
    orderings=named_orderings(),
    filters={
        "search": TextContains(("name",)),
        "budget_type": CategoryIn("budget_type"),
        "calendar_year": ValuesIn("calendar_year"),
        "company_id": ColumnIn("company_id"),
    },
    status_field="record_status",
    company_null_fraction=0.2,
    default_rows=24,
    **SERVER_TIMES,
    **NO_ACTORS,
)


def _v2_catalogue(name: str, factory: RowFactory, *, rows: int, **options: Any) -> EndpointSpec:
    """A fixed catalogue of the v2 API that documents cite by id (consecutive ids), served
    in id order, with neither record statuses nor actors."""
    return EndpointSpec(
        name=name,
        path=path_of(name),
        factory=factory,
        versions=("v2",),
        default_ordering="id",
        record_statuses=None,
        timeline=CONSECUTIVE,
        default_rows=rows,
        **NO_ACTORS,
        **options,
    )


DEPRECIATION_BOOKS_SPEC = _v2_catalogue(
    "depreciation_books",
    DepreciationBookFactory(),
    primary_key=("code",),
    rid_field=None,
    ordering_param=False,
    rows=len(DEPRECIATION_BOOKS),
)

VAT_RATES_SPEC = _v2_catalogue(
    "vat_rates",
    VatRateFactory(),
    ordering_param=False,
    filters={
        "country_code": ValuesIn("country_code", str),
        "rate_type": ValuesIn("rate_type", str),
        "tax_type": ValuesIn("tax_type", str),
        "is_active": BoolEquals("is_active"),
    },
    rows=len(VAT_RATES),
)

GST_TAX_RATES = _v2_catalogue(
    "gst_tax_rates",
    GstTaxRateFactory(),
    ordering_param=False,
    filters={
        "country_code": ValuesIn("country_code", str),
        "tax_treatment": ValuesIn("tax_treatment", str),
        "is_active": BoolEquals("is_active"),
    },
    rows=len(GST_RATES),
)

PRODUCT_TAX_CODES_SPEC = _v2_catalogue(
    "product_tax_codes",
    ProductTaxCodeFactory(),
    orderings=orderings(code=VisibleField("code")),
    filters={
        "search": TextContains(("code", "description")),
        "code": TextContains(("code",)),
        "description": TextContains(("description",)),
        "source": ValuesIn("source", str),
        "is_active": BoolEquals("is_active"),
        "is_global": BoolEquals("is_global"),
    },
    rows=len(PRODUCT_TAX_CODES),
)

REFERENCE = (
    VENDORS,
    ITEMS,
    ACCOUNTS,
    COMPANIES,
    CLASSIFICATIONS_SPEC,
    CLASSIFICATION_LINES_SPEC,
    CUSTOM_FIELDS,
    BUDGETS,
    DEPRECIATION_BOOKS_SPEC,
    VAT_RATES_SPEC,
    GST_TAX_RATES,
    PRODUCT_TAX_CODES_SPEC,
)
