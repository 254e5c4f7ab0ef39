"""Journal entries (with reversal lines), intercompany journal entries, bank transfers and
the recurring templates of invoices, bills and journal entries.

Journal entries balance: debits equal credits, and `amount` is that total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from ..timestamps import DAY, render, to_us
from .common import BaseFactory, custom_field_values
from .documents import (
    APPROVAL_COLUMN,
    APPROVAL_COLUMN_WEIGHTS,
    DocumentFactory,
    approval_fields,
    cents,
    company_fields,
    line_id,
    number_of,
    price_mode,
    put_actors,
    put_actors_and_approval,
    reconciliation_fields,
    revise_memo,
)
from .payments import payment_amount
from .reference import ACCOUNT_ID, BANK_ACCOUNTS, CHART, JOURNAL_ACCOUNTS
from .values import (
    attachments,
    classifications,
    currency_for,
    doc_dates,
    exchange_rate,
    fixed,
    iso,
    money,
)

_JOURNAL_MEMOS = (
    "Month-end accrual",
    "Payroll — Lohnabrechnung",
    "Depreciation run",
    "Reclass to Project Apollo",
    "FX revaluation",
    "",
)


def _je_line(
    row: RowContext, draw: Draw, lid: int, position: int, account: int, debit: int, credit: int
) -> dict[str, Any]:
    refs = row.world.refs
    customer = refs.pick("customers", draw) if account == 1200 or draw.chance(0.05) else None
    vendor = refs.pick("vendors", draw) if account == 2000 or draw.chance(0.03) else None
    return {
        "amortizable_assets": [],
        "fixed_assets": [],
        "debit": money(debit),
        "credit": money(credit),
        "classifications": classifications(draw, 1),
        "id": lid,
        "account_number": account,
        "position": position,
        "memo": draw.pick(("", "", "See workpaper 12", "Accrual")),
        "customer_id": customer,
        "customer_name": refs.field("customers", customer, "name") if customer else None,
        "vendor_id": vendor,
        "vendor_name": refs.field("vendors", vendor, "name") if vendor else None,
    }


def _reversal(line: dict[str, Any], lid: int, currency: str, draw: Draw) -> dict[str, Any]:
    return {
        "amortizable_assets": [],
        "fixed_assets": [],
        "debit": line["credit"],
        "credit": line["debit"],
        "classifications": line["classifications"],
        "id": lid,
        "account_id": ACCOUNT_ID[line["account_number"]],
        "position": line["position"],
        "memo": line["memo"],
        "customer_id": line["customer_id"],
        "vendor_id": line["vendor_id"],
        "currency": currency,
        "not_aging_eligible_reason": draw.pick(("", "", "Reversal of accrual")),
        "account_number": line["account_number"],
        "line_type": "REVERSAL",
        "original_line_id": line["id"],
        "customer_name": line["customer_name"],
        "vendor_name": line["vendor_name"],
    }


def _side(line: dict[str, Any]) -> str:
    return "debit" if cents(line["debit"]) else "credit"


def je_amount(item: dict[str, Any]) -> int:
    return sum(cents(line["debit"]) for line in item["items"])


class JournalEntryFactory(DocumentFactory):
    endpoint = "journal_entries"
    party = None
    foreign_share = 0.1
    memos = _JOURNAL_MEMOS
    categories = APPROVAL_COLUMN
    category_weights = APPROVAL_COLUMN_WEIGHTS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        mode = price_mode(draw)
        # k lines on one side, balanced by a single line on the other
        k = draw.weighted((1, 2, 3, 4), (5, 3, 2, 1))
        amounts = [payment_amount(draw, mode) for _ in range(k)]
        accounts = draw.sample(JOURNAL_ACCOUNTS, k + 1)
        many_debits = draw.chance(0.6)
        lines = []
        for position, (account, value) in enumerate(zip(accounts, amounts, strict=False), start=1):
            debit, credit = (value, 0) if many_debits else (0, value)
            lines.append(
                _je_line(row, draw, line_id(row.rid, position), position, account, debit, credit)
            )
        balance = sum(amounts)
        debit, credit = (0, balance) if many_debits else (balance, 0)
        lines.append(
            _je_line(row, draw, line_id(row.rid, k + 1), k + 1, accounts[k], debit, credit)
        )
        reversal = []
        if draw.chance(0.15):
            reversal = [
                _reversal(line, line_id(row.rid, 50 + n), head.currency, draw)
                for n, line in enumerate(lines, start=1)
            ]
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("journal_entry")
            ),
            "attachments": attachments(draw, row.rid, 1),
            "reversal_items": reversal,
            "items": lines,
            **reconciliation_fields(draw),
        }
        put_actors_and_approval(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                **company_fields(head.company),
                "memo": head.memo,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "currency_iso_4217_code": head.currency,
                "amount": money(balance),
                "exchange_rate": head.exchange_rate,
                "record_status": row.record_status,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        """Revise the memo; add a line or remove one, moving the balancing line by as much."""
        revise_memo(item, draw)
        lines = [dict(line) for line in item["items"]]
        debits = [i for i, line in enumerate(lines) if _side(line) == "debit"]
        credits = [i for i, line in enumerate(lines) if _side(line) == "credit"]
        # The balancing line is alone on its side (the later one when both sides have one).
        if len(debits) == 1 and (len(credits) != 1 or debits[0] > credits[0]):
            balancing, minority, main = debits[0], "debit", "credit"
        else:
            balancing, minority, main = credits[0], "credit", "debit"
        top = max(line["id"] for line in lines)
        removable = [i for i in range(len(lines)) if i != balancing and lines[i]["id"] != top]
        value = 0
        if draw.chance(0.35):
            value = draw.between(1_000, 250_000)
            added = {**lines[0], "id": top + 1, "memo": "Adjustment", "classifications": []}
            added.update(position=max(line["position"] for line in lines) + 1)
            added.update(debit="0.00", credit="0.00", amortizable_assets=[], fixed_assets=[])
            added[main] = money(value)
            lines.append(added)
        elif removable and draw.chance(0.5):
            index = draw.pick(removable)
            value = -cents(lines[index][main])
            del lines[index]
            balancing -= index < balancing
        lines[balancing][minority] = money(cents(lines[balancing][minority]) + value)
        item["items"] = lines
        item["amount"] = money(je_amount(item))


# --------------------------------------------------------------------------- intercompany


class IntercompanyJournalEntryFactory(BaseFactory):
    """PublicIJESchemaOut: keyed by `record_number`; no internal_id, no actors."""

    categories = APPROVAL_COLUMN
    category_weights = APPROVAL_COLUMN_WEIGHTS
    _salt = salt("intercompany_journal_entries")

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, self._salt, row.rid)
        world = row.world
        first = world.company(row.company_id)
        others = [c for c in world.companies if c.id != first.id]
        parties = [first, *draw.sample(others, draw.between(1, max(1, min(2, len(others)))))]
        currency = currency_for(draw, first, 0.1)
        posted, inception = doc_dates(draw, row.created_ts)
        lines: list[dict[str, Any]] = []
        for company in parties[1:]:
            value = payment_amount(draw, price_mode(draw))
            for account, who, debit, credit in (
                (1220, first, value, 0),  # due from the subsidiary
                (2020, company, 0, value),  # due to the parent
            ):
                position = len(lines) + 1
                lines.append(
                    {
                        "id": line_id(row.rid, position),
                        "company_id": who.id,
                        "company_name": who.name,
                        "account_number": account,
                        "debit": money(debit),
                        "credit": money(credit),
                        "memo": draw.pick(("Management fee", "Cost recharge", "")),
                        "position": position,
                        "classifications": classifications(draw, 1),
                        "customer_id": None,
                        "customer_name": None,
                        "vendor_id": None,
                        "vendor_name": None,
                        "currency": draw.pick((None, currency)),
                        "eliminate": draw.chance(0.7),
                    }
                )
        item: dict[str, Any] = {"attachments": attachments(draw, row.rid, 1)}
        item.update(approval_fields(row, draw))
        item.update(
            {
                "record_number": row.rid,
                "date": iso(posted),
                "transaction_date": iso(inception),
                "memo": draw.pick(("Q1 management fees", "Intercompany recharge", "")),
                "currency_iso_4217_code": currency,
                "exchange_rate": exchange_rate(draw, currency, first.currency),
                "record_status": row.record_status,
                "items": lines,
                "companies": [{"id": c.id, "name": c.name} for c in parties],
                "company_ids": [c.id for c in parties],
            }
        )
        return item

    def field(self, row: RowContext, name: str) -> Any:
        if name == "record_number":
            return row.rid
        raise LookupError(name)

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)


def ije_amount(item: dict[str, Any]) -> str:
    return money(sum(cents(line["debit"]) for line in item["items"]))


# --------------------------------------------------------------------------- bank transfers


class BankTransferFactory(DocumentFactory):
    endpoint = "bank_transfers"
    party = None
    foreign_share = 0.0
    memos = ("Sweep to payroll", "Fund EUR account", "Treasury transfer", "")
    # The list filters on approval_status, but the item does not show it: a hidden column.
    categories = APPROVAL_COLUMN
    category_weights = APPROVAL_COLUMN_WEIGHTS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        source, target = draw.sample(BANK_ACCOUNTS, 2)
        currencies = []
        for number in (source, target):
            code = CHART[ACCOUNT_ID[number] - 1].currency
            if code and code not in currencies:
                currencies.append(code)
        item: dict[str, Any] = {
            **reconciliation_fields(draw),
        }
        put_actors(item, row, draw)
        other = CHART[ACCOUNT_ID[target] - 1].currency or head.company.currency
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                **company_fields(head.company),
                "debit_bank_account_number": None if draw.chance(0.03) else target,
                "credit_bank_account_number": None if draw.chance(0.03) else source,
                "amount": money(payment_amount(draw, price_mode(draw))),
                "exchange_rate": exchange_rate(draw, other, head.company.currency),
                "memo": head.memo,
                "record_status": row.record_status,
                "currency_iso_4217_code": [] if draw.chance(0.05) else currencies,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        item["amount"] = money(cents(item["amount"]) + draw.between(100, 99_999))


# --------------------------------------------------------------------------- recurring

RECURRING_TYPES = ("automatic", "reminder")
_RRULES = (
    "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1",
    "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
    "FREQ=YEARLY;INTERVAL=1;BYMONTH=1;BYMONTHDAY=31",
    "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1;COUNT=12",
)


class RecurringFactory(DocumentFactory):
    """PublicRecurring{Invoice,Bill,JournalEntry}SchemaOut (one shape, three lists)."""

    party = None
    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"recurring_type": RECURRING_TYPES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"recurring_type": (0.7, 0.3)}
    )

    def __init__(self, endpoint: str, generates: str, party: str | None) -> None:
        self.endpoint = endpoint
        self.generates = generates
        self.template_party = party
        super().__init__()

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        refs = row.world.refs
        active = draw.chance(0.8)
        start = head.posted
        records = []
        for k in range(draw.weighted((0, 1, 2, 3, 4), (2, 2, 2, 2, 1))):
            generated = refs.pick(self.generates, draw)
            records.append(
                {
                    "internal_id": generated,
                    "number": number_of(self.generates, generated),
                    "date": iso(start + timedelta(days=30 * k)),
                    "amount": money(payment_amount(draw, "normal")),
                    "record_status": draw.weighted(("posted", "draft", "archived"), (8, 1, 1)),
                }
            )
        payload: dict[str, Any] = {
            "company_id": head.company.id,
            "currency_iso_4217_code": head.currency,
            "memo": head.memo,
            "items": [
                {
                    "item_id": refs.pick("items", draw),
                    "quantity": "1.000000",
                    "rate": fixed(draw.between(1_000, 500_000) * 10_000, 6),
                }
            ],
        }
        if self.template_party is not None:
            payload[self.template_party[:-1] + "_id"] = refs.pick(self.template_party, draw)
        base = to_us_day(start)
        last = render(base + len(records) * 30 * DAY, row.style, draw.bits()) if records else None
        upcoming = render(
            base + (len(records) + 1) * 30 * DAY + 9 * 3600 * 1_000_000, row.style, draw.bits()
        )
        item: dict[str, Any] = {}
        put_actors(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "name": draw.pick(
                    (
                        "Monthly retainer",
                        "Office rent",
                        "SaaS — Pro plan",
                        "Accrual reversal",
                        "Lizenzgebühr",
                    )
                ),
                "memo": head.memo,
                "date": iso(start),
                **company_fields(head.company),
                "status": "active" if active else "inactive",
                "record_payload": payload,
                "rrule": draw.pick(_RRULES),
                "next_occurrence": upcoming if active else None,
                "last_generated": last,
                "recurring_type": row.categories["recurring_type"],
                "records": records,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        if draw.chance(0.5):
            item["status"] = "inactive" if item["status"] == "active" else "active"
            if item["status"] == "inactive":
                item["next_occurrence"] = None
        revise_memo(item, draw, "name")


def to_us_day(day: date) -> int:
    return to_us(datetime(day.year, day.month, day.day, tzinfo=UTC))
