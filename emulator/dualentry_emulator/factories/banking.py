"""Bank match (v2 only): bank-feed transactions and match suggestions, newest first.

Bank transactions carry signed amounts (+ money in, - money out). Expired feed rows are
hidden unless `include_expired=true`: `is_expired` is a hidden column so the default
listing selects at C speed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from ..timestamps import DAY, render
from .common import BaseFactory
from .reference import ACCOUNT_ID, BANK_ACCOUNTS, CHART
from .values import money

MATCHING_STATUSES = (
    "unprocessed",
    "deterministic_suggested",
    "awaiting_ai",
    "ai_in_progress",
    "ai_suggested",
    "ai_no_match",
    "no_match",
    "excluded",
    "matched",
)
SOURCES = ("pdf_upload", "csv_upload", "manual_upload", "bai_upload", "meld", "plaid", "waycore")
_PAYEES = ("AMAZON MKTPLACE", "UBER *TRIP", "STRIPE TRANSFER", "GUSTO PAYROLL", "DHL EXPRESS", None)


class BankTransactionFactory(BaseFactory):
    """PublicBankTransactionSchemaOut. `date` is the booking day (midnight UTC, a date-time
    as documented), the day the row was imported."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {"is_expired": (False, True), "matching_status": MATCHING_STATUSES}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"is_expired": (0.85, 0.15), "matching_status": (2, 1, 1, 0.5, 2, 1, 1, 0.5, 4)}
    )
    _salt = salt("bank_transactions")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        account = BANK_ACCOUNTS[row.rid % len(BANK_ACCOUNTS)]
        info = CHART[ACCOUNT_ID[account] - 1]
        created = row.created_ts or 0
        day = created - created % DAY
        money_in = draw.chance(0.45)
        cents = draw.weighted(
            (
                draw.between(100, 99_999),
                draw.between(100_000, 9_999_999),
                draw.between(10**12, 10**13),
            ),
            (7, 3, 0.2),
        )
        amount = cents if money_in else -cents
        posted = draw.chance(0.9)
        status = row.categories["matching_status"]
        matched = status == "matched"
        return {
            "id": row.rid,
            "financial_account_id": ACCOUNT_ID[account],
            "financial_account_name": info.name if draw.chance(0.95) else None,
            "date": render(day, row.style, draw.bits()),
            "posted_at": render(
                created + draw.between(1, 72) * 3600 * 1_000_000, row.style, draw.bits()
            )
            if posted
            else None,
            "amount": money(amount),
            "debit_amount": money(0 if money_in else cents),
            "credit_amount": money(cents if money_in else 0),
            "description": draw.pick(
                ("POS PURCHASE", "ACH CREDIT", "WIRE IN", "CARD 4471", "SEPA-Überweisung")
            ),
            "payee": draw.pick(_PAYEES),
            "currency_iso_4217_code": info.currency if draw.chance(0.95) else None,
            "source": draw.pick(SOURCES),
            "is_posted": posted,
            "is_expired": row.categories["is_expired"],
            "matching_status": status,
            "matched_transaction_ids": [row.rid * 10 + 1] if matched else [],
            "matched_entry_ids": [row.rid * 10 + 2] if matched and draw.chance(0.5) else [],
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["description"] = (
            f"{item['description'].split(' / ', 1)[0]} / ref {draw.between(1, 9999)}"
        )


class BankMatchSuggestionFactory(BaseFactory):
    """PublicBankMatchSuggestionSchemaOut. `is_highest_ranked` filters but is not shown."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {"suggestion_type": ("match", "create"), "is_highest_ranked": (True, False)}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"suggestion_type": (0.8, 0.2), "is_highest_ranked": (0.4, 0.6)}
    )
    _salt = salt("bank_match_suggestions")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        refs = row.world.refs
        kind = row.categories["suggestion_type"]
        table = draw.pick(
            ("invoices", "bills", "customer_payments", "vendor_payments", "direct_expenses")
        )
        score = None if draw.chance(0.1) else draw.between(1_000, 10_000)
        return {
            "id": row.rid,
            "financial_transaction_id": refs.pick("bank_transactions", draw),
            "transaction_id": refs.pick(table, draw) * 10 + 1,
            "suggestion_type": kind,
            "confidence_score": money(score) if score is not None else None,
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["confidence_score"] = money(draw.between(1_000, 10_000))
