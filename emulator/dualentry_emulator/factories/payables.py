"""Money out: vendor payments, prepayments and their applications, vendor refunds, and the
paper checks printed for them.

Payment-style lines carry no `id`. Applied vendor credits reduce a payment (negative lines).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from ..timestamps import DAY
from .common import BaseFactory, custom_field_values
from .documents import (
    cite_number,
    company_fields,
    edit_lines,
    line_id,
    number_of,
    payment_preamble,
    price_mode,
    retotal,
    revise_memo,
    settle,
    top_times,
    total,
    transaction_ids,
)
from .payments import (
    ApplicationFactory,
    PaymentFactory,
    PrepaymentFactory,
    RefundFactory,
    added_payment_line,
    check_number,
    paper_check_status,
    payment_amount,
    payment_method,
)
from .reference import ACCOUNT_ID, CHART
from .values import attachments, bank_for, day_of, iso, money

_PAYMENT_MEMOS = ("Payment run 14", "Wire — Lieferant", "ACH batch", "Check run", "")


class VendorPaymentFactory(PaymentFactory):
    endpoint = "vendor_payments"
    party = "vendors"
    party_null_share = 0.04
    memos = _PAYMENT_MEMOS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        refs = row.world.refs
        mode = price_mode(draw)
        lines = []
        kinds = ["bill"] * draw.weighted((1, 2, 3), (6, 3, 1))
        if draw.chance(0.15):
            kinds.append("credit")
        if draw.chance(0.05):
            kinds.append(draw.pick(("journal", "intercompany")))
        for k, kind in enumerate(kinds, start=1):
            amount = payment_amount(draw, mode)
            if kind == "credit":
                amount = -min(amount, 400_000)
            lines.append(
                {
                    "bill_number": cite_number(row, draw, "bills") if kind == "bill" else None,
                    "vendor_credit_number": cite_number(row, draw, "vendor_credits")
                    if kind == "credit"
                    else None,
                    "journal_entry_line_id": line_id(refs.pick("journal_entries", draw), 1)
                    if kind == "journal"
                    else None,
                    "intercompany_journal_entry_line_id": line_id(
                        refs.pick("intercompany_journal_entries", draw), 2
                    )
                    if kind == "intercompany"
                    else None,
                    "amount": money(amount),
                    "position": k,
                    "bank_or_credit_card_amount": money(amount),
                }
            )
        method = payment_method(draw)
        item = payment_preamble(row, draw, "vendor_payment")
        account = None if draw.chance(0.03) else bank_for(head.currency)
        check = check_number(draw) if method == 1 else ""
        item.update(
            self.payment_fields(
                row, head, draw, lines, account=account, check=check, method=method, blank_name=None
            )
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        unapplied = dict.fromkeys(
            (
                "bill_number",
                "vendor_credit_number",
                "journal_entry_line_id",
                "intercompany_journal_entry_line_id",
            )
        )

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            return added_payment_line(d, position, unapplied, most=60_000)

        edit_lines(item, draw, "items", new_line, with_ids=False, owner=item["internal_id"])
        retotal(item, "bank_or_credit_card_amount")


class VendorPrepaymentFactory(PrepaymentFactory):
    endpoint = "vendor_prepayments"
    party = "vendors"
    memos = ("Deposit on order", "Anzahlung", "Retainer", "")

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        amount = payment_amount(draw, price_mode(draw))
        used = settle(draw, amount, row.record_status)
        method = payment_method(draw)
        recurring = None
        if draw.chance(0.1):
            recurring = row.world.refs.pick("recurring_bills", draw)
        return {
            **top_times(row, draw),
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("vendor_prepayment")
            ),
            "attachments": attachments(draw, row.rid, 1),
            "internal_id": row.rid,
            "transaction_ids": transaction_ids(row.rid, row.record_status),
            "number": head.number,
            **company_fields(head.company),
            **self.party_fields(row, head),
            "account_number": bank_for(head.currency),
            "date": iso(head.posted),
            "transaction_date": iso(head.inception),
            "check_number": check_number(draw) if method == 1 else "",
            "amount": money(amount),
            "used_amount": money(used),
            "remaining_amount": money(amount - used),
            "currency_iso_4217_code": head.currency,
            "exchange_rate": head.exchange_rate,
            "bank_or_undeposited_funds_amount": money(amount),
            "memo": head.memo,
            "record_status": row.record_status,
            "payment_method_id": method,
            "paper_check_status": paper_check_status(draw, method),
            "recurring_record_id": recurring,
        }


class VendorPrepaymentApplicationFactory(ApplicationFactory):
    endpoint = "vendor_prepayment_applications"
    party = "vendors"
    memos = ("Apply deposit to bill", "Apply vendor credit", "")
    applies_to = "bills"
    credit_share = 0.25
    added_line_cents = (500, 30_000)

    def amount_due(self, draw: Draw, applied: int) -> int:
        return draw.pick((0, 0, applied // 3))

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        lines = self.lines(row, draw)
        source = self.source_numbers(row, draw)
        return {
            **top_times(row, draw),
            "attachments": attachments(draw, row.rid, 1),
            "internal_id": row.rid,
            "transaction_ids": transaction_ids(row.rid, row.record_status),
            "number": head.number,
            **company_fields(head.company),
            **self.party_fields(row, head),
            **source,
            "exchange_rate": head.exchange_rate,
            "memo": head.memo,
            "date": iso(head.posted),
            "transaction_date": iso(head.inception),
            "currency_iso_4217_code": head.currency,
            "amount": money(total(lines)),
            "items": lines,
            "record_status": row.record_status,
        }


class VendorRefundFactory(RefundFactory):
    endpoint = "vendor_refunds"
    party = "vendors"
    memos = ("Refund of deposit", "Overpayment returned", "Rückerstattung", "")
    credit_share = 0.6
    added_line_most = 60_000
    method_after_actors = True


# --------------------------------------------------------------------------- paper checks

PAPER_CHECK_STATUSES = ("not_printed", "printed", "archived")
SOURCE_TYPES = ("direct_expense", "vendor_payment", "vendor_prepayment", "customer_refund")
_SOURCE_TABLES = {
    "direct_expense": "direct_expenses",
    "vendor_payment": "vendor_payments",
    "vendor_prepayment": "vendor_prepayments",
    "customer_refund": "customer_refunds",
}


class PaperCheckFactory(BaseFactory):
    """PublicPaperCheckSchemaOut. `created_at` is served as a date only ("2024-01-15"),
    although the document types it as a date-time."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"source_record_type": SOURCE_TYPES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"source_record_type": (0.2, 0.55, 0.1, 0.15)}
    )
    _salt = salt("paper_checks")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        refs = row.world.refs
        company = row.world.company(row.company_id)
        source_type = row.categories["source_record_type"]
        table = _SOURCE_TABLES[source_type]
        source_id = refs.pick(table, draw)
        created = day_of(row.created_ts)
        account = bank_for(company.currency)
        customer = refs.pick("customers", draw) if source_type == "customer_refund" else None
        vendor = None if customer is not None else refs.pick("vendors", draw)
        customer_name = refs.field("customers", customer, "name") if customer else None
        vendor_name = refs.field("vendors", vendor, "name") if vendor else None
        payee = customer_name or vendor_name
        return {
            "id": row.rid,
            "created_at": iso(created),
            "transaction_date": iso(day_of((row.created_ts or 0) - draw.below(5) * DAY)),
            "source_record_type": source_type,
            "source_record_id": source_id,
            "source_record_number": number_of(table, source_id),
            "check_number": str(1000 + row.rid),
            **{k: v for k, v in company_fields(company).items() if k != "company_currency"},
            "memo": draw.pick(("", "Invoice 4471 / 4472", "Rent — June", "Refund")),
            "amount": money(payment_amount(draw, draw.weighted(("normal", "large"), (30, 1)))),
            "currency_iso_4217_code": company.currency,
            "account_number": account,
            "account_name": CHART[ACCOUNT_ID[account] - 1].name,
            "payee_name": payee if draw.chance(0.9) else None,
            "customer_id": customer,
            "customer_name": customer_name,
            "vendor_id": vendor,
            "vendor_name": vendor_name,
            "record_status": row.record_status,
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
