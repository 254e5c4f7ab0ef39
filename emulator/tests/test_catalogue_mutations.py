"""Mutations on every endpoint are visible over HTTP: edit (visible change, actor and
top-level updated time bumped, hidden key moved), insert, hard delete, archive; document
edits add and remove lines without reusing line ids and keep totals consistent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dualentry_emulator import CATALOGUE, Emulator

from .catalogue_support import NAMES, SMALL, everything, fetch, pk_of, url


@pytest.fixture(scope="module")
def emu(client):
    """One emulator for the module: each test mutates only its own endpoint's table, and
    other tables cite rows as generated, so tests cannot disturb each other."""
    with Emulator(client.key, seed=4, rows=SMALL) as emulator:
        yield emulator


@pytest.mark.parametrize("name", NAMES)
def test_edit_insert_delete_archive_over_http(emu, client, name):
    spec, table = CATALOGUE[name], emu.table(name)
    listing = everything(spec)

    def served() -> tuple[dict[object, dict], int]:
        items, counts = fetch(client, emu, name, listing)
        assert len(counts) == 1
        return {pk_of(spec, item): item for item in items}, counts.pop()

    rows, count = served()
    keys = list(rows)
    target = keys[len(keys) // 2]
    old, old_key = table.row(target), table.hidden_key(target)
    table.edit(target)
    new = table.row(target)
    assert new != old and table.hidden_key(target) > old_key
    if spec.updated_actor is not None:
        actor = new[spec.updated_actor]
        assert actor["actor_type"] == "user" and actor["timestamp"]
    if spec.updated_at_field is not None:
        assert new[spec.updated_at_field] != old[spec.updated_at_field]
    rows, after = served()
    assert rows[target] == new and after == count
    if spec.ordering_param and "updated_at" in spec.orderings:
        reply = client.request(
            url(emu, name), [*listing, ("ordering", "-updated_at"), ("limit", 1)]
        )
        assert pk_of(spec, reply.json()["items"][0]) == target

    [inserted] = table.insert(1)
    rows, after = served()
    assert inserted in rows and after == count + 1

    gone = keys[0]
    table.delete(gone)
    rows, after = served()
    assert gone not in rows and after == count

    if spec.record_statuses is not None and "archived" in spec.record_statuses:
        victim = next(k for k in keys[1:] if k != target and table.record_status(k) != "archived")
        table.archive(victim)
        assert table.record_status(victim) == "archived"
        if spec.status_field is not None:
            assert table.row(victim)[spec.status_field] == "archived"
        if spec.record_status_param:
            default, _ = fetch(client, emu, name, [p for p in listing if p[0] != "record_status"])
            assert victim not in {pk_of(spec, item) for item in default}
            archived, _ = fetch(client, emu, name, [("record_status", "archived")])
            assert victim in {pk_of(spec, item) for item in archived}


LINE_DOCUMENTS = [
    ("invoices", "items"),
    ("sales_orders", "items"),
    ("bills", "expenses"),
    ("journal_entries", "items"),
    ("purchase_orders", "items"),
    ("customer_credits", "items"),
    ("cash_sales", "items"),
    ("customer_payments", "items"),
    ("vendor_payments", "items"),
    ("vendor_credits", "expenses"),
    ("direct_expenses", "items"),
    ("customer_deposits", "items"),
]


def _total(item: dict, key: str) -> Decimal:
    return sum((Decimal(line["amount"]) for line in item[key]), Decimal(0))


@pytest.mark.parametrize(("name", "key"), LINE_DOCUMENTS)
def test_document_edits_add_and_remove_lines(emu, name, key):
    table = CATALOGUE[name]
    t = emu.table(name)
    added = removed = 0
    for pk in t.ids()[-12:]:
        seen: set[int] = set()
        for _ in range(8):
            before = t.row(pk)[key]
            seen |= {line["id"] for line in before if "id" in line}
            t.edit(pk)
            item = t.row(pk)
            lines = item[key]
            added += len(lines) > len(before)
            removed += len(lines) < len(before)
            ids = [line["id"] for line in lines if "id" in line]
            assert len(ids) == len(set(ids))
            fresh = set(ids) - {line["id"] for line in before if "id" in line}
            assert not fresh & seen, "a removed line id came back"
            if name == "journal_entries":
                debit = sum(Decimal(line["debit"]) for line in lines)
                assert (
                    debit
                    == sum(Decimal(line["credit"]) for line in lines)
                    == Decimal(item["amount"])
                )
            elif name != "customer_deposits":  # deposit lines carry no amount
                total = _total(item, key)
                if name in ("bills", "vendor_credits"):
                    total += _total(item, "items")
                if name == "customer_payments":
                    total += Decimal(item["unassigned_amount"])
                assert total == Decimal(item["amount"])
    assert added and removed, (table.name, added, removed)
