"""Approval workflows, execution states, approval actions, the inbox, and bank match."""

from __future__ import annotations

from ..factories.banking import BankMatchSuggestionFactory, BankTransactionFactory
from ..factories.workflows import (
    ApprovalActionFactory,
    ExecutionStateFactory,
    InboxRecordFactory,
    InboxTransactionFactory,
    WorkflowFactory,
)
from ..filters import (
    BoolEquals,
    CategoryBool,
    CategoryIn,
    ColumnIn,
    CreatedCompare,
    DateCompare,
    DecimalCompare,
    HideUnless,
    IdIn,
    ItemTest,
    TextContains,
    TimeCompare,
    ValuesIn,
)
from ..ordering import CREATED, PRIMARY_KEY, VisibleField
from ..spec import EndpointSpec
from .common import NO_ACTORS, SERVER_TIMES, fixed_order_list, orderings

WORKFLOWS = EndpointSpec(
    name="workflows",
    path="workflows/",
    factory=WorkflowFactory(),
    default_ordering="-priority,-id",
    orderings=orderings(priority=VisibleField("priority"), name=VisibleField("name")),
    filters={
        "search": TextContains(("name", "description")),
        "id": IdIn(),
        "company_id": ItemTest(
            lambda item, company: (
                item["applies_to_all_companies"] or company in item["company_ids"]
            ),
            "int",
        ),
        "record_type": CategoryIn("record_type"),
        "is_active": BoolEquals("is_active"),
    },
    record_statuses=None,
    default_rows=12,
    **NO_ACTORS,
)

WORKFLOW_EXECUTION_STATES = fixed_order_list(
    "workflow_execution_states",
    "workflows/execution-states/",
    ExecutionStateFactory(),
    filters={
        "search": TextContains(("workflow_name", "rejection_reason")),
        "workflow_id": ValuesIn("workflow_id"),
        "status": CategoryIn("status"),
        "record_type": ValuesIn("record_type", str),
        "initiator_id": ValuesIn("initiator_id"),
    },
    rows=80,
    **SERVER_TIMES,
)

WORKFLOW_ACTIONS = fixed_order_list(
    "workflow_actions",
    "workflows/actions/",
    ApprovalActionFactory(),
    filters={
        "workflow_execution_state_id": ValuesIn("workflow_execution_state_id"),
        "record_type": ValuesIn("record_type", str),
        "record_id": ValuesIn("record_id"),
        "action_type": CategoryIn("action_type"),
        "approver_id": ValuesIn(lambda item: item["approver"]["id"]),
        "start_date": CreatedCompare("gte", unit="datetime", switch="actions_created_filter"),
        "end_date": CreatedCompare("lte", unit="datetime", switch="actions_created_filter"),
    },
    rows=150,
    timestamps_required=True,  # created_at only
)

INBOX_TRANSACTIONS = fixed_order_list(
    "inbox_transactions",
    "inbox/transactions/",
    InboxTransactionFactory(),
    primary_key=("transaction_type", "record_id"),
    rid_field=None,
    filters={
        "search": TextContains(("memo", "number", "customer_vendor")),
        "transaction_type": ValuesIn("transaction_type", str),
        "approval_status": CategoryIn("approval_status"),
        "company_id": ColumnIn("company_id"),
        "record_id": ValuesIn("record_id"),
        "min_amount": DecimalCompare("amount", "gte"),
        "max_amount": DecimalCompare("amount", "lte"),
        "start_date": DateCompare("date", "gte"),
        "end_date": DateCompare("date", "lte"),
    },
    rows=60,
    **SERVER_TIMES,
)

INBOX_RECORDS = fixed_order_list(
    "inbox_records",
    "inbox/records/",
    InboxRecordFactory(),
    primary_key=("record_type", "record_id"),
    rid_field=None,
    filters={
        "search": TextContains(("name", "approver")),
        "record_type": ValuesIn("record_type", str),
        "approval_status": CategoryIn("approval_status"),
        "record_id": ValuesIn("record_id"),
    },
    rows=25,
    **SERVER_TIMES,
)

BANK_MATCH_SUGGESTIONS = fixed_order_list(
    "bank_match_suggestions",
    "bank-match/suggestions/",
    BankMatchSuggestionFactory(),
    versions=("v2",),
    default_ordering="-id",  # newest first
    orderings={"id": PRIMARY_KEY},
    filters={
        "financial_transaction_id": ValuesIn("financial_transaction_id"),
        "suggestion_type": CategoryIn("suggestion_type"),
        "is_highest_ranked": CategoryBool("is_highest_ranked"),
    },
    rows=120,
)

BANK_TRANSACTIONS = fixed_order_list(
    "bank_transactions",
    "bank-match/bank-transactions/",
    BankTransactionFactory(),
    versions=("v2",),
    default_ordering="-date",  # newest first: by booking day, then import time, then id
    orderings={"date": CREATED, "id": PRIMARY_KEY},
    filters={
        "financial_account_id": ValuesIn("financial_account_id"),
        "matching_status": CategoryIn("matching_status"),
        "is_posted": BoolEquals("is_posted"),
        # Expired feed rows are left out unless include_expired=true.
        "include_expired": HideUnless("is_expired", hidden=True),
        "date_from": TimeCompare("date", "gte"),
        "date_to": TimeCompare("date", "lte"),
    },
    rows=200,
    timestamps_required=True,
)

APPROVALS_AND_BANKING = (
    WORKFLOWS,
    WORKFLOW_EXECUTION_STATES,
    WORKFLOW_ACTIONS,
    INBOX_TRANSACTIONS,
    INBOX_RECORDS,
    BANK_MATCH_SUGGESTIONS,
    BANK_TRANSACTIONS,
)
