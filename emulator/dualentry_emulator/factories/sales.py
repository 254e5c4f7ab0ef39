"""Sales documents: invoices, sales orders, customer credits, cash sales.

Line amounts are computed from quantity times rate (less discount, plus tax) and the document
totals from the lines, so `amount` is always the sum of the lines' `amount`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..draw import Draw
from ..spec import RowContext
from ..timestamps import render
from ..world import Company
from .common import custom_field_values
from .documents import (
    AMOUNT_KEYS,
    APPROVAL_COLUMN,
    APPROVAL_COLUMN_WEIGHTS,
    DocumentFactory,
    Priced,
    amounts,
    cite_number,
    cite_number_sometimes,
    company_fields,
    due,
    edit_lines,
    flat_amounts,
    fulfilled_total,
    fulfilment,
    line_count,
    line_id,
    payment_preamble,
    price,
    price_mode,
    put_actors,
    put_actors_and_approval,
    reconciliation_fields,
    resettle,
    reshape,
    retotal,
    retotal_order,
    revise_memo,
    settle,
    top_times,
    total,
    transaction_ids,
)
from .payments import payment_method
from .places import address, one_line
from .reference import ACCOUNT_ID
from .values import (
    attachments,
    bank_for,
    classifications,
    fixed,
    iso,
    money,
    term,
)

_SALES_MEMOS = (
    "Consulting — March",
    "Annual subscription",
    "Hardware order",
    "Support renewal 🛠",
    "Lieferung gemäß Angebot",
    "保守サービス",
    "",
    "Implementation milestone 2",
)


def _addresses(draw: Draw, name: str | None) -> dict[str, Any]:
    billing = None if draw.chance(0.15) else address(draw, name or "")
    shipping = None if draw.chance(0.4) else address(draw, name or "")
    return {
        "bill_to_address": one_line(billing),
        "ship_to_address": one_line(shipping),
        "billing_address": billing,
        "shipping_address": shipping,
    }


def _reference(draw: Draw) -> str:
    return draw.weighted(("", f"PO-{draw.between(1000, 99999)}", "Q2 rollout"), (5, 4, 1))


def _hsn(draw: Draw) -> str | None:
    return draw.weighted((None, "998314", "8471"), (8, 1, 1))


def _payment(draw: Draw, rid: int) -> dict[str, Any] | None:
    if draw.chance(0.7):
        return None
    kind = draw.pick(("stripe", "paypal", None))
    return {
        "type": kind,
        "id": rid * 3 + 1 if kind else None,
        "body": "Pay securely online" if kind else None,
        "link": f"https://pay.example.com/{kind}/{rid}" if kind else None,
    }


def _line_company(draw: Draw, company: Company) -> int | None:
    return company.id if draw.chance(0.3) else None


# --------------------------------------------------------------------------- invoices


_LINE_ITEM = ("classifications", "item_type", "hsn_sac_code")
_LINE_PRICE = ("tax", "id", "item_id", "quantity", "rate", "position", "memo")
_LINE_HEAD = (*_LINE_ITEM, *_LINE_PRICE)
"""How sales order, customer credit (less the id) and cash sale lines start; they end with
their own fields and then `AMOUNT_KEYS`. Invoice lines put discount fields between the two
parts."""


def _sales_line(p: Priced, draw: Draw, position: int, lid: int | None) -> dict[str, Any]:
    """The fields every sales line schema shares (each `reshape`s it to its own keys)."""
    return {
        "classifications": classifications(draw, 1),
        "item_type": p.item_type,
        "hsn_sac_code": _hsn(draw),
        "tax": p.tax_data,
        "id": lid,
        "item_id": p.item_id,
        "quantity": p.quantity_text,
        "rate": p.rate_text,
        "position": position,
        "memo": p.item_name or "",
        **amounts(p),
    }


_INVOICE_LINE_KEYS = (
    *_LINE_ITEM,
    "discount_type",
    "discount_value",
    "discount_account_id",
    "record_level_discount_amount",
    *_LINE_PRICE,
    "company_id",
    *AMOUNT_KEYS,
    "discount_amount",
)


def _invoice_line(
    row: RowContext, draw: Draw, company: Company, mode: str, position: int, lid: int | None
) -> dict[str, Any]:
    p = price(row, draw, company, mode, rate_scale=10, negative_share=0.05, discounts=True)
    fixed_discount = p.discount != 0 and draw.chance(0.3)
    discount_value = None
    if p.discount:
        discount_value = money(p.discount) if fixed_discount else fixed(p.discount_pct * 100, 2)
    return reshape(
        _sales_line(p, draw, position, lid),
        _INVOICE_LINE_KEYS,
        discount_type=("FIXED" if fixed_discount else "PERCENTAGE") if p.discount else None,
        discount_value=discount_value,
        discount_account_id=ACCOUNT_ID[4900] if p.discount else None,
        record_level_discount_amount=None if draw.chance(0.8) else "0.00",
        company_id=_line_company(draw, company),
        discount_amount=money(p.discount),
    )


class InvoiceFactory(DocumentFactory):
    endpoint = "invoices"
    party_null_share = 0.03
    memos = _SALES_MEMOS
    categories = APPROVAL_COLUMN
    category_weights = APPROVAL_COLUMN_WEIGHTS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        name = self.party_name(row, head.party_id)
        mode = price_mode(draw)
        lines = [
            _invoice_line(row, draw, company, mode, k, line_id(row.rid, k))
            for k in range(1, line_count(draw, 6) + 1)
        ]
        amount = total(lines)
        paid = settle(draw, amount, status)
        term_id, term_name, days = term(draw)
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(row, draw, row.world.custom_fields_for("invoice")),
            "customer_name": name,
            "attachments": attachments(draw, row.rid),
            "payment": _payment(draw, row.rid),
            "term_id": term_id,
            "term_name": term_name,
            "transaction_ids": transaction_ids(row.rid, status, 1 + (paid > 0)),
            **reconciliation_fields(draw),
        }
        put_actors_and_approval(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "items": lines,
                **company_fields(company),
                "customer_id": head.party_id,
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "amount": money(amount),
                "amount_due": money(amount - paid),
                "paid_total": money(paid),
                "memo": head.memo,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "due_date": due(head.posted, days)
                if term_id is not None or draw.chance(0.5)
                else None,
                **_addresses(draw, name),
                "record_status": status,
                "recurring_record_number": cite_number_sometimes(
                    row, draw, "recurring_invoices", 0.1
                ),
                "reference_number": _reference(draw),
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        edit_lines(
            item,
            draw,
            "items",
            lambda d, pos, lid: _edit_line(d, pos, lid, 10),
            with_ids=True,
            owner=item["internal_id"],
        )
        resettle(item, total(item["items"]), "paid_total", "amount_due")


def _edit_line(draw: Draw, position: int, lid: int | None, rate_scale: int) -> dict[str, Any]:
    """A line added by an edit, in the invoice line's keys: a flat-priced service line,
    untaxed."""
    line: dict[str, Any] = {
        "classifications": [],
        "item_type": "service",
        "tax": None,
        "id": lid,
        "item_id": 1,
        **flat_amounts(draw, 8, (500, 50_000), rate_scale),
        "position": position,
        "memo": draw.pick(("Additional hours", "Rush fee", "Extra seat")),
        "discount_amount": "0.00",
    }
    return reshape(line, _INVOICE_LINE_KEYS)


# --------------------------------------------------------------------------- sales orders

INVOICED_STATUSES = ("invoiced", "uninvoiced", "partially_invoiced")
_SO_LINE_KEYS = (*_LINE_HEAD, "quantity_invoiced", "quantity_due", *AMOUNT_KEYS)


def _so_line(
    p: Priced, draw: Draw, position: int, lid: int | None, invoiced: str
) -> dict[str, Any]:
    done = fulfilment(draw, p.quantity, invoiced, INVOICED_STATUSES, "quantity_invoiced")
    return reshape(_sales_line(p, draw, position, lid), _SO_LINE_KEYS, **done)


class SalesOrderFactory(DocumentFactory):
    endpoint = "sales_orders"
    memos = _SALES_MEMOS
    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {**APPROVAL_COLUMN, "invoiced_status": INVOICED_STATUSES}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {**APPROVAL_COLUMN_WEIGHTS, "invoiced_status": (0.5, 0.3, 0.2)}
    )

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        invoiced = row.categories["invoiced_status"]
        name = self.party_name(row, head.party_id)
        mode = price_mode(draw)
        lines = [
            _so_line(price(row, draw, company, mode), draw, k, line_id(row.rid, k), invoiced)
            for k in range(1, line_count(draw) + 1)
        ]
        amount, done = total(lines), fulfilled_total(lines, "quantity_invoiced")
        term_id, term_name, _ = term(draw)
        item: dict[str, Any] = {
            **top_times(row, draw),
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("sales_order")
            ),
            "invoiced_status": invoiced,
            "attachments": attachments(draw, row.rid),
            "term_id": term_id,
            "term_name": term_name,
        }
        put_actors_and_approval(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "items": lines,
                **company_fields(company),
                **self.party_fields(row, head),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "amount": money(amount),
                "invoiced_total": money(done),
                "due_total": money(amount - done),
                "memo": head.memo,
                "date": iso(head.posted),
                **_addresses(draw, name),
                "record_status": status,
                "recurring_record_number": None,
                "reference_number": _reference(draw),
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            base = _edit_line(d, position, lid, 6)
            return reshape(
                base, _SO_LINE_KEYS, quantity_invoiced="0.000000", quantity_due=base["quantity"]
            )

        edit_lines(item, draw, "items", new_line, with_ids=True, owner=item["internal_id"])
        retotal_order(item, "quantity_invoiced", "invoiced_total")


# --------------------------------------------------------------------------- customer credits

_CREDIT_LINE_KEYS = (*(key for key in _LINE_HEAD if key != "id"), *AMOUNT_KEYS)


def remote_records(draw: Draw, rid: int, style: str, when: int | None) -> list[dict[str, Any]]:
    """IntegrationRemoteRecordSchemaOut: a record synced from Stripe or HubSpot, now and then."""
    if not draw.chance(0.15):
        return []
    kind = draw.pick(("stripe", "hubspot"))
    provider = None
    if draw.chance(0.8):
        provider = {
            "id": 7 if kind == "stripe" else 9,
            "name": kind.title(),
            "integration_type": kind,
            "logo_url": f"https://logos.example.com/{kind}.svg" if draw.chance(0.7) else None,
            "website": f"https://{kind}.com",
            "description": None,
            "category": draw.pick(("payments", "crm", None)),
        }
    return [
        {
            "transactional_date": render(when, style, draw.bits()) if when is not None else None,
            "external_source": {
                "integration_type": kind,
                "external_integration_url": f"https://dashboard.{kind}.com/cn_{rid:08x}"
                if draw.chance(0.6)
                else None,
            }
            if draw.chance(0.8)
            else None,
            "id": rid * 7,
            "source_id": f"cn_{draw.bits():08x}{draw.bits():08x}",
            "connection_id": draw.pick((None, 3, 4)),
            "integration_id": draw.pick((None, 12)),
            "integration_provider": provider,
            "url": None,
        }
    ]


class CustomerCreditFactory(DocumentFactory):
    endpoint = "customer_credits"
    party_null_share = 0.03
    memos = ("Returned goods", "Pricing adjustment", "Goodwill credit", "Gutschrift", "")

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        name = self.party_name(row, head.party_id)
        mode = price_mode(draw)
        count = line_count(draw, 3)
        lines = [self._line(row, draw, company, mode, k) for k in range(1, count + 1)]
        amount = total(lines)
        used = settle(draw, amount, status)
        source = draw.weighted(("invoice", "cash_sale", None), (6, 1, 3))
        item: dict[str, Any] = {
            "customer_id": head.party_id,
            "customer_name": name,
            "transaction_ids": transaction_ids(row.rid, status),
            "attachments": attachments(draw, row.rid, 1),
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("customer_credit")
            ),
            "integration_remote_records": remote_records(draw, row.rid, row.style, row.created_ts),
        }
        put_actors(item, row, draw)
        addresses = _addresses(draw, name)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "invoice_number": cite_number(row, draw, "invoices")
                if source == "invoice"
                else None,
                "cash_sale_number": cite_number(row, draw, "cash_sales")
                if source == "cash_sale"
                else None,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                **company_fields(company),
                "bill_to_address": addresses["bill_to_address"],
                "billing_address": addresses["billing_address"],
                "ship_to_address": addresses["ship_to_address"],
                "shipping_address": addresses["shipping_address"],
                "currency_iso_4217_code": None if draw.chance(0.03) else head.currency,
                "exchange_rate": head.exchange_rate,
                "amount": money(amount),
                "used_amount": money(used),
                "remaining_amount": money(amount - used),
                "memo": head.memo,
                "items": lines,
                "record_status": status,
                "contract_id": row.world.refs.pick("contracts", draw) if draw.chance(0.1) else None,
                "contracted": draw.chance(0.1),
            }
        )
        return item

    @staticmethod
    def _line(
        row: RowContext, draw: Draw, company: Company, mode: str, position: int
    ) -> dict[str, Any]:
        p = price(row, draw, company, mode, negative_share=0.1)
        return reshape(_sales_line(p, draw, position, None), _CREDIT_LINE_KEYS)

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            return reshape(_edit_line(d, position, None, 6), _CREDIT_LINE_KEYS)

        edit_lines(item, draw, "items", new_line, with_ids=False, owner=item["internal_id"])
        resettle(item, total(item["items"]), "used_amount", "remaining_amount")


# --------------------------------------------------------------------------- cash sales

_CASH_LINE_KEYS = (*_LINE_HEAD, "bank_or_undeposited_account_amount", *AMOUNT_KEYS)


class CashSaleFactory(DocumentFactory):
    endpoint = "cash_sales"
    memos = ("Counter sale", "Pop-up store", "Café Müller — Kasse 2", "Event tickets", "")

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        name = self.party_name(row, head.party_id)
        mode = price_mode(draw)
        lines = []
        for k in range(1, line_count(draw, 4) + 1):
            p = price(row, draw, company, mode)
            line = _sales_line(p, draw, k, line_id(row.rid, k))
            lines.append(
                reshape(line, _CASH_LINE_KEYS, bank_or_undeposited_account_amount=money(p.gross))
            )
        amount = total(lines)
        undeposited = draw.chance(0.35)
        item = payment_preamble(row, draw, "cash_sale")
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "items": lines,
                **company_fields(company),
                **self.party_fields(row, head),
                "account_number": None if undeposited else bank_for(head.currency),
                "amount": money(amount),
                "memo": head.memo,
                **_addresses(draw, name),
                "check_number": draw.pick(("", "", str(draw.between(1000, 9999)))),
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "undeposited_funds_currency": head.currency if undeposited else None,
                "bank_or_undeposited_account_amount": money(amount),
                "payment_method_id": payment_method(draw),
                "record_status": status,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            base = _edit_line(d, position, lid, 6)
            return reshape(base, _CASH_LINE_KEYS, bank_or_undeposited_account_amount=base["amount"])

        edit_lines(item, draw, "items", new_line, with_ids=True, owner=item["internal_id"])
        retotal(item, "bank_or_undeposited_account_amount")
