"""Customers list filters: hidden columns, visible fields, repetition, record status."""

from __future__ import annotations

import pytest

from dualentry_emulator import Behaviour


def _ids(items):
    return {item["id"] for item in items}


def test_repeated_id_parameters_select_any_of_them(shared_emulator, client):
    ids = shared_emulator.table("customers").ids()[:3]
    params = [*client.all_statuses, *(("id", i) for i in ids)]
    assert _ids(client.fetch_all(shared_emulator, params)) == set(ids)
    assert client.page(shared_emulator, [*client.all_statuses, ("id", 10**9)])["items"] == []


def test_company_id_filters_on_a_hidden_column(shared_emulator, client):
    table = shared_emulator.table("customers")
    companies = {table.company_id(i) for i in table.ids()}
    assert 2 <= len(companies) <= 4
    for company in companies:
        got = client.fetch_all(shared_emulator, [*client.all_statuses, ("company_id", company)])
        assert _ids(got) == {i for i in table.ids() if table.company_id(i) == company}
        assert all("company_id" not in item for item in got)  # not on the list item
    a, b = sorted(companies)[:2]
    both = client.fetch_all(
        shared_emulator, [*client.all_statuses, ("company_id", a), ("company_id", b)]
    )
    assert _ids(both) == {i for i in table.ids() if table.company_id(i) in (a, b)}


def test_bad_integer_filters_are_400(shared_emulator, client):
    for param in ("id", "company_id"):
        reply = client.customers(shared_emulator, {param: "abc"})
        assert reply.status == 400
        assert list(reply.json()["errors"]) == [param]


def test_record_status_filter_and_default(shared_emulator, client):
    table = shared_emulator.table("customers")
    by_status = {
        s: {i for i in table.ids() if table.record_status(i) == s}
        for s in ("draft", "posted", "archived")
    }
    assert all(by_status.values())
    for status, ids in by_status.items():
        assert _ids(client.fetch_all(shared_emulator, [("record_status", status)])) == ids
    default = client.fetch_all(shared_emulator)
    assert _ids(default) == by_status["draft"] | by_status["posted"]
    assert all("record_status" not in item for item in default)


def test_invalid_record_status_is_400(shared_emulator, client):
    reply = client.customers(
        shared_emulator, [("record_status", "posted"), ("record_status", "deleted")]
    )
    assert reply.status == 400
    assert list(reply.json()["errors"]) == ["record_status"]


@pytest.mark.parametrize("default", [("posted",), ("draft", "posted", "archived"), ()])
def test_default_record_statuses_switch(make_emulator, client, default):
    emu = make_emulator(behaviour=Behaviour(default_record_statuses=default))
    table = emu.table("customers")
    expected = {i for i in table.ids() if table.record_status(i) in default}
    assert _ids(client.fetch_all(emu)) == expected


def test_categorical_filters(shared_emulator, client):
    rows = {r["id"]: r for r in shared_emulator.table("customers").rows()}
    for param, value in (("customer_type", "company"), ("approval_status", "pending")):
        got = client.fetch_all(shared_emulator, [*client.all_statuses, (param, value)])
        assert got and _ids(got) == {i for i, r in rows.items() if r[param] == value}
    both = client.fetch_all(
        shared_emulator,
        [*client.all_statuses, ("customer_type", "company"), ("customer_type", "individual")],
    )
    assert _ids(both) == {
        i for i, r in rows.items() if r["customer_type"] in ("company", "individual")
    }


def test_text_filters_are_case_insensitive_contains(shared_emulator, client):
    rows = shared_emulator.table("customers").rows()
    sample = next(r for r in rows if r["email"] and r["phone"] and r["full_address"])
    checks = {
        "name": (sample["name"][1:4].upper(), lambda r: r["name"]),
        "email": (sample["email"][:5].upper(), lambda r: r["email"]),
        "phone": (sample["phone"][-4:], lambda r: r["phone"]),
        "state": (
            sample["full_address"]["state"] or sample["full_address"]["city"][:2],
            lambda r: (r["full_address"] or {}).get("state") or "",
        ),
    }
    for param, (needle, getter) in checks.items():
        if param == "state" and not sample["full_address"]["state"]:
            continue
        got = client.fetch_all(shared_emulator, [*client.all_statuses, (param, needle)])
        expected = {r["id"] for r in rows if needle.casefold() in getter(r).casefold()}
        assert got and _ids(got) == expected, param


def test_unique_id_is_case_insensitive_exact(shared_emulator, client):
    rows = shared_emulator.table("customers").rows()
    target = next(r for r in rows if r["unique_id"])
    got = client.fetch_all(
        shared_emulator, [*client.all_statuses, ("unique_id", target["unique_id"].swapcase())]
    )
    assert _ids(got) == {target["id"]}
    assert (
        client.fetch_all(
            shared_emulator, [*client.all_statuses, ("unique_id", target["unique_id"][:-1])]
        )
        == []
    )


def test_search_spans_name_email_and_unique_id(shared_emulator, client):
    rows = shared_emulator.table("customers").rows()
    needle = "cust-00001"
    got = client.fetch_all(shared_emulator, [*client.all_statuses, ("search", needle)])
    expected = {
        r["id"]
        for r in rows
        if any(needle in (r[f] or "").casefold() for f in ("name", "email", "unique_id"))
    }
    assert got and _ids(got) == expected


def test_unknown_and_bracketed_parameters_are_ignored(shared_emulator, client):
    plain = client.page(shared_emulator, {"limit": 20})
    assert client.page(shared_emulator, {"limit": 20, "colour": "red"}) == plain
    assert client.page(shared_emulator, {"limit": 20, "company_id[]": "1"}) == plain
    assert client.page(shared_emulator, {"limit": 20, "name": ""}) == plain
