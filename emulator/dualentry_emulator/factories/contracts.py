"""Contracts (ContractListSchemaOut): revenue schedules, invoices and metrics that add up.

The list item has no actors and no timestamps; its `days_till_expiry` is counted from a
fixed reference day (the end of the generated timeline), so a seed always gives the same
bytes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..draw import Draw
from ..spec import RowContext
from .common import custom_field_values
from .documents import (
    APPROVAL_COLUMN,
    APPROVAL_COLUMN_WEIGHTS,
    DocumentFactory,
    cents,
    company_fields,
    number_of,
    revise_memo,
)
from .places import address, one_line
from .reference import ACCOUNT_ID
from .sales import remote_records
from .values import div_round, iso, money, term

REFERENCE_DAY = date(2025, 6, 1)
CADENCES = ("monthly", "quarterly", "annually")
_MONTHS = {"monthly": 1, "quarterly": 3, "annually": 12}


def _percent(part: int, whole: int) -> str | None:
    return money(div_round(part * 10_000, whole)) if whole else None


class ContractFactory(DocumentFactory):
    endpoint = "contracts"
    memos = ("Master services agreement", "SaaS subscription", "Wartungsvertrag", "保守契約", "")
    categories = APPROVAL_COLUMN
    category_weights = APPROVAL_COLUMN_WEIGHTS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        months = draw.pick((12, 12, 24, 36, 6))
        start = head.posted
        open_ended = draw.chance(0.1)
        end = None if open_ended else start + timedelta(days=30 * months - 1)
        cadence = draw.pick(CADENCES)
        monthly = draw.between(5_000, 2_500_000)
        amount = monthly * months
        if status == "archived":
            lifecycle = "archived"
        elif status == "draft":
            lifecycle = "draft"
        else:
            lifecycle = draw.weighted(("active", "completed", "terminated"), (7, 2, 1))
        approval = row.categories["approval_status"]
        elapsed = max(0, min(months, (REFERENCE_DAY - start).days // 30))
        recognitions: list[dict[str, Any]] = []
        for k in range(min(elapsed, 3)):
            recognitions.append(
                {
                    "id": row.rid * 100 + k + 1,
                    "number": 700_000 + row.rid * 100 + k + 1,
                    "contract_id": row.rid,
                    "performance_obligation_id": row.rid * 10 + 1 if draw.chance(0.9) else None,
                    "date": iso(start + timedelta(days=30 * k)),
                    "transaction_date": iso(start + timedelta(days=30 * k)),
                    "amount": money(monthly),
                    "transaction_id": row.rid * 1000 + k,
                    "record_status": "posted",
                    "income_account_id": ACCOUNT_ID[4200],
                    "deferrered_revenue_account_id": ACCOUNT_ID[2400],
                }
            )
        invoices: list[dict[str, Any]] = []
        step = _MONTHS[cadence]
        for k in range(min(3, max(0, elapsed // step + (elapsed > 0)))):
            billed = monthly * step
            paid = billed if draw.chance(0.7) else 0
            invoice = row.world.refs.pick("invoices", draw)
            day = start + timedelta(days=30 * step * k)
            invoices.append(
                {
                    "id": invoice,
                    "number": number_of("invoices", invoice),
                    "date": iso(day),
                    "due_date": iso(day + timedelta(days=30)),
                    "amount": money(billed),
                    "tax_amount": "0.00",
                    "paid_total": money(paid),
                    "record_status": "posted",
                    "term_id": 1,
                    "source": "contract",
                }
            )
        invoiced = sum(cents(i["amount"]) for i in invoices)
        paid_total = sum(cents(i["paid_total"]) for i in invoices)
        recognized = sum(cents(r["amount"]) for r in recognitions)
        terminated = lifecycle == "terminated"
        termination = None
        if terminated:
            when = start + timedelta(days=30 * max(1, elapsed))
            fee = draw.between(0, monthly)
            termination = {
                "id": row.rid,
                "number": 800_000 + row.rid,
                "contract_id": row.rid,
                "termination_type": draw.pick(("early", "for_cause", "mutual")),
                "termination_date": iso(when),
                "early_termination_fee": money(fee) if fee else None,
                "early_termination_fee_item_id": row.world.refs.pick("items", draw)
                if fee
                else None,
                "fee_invoice_id": None,
                "refund_amount": None,
                "refund_credit_account_id": None,
                "transaction_id": row.rid * 1000 + 999,
                "memo": "Customer notice received",
                "date": iso(when),
                "record_status": "posted",
            }
        change_orders = []
        if draw.chance(0.1):
            change_orders.append(
                {
                    "id": row.rid,
                    "number": 900_000 + row.rid,
                    "contract_id": row.rid,
                    "effective_date": iso(start + timedelta(days=90)),
                    "apply_cumulative_catchup": draw.chance(0.5),
                    "catchup_amount": money(draw.between(0, monthly)) if draw.chance(0.5) else None,
                    "transaction_id": None,
                    "memo": "Added 5 seats",
                    "record_status": "posted",
                    "obligation_modifications": [
                        {
                            "obligation_id": row.rid * 10 + 1,
                            "quantity": "15.000000",
                            "rate": None,
                            "item_id": None,
                            "memo": None,
                            "discount_type": None,
                            "discount_value": None,
                            "standalone_selling_price": None,
                            "cancel": False,
                        }
                    ],
                    "obligation_additions": [],
                }
            )
        renews = end is not None and draw.chance(0.4)
        days_left = (end - REFERENCE_DAY).days if end is not None and end >= REFERENCE_DAY else None
        name = self.party_name(row, head.party_id)
        billing = None if draw.chance(0.2) else address(draw, name or "")
        term_id, _, _ = term(draw)
        pending = approval == "pending"
        total_approvals = draw.between(0, 3) if approval is not None else 0
        mrr = monthly
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("contract")
            ),
            "completed_approvals_count": total_approvals - pending if total_approvals else 0,
            "total_approvals_count": total_approvals,
            "integration_remote_records": remote_records(draw, row.rid, row.style, row.created_ts),
            "id": row.rid,
            "number": head.number,
            **company_fields(company),
            "customer_id": head.party_id,
            "customer_name": name,
            "name": f"{name or 'Contract'} — {draw.pick(('Platform', 'Support', 'Pro plan'))}",
            "currency_iso_4217_code": head.currency,
            "memo": head.memo,
            "date": iso(head.posted),
            "term_id": term_id,
            "contract_template_id": draw.pick((None, 1, 2)),
            "start_date": iso(start),
            "end_date": iso(end) if end is not None else None,
            "bill_to_address": one_line(billing),
            "ship_to_address": "",
            "billing_address": billing,
            "shipping_address": None,
            "billing_start_date": iso(start),
            "billing_frequency": cadence,
            "billing_interval": 1,
            "billing_anchor_weekday": None,
            "recognition_start_date": iso(start),
            "recognition_frequency": "monthly",
            "recognition_interval": 1,
            "recognition_anchor_weekday": None,
            "is_incomplete": draw.chance(0.05),
            "cutover_date": iso(start + timedelta(days=60)) if draw.chance(0.05) else None,
            "prior_recognized_amount": money(monthly * 2) if draw.chance(0.05) else None,
            "default_early_termination_fee": money(monthly) if draw.chance(0.3) else None,
            "status": lifecycle,
            "record_status": status,
            "is_locked": lifecycle in ("completed", "terminated", "archived"),
            "workflow_status": approval,
            "pending_approvers_count": draw.between(1, 2) if pending else 0,
            "payment": None,
            "revenue_recognitions": recognitions,
            "invoices": invoices,
            "amount": money(amount),
            "renewed_end_date": iso(end + timedelta(days=365)) if renews and end else None,
            "next_renewal_date": iso(end + timedelta(days=1)) if renews and end else None,
            "days_till_expiry": days_left,
            "terminations": [termination] if termination else [],
            "termination": termination,
            "change_orders": change_orders,
            "cached_metrics": {
                "tcv": money(amount) if not open_ended else None,
                "mrr": money(mrr),
                "arr": money(mrr * 12),
                "amount_invoiced_percentage": _percent(invoiced, amount),
                "revenue_recognized": money(recognized),
                "revenue_recognized_percentage": _percent(recognized, amount),
                "next_invoice_date": None,
            }
            if draw.chance(0.7)
            else None,
            "metrics": {
                "total_contract_value": money(amount) if not open_ended else None,
                "mrr": money(mrr),
                "arr": money(mrr * 12),
                "amount_invoiced": money(invoiced),
                "amount_invoiced_percentage": _percent(invoiced, amount),
                "invoices_paid": money(paid_total),
                "invoices_paid_percentage": _percent(paid_total, invoiced),
                "revenue_recognized": money(recognized),
                "revenue_recognized_percentage": _percent(recognized, amount),
                "unbilled_revenue": money(amount - invoiced),
                "unrecognized_revenue": money(amount - recognized),
                "deferred_revenue": money(invoiced - recognized),  # negative: recognized ahead
                "next_invoice_date": None if lifecycle != "active" else iso(REFERENCE_DAY),
                "total_discount_amount": "0.00",
                "total_tax_amount": "0.00",
            },
        }
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        if draw.chance(0.3):
            item["default_early_termination_fee"] = money(draw.between(10_000, 500_000))
