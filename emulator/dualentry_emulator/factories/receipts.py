"""Money in: customer prepayments and their applications, deposits, refunds, payments.

Payment-style lines carry no `id` in these schemas (except deposit lines); documents total
their lines. A customer payment's `customer_deposits[].amount` is a JSON number, as the API
has it.
"""

from __future__ import annotations

from typing import Any

from ..draw import Draw
from ..spec import RowContext
from .common import custom_field_values
from .documents import (
    DocumentFactory,
    cents,
    cite_number,
    company_fields,
    edit_lines,
    line_id,
    payment_preamble,
    price_mode,
    put_actors,
    revise_memo,
    settle,
    total,
    transaction_ids,
)
from .payments import (
    ApplicationFactory,
    PrepaymentFactory,
    RefundFactory,
    added_payment_line,
    check_number,
    paper_check_status,
    payment_amount,
    payment_method,
)
from .reference import ACCOUNT_ID, INCOME_ACCOUNTS
from .values import attachments, bank_for, classifications, iso, money, some_day

_RECEIPT_MEMOS = ("Wire received", "ACH batch 0425", "Chèque n° 8812", "Card settlement", "")


def deposits_data(row: RowContext, draw: Draw) -> list[dict[str, Any]]:
    """CustomerDepositDataPublicSchema items; `amount` is a JSON number (never a whole one,
    so the fractional digits show)."""
    out = []
    for _ in range(draw.weighted((0, 1, 2), (6, 3, 1))):
        amount_cents = draw.between(100, 2_000_000)
        if amount_cents % 100 == 0:
            amount_cents += 37
        out.append(
            {
                "number": cite_number(row, draw, "customer_deposits"),
                "date": some_day(draw),
                "amount": amount_cents / 100,
                "memo": draw.pick(("", "Bank deposit", "Einzahlung")),
                "record_status": draw.weighted(("posted", "draft", "archived"), (8, 1, 1)),
            }
        )
    return out


# --------------------------------------------------------------------------- prepayments


class CustomerPrepaymentFactory(PrepaymentFactory):
    endpoint = "customer_prepayments"
    memos = _RECEIPT_MEMOS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        status = row.record_status
        amount = payment_amount(draw, price_mode(draw))
        used = settle(draw, amount, status)
        undeposited = draw.chance(0.3)
        item: dict[str, Any] = {
            "transaction_ids": transaction_ids(row.rid, status),
            "attachments": attachments(draw, row.rid, 1),
        }
        put_actors(item, row, draw)
        item.update(
            {
                "custom_fields": custom_field_values(
                    row, draw, row.world.custom_fields_for("customer_prepayment")
                ),
                "internal_id": row.rid,
                "number": head.number,
                **company_fields(head.company),
                **self.party_fields(row, head),
                "account_number": None if undeposited else bank_for(head.currency),
                "memo": head.memo,
                "check_number": check_number(draw),
                "currency_iso_4217_code": head.currency,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "exchange_rate": head.exchange_rate,
                "undeposited_funds_currency": head.currency if undeposited else None,
                "bank_or_undeposited_funds_amount": money(amount),
                "amount": money(amount),
                "used_amount": money(used),
                "remaining_amount": money(amount - used),
                "payment_method_id": payment_method(draw),
                "record_status": status,
                "customer_deposits": deposits_data(row, draw),
                "recurring_record_number": None,
            }
        )
        return item


# --------------------------------------------------------------------------- applications


class CustomerPrepaymentApplicationFactory(ApplicationFactory):
    endpoint = "customer_prepayment_applications"
    memos = ("Apply prepayment", "Apply credit to open invoices", "")
    applies_to = "invoices"
    credit_share = 0.3
    added_line_cents = (1_000, 50_000)

    def amount_due(self, draw: Draw, applied: int) -> int:
        return draw.pick((0, 0, applied // 2, draw.between(0, 100_000)))

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        lines = self.lines(row, draw)
        source = self.source_numbers(row, draw)
        item: dict[str, Any] = {
            "attachments": attachments(draw, row.rid, 1),
            "classifications": classifications(draw),
            "transaction_ids": transaction_ids(row.rid, row.record_status),
        }
        put_actors(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "items": lines,
                **company_fields(head.company),
                **self.party_fields(row, head),
                **source,
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "memo": head.memo,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "amount": money(total(lines)),
                "record_status": row.record_status,
            }
        )
        return item


# --------------------------------------------------------------------------- deposits


_DEPOSIT_SOURCES = (
    "customer_prepayment_number",
    "customer_payment_number",
    "cash_sale_number",
    "vendor_refund_number",
    "account_id",
    "description",
    "customer_id",
    "vendor_id",
)
"""What a deposit line may cite (all keys present; one receipt or an account is set)."""


def _deposit_line(row: RowContext, draw: Draw, lid: int) -> dict[str, Any]:
    refs = row.world.refs
    kind = draw.weighted(
        ("prepayment", "payment", "cash_sale", "vendor_refund", "other"), (2, 5, 2, 1, 1)
    )
    line: dict[str, Any] = {
        "classifications": classifications(draw, 1),
        "id": lid,
        **dict.fromkeys(_DEPOSIT_SOURCES),
    }
    if kind == "vendor_refund":
        line["vendor_refund_number"] = cite_number(row, draw, "vendor_refunds")
        line["vendor_id"] = refs.pick("vendors", draw)
    elif kind == "other":
        line["account_id"] = ACCOUNT_ID[draw.pick(INCOME_ACCOUNTS)]
        line["description"] = draw.pick(("Interest", "Refund from landlord", "Misc. receipt"))
        line["customer_id"] = refs.pick("customers", draw) if draw.chance(0.5) else None
    else:
        table = {
            "prepayment": "customer_prepayments",
            "payment": "customer_payments",
            "cash_sale": "cash_sales",
        }[kind]
        line[f"{'customer_' if kind != 'cash_sale' else ''}{kind}_number"] = cite_number(
            row, draw, table
        )
        line["customer_id"] = refs.pick("customers", draw)
    return line


class CustomerDepositFactory(DocumentFactory):
    endpoint = "customer_deposits"
    party = None
    memos = ("Deposit #18", "Bank deposit — Chase", "Einzahlung Filiale", "")

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        count = draw.weighted((1, 2, 3, 4), (4, 3, 2, 1))
        lines = [_deposit_line(row, draw, line_id(row.rid, k)) for k in range(1, count + 1)]
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("customer_deposit")
            ),
            "attachments": attachments(draw, row.rid, 1),
        }
        put_actors(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "transaction_id": row.rid * 10 + 1,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                **company_fields(head.company),
                "account_id": ACCOUNT_ID[bank_for(head.currency)],
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "amount": money(payment_amount(draw, price_mode(draw))),
                "memo": head.memo,
                "items": lines,
                "record_status": row.record_status,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            return {
                "classifications": [],
                "id": lid,
                **dict.fromkeys(_DEPOSIT_SOURCES),
                "account_id": ACCOUNT_ID[4000],
                "description": "Late receipt",
            }

        before = len(item["items"])
        edit_lines(item, draw, "items", new_line, with_ids=True, owner=item["internal_id"])
        if len(item["items"]) != before:  # deposit lines carry no amount: the total moves
            change = draw.between(1_000, 90_000) * (1 if len(item["items"]) > before else -1)
            item["amount"] = money(max(0, cents(item["amount"]) + change))


# --------------------------------------------------------------------------- refunds


class CustomerRefundFactory(RefundFactory):
    endpoint = "customer_refunds"
    memos = ("Refund of overpayment", "Return — RMA 7781", "Remboursement", "")
    credit_share = 0.7
    added_line_most = 20_000
    method_after_actors = False


# --------------------------------------------------------------------------- payments


_PAYMENT_TARGETS = (
    "invoice_number",
    "customer_credit_number",
    "account_id",
    "description",
    "customer_id",
    "vendor_id",
)
"""What a customer payment line may pay or apply (all keys present)."""


def _payment_line(
    row: RowContext, draw: Draw, mode: str, position: int, kind: str
) -> dict[str, Any]:
    refs = row.world.refs
    amount = payment_amount(draw, mode)
    line: dict[str, Any] = dict.fromkeys(_PAYMENT_TARGETS)
    if kind == "invoice":
        line["invoice_number"] = cite_number(row, draw, "invoices")
    elif kind == "credit":  # an applied credit reduces what was received
        line["customer_credit_number"] = cite_number(row, draw, "customer_credits")
        amount = -min(amount, 500_000)
    else:
        line["account_id"] = ACCOUNT_ID[draw.pick((6600, 7000))]
        line["description"] = draw.pick(("Bank charge", "Short payment written off", "FX rounding"))
        line["customer_id"] = refs.pick("customers", draw) if draw.chance(0.5) else None
        line["vendor_id"] = refs.pick("vendors", draw) if draw.chance(0.2) else None
        amount = draw.between(-5_000, 5_000)
    line.update(
        amount=money(amount),
        position=position,
        bank_or_undeposited_account_amount=money(amount),
    )
    return line


class CustomerPaymentFactory(DocumentFactory):
    endpoint = "customer_payments"
    party_null_share = 0.04
    memos = _RECEIPT_MEMOS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        mode = price_mode(draw)
        kinds = ["invoice"] * draw.weighted((1, 2, 3), (6, 3, 1))
        if draw.chance(0.15):
            kinds.append("credit")
        if draw.chance(0.08):
            kinds.append("other")
        lines = [_payment_line(row, draw, mode, k, kind) for k, kind in enumerate(kinds, start=1)]
        unassigned = draw.between(1, 90_000) if draw.chance(0.15) else 0
        amount = total(lines) + unassigned
        undeposited = draw.chance(0.3)
        method = payment_method(draw)
        item = payment_preamble(row, draw, "customer_payment")
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "account_number": None if undeposited else bank_for(head.currency),
                "items": lines,
                **company_fields(head.company),
                **self.party_fields(row, head, blank=None),
                "memo": head.memo,
                "check_number": check_number(draw),
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "undeposited_funds_currency": head.currency if undeposited else None,
                "bank_or_undeposited_account_amount": money(amount),
                "amount": money(amount),
                "unassigned_amount": money(unassigned),
                "record_status": row.record_status,
                "customer_deposits": deposits_data(row, draw),
                "payment_method_id": method,
                "paper_check_status": paper_check_status(draw, method),
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        late_fee = {
            **dict.fromkeys(_PAYMENT_TARGETS),
            "account_id": ACCOUNT_ID[4100],
            "description": "Late fee",
        }

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            return added_payment_line(
                d, position, late_fee, most=90_000, bank_key="bank_or_undeposited_account_amount"
            )

        edit_lines(item, draw, "items", new_line, with_ids=False, owner=item["internal_id"])
        amount = money(total(item["items"]) + cents(item["unassigned_amount"]))
        item.update(amount=amount, bank_or_undeposited_account_amount=amount)
