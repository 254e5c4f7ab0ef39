"""Approvals: workflows, their execution states and approval actions, and the two inbox
lists (transactions and records awaiting approval).

The inbox lists have composite keys: (transaction_type, record_id) and (record_type,
record_id). A record id repeats across types (invoice 12 and bill 12 are different rows),
never within one type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from ..draw import Draw, salt
from ..spec import RowContext
from ..world import User
from .common import BaseFactory
from .documents import number_of, top_times
from .payments import payment_amount
from .values import day_of, iso, money

TABLES = {
    "invoice": "invoices",
    "bill": "bills",
    "journal_entry": "journal_entries",
    "bank_transfer": "bank_transfers",
    "purchase_order": "purchase_orders",
    "sales_order": "sales_orders",
    "intercompany_journal_entry": "intercompany_journal_entries",
    "contract": "contracts",
    "customer_credit": "customer_credits",
    "vendor": "vendors",
    "customer": "customers",
}
"""The record types approvals know, and the lists their records are in."""
RECORD_TYPES = tuple(TABLES)
_STEPS = ("Manager review", "Finance approval", "CFO sign-off", "Prüfung Buchhaltung")


def _label(record_type: str) -> str:
    return record_type.replace("_", " ").capitalize()


def _approver(user: User, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
    }
    if full:
        out["full_name"] = user.full_name
    return out


def workflow_for(row: RowContext, draw: Draw, record_type: str) -> tuple[int, str]:
    """(id, name) of a workflow for the record type (any workflow if none is)."""
    refs = row.world.refs
    ids = refs.ids("workflows")
    matching = [w for w in ids if refs.field("workflows", w, "record_type") == record_type]
    workflow = draw.pick(matching or ids)
    name = refs.field("workflows", workflow, "name")
    return workflow, name if isinstance(name, str) else "Approval"


def approval_info(row: RowContext, draw: Draw, workflow_name: str) -> dict[str, Any] | None:
    """PublicApprovalInfoSchema: the step a record waits in, with its substeps."""
    if draw.chance(0.1):
        return None
    users = row.world.users
    substeps = []
    current = draw.between(1, 2)
    for order in range(1, draw.between(current, 2) + 1):
        approvers = draw.sample(users, draw.between(1, 2))
        done = order < current
        substeps.append(
            {
                "order": order,
                "status": "completed"
                if done
                else ("pending" if order == current else "not_started"),
                "approve_condition": draw.pick(("any", "all")),
                "approvers": [_approver(u) for u in approvers],
                "approved_by": [_approver(approvers[0])] if done else [],
                "rejected_by": [],
            }
        )
    return {
        "workflow_name": workflow_name,
        "workflow_version": draw.between(1, 4),
        "step_name": draw.pick(_STEPS),
        "current_substep": current,
        "substeps": substeps,
    }


# --------------------------------------------------------------------------- workflows


class WorkflowFactory(BaseFactory):
    """PublicWorkflowListSchemaOut (default order `-priority,-id`)."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"record_type": RECORD_TYPES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"record_type": (4, 4, 2, 1, 2, 1, 1, 1, 1, 1, 1)}
    )
    _salt = salt("workflows")

    def _name(self, row: RowContext) -> str:
        draw = Draw(row.seed, self._salt, row.rid, 1)
        variant = draw.pick(("approval", "over 10k", "EU entities", "Freigabe"))
        return f"{_label(row.categories['record_type'])} {variant}"

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name == "name":
            return self._name(row)
        if name == "record_type":
            return row.categories["record_type"]
        if name == "priority":
            return Draw(row.seed, self._salt, row.rid, 2).between(0, 10)
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        all_companies = draw.chance(0.6)
        ids = list(row.world.company_ids)
        return {
            "id": row.rid,
            "record_type": row.categories["record_type"],
            "name": self._name(row),
            "is_active": draw.chance(0.85),
            "description": draw.pick(
                ("", "Two-step approval above threshold", "Vier-Augen-Prinzip")
            ),
            "version": draw.between(1, 6),
            "priority": self.field(row, "priority"),
            "company_ids": ids
            if all_companies
            else sorted(draw.sample(ids, draw.between(1, len(ids)))),
            "applies_to_all_companies": all_companies,
            "allow_self_approval": draw.chance(0.2),
            "pending_approval_count": draw.between(0, 25),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["version"] += 1
        item["description"] = draw.pick(("Raised threshold", "Added CFO step", "Schritt entfernt"))


# --------------------------------------------------------------------------- execution states

STATE_STATUSES = ("pending", "approved", "rejected", "cancelled")


class ExecutionStateFactory(BaseFactory):
    """PublicWorkflowExecutionStateSchemaOut (required created_at/updated_at)."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"status": STATE_STATUSES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType({"status": (3, 5, 1, 1)})
    _salt = salt("workflow_execution_states")

    def _core(self, row: RowContext) -> tuple[int, str, int]:
        """(workflow id, record type, record id)."""
        draw = Draw(row.seed, self._salt, row.rid, 1)
        refs = row.world.refs
        workflow = refs.pick("workflows", draw)
        record_type = refs.field("workflows", workflow, "record_type")
        if not isinstance(record_type, str):
            record_type = "invoice"
        return workflow, record_type, refs.pick(TABLES[record_type], draw)

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name in ("workflow_id", "record_type", "record_id"):
            workflow, record_type, record_id = self._core(row)
            return {"workflow_id": workflow, "record_type": record_type, "record_id": record_id}[
                name
            ]
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        workflow, record_type, record_id = self._core(row)
        draw = Draw(row.seed, self._salt, row.rid)
        users = row.world.users
        status = row.categories["status"]
        requested = [u.id for u in draw.sample(users, draw.between(1, 3))]
        approved = requested[:1] if status == "approved" else []
        rejected = requested[-1] if status == "rejected" else None
        name = row.world.refs.field("workflows", workflow, "name")
        return {
            "id": row.rid,
            "workflow_id": workflow,
            "workflow_name": name if isinstance(name, str) else "",
            "record_id": record_id,
            "record_type": record_type,
            "current_step": draw.between(1, 3),
            "current_substep": draw.between(1, 2),
            "status": status,
            "requested_approver_ids": requested,
            "approved_by_ids": approved,
            "rejected_by_id": rejected,
            "rejection_reason": draw.pick(("Missing receipt", "Wrong cost center"))
            if rejected
            else None,
            "initiator_id": draw.pick(users).id if draw.chance(0.9) else None,
            **top_times(row, draw),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["current_substep"] = item["current_substep"] % 2 + 1


# --------------------------------------------------------------------------- actions

ACTION_TYPES = ("approve", "reject", "submit", "recall")


class ApprovalActionFactory(BaseFactory):
    """PublicApprovalActionSchemaOut (required created_at, no updated time)."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"action_type": ACTION_TYPES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"action_type": (6, 1, 3, 1)}
    )
    _salt = salt("workflow_actions")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        refs = row.world.refs
        state = refs.pick("workflow_execution_states", draw) if draw.chance(0.95) else None
        record_type = (
            refs.field("workflow_execution_states", state, "record_type") if state else None
        )
        record_id = refs.field("workflow_execution_states", state, "record_id") if state else None
        if not isinstance(record_type, str) or not isinstance(record_id, int):
            record_type, record_id = "bill", refs.pick("bills", draw)
        action = row.categories["action_type"]
        times = top_times(row, draw)
        return {
            "id": row.rid,
            "workflow_execution_state_id": state,
            "record_id": record_id,
            "record_type": record_type,
            "approver": _approver(draw.pick(row.world.users), full=False),
            "action_type": action,
            "rejection_reason": draw.pick(("Over budget", "Duplicate", ""))
            if action == "reject"
            else None,
            "step_name": draw.pick(_STEPS),
            "step_order": draw.between(1, 3),
            "substep_order": draw.pick((None, 1, 2)),
            "workflow_version": draw.between(1, 5),
            "created_at": times["created_at"],
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["step_name"] = draw.pick(tuple(s for s in _STEPS if s != item["step_name"]))


# --------------------------------------------------------------------------- inbox

INBOX_TRANSACTION_TYPES = (
    "invoice",
    "bill",
    "journal_entry",
    "bank_transfer",
    "purchase_order",
    "sales_order",
    "intercompany_journal_entry",
    "customer_credit",
)
INBOX_RECORD_TYPES = ("customer", "vendor")
INBOX_STATUSES = ("pending", "rejected", "approved")


class _InboxFactory(BaseFactory):
    """The two inbox lists, keyed by (`kind_field`, record_id). The row id r maps to kind
    r mod k (of the k `kinds`) and to the (r div k)-th row of that kind's list, so keys never
    repeat while record ids do across kinds."""

    kinds: ClassVar[tuple[str, ...]]
    kind_field: ClassVar[str]
    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"approval_status": INBOX_STATUSES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"approval_status": (0.85, 0.1, 0.05)}
    )

    def _key(self, row: RowContext) -> tuple[str, int]:
        k = len(self.kinds)
        kind = self.kinds[row.rid % k]
        return kind, row.world.refs.nth(TABLES[kind], row.rid // k)

    def field(self, row: RowContext, name: str) -> Any:
        if name in (self.kind_field, "record_id"):
            kind, record_id = self._key(row)
            return kind if name == self.kind_field else record_id
        raise LookupError(name)

    @staticmethod
    def _awaiting(
        row: RowContext, draw: Draw, record_id: int, workflow: int, workflow_name: str
    ) -> dict[str, Any]:
        """The fields both inbox items end with: the workflow, the record, the times, the
        step it waits in and who started it."""
        return {
            "workflow_id": workflow,
            "record_id": record_id,
            **top_times(row, draw),
            "approval_info": approval_info(row, draw, workflow_name),
            "initiator_id": draw.pick(row.world.users).id if draw.chance(0.85) else None,
        }


class InboxTransactionFactory(_InboxFactory):
    """PublicTransactionInboxSchemaOut, keyed by (transaction_type, record_id)."""

    kinds = INBOX_TRANSACTION_TYPES
    kind_field = "transaction_type"
    _salt = salt("inbox_transactions")

    def build(self, row: RowContext) -> dict[str, Any]:
        kind, record_id = self._key(row)
        draw = Draw(row.seed, self._salt, row.rid)
        refs = row.world.refs
        company = row.world.company(row.company_id)
        party = None
        if kind in ("invoice", "sales_order", "customer_credit"):
            party = refs.field("customers", refs.pick("customers", draw), "name")
        elif kind in ("bill", "purchase_order"):
            party = refs.field("vendors", refs.pick("vendors", draw), "name")
        workflow, name = workflow_for(row, draw, kind)
        table = TABLES[kind]
        number = (
            str(number_of(table, record_id))
            if table != "intercompany_journal_entries"
            else str(record_id)
        )
        return {
            "transaction_type": kind,
            "number": number,
            "date": iso(day_of(row.created_ts)),
            "customer_vendor": party if isinstance(party, str) else None,
            "company": company.name,
            "company_id": company.id,
            "memo": draw.pick(("", "Needs approval: over budget", "Quarterly accrual")),
            "amount": money(payment_amount(draw, "normal")),
            "approval_status": row.categories["approval_status"],
            **self._awaiting(row, draw, record_id, workflow, name),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["memo"] = draw.pick(("Reminder sent", "Escalated", "Nachfrage gesendet"))


class InboxRecordFactory(_InboxFactory):
    """PublicRecordInboxSchemaOut (customers and vendors awaiting approval), keyed by
    (record_type, record_id)."""

    kinds = INBOX_RECORD_TYPES
    kind_field = "record_type"
    _salt = salt("inbox_records")

    def build(self, row: RowContext) -> dict[str, Any]:
        kind, record_id = self._key(row)
        draw = Draw(row.seed, self._salt, row.rid)
        name = row.world.refs.field(TABLES[kind], record_id, "name")
        workflow, workflow_name = workflow_for(row, draw, kind)
        approver = draw.pick(row.world.users)
        return {
            "record_type": kind,
            "name": name if isinstance(name, str) else f"{_label(kind)} {record_id}",
            "approval_status": row.categories["approval_status"],
            "approver": approver.full_name,
            **self._awaiting(row, draw, record_id, workflow, workflow_name),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["approver"] = draw.pick(("Ana García", "Kenji Sato", "Priya Raman"))
