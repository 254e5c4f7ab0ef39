"""limit/offset, the silent cap, count, and their switches."""

from __future__ import annotations

import json

import pytest

from dualentry_emulator import Behaviour


def test_default_page_is_100_rows_with_the_true_count(shared_emulator, client):
    table = shared_emulator.table("customers")
    body = client.page(shared_emulator, client.all_statuses)
    assert len(body["items"]) == 100
    assert body["count"] == len(table) == 400
    assert set(body) == {"items", "count"}


def test_limits_above_the_cap_are_silently_capped(shared_emulator, client):
    body = client.page(shared_emulator, {"limit": 1000})
    assert len(body["items"]) == 100


def test_page_cap_switch_caps_lower(make_emulator, client):
    emu = make_emulator(behaviour=Behaviour(page_cap=7))
    assert len(client.page(emu, {"limit": 100})["items"]) == 7
    assert len(client.page(emu, {"limit": 5})["items"]) == 5
    everything = client.fetch_all(emu, client.all_statuses, limit=100)
    assert len(everything) == len(emu.table("customers"))


def test_offset_walks_the_list_and_runs_out(shared_emulator, client):
    first = client.page(shared_emulator, {"limit": 10})["items"]
    second = client.page(shared_emulator, {"limit": 5, "offset": 5})["items"]
    assert second == first[5:10]
    count = client.page(shared_emulator)["count"]
    assert client.page(shared_emulator, {"offset": count})["items"] == []
    assert client.page(shared_emulator, {"offset": count + 1000})["count"] == count


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "0"),
        ("limit", "-1"),
        ("limit", "ten"),
        ("limit", "1.5"),
        ("offset", "-1"),
        ("offset", "x"),
    ],
)
def test_bad_paging_values_are_400_keyed_by_the_parameter(shared_emulator, client, param, value):
    reply = client.customers(shared_emulator, {param: value})
    assert reply.status == 400
    body = reply.json()
    assert body["success"] is False
    assert list(body["errors"]) == [param]
    assert all(isinstance(m, str) for m in body["errors"][param])


@pytest.mark.parametrize("skew", [-3, 5])
def test_count_skew_reports_an_inexact_count(make_emulator, client, skew):
    emu = make_emulator(behaviour=Behaviour(count_skew=skew))
    body = client.page(emu, client.all_statuses)
    assert body["count"] == len(emu.table("customers")) + skew
    assert len(client.fetch_all(emu, client.all_statuses)) == len(emu.table("customers"))


def test_count_skew_is_floored_at_zero(make_emulator, client):
    emu = make_emulator(rows={"customers": 10}, behaviour=Behaviour(count_skew=-50))
    assert client.page(emu)["count"] == 0


@pytest.mark.parametrize("prerendered", [False, True])
def test_pages_are_the_json_of_their_items_before_and_after_rows_change(
    make_emulator, client, prerendered
):
    emu = make_emulator(seed=3, rows={"customers": 150, "invoices": 120})
    if prerendered:
        emu.prerender()
    for name in ("customers", "invoices"):
        table = emu.table(name)
        url = emu.url_for(name, "v2")
        params = [*client.all_statuses, ("ordering", "id"), ("limit", 100), ("offset", 10)]
        before = client.request(url, params).body
        ids = table.ids()
        table.edit(ids[12])
        table.touch(ids[13])
        table.delete(ids[14])
        table.archive(ids[15])
        after = client.request(url, params)
        items = [table.row(pk) for pk in table.ids()[10:110]]
        expected = json.dumps({"items": items, "count": len(table)}, ensure_ascii=False)
        assert after.body == expected.encode("utf-8")
        assert after.body != before
