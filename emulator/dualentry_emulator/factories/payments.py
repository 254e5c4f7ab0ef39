"""What money in (receipts) and money out (payables) have in common: payment amounts, check
numbers and methods, and the documents both sides have in one shape with the party's field
names: the body of payments and refunds, refunds themselves, prepayments' edits and
prepayment applications.

A shape shared here is parameterised by the party (`customer` or `vendor`, from the
factory's `party_field`); its `<party>_id`, `<party>_name`, `<party>_credits` and so on
follow. The order in which a row's values are drawn is part of every served byte, so where
the two sides draw in different orders, that order is a parameter too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..draw import Draw
from ..spec import RowContext
from .documents import (
    DocumentFactory,
    Head,
    cents,
    cite_number,
    cite_number_sometimes,
    company_fields,
    edit_lines,
    payment_preamble,
    price_mode,
    retotal,
    revise_memo,
    total,
)
from .reference import PAYMENT_METHOD_IDS
from .values import bank_for, iso, money


def payment_amount(draw: Draw, mode: str) -> int:
    """Cents of a payment-like line: everyday values, zero, or 10+ integer digits."""
    if mode == "zero":
        return 0
    if mode == "large":
        return draw.between(10**12, 9 * 10**12)
    return draw.weighted(
        (draw.between(1_000, 99_999), draw.between(100_000, 5_000_000), draw.between(1, 999)),
        (6, 3, 1),
    )


def check_number(draw: Draw) -> str:
    return draw.pick(("", "", str(draw.between(1000, 99999))))


def payment_method(draw: Draw) -> int | None:
    return draw.pick((None, *PAYMENT_METHOD_IDS))


def paper_check_status(draw: Draw, method: int | None) -> str | None:
    if method != 1:  # payment method 1 = check
        return None
    return draw.weighted(("printed", "not_printed", "archived", None), (5, 3, 1, 1))


def added_payment_line(
    draw: Draw,
    position: int,
    references: Mapping[str, Any],
    *,
    most: int,
    bank_key: str = "bank_or_credit_card_amount",
) -> dict[str, Any]:
    """A payment line added by an edit: its `references`, then 5.00 up to `most` cents, all
    of it through the bank."""
    amount = money(draw.between(500, most))
    return {**references, "amount": amount, "position": position, bank_key: amount}


class PaymentFactory(DocumentFactory):
    """Vendor payments and both refunds: documents paying their lines' total through a bank
    account or card."""

    def payment_fields(
        self,
        row: RowContext,
        head: Head,
        draw: Draw,
        lines: list[dict[str, Any]],
        *,
        account: int | None,
        check: str,
        method: int | None,
        blank_name: str | None = "",
    ) -> dict[str, Any]:
        """The fields from `internal_id` on; the paper check's status is drawn last."""
        amount_text = money(total(lines))
        return {
            "internal_id": row.rid,
            "number": head.number,
            "account_number": account,
            "items": lines,
            **company_fields(head.company),
            **self.party_fields(row, head, blank_name),
            "memo": head.memo,
            "check_number": check,
            "date": iso(head.posted),
            "transaction_date": iso(head.inception),
            "currency_iso_4217_code": head.currency,
            "exchange_rate": head.exchange_rate,
            "bank_or_credit_card_amount": amount_text,
            "amount": amount_text,
            "record_status": row.record_status,
            "payment_method_id": method,
            "paper_check_status": paper_check_status(draw, method),
        }


# --------------------------------------------------------------------------- prepayments


class PrepaymentFactory(DocumentFactory):
    """Customer and vendor prepayments: one amount, of which some is used."""

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        used = cents(item["used_amount"])
        amount = max(cents(item["amount"]) + draw.between(-5_000, 20_000), used)
        item.update(
            amount=money(amount),
            bank_or_undeposited_funds_amount=money(amount),
            remaining_amount=money(amount - used),
        )


# --------------------------------------------------------------------------- applications


class ApplicationFactory(DocumentFactory):
    """Prepayment applications: a party's prepayment or credit applied to its invoices or
    bills (`applies_to`), one line each."""

    applies_to: ClassVar[str]
    """The documents the lines cite ("invoices" or "bills")."""
    credit_share: ClassVar[float]
    """How many applications apply a credit rather than a prepayment."""
    added_line_cents: ClassVar[tuple[int, int]]
    """The range of a line an edit adds."""

    def amount_due(self, draw: Draw, applied: int) -> int:
        """What the cited document still owes after the application."""
        raise NotImplementedError

    def lines(self, row: RowContext, draw: Draw) -> list[dict[str, Any]]:
        mode = price_mode(draw)
        out = []
        for position in range(1, draw.weighted((1, 2, 3), (6, 3, 1)) + 1):
            applied = payment_amount(draw, mode)
            out.append(
                {
                    f"{self.applies_to[:-1]}_number": cite_number_sometimes(
                        row, draw, self.applies_to, 0.95
                    ),
                    "amount": money(applied),
                    "amount_due": money(self.amount_due(draw, applied)),
                    "position": position,
                }
            )
        return out

    def source_numbers(self, row: RowContext, draw: Draw) -> dict[str, int | None]:
        """`<party>_prepayment_number` and `<party>_credit_number`: one of them is set."""
        party = self.party_prefix
        from_credit = draw.chance(self.credit_share)
        number = cite_number(
            row, draw, f"{party}_credits" if from_credit else f"{party}_prepayments"
        )
        return {
            f"{party}_prepayment_number": None if from_credit else number,
            f"{party}_credit_number": number if from_credit else None,
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        low, high = self.added_line_cents

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            return {
                f"{self.applies_to[:-1]}_number": None,
                "amount": money(d.between(low, high)),
                "amount_due": "0.00",
                "position": position,
            }

        edit_lines(item, draw, "items", new_line, with_ids=False, owner=item["internal_id"])
        retotal(item)


# --------------------------------------------------------------------------- refunds


class RefundFactory(PaymentFactory):
    """Customer and vendor refunds: money returned from the party's credits or
    prepayments."""

    credit_share: ClassVar[float]
    """How many lines refund a credit rather than a prepayment."""
    added_line_most: ClassVar[int]
    """The largest line an edit adds, in cents."""
    method_after_actors: ClassVar[bool]
    """Whether the payment method is drawn after the actors (vendors) or before the
    custom fields (customers)."""

    def lines(self, row: RowContext, draw: Draw) -> list[dict[str, Any]]:
        party = self.party_prefix
        credits, prepayments = f"{party}_credits", f"{party}_prepayments"
        mode = price_mode(draw)
        out = []
        for position in range(1, draw.weighted((1, 2), (4, 1)) + 1):
            amount = payment_amount(draw, mode)
            from_credit = draw.chance(self.credit_share)
            out.append(
                {
                    f"{credits[:-1]}_number": cite_number(row, draw, credits)
                    if from_credit
                    else None,
                    f"{prepayments[:-1]}_number": None
                    if from_credit
                    else cite_number(row, draw, prepayments),
                    "amount": money(amount),
                    "position": position,
                    "bank_or_credit_card_amount": money(amount),
                }
            )
        return out

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        lines = self.lines(row, draw)
        method = None if self.method_after_actors else payment_method(draw)
        item = payment_preamble(row, draw, f"{self.party_prefix}_refund")
        if self.method_after_actors:
            method = payment_method(draw)
        account = draw.pick((None, bank_for(head.currency)))
        check = check_number(draw)
        item.update(
            self.payment_fields(row, head, draw, lines, account=account, check=check, method=method)
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        party = self.party_prefix
        blank = {f"{party}_credit_number": None, f"{party}_prepayment_number": None}

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            return added_payment_line(d, position, blank, most=self.added_line_most)

        edit_lines(item, draw, "items", new_line, with_ids=False, owner=item["internal_id"])
        retotal(item, "bank_or_credit_card_amount")
