"""Transaction lists: documents keyed by `internal_id` (with a business `number`), ordered
by `id` by default; intercompany journal entries (keyed by `record_number`), contracts and
paper checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..factories.assets import FixedAssetFactory
from ..factories.contracts import ContractFactory
from ..factories.documents import NUMBER_BASES
from ..factories.journals import (
    BankTransferFactory,
    IntercompanyJournalEntryFactory,
    JournalEntryFactory,
    RecurringFactory,
    ije_amount,
)
from ..factories.payables import (
    PAPER_CHECK_STATUSES,
    PaperCheckFactory,
    VendorPaymentFactory,
    VendorPrepaymentApplicationFactory,
    VendorPrepaymentFactory,
    VendorRefundFactory,
)
from ..factories.purchases import (
    BILLED_STATUSES,
    BillFactory,
    DirectExpenseFactory,
    PurchaseOrderFactory,
    VendorCreditFactory,
)
from ..factories.receipts import (
    CustomerDepositFactory,
    CustomerPaymentFactory,
    CustomerPrepaymentApplicationFactory,
    CustomerPrepaymentFactory,
    CustomerRefundFactory,
)
from ..factories.reference import ACCOUNT_ID
from ..factories.sales import (
    CashSaleFactory,
    CustomerCreditFactory,
    InvoiceFactory,
    SalesOrderFactory,
)
from ..filters import (
    CategoryIn,
    ColumnIn,
    DateCompare,
    DecimalCompare,
    Filter,
    IdIn,
    ItemTest,
    TextContains,
    ValuesIn,
)
from ..ordering import CREATED, PRIMARY_KEY
from ..spec import EndpointSpec, RowFactory
from .common import (
    NO_ACTORS,
    SERVER_TIMES,
    TRANSACTION_ORDERINGS,
    UPDATED_WINDOW,
    lines_of,
    orderings,
    path_of,
    transaction_filters,
)


def _document(
    name: str,
    factory: RowFactory,
    *,
    rows: int,
    party: str | None = "customer",
    approval: bool = False,
    currency: bool = True,
    filters: Mapping[str, Filter] | None = None,
    **options: Any,
) -> EndpointSpec:
    """A transaction list: `internal_id` key, `id` default order, record status filter, the
    common transaction filters (see `transaction_filters`) and then the list's own."""
    return EndpointSpec(
        name=name,
        path=path_of(name),
        factory=factory,
        primary_key=("internal_id",),
        rid_field="internal_id",
        default_ordering="id",
        orderings=TRANSACTION_ORDERINGS,
        filters={
            **transaction_filters(name, party=party, approval=approval, currency=currency),
            **(filters or {}),
        },
        status_field="record_status",
        updated_ordering_switch=True,
        default_rows=rows,
        **options,
    )


def _base(name: str) -> int:
    return NUMBER_BASES[name]


def _minus(base: str) -> Any:
    return lambda number: number - NUMBER_BASES[base]


def _on_lines(*fields: str) -> dict[str, Filter]:
    """Filters on values of the document's lines (`items`), named after the line field."""
    return {field: ValuesIn(lines_of("items", field)) for field in fields}


INVOICES = _document(
    "invoices",
    InvoiceFactory(),
    approval=True,
    filters={
        "amount_due_gte": DecimalCompare("amount_due", "gte"),
        "amount_due_lte": DecimalCompare("amount_due", "lte"),
        "due_date": DateCompare("due_date", "gte"),
        "due_date_until": DateCompare("due_date", "lte"),
        **UPDATED_WINDOW,
    },
    rows=300,
    server_timestamps=True,
)

SALES_ORDERS = _document(
    "sales_orders",
    SalesOrderFactory(),
    approval=True,
    currency=False,
    filters={"invoiced_status": CategoryIn("invoiced_status")},
    rows=120,
    updated_at_field="updated_at",
    timestamps_required=True,
)

BILLS = _document(
    "bills",
    BillFactory(),
    party="vendor",
    approval=True,
    currency=False,
    filters={"due_date": DateCompare("due_date", "gte"), **UPDATED_WINDOW},
    rows=250,
    server_timestamps=True,
)

JOURNAL_ENTRIES = _document(
    "journal_entries",
    JournalEntryFactory(),
    party=None,
    approval=True,
    currency=False,
    filters={
        "account_id": ValuesIn(lines_of("items", "account_number", ACCOUNT_ID.get)),
        **_on_lines("customer_id", "vendor_id"),
        "amount_gte": DecimalCompare("amount", "gte"),
        "amount_lte": DecimalCompare("amount", "lte"),
        **UPDATED_WINDOW,
    },
    rows=250,
    server_timestamps=True,
)


def _billed(status: str) -> ItemTest:
    return ItemTest(lambda item, flag: (item["billed_status"] == status) is flag, "bool")


PURCHASE_ORDERS = _document(
    "purchase_orders",
    PurchaseOrderFactory(),
    party="vendor",
    approval=True,
    currency=False,
    filters={
        **{status: _billed(status) for status in BILLED_STATUSES},
        "billed_status": CategoryIn("billed_status"),
    },
    rows=100,
)

CUSTOMER_PREPAYMENTS = _document(
    "customer_prepayments", CustomerPrepaymentFactory(), filters={"id": IdIn()}, rows=80
)

CUSTOMER_PREPAYMENT_APPLICATIONS = _document(
    "customer_prepayment_applications", CustomerPrepaymentApplicationFactory(), rows=60
)

CUSTOMER_DEPOSITS = _document(
    "customer_deposits",
    CustomerDepositFactory(),
    party=None,
    filters=_on_lines("customer_id"),
    rows=60,
)

CUSTOMER_REFUNDS = _document("customer_refunds", CustomerRefundFactory(), rows=50)

CUSTOMER_CREDITS = _document("customer_credits", CustomerCreditFactory(), rows=80)

CASH_SALES = _document("cash_sales", CashSaleFactory(), rows=60)

CUSTOMER_PAYMENTS = _document(
    "customer_payments",
    CustomerPaymentFactory(),
    filters=_on_lines("invoice_number", "customer_credit_number"),
    rows=150,
)

VENDOR_PAYMENTS = _document(
    "vendor_payments",
    VendorPaymentFactory(),
    party="vendor",
    filters=_on_lines("bill_number", "vendor_credit_number"),
    rows=150,
)

VENDOR_PREPAYMENTS = _document(
    "vendor_prepayments",
    VendorPrepaymentFactory(),
    party="vendor",
    filters={"recurring_record_id": ValuesIn("recurring_record_id")},
    rows=50,
    **SERVER_TIMES,
    **NO_ACTORS,
)

VENDOR_PREPAYMENT_APPLICATIONS = _document(
    "vendor_prepayment_applications",
    VendorPrepaymentApplicationFactory(),
    party="vendor",
    filters={"bill_id": ValuesIn(lines_of("items", "bill_number", _minus("bills")))},
    rows=50,
    **SERVER_TIMES,
    **NO_ACTORS,
)

VENDOR_CREDITS = _document(
    "vendor_credits",
    VendorCreditFactory(),
    party="vendor",
    filters={"bill_number": ValuesIn("bill_number")},
    rows=60,
)

VENDOR_REFUNDS = _document(
    "vendor_refunds",
    VendorRefundFactory(),
    party="vendor",
    filters={
        "vendor_credit_id": ValuesIn(
            lines_of("items", "vendor_credit_number", _minus("vendor_credits"))
        )
    },
    rows=40,
)

DIRECT_EXPENSES = _document("direct_expenses", DirectExpenseFactory(), party="vendor", rows=120)

BANK_TRANSFERS = _document(
    "bank_transfers",
    BankTransferFactory(),
    party=None,
    approval=True,
    currency=False,
    filters={
        "debit_bank_account_number": ValuesIn("debit_bank_account_number"),
        "credit_bank_account_number": ValuesIn("credit_bank_account_number"),
    },
    rows=60,
)


def _recurring(name: str, path: str, generates: str, party: str | None) -> EndpointSpec:
    return EndpointSpec(
        name=name,
        path=path,
        factory=RecurringFactory(name, generates, party),
        primary_key=("internal_id",),
        rid_field="internal_id",
        default_ordering="id",
        orderings=TRANSACTION_ORDERINGS,
        filters={
            "search": TextContains(("name", "memo")),
            "company_id": ColumnIn("company_id"),
            "number": IdIn(offset=_base(name)),
            "recurring_type": CategoryIn("recurring_type"),
        },
        record_statuses=None,
        updated_ordering_switch=True,
        default_rows=25,
    )


RECURRING_INVOICES = _recurring(
    "recurring_invoices", "recurring/invoices/", "invoices", "customers"
)
RECURRING_BILLS = _recurring("recurring_bills", "recurring/bills/", "bills", "vendors")
RECURRING_JOURNAL_ENTRIES = _recurring(
    "recurring_journal_entries", "recurring/journal-entries/", "journal_entries", None
)

INTERCOMPANY_JOURNAL_ENTRIES = EndpointSpec(
    name="intercompany_journal_entries",
    path="intercompany-journal-entries/",
    factory=IntercompanyJournalEntryFactory(),
    versions=("v2",),
    primary_key=("record_number",),
    rid_field="record_number",
    default_ordering="id",
    orderings=orderings(record_number=PRIMARY_KEY, number=PRIMARY_KEY),
    filters={
        "search": TextContains(("memo",)),
        "company_id": ValuesIn("company_ids"),
        "number": IdIn(),
        "approval_status": CategoryIn("approval_status"),
        "amount_gte": DecimalCompare(ije_amount, "gte"),
        "amount_lte": DecimalCompare(ije_amount, "lte"),
        "start_date": DateCompare("date", "gte"),
        "end_date": DateCompare("date", "lte"),
    },
    status_field="record_status",
    updated_ordering_switch=True,
    default_rows=40,
    **NO_ACTORS,
)


def _has(key: str) -> ItemTest:
    return ItemTest(lambda item, flag: (item.get(key) is not None) is flag, "bool")


def _review_or_status(item: dict[str, Any]) -> list[str]:
    # "review" is a filter-only status: a draft waiting for approval.
    extra = ["review"] if item.get("workflow_status") == "pending" else []
    return [item["status"], *extra]


CONTRACTS = EndpointSpec(
    name="contracts",
    path="contracts/",
    factory=ContractFactory(),
    primary_key=("id",),
    default_ordering="-updated_at",
    orderings=orderings(number=PRIMARY_KEY),
    filters={
        **transaction_filters("contracts", currency=False, approval=True),
        "id": IdIn(),
        "status": ValuesIn(_review_or_status, str),
        "has_auto_renewal": _has("next_renewal_date"),
        "has_scheduled_termination": _has("termination"),
        "days_till_expiry": ItemTest(
            lambda item, days: (
                item["days_till_expiry"] is not None and item["days_till_expiry"] <= days
            ),
            "int",
        ),
        "contract_start_date": DateCompare("start_date", "gte"),
        "contract_end_date": DateCompare("end_date", "lte"),
    },
    record_status_param=False,
    status_field="record_status",
    hidden_by_default={
        "status": (
            ("draft", "review", "active", "completed", "terminated", "archived"),
            ("completed", "terminated", "archived"),
        )
    },
    default_rows=60,
    **NO_ACTORS,
)

FIXED_ASSETS = EndpointSpec(
    name="fixed_assets",
    path="fixed-assets/",
    factory=FixedAssetFactory(),
    primary_key=("internal_id",),
    rid_field="internal_id",
    default_ordering="id",
    orderings=TRANSACTION_ORDERINGS,
    filters={
        "search": TextContains(("name", "serial_number", "memo")),
        "company_id": ColumnIn("company_id"),
        "number": IdIn(offset=_base("fixed_assets")),
        "status": CategoryIn("status"),
        "vendor_id": ValuesIn("vendor_id"),
        "purchase_date_gte": DateCompare("purchase_date", "gte"),
        "purchase_date_lte": DateCompare("purchase_date", "lte"),
    },
    hidden_by_default={
        "status": (
            ("active", "inactive", "disposed", "fully_amortized"),
            ("disposed", "fully_amortized"),
        )
    },
    status_field="record_status",
    updated_ordering_switch=True,
    default_rows=80,
)

PAPER_CHECKS = EndpointSpec(
    name="paper_checks",
    path="paper-checks/",
    factory=PaperCheckFactory(),
    primary_key=("id",),
    default_ordering="-created_at",
    orderings=orderings(created_at=CREATED),
    filters={
        "search": TextContains(("memo", "payee_name", "check_number")),
        "id": IdIn(),
        "company_id": ColumnIn("company_id"),
        "transaction_type": CategoryIn("source_record_type"),
        "vendor_id": ValuesIn("vendor_id"),
        "customer_id": ValuesIn("customer_id"),
        "account_id": ValuesIn(lambda item: ACCOUNT_ID.get(item["account_number"])),
        "start_date": DateCompare("created_at", "gte"),
        "end_date": DateCompare("created_at", "lte"),
    },
    record_statuses=PAPER_CHECK_STATUSES,
    status_weights=(0.3, 0.6, 0.1),
    new_row_status="not_printed",
    status_field="record_status",
    timestamps_required=True,
    default_rows=80,
    **NO_ACTORS,
)

TRANSACTIONS = (
    INVOICES,
    SALES_ORDERS,
    BILLS,
    JOURNAL_ENTRIES,
    PURCHASE_ORDERS,
    CUSTOMER_PREPAYMENTS,
    CUSTOMER_PREPAYMENT_APPLICATIONS,
    CUSTOMER_DEPOSITS,
    CUSTOMER_REFUNDS,
    CUSTOMER_CREDITS,
    CASH_SALES,
    CUSTOMER_PAYMENTS,
    VENDOR_PAYMENTS,
    VENDOR_PREPAYMENTS,
    VENDOR_PREPAYMENT_APPLICATIONS,
    VENDOR_CREDITS,
    VENDOR_REFUNDS,
    DIRECT_EXPENSES,
    BANK_TRANSFERS,
    RECURRING_INVOICES,
    RECURRING_BILLS,
    RECURRING_JOURNAL_ENTRIES,
    INTERCOMPANY_JOURNAL_ENTRIES,
    CONTRACTS,
    FIXED_ASSETS,
    PAPER_CHECKS,
)
