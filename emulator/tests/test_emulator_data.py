"""The generated data: shape, nullability, timestamps, ties, determinism, laziness."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from dualentry_emulator import Behaviour, Emulator

ITEM_KEYS = [
    "custom_fields",
    "created_by",
    "updated_by",
    "approval_status",
    "next_approvers",
    "rejected_by",
    "id",
    "full_address",
    "shipping_address",
    "name",
    "unique_id",
    "email",
    "website",
    "customer_type",
    "is_active",
    "phone",
]
ADDRESS_KEYS = {"street", "city", "postal_code", "state", "country", "second_line", "name"}
ACTOR_KEYS = {"actor_type", "email", "first_name", "last_name", "timestamp"}


@pytest.fixture(scope="module")
def rows(shared_emulator):
    return shared_emulator.table("customers").rows()


def _visible_time(item):
    for key in ("updated_by", "created_by"):
        actor = item.get(key)
        if isinstance(actor, dict) and actor.get("timestamp"):
            return datetime.fromisoformat(actor["timestamp"])
    return None


def test_items_have_the_list_schema_keys_in_order(rows):
    for item in rows:
        optional = {"created_by", "updated_by"}
        assert [k for k in ITEM_KEYS if k in item] == list(item)
        assert set(ITEM_KEYS) - set(item) <= optional
        assert isinstance(item["id"], int) and isinstance(item["is_active"], bool)
        for key in ("name", "email", "website", "customer_type", "phone"):
            assert isinstance(item[key], str)
        for key in ("full_address", "shipping_address"):
            assert item[key] is None or set(item[key]) == ADDRESS_KEYS


def test_nullability_and_variety_occur(rows):
    def share(pred):
        return sum(1 for r in rows if pred(r)) / len(rows)

    assert 0 < share(lambda r: r["full_address"] is None) < 0.3
    assert 0 < share(lambda r: r["shipping_address"] is None) < 0.8
    assert 0 < share(lambda r: r["unique_id"] is None) < 0.5
    assert share(lambda r: "updated_by" not in r) > 0
    assert share(lambda r: r.get("updated_by", 0) is None) > 0
    assert (
        share(
            lambda r: isinstance(r.get("updated_by"), dict) and r["updated_by"]["timestamp"] is None
        )
        > 0
    )
    assert {len(r["custom_fields"]) for r in rows} == {0, 1, 2, 3}
    assert share(lambda r: r["next_approvers"] is None) > 0
    assert share(lambda r: r["next_approvers"] == []) > 0
    assert share(lambda r: bool(r["next_approvers"])) > 0
    assert Counter(r["customer_type"] for r in rows).keys() >= {"company", "individual"}
    assert len({r["customer_type"] for r in rows}) > 2  # an unexpected value or two
    assert {r["approval_status"] for r in rows} >= {None, "approved", "pending"}
    assert any(not r["is_active"] for r in rows)
    names = "".join(r["name"] for r in rows)
    assert any(ord(ch) > 0x2E80 for ch in names)  # CJK
    assert any(ord(ch) > 0x1F000 for ch in names)  # emoji
    assert any(ch in names for ch in "éüøñ")


def test_nested_shapes(rows):
    for item in rows:
        for key in ("created_by", "updated_by"):
            if isinstance(item.get(key), dict):
                assert set(item[key]) == ACTOR_KEYS
        for pair in item["custom_fields"]:
            assert set(pair) == {"field", "value"}
            assert {"id", "name", "field_type", "applies_to", "options", "is_active"} <= set(
                pair["field"]
            )
            if pair["value"] is not None:
                assert pair["value"]["custom_field_id"] == pair["field"]["id"]
        for approver in item["next_approvers"] or []:
            assert set(approver) == {
                "id",
                "first_name",
                "last_name",
                "email",
                "full_name",
                "avatar_url",
            }
        if item["rejected_by"] is not None:
            assert set(item["rejected_by"]) == {
                "id",
                "first_name",
                "last_name",
                "email",
                "full_name",
                "rejection_reason",
            }
            assert item["approval_status"] == "rejected"


def test_hidden_key_mostly_equals_the_visible_time(shared_emulator, rows):
    table = shared_emulator.table("customers")
    equal = later = untimestamped = 0
    for item in rows:
        visible, hidden = _visible_time(item), table.hidden_key(item["id"])
        if visible is None:
            untimestamped += 1
        elif visible == hidden:
            equal += 1
        else:
            assert hidden > visible  # a system edit moved only the hidden key
            later += 1
    assert equal > 0.8 * len(rows)
    assert later >= 0.03 * len(rows)
    assert untimestamped >= 0.01 * len(rows)


def test_groups_of_rows_share_one_instant(shared_emulator, rows):
    table = shared_emulator.table("customers")
    groups = Counter(table.hidden_key(item["id"]) for item in rows)
    sizes = sorted((n for n in groups.values() if n > 1), reverse=True)
    assert len(sizes) >= 5 and sizes[0] >= 10


@pytest.mark.parametrize("style", ["utc", "offsets", "mixed"])
def test_timestamp_styles(make_emulator, style):
    emu = make_emulator(rows={"customers": 300}, behaviour=Behaviour(timestamp_style=style))
    stamps = [
        actor["timestamp"]
        for item in emu.table("customers").rows()
        for actor in (item.get("created_by"), item.get("updated_by"))
        if isinstance(actor, dict) and actor["timestamp"]
    ]
    parsed = [datetime.fromisoformat(s) for s in stamps]
    assert all(p.utcoffset() is not None for p in parsed)
    suffixes = {s[-6:] if not s.endswith("Z") else "Z" for s in stamps}
    if style == "utc":
        assert suffixes == {"+00:00"} and all(len(s) == 32 for s in stamps)
    elif style == "offsets":
        assert len(suffixes) > 3 and "Z" not in suffixes
    else:
        assert "Z" in suffixes and len(suffixes) > 3
        assert any(len(s) in (20, 25) for s in stamps)  # whole seconds, no fraction


def test_the_same_instants_in_every_style(make_emulator):
    def instants(style):
        emu = make_emulator(rows={"customers": 50}, behaviour=Behaviour(timestamp_style=style))
        return [_visible_time(item) for item in emu.table("customers").rows()]

    assert instants("utc") == instants("offsets") == instants("mixed")


def test_same_seed_gives_identical_bytes_and_other_seeds_differ(client):
    with (
        Emulator(client.key, seed=3, rows={"customers": 150}) as a,
        Emulator(client.key, seed=3, rows={"customers": 150}) as b,
        Emulator(client.key, seed=4, rows={"customers": 150}) as c,
    ):
        for params in ({}, {"offset": 100, "ordering": "name"}, {"record_status": "archived"}):
            assert client.customers(a, params).body == client.customers(b, params).body
        assert client.customers(a).body != client.customers(c).body


def test_a_million_rows_are_generated_lazily(client):
    with Emulator(client.key, seed=5, rows={"customers": 1_000_000}) as emu:
        table = emu.table("customers")
        assert len(table) == 1_000_000
        deep = client.page(emu, [*client.all_statuses, ("offset", 999_950)])
        assert deep["count"] == 1_000_000 and len(deep["items"]) == 50
        assert deep["items"][7] == table.row(deep["items"][7]["id"])
        by_id = client.page(emu, [*client.all_statuses, ("ordering", "-id"), ("limit", 3)])
        assert [i["id"] for i in by_id["items"]] == table.ids()[-1:-4:-1]
        # An edit reaches the right place in a million-row view without a rebuild.
        target = by_id["items"][2]["id"]
        table.edit(target)
        first = client.page(emu, [*client.all_statuses, ("limit", 1)])["items"][0]
        assert first["id"] == target


@pytest.mark.parametrize("page_size", [3, 7, 10, 100])
def test_a_tie_straddles_the_first_page_break(shared_emulator, client, page_size):
    params = [*client.all_statuses, ("limit", page_size)]
    last = client.page(shared_emulator, params)["items"][-1]
    first = client.page(shared_emulator, [*params, ("offset", page_size)])["items"][0]
    assert _visible_time(last) == _visible_time(first) is not None
    table = shared_emulator.table("customers")
    assert table.hidden_key(last["id"]) == table.hidden_key(first["id"])
    assert last["id"] > first["id"]  # tie broken by id, descending like the first term
