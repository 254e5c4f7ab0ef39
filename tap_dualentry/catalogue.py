"""The catalogue: one declarative entry per DualEntry list endpoint.

Every stream is an instance of the same class (``stream.DualEntryStream``),
configured by its entry here; nothing about an endpoint lives anywhere else
except its schema file (``schemas/<name>.json``).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

RECORD_STATUSES = ("draft", "posted", "archived")
APPROVALS = {"approval_statuses": "approval_status"}
CONTRACT_STATUSES = ("draft", "review", "active", "completed", "terminated", "archived")
FIXED_ASSET_STATUSES = ("active", "inactive", "disposed", "fully_amortized")
CUSTOMER_TYPES = {"customer_types": "customer_type"}
# The settings that narrow a list by a query parameter (``Endpoint.filters``).
FILTER_SETTINGS = (*CUSTOMER_TYPES, *APPROVALS)


class Replication(enum.Enum):
    """How a stream finds what changed since the last run."""

    #: ``-updated_at`` is the endpoint's documented order: read newest first and stop
    #: once past the bookmark.
    UPDATED_DESC = "updated_desc"
    #: Ask for ``-updated_at`` and check, on the first page, that the server honoured
    #: it; if it refuses or ignores it, read the full table in ``id`` order.
    PROBED_UPDATED_DESC = "probed_updated_desc"
    #: A newer API version reportedly filters on ``updated_after``: a far-future probe
    #: tells whether this server honours it; if not, fall back as PROBED_UPDATED_DESC.
    UPDATED_AFTER = "updated_after"
    #: Rows never change once created and the list filters on their creation time
    #: (``start_date``, a date-time): probed like UPDATED_AFTER; if ignored, full table.
    CREATED_AFTER = "created_after"
    #: No usable change signal: the full table in a stable order every run.
    FULL_TABLE = "full_table"


@dataclass(frozen=True)
class Lines:
    """An array of line objects in a parent row, also offered as a child stream."""

    field: str
    key: str | None = "id"  # the line's own id; None: lines are keyed by their position


@dataclass(frozen=True)
class Endpoint:
    """Everything the tap needs to know about one list endpoint."""

    name: str
    path: str  # below /public/{version}/, with the trailing slash
    primary_keys: tuple[str, ...] = ("id",)
    replication: Replication = Replication.FULL_TABLE
    ordering: str | None = "id"  # the stable order of full passes; None: takes no ordering
    company_filter: bool = False  # accepts repeated company_id
    company_from_filter: bool = False  # items carry no company: record the one filtered on
    # Items may have no company (company_id null): whether the company filter lists them is
    # undocumented, so with company_ids set a pass of their own reads them.
    unassigned_rows: bool = False
    record_statuses: tuple[str, ...] = ()  # every status, asked for explicitly
    # Items carry no record_status: one pass per status, each record saying its status.
    status_from_filter: bool = False
    filters: dict[str, str] = field(default_factory=dict)  # setting -> query parameter
    fixed_params: tuple[tuple[str, str], ...] = ()  # for endpoints whose defaults hide rows
    start_date_param: str | None = None  # date filter that start_date sets on full passes
    start_date_field: str | None = None  # what that filter compares, for the README
    lines: tuple[Lines, ...] = ()
    v1: bool = True  # also served under /public/v1/

    @property
    def incremental(self) -> bool:
        return self.replication is not Replication.FULL_TABLE

    def child_name(self, lines: Lines) -> str:
        return f"{self.name}_{lines.field}"


ITEMS = (Lines("items"),)
ITEMS_BY_POSITION = (Lines("items", key=None),)


def _transaction(
    name: str,
    path: str,
    *,
    replication: Replication = Replication.PROBED_UPDATED_DESC,
    approvals: bool = False,
    lines: tuple[Lines, ...] = ITEMS,
    start_date_field: str = "transaction date",
) -> Endpoint:
    """A money document: internal_id key, id order, company and status filters."""
    return Endpoint(
        name=name,
        path=path,
        primary_keys=("internal_id",),
        replication=replication,
        company_filter=True,
        record_statuses=RECORD_STATUSES,
        filters=dict(APPROVALS) if approvals else {},
        start_date_param="start_date",
        start_date_field=start_date_field,
        lines=lines,
    )


CUSTOMERS = Endpoint(
    name="customers",
    path="customers/",
    replication=Replication.UPDATED_DESC,
    ordering="-updated_at",
    company_filter=True,
    company_from_filter=True,
    record_statuses=RECORD_STATUSES,
    status_from_filter=True,
    filters={**CUSTOMER_TYPES, **APPROVALS},
)

CATALOGUE: tuple[Endpoint, ...] = (
    # Transactions
    _transaction("invoices", "invoices/", replication=Replication.UPDATED_AFTER, approvals=True),
    _transaction("sales_orders", "sales-orders/", approvals=True, start_date_field="date"),
    _transaction(
        "bills",
        "bills/",
        replication=Replication.UPDATED_AFTER,
        approvals=True,
        lines=(Lines("items"), Lines("expenses")),
    ),
    _transaction(
        "journal_entries",
        "journal-entries/",
        replication=Replication.UPDATED_AFTER,
        approvals=True,
        lines=(Lines("items"), Lines("reversal_items")),
    ),
    _transaction("purchase_orders", "purchase-orders/", approvals=True, start_date_field="date"),
    _transaction("customer_prepayments", "customer-prepayments/", lines=()),
    _transaction(
        "customer_prepayment_applications",
        "customer-prepayment-applications/",
        lines=ITEMS_BY_POSITION,
    ),
    _transaction("customer_deposits", "customer-deposits/"),
    _transaction("customer_refunds", "customer-refunds/", lines=ITEMS_BY_POSITION),
    _transaction("customer_credits", "customer-credits/", lines=ITEMS_BY_POSITION),
    _transaction("cash_sales", "cash-sales/"),
    _transaction("customer_payments", "customer-payments/", lines=ITEMS_BY_POSITION),
    _transaction("vendor_payments", "vendor-payments/", lines=ITEMS_BY_POSITION),
    _transaction("vendor_prepayments", "vendor-prepayments/", lines=()),
    _transaction(
        "vendor_prepayment_applications",
        "vendor-prepayment-applications/",
        lines=ITEMS_BY_POSITION,
    ),
    _transaction("vendor_credits", "vendor-credits/", lines=(Lines("items"), Lines("expenses"))),
    _transaction("vendor_refunds", "vendor-refunds/", lines=ITEMS_BY_POSITION),
    _transaction("direct_expenses", "direct-expenses/"),
    _transaction("bank_transfers", "bank-transfers/", approvals=True, lines=()),
    *(
        Endpoint(
            name=f"recurring_{kind}",
            path=f"recurring/{kind.replace('_', '-')}/",
            primary_keys=("internal_id",),
            replication=Replication.PROBED_UPDATED_DESC,
            company_filter=True,
            # The records generated from a template, by their own id (a record listed
            # twice in one template is written once).
            lines=(Lines("records", key="internal_id"),),
        )
        for kind in ("invoices", "bills", "journal_entries")
    ),
    Endpoint(
        name="intercompany_journal_entries",
        path="intercompany-journal-entries/",
        primary_keys=("record_number",),
        company_filter=True,
        record_statuses=RECORD_STATUSES,
        filters=dict(APPROVALS),
        start_date_param="start_date",
        start_date_field="date",
        lines=ITEMS,
        v1=False,
    ),
    Endpoint(
        name="contracts",
        path="contracts/",
        company_filter=True,
        unassigned_rows=True,
        filters=dict(APPROVALS),
        # The server's default for status is undocumented: every status, by name.
        fixed_params=tuple(("status", status) for status in CONTRACT_STATUSES),
        lines=(Lines("revenue_recognitions"), Lines("invoices")),
    ),
    Endpoint(
        name="fixed_assets",
        path="fixed-assets/",
        primary_keys=("internal_id",),
        replication=Replication.PROBED_UPDATED_DESC,
        company_filter=True,
        record_statuses=RECORD_STATUSES,
        fixed_params=tuple(("status", status) for status in FIXED_ASSET_STATUSES),
    ),
    Endpoint(
        name="paper_checks",
        path="paper-checks/",
        company_filter=True,
        record_statuses=("not_printed", "printed", "archived"),
        start_date_param="start_date",
        start_date_field="creation date (created_at)",
    ),
    # Master data
    CUSTOMERS,
    Endpoint(
        name="vendors",
        path="vendors/",
        replication=Replication.UPDATED_DESC,
        ordering="-updated_at",
        company_filter=True,
        unassigned_rows=True,
        record_statuses=RECORD_STATUSES,
        filters=dict(APPROVALS),
    ),
    Endpoint(
        name="items",
        path="items/",
        replication=Replication.UPDATED_DESC,
        ordering="-updated_at",
        record_statuses=RECORD_STATUSES,
        fixed_params=(("show_inactive", "true"),),  # inactive items are hidden by default
    ),
    # company_id on accounts selects bank and card accounts only: never sent.
    Endpoint(name="accounts", path="accounts/", replication=Replication.PROBED_UPDATED_DESC),
    Endpoint(
        name="companies",
        path="companies/",
        replication=Replication.UPDATED_DESC,
        ordering="-updated_at",
    ),
    Endpoint(
        name="classifications",
        path="classifications/",
        replication=Replication.UPDATED_DESC,
        ordering="-updated_at",
    ),
    Endpoint(name="classification_lines", path="classifications-lines/"),
    Endpoint(name="custom_fields", path="custom-fields/"),
    Endpoint(
        name="budgets",
        path="budgets/",
        replication=Replication.UPDATED_DESC,
        ordering="-updated_at",
        company_filter=True,
        unassigned_rows=True,
        record_statuses=RECORD_STATUSES,
    ),
    Endpoint(
        name="depreciation_books",
        path="depreciation-books/",
        primary_keys=("code",),
        ordering=None,
        v1=False,
    ),
    Endpoint(name="vat_rates", path="vat-rates/", ordering=None, v1=False),
    Endpoint(name="gst_tax_rates", path="gst-tax-rates/", ordering=None, v1=False),
    Endpoint(name="product_tax_codes", path="product-tax-codes/", v1=False),
    # Workflows and approvals
    Endpoint(name="workflows", path="workflows/", ordering="-priority,-id"),
    Endpoint(name="workflow_execution_states", path="workflows/execution-states/", ordering=None),
    Endpoint(
        name="workflow_actions",
        path="workflows/actions/",
        replication=Replication.CREATED_AFTER,
        ordering=None,
    ),
    Endpoint(
        name="inbox_transactions",
        path="inbox/transactions/",
        primary_keys=("transaction_type", "record_id"),
        ordering=None,
        company_filter=True,
        filters=dict(APPROVALS),
    ),
    Endpoint(
        name="inbox_records",
        path="inbox/records/",
        primary_keys=("record_type", "record_id"),
        ordering=None,
        filters=dict(APPROVALS),
    ),
    # Bank matching
    Endpoint(
        name="bank_match_suggestions",
        path="bank-match/suggestions/",
        ordering=None,
        v1=False,
    ),
    Endpoint(
        name="bank_transactions",
        path="bank-match/bank-transactions/",
        ordering=None,
        fixed_params=(("include_expired", "true"),),  # expired ones are hidden by default
        v1=False,
    ),
)


def _schema_dir() -> Traversable:
    """Schemas ship inside the wheel; a source checkout reads them from the repository."""
    packaged = resources.files("tap_dualentry") / "schemas"
    if packaged.is_dir():
        return packaged
    return resources.files("tap_dualentry").joinpath("..", "schemas")


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a stream, from ``schemas/<name>.json``."""
    schema: dict[str, Any] = json.loads((_schema_dir() / f"{name}.json").read_text("utf-8"))
    return schema
