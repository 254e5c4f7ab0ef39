"""Values as the API types them: decimal strings with their documented digits (16-digit
exchange rates intact on the wire), the one JSON-number amount, dates vs date-times per
field, paper checks' date-only created_at, unique composite keys, cross-table references,
and the lists that hide rows by default (inactive items, expired bank feed rows)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from dualentry_emulator import CATALOGUE, Emulator
from dualentry_emulator.factories.reference import CHART

from .catalogue_support import NAMES, SMALL, everything, fetch, pk_of, url

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL = re.compile(r"^-?\d+\.(\d+)$")

DATE_FIELDS = {
    "date",
    "transaction_date",
    "due_date",
    "start_date",
    "end_date",
    "purchase_date",
    "valid_from",
    "valid_to",
    "supply_date",
    "billing_start_date",
    "recognition_start_date",
    "renewed_end_date",
    "next_renewal_date",
    "effective_date",
    "termination_date",
    "depreciation_start_date",
    "accumulated_through",
    "next_invoice_date",
    "cutover_date",
}
DATETIME_FIELDS = {
    "created_at",
    "updated_at",
    "timestamp",
    "next_occurrence",
    "last_generated",
    "posted_at",
    "transactional_date",
}
DIGITS = {  # fractional digits by field name (lines included)
    "exchange_rate": 16,
    "quantity": 6,
    "quantity_invoiced": 6,
    "quantity_due": 6,
    "quantity_billed": 6,
}
TWO_DIGIT_SUFFIXES = ("amount", "_total", "debit", "credit", "cost", "paid", "invoiced")


@pytest.fixture(scope="module")
def emu(client):
    with Emulator(client.key, seed=44, rows=SMALL) as emulator:
        yield emulator


def _walk(value: Any, key: str = "", parent: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k, key)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key, parent)
    else:
        yield key, parent, value


def _expected_digits(name: str, key: str, parent: str) -> int | None:
    if key in DIGITS:
        return DIGITS[key]
    if key == "rate":
        if parent in ("tax", "components", "tax_components") or name in (
            "vat_rates",
            "gst_tax_rates",
        ):
            return 6
        return 10 if name == "invoices" else 6
    if key.endswith(TWO_DIGIT_SUFFIXES) and not key.endswith("_count"):
        return 2
    return None


@pytest.mark.parametrize("name", NAMES)
def test_decimals_dates_and_datetimes_per_field(emu, client, name):
    reply = client.request(url(emu, name), [*everything(CATALOGUE[name]), ("limit", 100)])
    body = json.loads(reply.body, parse_float=Decimal)
    for item in body["items"]:
        for key, parent, value in _walk(item):
            if name == "paper_checks" and key == "created_at":
                assert DATE.match(value), value  # documented as date-time, served as a date
            elif key in DATETIME_FIELDS and value is not None and parent != "value":
                parsed = datetime.fromisoformat(value)
                assert parsed.utcoffset() is not None, (name, key, value)
            elif key in DATE_FIELDS and value is not None and name != "bank_transactions":
                assert DATE.match(value), (name, key, value)
            if isinstance(value, Decimal):
                assert (name, parent, key) == (
                    "customer_payments",
                    "customer_deposits",
                    "amount",
                ) or (name == "customer_prepayments" and parent == "customer_deposits"), (name, key)
                continue
            digits = _expected_digits(name, key, parent)
            if digits is not None and isinstance(value, str) and DECIMAL.match(value):
                assert len(DECIMAL.match(value).group(1)) == digits, (name, parent, key, value)
    if name == "bank_transactions":
        assert all(datetime.fromisoformat(i["date"]).utcoffset() is not None for i in body["items"])


def test_sixteen_digit_exchange_rates_reach_the_wire_intact(emu, client):
    reply = client.request(
        url(emu, "invoices"), {"limit": 100, "record_status": ["draft", "posted"]}
    )
    rates = re.findall(rb'"exchange_rate": "(\d+\.\d+)"', reply.body)
    foreign = [r for r in rates if r != b"1.0000000000000000"]
    assert foreign and all(len(r.split(b".")[1]) == 16 and not r.endswith(b"0") for r in foreign)
    parsed = {i["exchange_rate"].encode() for i in reply.json()["items"]}
    assert set(foreign) <= parsed  # json.loads keeps them as the same strings


def test_amounts_include_zero_negative_and_ten_digit_values(client):
    with Emulator(client.key, seed=44) as emu:  # default sizes: enough rows for the rare cases
        seen = {"zero": False, "negative": False, "large": False}
        for name in ("invoices", "customer_payments", "bank_transactions"):
            items, _ = fetch(client, emu, name, everything(CATALOGUE[name]))
            for item in items:
                for key, _, value in _walk(item):
                    if key == "amount" and isinstance(value, str):
                        number = Decimal(value)
                        seen["zero"] |= number == 0
                        seen["negative"] |= number < 0
                        seen["large"] |= len(value.lstrip("-").split(".")[0]) >= 10
        assert all(seen.values()), seen


def test_customer_deposits_amount_is_a_json_number_with_a_fraction(emu, client):
    items, _ = fetch(client, emu, "customer_payments", everything(CATALOGUE["customer_payments"]))
    deposits = [d for item in items for d in item["customer_deposits"]]
    assert deposits and all(isinstance(d["amount"], float) for d in deposits)
    raw = client.request(url(emu, "customer_payments"), {"limit": 100}).body
    assert re.search(rb'"amount": \d+\.\d{1,2}[,}]', raw)


def test_paper_checks_created_at_is_a_date_and_statuses_are_print_states(emu, client):
    items, _ = fetch(client, emu, "paper_checks", everything(CATALOGUE["paper_checks"]))
    assert all(DATE.match(i["created_at"]) for i in items)
    assert {i["record_status"] for i in items} == {"not_printed", "printed", "archived"}
    default, _ = fetch(client, emu, "paper_checks")
    assert {i["record_status"] for i in default} == {"not_printed", "printed"}
    days = [i["created_at"] for i in default]
    assert days == sorted(days, reverse=True)  # -created_at


@pytest.mark.parametrize("name", ["inbox_transactions", "inbox_records"])
def test_composite_keys_are_unique_and_record_ids_repeat_across_types(emu, client, name):
    spec = CATALOGUE[name]
    emu.table(name).insert(3)
    items, _ = fetch(client, emu, name)
    keys = [pk_of(spec, item) for item in items]
    assert len(keys) == len(set(keys)) and all(isinstance(k, tuple) for k in keys)
    ids = [k[1] for k in keys]
    assert len(set(ids)) < len(ids)  # the same record id under different types


def test_references_point_at_served_rows(emu, client):
    def ids(name: str) -> set[Any]:
        return set(emu.table(name).ids())

    customers, vendors, companies = ids("customers"), ids("vendors"), ids("companies")
    numbers = {a.number for a in CHART}
    for name in ("invoices", "sales_orders", "customer_payments", "cash_sales"):
        for item in emu.table(name).rows():
            assert item["customer_id"] is None or item["customer_id"] in customers
            assert item["company_id"] in companies
    for name in ("bills", "purchase_orders", "direct_expenses", "vendor_credits"):
        for item in emu.table(name).rows():
            assert item["vendor_id"] in vendors and item["company_id"] in companies
    for item in emu.table("journal_entries").rows():
        assert {line["account_number"] for line in item["items"]} <= numbers
    items = ids("items")
    for item in emu.table("invoices").rows():
        assert {line["item_id"] for line in item["items"]} <= items


def test_inactive_items_are_hidden_unless_show_inactive(emu, client):
    everything_, _ = fetch(client, emu, "items", [("show_inactive", "true")])
    default, counts = fetch(client, emu, "items")
    inactive = {i["id"] for i in everything_ if not i["is_active"]}
    assert inactive and counts == {len(default)}
    assert {i["id"] for i in default} == {i["id"] for i in everything_} - inactive
    assert fetch(client, emu, "items", [("is_active", "false")])[0] == []
    shown, _ = fetch(client, emu, "items", [("is_active", "false"), ("show_inactive", "true")])
    assert {i["id"] for i in shown} == inactive


def test_expired_bank_rows_are_hidden_unless_include_expired(emu, client):
    everything_, _ = fetch(client, emu, "bank_transactions", [("include_expired", "true")])
    default, _ = fetch(client, emu, "bank_transactions")
    expired = {i["id"] for i in everything_ if i["is_expired"]}
    assert expired and {i["id"] for i in default} == {i["id"] for i in everything_} - expired
    assert not any(i["is_expired"] for i in default)
    dates = [datetime.fromisoformat(i["date"]) for i in everything_]
    assert dates == sorted(dates, reverse=True)  # newest first
