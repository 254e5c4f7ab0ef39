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
    APPROVAL_STATUSES,
    APPROVAL_WEIGHTS,
    DocumentFactory,
    Priced,
    amounts,
    approval_fields,
    cents,
    company_fields,
    due,
    edit_lines,
    line_count,
    line_id,
    micros,
    number_of,
    price,
    price_mode,
    put_actors,
    revise_memo,
    settle,
    total,
    transaction_ids,
)
from .reference import ACCOUNT_ID, CHART, EXPENSE_ACCOUNTS, PAYMENT_METHOD_IDS
from .values import (
    attachments,
    bank_for,
    bank_match_status,
    classifications,
    div_round,
    fixed,
    iso,
    money,
    reconciliation_status,
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


def _bill_item(
    row: RowContext, draw: Draw, company: Company, mode: str, k: int, lid: int
) -> dict[str, Any]:
    p = price(row, draw, company, mode)
    amortizable, assets = _asset_refs(row, draw, 0.05)
    return {
        "tax": p.tax_data,
        "id": lid,
        "position": k,
        "item_id": p.item_id,
        "memo": p.item_name or "",
        "rate": p.rate_text,
        "quantity": p.quantity_text,
        "classifications": classifications(draw, 1),
        "company_id": company.id if draw.chance(0.2) else None,
        "item_type": p.item_type,
        "hsn_sac_code": None,
        "amortizable_assets": amortizable,
        "fixed_assets": assets,
        **amounts(p),
    }


def _bill_expense(
    row: RowContext, draw: Draw, company: Company, mode: str, k: int, lid: int
) -> dict[str, Any]:
    p = _expense_price(row, draw, company, mode)
    amortizable, assets = _asset_refs(row, draw, 0.03)
    party = _counterparty(row, draw, 0.15)
    return {
        "tax": p.tax_data,
        "id": lid,
        "position": k,
        "rate": p.rate_text,
        "quantity": p.quantity_text,
        "account_number": draw.pick(EXPENSE_ACCOUNTS),
        "expense_description": p.item_name or "",
        "classifications": classifications(draw, 1),
        "customer_id": party["customer_id"],
        "vendor_id": party["vendor_id"],
        "company_id": company.id if draw.chance(0.2) else None,
        "amortizable_assets": amortizable,
        "fixed_assets": assets,
        "customer_name": party["customer_name"],
        "vendor_name": party["vendor_name"],
        **amounts(p),
    }


def flat_amounts(draw: Draw) -> dict[str, Any]:
    """Quantity, rate and amounts of a line added by an edit (untaxed)."""
    quantity = draw.between(1, 6) * 1_000000
    rate = draw.between(1_000, 80_000)
    net = div_round(quantity * rate, 1_000000)
    return {
        "quantity": fixed(quantity, 6),
        "rate": fixed(rate * 10_000, 6),
        "net_amount": money(net),
        "tax_amount": "0.00",
        "gross_amount": money(net),
        "amount": money(net),
    }


def new_expense_line(keys: Sequence[str]) -> Any:
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
            **flat_amounts(draw),
        }
        values["bank_or_credit_card_amount"] = values["amount"]
        return {key: values.get(key) for key in keys}

    return make


# --------------------------------------------------------------------------- bills


class BillFactory(DocumentFactory):
    endpoint = "bills"
    party = "vendors"
    party_field = "vendor_id"
    memos = _PURCHASE_MEMOS
    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {"approval_status": APPROVAL_STATUSES}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"approval_status": APPROVAL_WEIGHTS}
    )

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
            "bank_match_status": bank_match_status(draw),
            "reconciliation_status": reconciliation_status(draw),
        }
        put_actors(item, row, draw)
        item.update(approval_fields(row, row.categories["approval_status"], draw))
        refs = row.world.refs
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "due_date": due(head.posted, days),
                **company_fields(company),
                "vendor_id": head.party_id,
                "vendor_name": self.party_name(row, head.party_id) or "",
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "memo": head.memo,
                "amount": money(amount),
                "amount_due": money(amount - paid),
                "paid_total": money(paid),
                "items": items,
                "expenses": expenses,
                "record_status": status,
                "recurring_record_number": number_of(
                    "recurring_bills", refs.pick("recurring_bills", draw)
                )
                if draw.chance(0.1)
                else None,
                "purchase_order_number": number_of(
                    "purchase_orders", refs.pick("purchase_orders", draw)
                )
                if draw.chance(0.3)
                else None,
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
        paid = min(max(cents(item["paid_total"]), 0), max(amount, 0))
        item.update(amount=money(amount), amount_due=money(amount - paid), paid_total=money(paid))


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
    "net_amount",
    "tax_amount",
    "gross_amount",
    "amount",
)


# --------------------------------------------------------------------------- purchase orders

BILLED_STATUSES = ("billed", "unbilled", "partially_billed")


def _billed_share(lines: list[dict[str, Any]]) -> int:
    out = 0
    for line in lines:
        quantity = micros(line["quantity"])
        if quantity:
            out += div_round(cents(line["amount"]) * micros(line["quantity_billed"]), quantity)
    return out


class PurchaseOrderFactory(DocumentFactory):
    endpoint = "purchase_orders"
    party = "vendors"
    party_field = "vendor_id"
    memos = _PURCHASE_MEMOS
    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {"approval_status": APPROVAL_STATUSES, "billed_status": BILLED_STATUSES}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"approval_status": APPROVAL_WEIGHTS, "billed_status": (0.45, 0.35, 0.2)}
    )

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        company, status = head.company, row.record_status
        billed = row.categories["billed_status"]
        mode = price_mode(draw)
        lines = []
        for k in range(1, line_count(draw) + 1):
            p = price(row, draw, company, mode)
            if billed == "billed":
                done = p.quantity
            elif billed == "unbilled":
                done = 0
            else:
                done = div_round(p.quantity * draw.between(0, 3), 4)
            lines.append(
                {
                    "classifications": classifications(draw, 1),
                    "item_type": p.item_type,
                    "hsn_sac_code": None,
                    "tax": p.tax_data,
                    "id": line_id(row.rid, k),
                    "item_id": p.item_id,
                    "position": k,
                    "memo": p.item_name or "",
                    "quantity": p.quantity_text,
                    "rate": p.rate_text,
                    "quantity_billed": fixed(done, 6),
                    "quantity_due": fixed(p.quantity - done, 6),
                    **amounts(p),
                }
            )
        amount, done_total = total(lines), _billed_share(lines)
        term_id, term_name, _ = term(draw)
        item: dict[str, Any] = {
            "attachments": attachments(draw, row.rid),
            "term_id": term_id,
            "term_name": term_name,
        }
        put_actors(item, row, draw)
        item.update(approval_fields(row, row.categories["approval_status"], draw))
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "date": iso(head.posted),
                **company_fields(company),
                "vendor_id": head.party_id,
                "vendor_name": self.party_name(row, head.party_id) or "",
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
            flat = flat_amounts(d)
            return {
                "classifications": [],
                "item_type": "service",
                "hsn_sac_code": None,
                "tax": None,
                "id": lid,
                "item_id": 1,
                "position": position,
                "memo": "Added on revision",
                "quantity": flat["quantity"],
                "rate": flat["rate"],
                "quantity_billed": "0.000000",
                "quantity_due": flat["quantity"],
                **{k: flat[k] for k in ("net_amount", "tax_amount", "gross_amount", "amount")},
            }

        edit_lines(item, draw, "items", new_line, with_ids=True, owner=item["internal_id"])
        amount, done = total(item["items"]), _billed_share(item["items"])
        item.update(amount=money(amount), billed_total=money(done), due_total=money(amount - done))


# --------------------------------------------------------------------------- vendor credits


class VendorCreditFactory(DocumentFactory):
    endpoint = "vendor_credits"
    party = "vendors"
    party_field = "vendor_id"
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
                {
                    "tax": p.tax_data,
                    "id": line_id(row.rid, k),
                    "position": k,
                    "item_id": None if unknown_item else p.item_id,
                    "rate": p.rate_text,
                    "quantity": p.quantity_text,
                    "memo": p.item_name or "",
                    "classifications": classifications(draw, 1),
                    "item_type": p.item_type,
                    "hsn_sac_code": None,
                    "item_name": None if unknown_item else p.item_name,
                    **amounts(p),
                }
            )
        expenses = []
        for k in range(1, (draw.weighted((0, 1, 2), (4, 4, 2)) if items else 1) + 1):
            p = _expense_price(row, draw, company, mode)
            account = draw.pick(EXPENSE_ACCOUNTS) if draw.chance(0.95) else None
            party = _counterparty(row, draw, 0.1)
            expenses.append(
                {
                    "tax": p.tax_data,
                    "id": line_id(row.rid, 50 + k),
                    "account_number": account,
                    "quantity": p.quantity_text,
                    "rate": p.rate_text,
                    "position": k,
                    "expense_description": p.item_name or "",
                    "customer_id": party["customer_id"],
                    "vendor_id": party["vendor_id"],
                    "classifications": classifications(draw, 1),
                    "account_name": CHART[ACCOUNT_ID[account] - 1].name if account else None,
                    "customer_name": party["customer_name"],
                    "vendor_name": party["vendor_name"],
                    **amounts(p),
                }
            )
        amount = total(items) + total(expenses)
        used = settle(draw, amount, status)
        refs = row.world.refs
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
                "bill_number": number_of("bills", refs.pick("bills", draw))
                if source == "bill"
                else None,
                "direct_expense_number": number_of(
                    "direct_expenses", refs.pick("direct_expenses", draw)
                )
                if source == "direct_expense"
                else None,
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                **company_fields(company),
                "vendor_id": head.party_id,
                "vendor_name": self.party_name(row, head.party_id) or "",
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
        used = min(max(cents(item["used_amount"]), 0), max(amount, 0))
        item.update(
            amount=money(amount), used_amount=money(used), remaining_amount=money(amount - used)
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
    "net_amount",
    "tax_amount",
    "gross_amount",
    "amount",
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
    "net_amount",
    "tax_amount",
    "gross_amount",
    "amount",
)


class DirectExpenseFactory(DocumentFactory):
    endpoint = "direct_expenses"
    party = "vendors"
    party_field = "vendor_id"
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
            lines.append(
                {
                    "tax": p.tax_data,
                    "id": line_id(row.rid, k),
                    "position": k,
                    "account_number": draw.pick(EXPENSE_ACCOUNTS) if draw.chance(0.97) else None,
                    "expense_description": p.item_name or "",
                    "rate": p.rate_text,
                    "quantity": p.quantity_text,
                    "classifications": classifications(draw, 1),
                    "customer_id": party["customer_id"],
                    "vendor_id": party["vendor_id"],
                    "amortizable_assets": amortizable,
                    "fixed_assets": assets,
                    "bank_or_credit_card_amount": money(p.gross),
                    "customer_name": party["customer_name"],
                    "vendor_name": party["vendor_name"],
                    **amounts(p),
                }
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
            "bank_match_status": bank_match_status(draw),
            "reconciliation_status": reconciliation_status(draw),
        }
        put_actors(item, row, draw)
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "items": lines,
                **company_fields(company),
                "vendor_id": head.party_id,
                "vendor_name": self.party_name(row, head.party_id) or "",
                "account_number": None if draw.chance(0.03) else bank_for(head.currency, card),
                "amount": amount,
                "memo": head.memo,
                "check_number": "" if card else draw.pick(("", str(draw.between(1000, 9999)))),
                "date": iso(head.posted),
                "transaction_date": iso(head.inception),
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "bank_or_credit_card_amount": amount,
                "payment_method_id": draw.pick((None, *PAYMENT_METHOD_IDS)),
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
        amount = money(total(item["items"]))
        item.update(amount=amount, bank_or_credit_card_amount=amount)
