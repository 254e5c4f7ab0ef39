"""The common frame of transaction documents: header, priced lines, approvals, edits.

A document's header (company, currency, exchange rate, dates, counterparty) comes from its
own draw stream, so filters and fast field reads (`customer_id`, `date`, `number`) never
build lines. Lines come from a second stream. Totals are computed from the lines, exactly,
in integer cents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from ..draw import Draw, salt
from ..spec import RowContext
from ..timestamps import render
from ..world import Company
from .common import BaseFactory, approvers, custom_field_values, put_actor, rejected_by
from .values import (
    MICRO,
    attachments,
    bank_match_status,
    classifications,
    currency_for,
    div_round,
    doc_dates,
    exchange_rate,
    fixed,
    iso,
    line_tax,
    money,
    reconciliation_status,
)

APPROVAL_STATUSES = (None, "approved", "pending", "rejected")
APPROVAL_WEIGHTS = (0.55, 0.3, 0.1, 0.05)
APPROVAL_COLUMN: Mapping[str, Sequence[Any]] = MappingProxyType(
    {"approval_status": APPROVAL_STATUSES}
)
"""`categories` of the documents whose list filters on approval_status (a hidden column, so
the filter never builds rows)."""
APPROVAL_COLUMN_WEIGHTS: Mapping[str, Sequence[float]] = MappingProxyType(
    {"approval_status": APPROVAL_WEIGHTS}
)

NUMBER_BASES = {
    "invoices": 10_000,
    "sales_orders": 20_000,
    "bills": 30_000,
    "journal_entries": 40_000,
    "purchase_orders": 50_000,
    "customer_prepayments": 60_000,
    "customer_prepayment_applications": 61_000,
    "customer_deposits": 62_000,
    "customer_refunds": 63_000,
    "customer_credits": 64_000,
    "cash_sales": 65_000,
    "customer_payments": 66_000,
    "vendor_payments": 70_000,
    "vendor_prepayments": 71_000,
    "vendor_prepayment_applications": 72_000,
    "vendor_credits": 73_000,
    "vendor_refunds": 74_000,
    "direct_expenses": 75_000,
    "bank_transfers": 80_000,
    "recurring_invoices": 90_000,
    "recurring_bills": 91_000,
    "recurring_journal_entries": 92_000,
    "fixed_assets": 95_000,
    "contracts": 96_000,
}
"""`number` = base + internal id: a business number that is never the internal id."""


def number_of(endpoint: str, rid: int) -> int:
    return NUMBER_BASES[endpoint] + rid


def cite_number(row: RowContext, draw: Draw, endpoint: str) -> int:
    """The business number of a row of `endpoint` (a document citing another)."""
    return number_of(endpoint, row.world.refs.pick(endpoint, draw))


def cite_number_sometimes(row: RowContext, draw: Draw, endpoint: str, share: float) -> int | None:
    """`cite_number` in `share` of the documents (that chance is drawn first), else None."""
    return cite_number(row, draw, endpoint) if draw.chance(share) else None


def cents(text: str) -> int:
    """A 2-digit decimal string back to cents (exact)."""
    return int(Decimal(text) * 100)


def micros(text: str) -> int:
    return int(Decimal(text) * MICRO)


@dataclass(slots=True)
class Head:
    rid: int
    number: int
    company: Company
    currency: str
    exchange_rate: str
    posted: date  # the `date` field
    inception: date  # the `transaction_date` field
    party_id: int | None
    memo: str


class DocumentFactory(BaseFactory):
    """Base of transaction factories: `head(row)` and the fast field path."""

    endpoint: str
    party: ClassVar[str | None] = "customers"
    """The table cited by the document's counterparty id (None: no counterparty)."""
    party_null_share: ClassVar[float] = 0.0
    foreign_share: ClassVar[float] = 0.2
    memos: ClassVar[tuple[str, ...]] = ("",)

    def __init__(self) -> None:
        self._head_salt = salt(f"{self.endpoint}.head")
        self._body_salt = salt(f"{self.endpoint}.body")

    def head(self, row: RowContext) -> Head:
        draw = Draw(row.seed, self._head_salt, row.rid)
        company = row.world.company(row.company_id)
        currency = currency_for(draw, company, self.foreign_share)
        rate = exchange_rate(draw, currency, company.currency)
        posted, inception = doc_dates(draw, row.created_ts)
        party_id = None
        if self.party is not None and not draw.chance(self.party_null_share):
            party_id = row.world.refs.pick(self.party, draw)
        return Head(
            rid=row.rid,
            number=number_of(self.endpoint, row.rid),
            company=company,
            currency=currency,
            exchange_rate=rate,
            posted=posted,
            inception=inception,
            party_id=party_id,
            memo=draw.pick(self.memos),
        )

    def body(self, row: RowContext) -> Draw:
        return Draw(row.seed, self._body_salt, row.rid)

    def party_name(self, row: RowContext, party_id: int | None) -> str | None:
        if party_id is None or self.party is None:
            return None
        name = row.world.refs.field(self.party, party_id, "name")
        return name if isinstance(name, str) else f"#{party_id}"

    @property
    def party_field(self) -> str:
        """The counterparty's id field, named after its table: `customer_id`, `vendor_id`."""
        return "vendor_id" if self.party == "vendors" else "customer_id"

    @property
    def party_prefix(self) -> str:
        """How the counterparty's fields are named: "customer" or "vendor"."""
        return self.party_field.removesuffix("_id")

    def party_fields(self, row: RowContext, head: Head, blank: str | None = "") -> dict[str, Any]:
        """`customer_id`/`customer_name` (or the vendor's): the counterparty, its name shown
        as `blank` where there is none (the schemas differ on "" or null)."""
        name = self.party_name(row, head.party_id)
        return {
            self.party_field: head.party_id,
            f"{self.party_prefix}_name": name if name is not None else blank,
        }

    def field(self, row: RowContext, name: str) -> Any:
        if name == "internal_id":
            return row.rid
        if name == "number":
            return number_of(self.endpoint, row.rid)
        if name in ("date", "transaction_date", "currency_iso_4217_code", self.party_field):
            head = self.head(row)
            return {
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "currency_iso_4217_code": head.currency,
                self.party_field: head.party_id,
            }[name]
        raise LookupError(name)


def company_fields(company: Company) -> dict[str, Any]:
    return {
        "company_id": company.id,
        "company_name": company.name,
        "company_currency": company.currency,
    }


def transaction_ids(rid: int, status: str, count: int = 1) -> list[int]:
    """GL transaction ids: none while a draft."""
    return [] if status == "draft" else [rid * 10 + k for k in range(1, count + 1)]


def put_actors(item: dict[str, Any], row: RowContext, draw: Draw) -> None:
    put_actor(item, "created_by", row.world, draw, row.created_ts, row.style)
    put_actor(item, "updated_by", row.world, draw, row.updated_ts, row.style)


def payment_preamble(row: RowContext, draw: Draw, record_type: str) -> dict[str, Any]:
    """The fields payments, refunds and cash sales start with: custom fields, at most one
    attachment, classifications, GL transaction ids, then the actors."""
    item: dict[str, Any] = {
        "custom_fields": custom_field_values(row, draw, row.world.custom_fields_for(record_type)),
        "attachments": attachments(draw, row.rid, 1),
        "classifications": classifications(draw),
        "transaction_ids": transaction_ids(row.rid, row.record_status),
    }
    put_actors(item, row, draw)
    return item


def top_times(row: RowContext, draw: Draw) -> dict[str, str]:
    """Required top-level created_at/updated_at (tables with these have every time set)."""
    created = row.created_ts if row.created_ts is not None else row.updated_ts
    updated = row.updated_ts if row.updated_ts is not None else created
    return {
        "created_at": render(created or 0, row.style, draw.bits()),
        "updated_at": render(updated or 0, row.style, draw.bits()),
    }


def settle(draw: Draw, amount: int, status: str) -> int:
    """How much of a posted receivable or payable is paid: all, part or nothing."""
    if status == "draft" or amount <= 0:
        return 0
    halves = draw.weighted((2, 1, 0), (5, 2, 3))
    return div_round(amount * halves, 2)


def resettle(item: dict[str, Any], amount: int, settled: str, outstanding: str) -> None:
    """A new total after an edit of the lines; what was settled already (paid, or used)
    stays, within the new total, and `outstanding` is the rest."""
    done = min(max(cents(item[settled]), 0), max(amount, 0))
    item.update({"amount": money(amount), settled: money(done), outstanding: money(amount - done)})


def approval_fields(row: RowContext, draw: Draw) -> dict[str, Any]:
    """approval_status (the row's hidden column), next_approvers, rejected_by as the
    approval-aware schemas have them."""
    status = row.categories["approval_status"]
    if status == "pending":
        nxt: list[Any] | None = (
            approvers(row.world, draw, draw.between(1, 2)) if draw.chance(0.85) else []
        )
    elif status is None:
        nxt = [] if draw.chance(0.15) else None
    else:
        nxt = [] if draw.chance(0.4) else None
    return {
        "approval_status": status,
        "next_approvers": nxt,
        "rejected_by": rejected_by(row.world, draw) if status == "rejected" else None,
    }


def put_actors_and_approval(item: dict[str, Any], row: RowContext, draw: Draw) -> None:
    """The actors, then the approval fields: how approval-aware documents go on."""
    put_actors(item, row, draw)
    item.update(approval_fields(row, draw))


def reconciliation_fields(draw: Draw) -> dict[str, str | None]:
    """The bank matching and reconciliation states of a document that moves money."""
    return {
        "bank_match_status": bank_match_status(draw),
        "reconciliation_status": reconciliation_status(draw),
    }


def due(posted: date, days: int) -> str:
    return iso(posted + timedelta(days=days))


# --------------------------------------------------------------------------- pricing


@dataclass(slots=True)
class Priced:
    """One priced line: quantity in millionths, rate in 10**-rate_scale, money in cents."""

    item_id: int
    item_type: str | None
    item_name: str | None
    quantity: int
    rate: int
    rate_scale: int
    discount: int
    discount_pct: int
    net: int
    tax: int
    tax_data: dict[str, Any] | None

    @property
    def gross(self) -> int:
        return self.net + self.tax

    @property
    def quantity_text(self) -> str:
        return fixed(self.quantity, 6)

    @property
    def rate_text(self) -> str:
        return fixed(self.rate, self.rate_scale)


_QUANTITIES = (  # millionths
    1_000000,
    1_000000,
    1_000000,
    2_000000,
    3_000000,
    5_000000,
    10_000000,
    12_000000,
    24_000000,
    500000,
    2_750000,
    1_333333,
    40_000000,
    125000,
)
_MODES = ("normal", "zero", "large")
_MODE_WEIGHTS = (0.93, 0.03, 0.04)


def price_mode(draw: Draw) -> str:
    """How a document's lines are priced: ordinary, all zero, or huge (10+ digit totals)."""
    return draw.weighted(_MODES, _MODE_WEIGHTS)


def price(
    row: RowContext,
    draw: Draw,
    company: Company,
    mode: str,
    *,
    rate_scale: int = 6,
    negative_share: float = 0.0,
    discounts: bool = False,
    taxed: bool = True,
) -> Priced:
    refs = row.world.refs
    item_id = refs.pick("items", draw)
    item_type = refs.field("items", item_id, "item_type")
    item_name = refs.field("items", item_id, "name")
    quantity = draw.pick(_QUANTITIES)
    if mode == "zero":
        rate_cents = 0
    elif mode == "large":
        quantity = 1000 * MICRO
        rate_cents = draw.between(1_000_000_000, 9_999_999_999)  # 10-99 million per unit
    elif company.currency == "JPY":
        rate_cents = draw.between(5, 2000) * 10_000
    else:
        rate_cents = draw.weighted(
            (draw.between(100, 9_999), draw.between(10_000, 499_999), draw.between(1, 99)),
            (6, 3, 1),
        )
    rate = rate_cents * 10 ** (rate_scale - 2)
    if rate_scale > 6 and mode == "normal" and draw.chance(0.2):
        rate += draw.below(10 ** (rate_scale - 2))  # sub-cent unit prices (metered usage)
    if mode == "normal" and draw.chance(negative_share):
        item_type, rate = "discount", -rate
    gross_before = div_round(quantity * rate, 10 ** (6 + rate_scale - 2))
    discount = pct = 0
    if discounts and mode == "normal" and draw.chance(0.15):
        pct = draw.pick((5, 10, 15))
        discount = div_round(gross_before * pct, 100)
    net = gross_before - discount
    tax_data, tax = line_tax(draw, company, net) if taxed else (None, 0)
    return Priced(
        item_id=item_id,
        item_type=item_type if isinstance(item_type, str) else None,
        item_name=item_name if isinstance(item_name, str) else None,
        quantity=quantity,
        rate=rate,
        rate_scale=rate_scale,
        discount=discount,
        discount_pct=pct,
        net=net,
        tax=tax,
        tax_data=tax_data,
    )


AMOUNT_KEYS = ("net_amount", "tax_amount", "gross_amount", "amount")


def amounts(p: Priced) -> dict[str, str]:
    """The read-only amount fields every priced line ends with (`AMOUNT_KEYS`)."""
    return {
        "net_amount": money(p.net),
        "tax_amount": money(p.tax),
        "gross_amount": money(p.gross),
        "amount": money(p.gross),
    }


def flat_amounts(
    draw: Draw, most_units: int, rate_cents: tuple[int, int], rate_scale: int = 6
) -> dict[str, str]:
    """Quantity, rate and amounts of a line added by an edit: 1 to `most_units` whole units
    at a rate within `rate_cents` (per unit), untaxed."""
    quantity = draw.between(1, most_units) * MICRO
    rate = draw.between(*rate_cents)
    net = div_round(quantity * rate, MICRO)
    return {
        "quantity": fixed(quantity, 6),
        "rate": fixed(rate * 10 ** (rate_scale - 2), rate_scale),
        "net_amount": money(net),
        "tax_amount": "0.00",
        "gross_amount": money(net),
        "amount": money(net),
    }


def reshape(line: dict[str, Any], keys: Sequence[str], **extra: Any) -> dict[str, Any]:
    """A line in one schema's keys and order, from a superset of fields (and `extra`)."""
    merged = {**line, **extra}
    return {key: merged.get(key) for key in keys}


def fulfilment(
    draw: Draw, quantity: int, status: str, statuses: Sequence[str], done_key: str
) -> dict[str, str]:
    """An order line's `done_key` quantity (invoiced or billed: all, none, or a share, as the
    order's status, one of `statuses`: done, not done, partly done, says) and `quantity_due`."""
    done_status, not_done_status, _ = statuses
    if status == done_status:
        done = quantity
    elif status == not_done_status:
        done = 0
    else:
        done = div_round(quantity * draw.between(0, 3), 4)
    return {done_key: fixed(done, 6), "quantity_due": fixed(quantity - done, 6)}


def fulfilled_total(lines: list[dict[str, Any]], done_key: str) -> int:
    """Cents of an order fulfilled: each line's amount pro rata to its `done_key` quantity."""
    out = 0
    for line in lines:
        quantity = micros(line["quantity"])
        if quantity:
            out += div_round(cents(line["amount"]) * micros(line[done_key]), quantity)
    return out


def retotal_order(item: dict[str, Any], done_key: str, done_total: str) -> None:
    """After an edit of an order's lines: `amount`, `done_total` (the part invoiced or billed,
    by each line's `done_key` quantity) and `due_total`, from the lines."""
    amount, done = total(item["items"]), fulfilled_total(item["items"], done_key)
    item.update(
        {"amount": money(amount), done_total: money(done), "due_total": money(amount - done)}
    )


def line_count(draw: Draw, most: int = 5) -> int:
    return draw.weighted(tuple(range(1, most + 1)), (5, 4, 3, 2, 1, 1, 1, 1)[:most])


# --------------------------------------------------------------------------- edits


def revise_memo(item: dict[str, Any], draw: Draw, key: str = "memo") -> None:
    base = str(item.get(key) or "").split(" (rev ", 1)[0]
    item[key] = f"{base} (rev {draw.between(2, 99)})".lstrip()


def edit_lines(
    item: dict[str, Any],
    draw: Draw,
    key: str,
    new_line: Callable[[Draw, int, int | None], dict[str, Any]],
    *,
    with_ids: bool,
    owner: int,
    keep: Callable[[dict[str, Any]], bool] = lambda line: False,
) -> None:
    """Sometimes add a line, sometimes remove one (never the line with the highest id, so a
    line id is never reused; never a line `keep` protects; never the last one)."""
    lines = list(item[key])
    if draw.chance(0.35):
        position = max((line.get("position", 0) for line in lines), default=0) + 1
        new_id = None
        if with_ids:
            new_id = max((line["id"] for line in lines), default=line_id(owner, 0)) + 1
        lines.append(new_line(draw, position, new_id))
    elif len(lines) > 1 and draw.chance(0.4):
        top = max((line.get("id", 0) for line in lines), default=0)
        candidates = [
            i for i, line in enumerate(lines) if line.get("id", -1) != top and not keep(line)
        ]
        if candidates:
            del lines[draw.pick(candidates)]
    item[key] = lines


def retotal(item: dict[str, Any], *also: str) -> None:
    """After an edit of the lines: `amount` (and the `also` fields) = the lines' sum."""
    amount = money(total(item["items"]))
    item["amount"] = amount
    for key in also:
        item[key] = amount


def line_id(rid: int, position: int) -> int:
    """Line ids: unique across a table (a block of 1000 per document: edits that add lines
    take the next id up, so blocks never overlap in practice), growing with position."""
    return rid * 1000 + position


def total(lines: list[dict[str, Any]], key: str = "amount") -> int:
    return sum(cents(line[key]) for line in lines)
