"""Purchase documents: bills, purchase orders, vendor credits, direct expenses.

Bills and vendor credits carry item lines and expense lines (both with ids); `amount` is
the sum of both. Documents of VAT companies carry registration numbers and a VAT tax
context, US companies a sales-tax one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..draw import Draw
from ..spec import RowContext
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
    total,
    transaction_ids,
)
from .payments import payment_method
from .reference import ACCOUNT_ID, CHART, EXPENSE_ACCOUNTS
from .values import (
    attachments,
    bank_for,
    classifications,
    iso,
    money,
    term,
)

_PURCHASE_MEMOS = (
    "Office supplies",
    "AWS — monthly",
    "Büromaterial",
    "Freight from Rotterdam",
    "コピー機リース",
    "Contractor invoice",
    "",
)
_EXPENSES = (
    "Cloud hosting",
    "Courier",
    "Team offsite 🏔",
    "Legal review",
    "Reisekosten",
    "Printer toner",
)
_VAT_PREFIX = {"EUR": "DE", "GBP": "GB"}


def tax_context(draw: Draw, company: Company, supply_day: str) -> dict[str, Any]:
    """The tax header of bills, vendor credits and direct expenses (all keys present)."""
    prefix = _VAT_PREFIX.get(company.currency)
    ours = f"{prefix}{draw.between(100_000_000, 999_999_999)}" if prefix else None
    theirs = f"{draw.pick(('DE', 'FR', 'NL', 'GB'))}{draw.between(10**8, 10**9 - 1)}"
    theirs_or_none = theirs if prefix and draw.chance(0.7) else None
    gst = f"{draw.between(100_000_000, 999_999_999)}RT0001" if draw.chance(0.05) else None
    supply = supply_day if prefix and draw.chance(0.6) else None
    numbers = None
    if prefix and draw.chance(0.5):
        numbers = {
            "company": [{"type": "VAT", "number": ours, "region": None}],
            "counterparty": [{"type": "VAT", "number": theirs, "region": None}]
            if theirs_or_none
            else [],
        }
    if draw.chance(0.1):
        context = None
    elif prefix:
        context = {
            "regime": "VAT",
            "data": {
                "country": prefix,
                "company_vat_number": ours,
                "counterparty_vat_number": theirs_or_none,
                "supply_date": supply,
                "tax_registration_numbers": numbers,
            },
        }
    else:
        context = {"regime": "SALES_TAX" if company.currency == "USD" else "NONE", "data": {}}
    return {
        "company_vat_number": ours,
        "counterparty_vat_number": theirs_or_none,
        "company_gst_number": None,
        "counterparty_gst_number": gst,
        "company_pst_number": None,
        "counterparty_pst_number": None,
        "supply_date": supply,
        "place_of_supply": prefix if supply and draw.chance(0.5) else None,
        "tax_registration_numbers": numbers,
        "tax": context,
    }


def _asset_refs(row: RowContext, draw: Draw, share: float) -> tuple[list[Any], list[Any]]:
    """(amortizable_assets, fixed_assets) references of a purchase line."""
    fixed_assets = []
    if draw.chance(share):
        asset = row.world.refs.pick("fixed_assets", draw)
        name = row.world.refs.field("fixed_assets", asset, "name")
        fixed_assets.append({"id": asset, "name": name if isinstance(name, str) else "Asset"})
    amortizable = []
    if draw.chance(share / 2):
        amortizable.append({"id": draw.between(1, 40), "name": "Prepaid software licence"})
    return amortizable, fixed_assets


def _counterparty(row: RowContext, draw: Draw, share: float) -> dict[str, Any]:
    """customer_id/vendor_id (+ names) of an expense line: rebilled to a customer or not."""
    refs = row.world.refs
    customer = refs.pick("customers", draw) if draw.chance(share) else None
    vendor = refs.pick("vendors", draw) if draw.chance(share / 3) else None
    return {
        "customer_id": customer,
        "vendor_id": vendor,
        "customer_name": refs.field("customers", customer, "name") if customer else None,
        "vendor_name": refs.field("vendors", vendor, "name") if vendor else None,
    }


def _expense_price(row: RowContext, draw: Draw, company: Company, mode: str) -> Priced:
    p = price(row, draw, company, mode)
    p.item_name = draw.pick(_EXPENSES)
    return p


def _item_line(p: Priced, draw: Draw, position: int, lid: int | None) -> dict[str, Any]:
    """The fields every purchase item line schema shares (each `reshape`s it to its keys)."""
    return {
        "tax": p.tax_data,
        "id": lid,
        "position": position,
        "item_id": p.item_id,
        "memo": p.item_name or "",
        "rate": p.rate_text,
        "quantity": p.quantity_text,
        "classifications": classifications(draw, 1),
        "item_type": p.item_type,
        "hsn_sac_code": None,
        **amounts(p),
    }


def _expense_line(
    p: Priced,
    draw: Draw,
    position: int,
    lid: int | None,
    account: int | None,
    party: dict[str, Any],
) -> dict[str, Any]:
    """The fields every expense line schema shares: an expense account (drawn by the caller,
    as each list draws it at its own point) and a `_counterparty`."""
    return {
        "tax": p.tax_data,
        "id": lid,
        "position": position,
        "rate": p.rate_text,
        "quantity": p.quantity_text,
        "account_number": account,
        "account_name": CHART[ACCOUNT_ID[account] - 1].name if account else None,
        "expense_description": p.item_name or "",
        "classifications": classifications(draw, 1),
        **party,
        **amounts(p),
    }


def new_expense_line(keys: Sequence[str]) -> Any:
    """The `edit_lines` maker of an expense line in `keys`: a flat-priced office expense."""

    def make(draw: Draw, position: int, lid: int | None) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": lid,
            "position": position,
            "account_number": 6400,
            "account_name": "Office Supplies",
            "expense_description": draw.pick(("Late freight charge", "Extra licences")),
            "classifications": [],
            "amortizable_assets": [],
            "fixed_assets": [],
            **flat_amounts(draw, 6, (1_000, 80_000)),
        }
        values["bank_or_credit_card_amount"] = values["amount"]
        return reshape(values, keys)

    return make


# --------------------------------------------------------------------------- bills


_BILL_ITEM_KEYS = (
    "tax",
    "id",
    "position",
    "item_id",
    "memo",
    "rate",
    "quantity",
    "classifications",
    "company_id",
    "item_type",
    "hsn_sac_code",
    "amortizable_assets",
    "fixed_assets",
    *AMOUNT_KEYS,
)
_BILL_EXPENSE_KEYS = (
    "tax",
    "id",
    "position",
    "rate",
    "quantity",
    "account_number",
    "expense_description",
    "classifications",
    "customer_id",
    "vendor_id",
    "company_id",
    "amortizable_assets",
    "fixed_assets",
    "customer_name",
    "vendor_name",
    *AMOUNT_KEYS,
)


def _bill_item(
    row: RowContext, draw: Draw, company: Company, mode: str, k: int, lid: int
) -> dict[str, Any]:
    p = price(row, draw, company, mode)
    amortizable, assets = _asset_refs(row, draw, 0.05)
    return reshape(
        _item_line(p, draw, k, lid),
        _BILL_ITEM_KEYS,
        company_id=company.id if draw.chance(0.2) else None,
        amortizable_assets=amortizable,
        fixed_assets=assets,
    )


def _bill_expense(
    row: RowContext, draw: Draw, company: Company, mode: str, k: int, lid: int
) -> dict[str, Any]:
    p = _expense_price(row, draw, company, mode)
    amortizable, assets = _asset_refs(row, draw, 0.03)
    party = _counterparty(row, draw, 0.15)
    account = draw.pick(EXPENSE_ACCOUNTS)
    return reshape(
        _expense_line(p, draw, k, lid, account, party),
        _BILL_EXPENSE_KEYS,
        company_id=company.id if draw.chance(0.2) else None,
        amortizable_assets=amortizable,
        fixed_assets=assets,
    )


class BillFactory(DocumentFactory):
    endpoint = "bills"
    party = "vendors"
    memos = _PURCHASE_MEMOS
    categories = APPROVAL_COLUMN
    category_weights = APPROVAL_COLUMN_WEIGHTS

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        mode = price_mode(draw)
        n_items = draw.weighted((0, 1, 2, 3), (3, 4, 2, 1))
        n_expenses = draw.weighted((0, 1, 2, 3), (2, 4, 2, 1)) if n_items else line_count(draw, 3)
        items = [
            _bill_item(row, draw, company, mode, k, line_id(row.rid, k))
            for k in range(1, n_items + 1)
        ]
        expenses = [
            _bill_expense(row, draw, company, mode, k, line_id(row.rid, 50 + k))
            for k in range(1, n_expenses + 1)
        ]
        amount = total(items) + total(expenses)
        paid = settle(draw, amount, status)
        term_id, term_name, days = term(draw)
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(row, draw, row.world.custom_fields_for("bill")),
            **tax_context(draw, company, iso(head.inception)),
            "attachments": attachments(draw, row.rid),
            "transaction_ids": transaction_ids(row.rid, status, 1 + (paid > 0)),
            "term_id": term_id,
            "term_name": term_name,
            **reconciliation_fields(draw),
        }
        put_actors_and_approval(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "due_date": due(head.posted, days),
                **company_fields(company),
                **self.party_fields(row, head),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "memo": head.memo,
                "amount": money(amount),
                "amount_due": money(amount - paid),
                "paid_total": money(paid),
                "items": items,
                "expenses": expenses,
                "record_status": status,
                "recurring_record_number": cite_number_sometimes(row, draw, "recurring_bills", 0.1),
                "purchase_order_number": cite_number_sometimes(row, draw, "purchase_orders", 0.3),
                "reference_number": draw.pick(
                    ("", f"INV-{draw.between(100, 99999)}", "RE-2024-117")
                ),
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        keys = list(item["expenses"][0]) if item["expenses"] else _BILL_EXPENSE_KEYS
        edit_lines(
            item, draw, "expenses", new_expense_line(keys), with_ids=True, owner=item["internal_id"]
        )
        amount = total(item["items"]) + total(item["expenses"])
        resettle(item, amount, "paid_total", "amount_due")


# --------------------------------------------------------------------------- purchase orders

BILLED_STATUSES = ("billed", "unbilled", "partially_billed")
_PO_LINE_KEYS = (
    "classifications",
    "item_type",
    "hsn_sac_code",
    "tax",
    "id",
    "item_id",
    "position",
    "memo",
    "quantity",
    "rate",
    "quantity_billed",
    "quantity_due",
    *AMOUNT_KEYS,
)


class PurchaseOrderFactory(DocumentFactory):
    endpoint = "purchase_orders"
    party = "vendors"
    memos = _PURCHASE_MEMOS
    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {**APPROVAL_COLUMN, "billed_status": BILLED_STATUSES}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {**APPROVAL_COLUMN_WEIGHTS, "billed_status": (0.45, 0.35, 0.2)}
    )

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        billed = row.categories["billed_status"]
        mode = price_mode(draw)
        lines = []
        for k in range(1, line_count(draw) + 1):
            p = price(row, draw, company, mode)
            done = fulfilment(draw, p.quantity, billed, BILLED_STATUSES, "quantity_billed")
            lines.append(
                reshape(_item_line(p, draw, k, line_id(row.rid, k)), _PO_LINE_KEYS, **done)
            )
        amount, done_total = total(lines), fulfilled_total(lines, "quantity_billed")
        term_id, term_name, _ = term(draw)
        item: dict[str, Any] = {
            "attachments": attachments(draw, row.rid),
            "term_id": term_id,
            "term_name": term_name,
        }
        put_actors_and_approval(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "date": iso(head.posted),
                **company_fields(company),
                **self.party_fields(row, head),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "billed_total": money(done_total),
                "due_total": money(amount - done_total),
                "amount": money(amount),
                "memo": head.memo,
                "items": lines,
                "record_status": status,
                "billed_status": billed,
                "reference_number": draw.pick(("", "", f"REQ-{draw.between(10, 999)}")),
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)

        def new_line(d: Draw, position: int, lid: int | None) -> dict[str, Any]:
            flat = flat_amounts(d, 6, (1_000, 80_000))
            return reshape(
                {
                    "classifications": [],
                    "item_type": "service",
                    "id": lid,
                    "item_id": 1,
                    "position": position,
                    "memo": "Added on revision",
                    **flat,
                },
                _PO_LINE_KEYS,
                quantity_billed="0.000000",
                quantity_due=flat["quantity"],
            )

        edit_lines(item, draw, "items", new_line, with_ids=True, owner=item["internal_id"])
        retotal_order(item, "quantity_billed", "billed_total")


# --------------------------------------------------------------------------- vendor credits


class VendorCreditFactory(DocumentFactory):
    endpoint = "vendor_credits"
    party = "vendors"
    memos = ("Credit note — damaged goods", "Rebate Q3", "Gutschrift Nr. 88", "")

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        mode = price_mode(draw)
        items = []
        for k in range(1, draw.weighted((0, 1, 2), (3, 5, 2)) + 1):
            p = price(row, draw, company, mode, negative_share=0.05)
            unknown_item = draw.chance(0.05)
            items.append(
                reshape(
                    _item_line(p, draw, k, line_id(row.rid, k)),
                    _VC_ITEM_KEYS,
                    item_id=None if unknown_item else p.item_id,
                    item_name=None if unknown_item else p.item_name,
                )
            )
        expenses = []
        for k in range(1, (draw.weighted((0, 1, 2), (4, 4, 2)) if items else 1) + 1):
            p = _expense_price(row, draw, company, mode)
            account = draw.pick(EXPENSE_ACCOUNTS) if draw.chance(0.95) else None
            party = _counterparty(row, draw, 0.1)
            line = _expense_line(p, draw, k, line_id(row.rid, 50 + k), account, party)
            expenses.append(reshape(line, _VC_EXPENSE_KEYS))
        amount = total(items) + total(expenses)
        used = settle(draw, amount, status)
        source = draw.weighted(("bill", "direct_expense", None), (5, 1, 4))
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("vendor_credit")
            ),
            "attachments": attachments(draw, row.rid, 1),
            **tax_context(draw, company, iso(head.inception)),
            "classifications": classifications(draw),
            "transaction_ids": transaction_ids(row.rid, status),
        }
        put_actors(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "bill_number": cite_number(row, draw, "bills") if source == "bill" else None,
                "direct_expense_number": cite_number(row, draw, "direct_expenses")
                if source == "direct_expense"
                else None,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                **company_fields(company),
                **self.party_fields(row, head),
                "currency_iso_4217_code": None if draw.chance(0.03) else head.currency,
                "exchange_rate": head.exchange_rate,
                "memo": head.memo,
                "items": items,
                "expenses": expenses,
                "amount": money(amount),
                "used_amount": money(used),
                "remaining_amount": money(amount - used),
                "record_status": status,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        edit_lines(
            item,
            draw,
            "expenses",
            new_expense_line(_VC_EXPENSE_KEYS),
            with_ids=True,
            owner=item["internal_id"],
        )
        amount = total(item["items"]) + total(item["expenses"])
        resettle(item, amount, "used_amount", "remaining_amount")


_VC_ITEM_KEYS = (
    "tax",
    "id",
    "position",
    "item_id",
    "rate",
    "quantity",
    "memo",
    "classifications",
    "item_type",
    "hsn_sac_code",
    "item_name",
    *AMOUNT_KEYS,
)
_VC_EXPENSE_KEYS = (
    "tax",
    "id",
    "account_number",
    "quantity",
    "rate",
    "position",
    "expense_description",
    "customer_id",
    "vendor_id",
    "classifications",
    "account_name",
    "customer_name",
    "vendor_name",
    *AMOUNT_KEYS,
)


# --------------------------------------------------------------------------- direct expenses

_EXPENSE_ITEM_KEYS = (
    "tax",
    "id",
    "position",
    "account_number",
    "expense_description",
    "rate",
    "quantity",
    "classifications",
    "customer_id",
    "vendor_id",
    "amortizable_assets",
    "fixed_assets",
    "bank_or_credit_card_amount",
    "customer_name",
    "vendor_name",
    *AMOUNT_KEYS,
)


class DirectExpenseFactory(DocumentFactory):
    endpoint = "direct_expenses"
    party = "vendors"
    memos = ("Card spend", "Uber — client visit", "Conference tickets", "Taxi 🚕", "")

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        mode = price_mode(draw)
        lines = []
        for k in range(1, line_count(draw, 4) + 1):
            p = _expense_price(row, draw, company, mode)
            amortizable, assets = _asset_refs(row, draw, 0.04)
            party = _counterparty(row, draw, 0.1)
            account = draw.pick(EXPENSE_ACCOUNTS) if draw.chance(0.97) else None
            lines.append(
                reshape(
                    _expense_line(p, draw, k, line_id(row.rid, k), account, party),
                    _EXPENSE_ITEM_KEYS,
                    amortizable_assets=amortizable,
                    fixed_assets=assets,
                    bank_or_credit_card_amount=money(p.gross),
                )
            )
        amount = money(total(lines))
        card = draw.chance(0.4)
        item: dict[str, Any] = {
            "custom_fields": custom_field_values(
                row, draw, row.world.custom_fields_for("direct_expense")
            ),
            "attachments": attachments(draw, row.rid),
            **tax_context(draw, company, iso(head.inception)),
            "classifications": classifications(draw),
            "transaction_ids": transaction_ids(row.rid, status),
            **reconciliation_fields(draw),
        }
        put_actors(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "items": lines,
                **company_fields(company),
                **self.party_fields(row, head),
                "account_number": None if draw.chance(0.03) else bank_for(head.currency, card),
                "amount": amount,
                "memo": head.memo,
                "check_number": "" if card else draw.pick(("", str(draw.between(1000, 9999)))),
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "bank_or_credit_card_amount": amount,
                "payment_method_id": payment_method(draw),
                "record_status": status,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        edit_lines(
            item,
            draw,
            "items",
            new_expense_line(_EXPENSE_ITEM_KEYS),
            with_ids=True,
            owner=item["internal_id"],
        )
        retotal(item, "bank_or_credit_card_amount")
