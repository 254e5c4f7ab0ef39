"""Every ordering, tie-breaking by primary key, and the ordering switches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dualentry_emulator import Behaviour

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _ids(items):
    return [item["id"] for item in items]


def _hidden(emu, item):
    return emu.table("customers").hidden_key(item["id"])


def test_default_order_is_hidden_key_descending_ties_by_id_descending(shared_emulator, client):
    items = client.fetch_all(shared_emulator, client.all_statuses)
    keys = [(_hidden(shared_emulator, i), i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    assert _ids(
        client.fetch_all(shared_emulator, [*client.all_statuses, ("ordering", "-updated_at")])
    ) == _ids(items)


def test_updated_at_ascending_ties_by_id_ascending(shared_emulator, client):
    items = client.fetch_all(shared_emulator, [*client.all_statuses, ("ordering", "updated_at")])
    keys = [(_hidden(shared_emulator, i), i["id"]) for i in items]
    assert keys == sorted(keys)


@pytest.mark.parametrize(("ordering", "reverse"), [("id", False), ("-id", True)])
def test_id_orderings(shared_emulator, client, ordering, reverse):
    ids = _ids(client.fetch_all(shared_emulator, [*client.all_statuses, ("ordering", ordering)]))
    assert ids == sorted(shared_emulator.table("customers").ids(), reverse=reverse)


@pytest.mark.parametrize(("ordering", "reverse"), [("name", False), ("-name", True)])
def test_name_orderings_break_ties_by_id_in_the_same_direction(
    shared_emulator, client, ordering, reverse
):
    items = client.fetch_all(shared_emulator, [*client.all_statuses, ("ordering", ordering)])
    keys = [(i["name"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=reverse)
    assert len({i["name"] for i in items}) < len(items)  # duplicate names exist: ties matter


def test_comma_separated_orderings(shared_emulator, client):
    items = client.fetch_all(
        shared_emulator, [*client.all_statuses, ("ordering", "-updated_at,id")]
    )
    keys = [(-_hidden(shared_emulator, i).timestamp(), i["id"]) for i in items]
    assert keys == sorted(keys)
    items = client.fetch_all(shared_emulator, [*client.all_statuses, ("ordering", "name,-id")])
    assert [(i["name"], -i["id"]) for i in items] == sorted((i["name"], -i["id"]) for i in items)


@pytest.mark.parametrize("limit", [3, 7, 10, 100])
def test_paging_is_deterministic_across_ties_at_any_page_size(shared_emulator, client, limit):
    reference = _ids(client.fetch_all(shared_emulator, client.all_statuses, limit=400))
    assert _ids(client.fetch_all(shared_emulator, client.all_statuses, limit=limit)) == reference
    assert len(set(reference)) == len(reference) == 400


def test_unknown_ordering_rejected_by_default(shared_emulator, client):
    for bad in ("created_at", "-foo", "name,bogus"):
        reply = client.customers(shared_emulator, {"ordering": bad})
        assert reply.status == 400
        assert list(reply.json()["errors"]) == ["ordering"]


def test_unknown_ordering_ignored_when_switched(make_emulator, client):
    emu = make_emulator(behaviour=Behaviour(unknown_ordering="ignore"))
    default = client.page(emu, {"limit": 50})
    assert client.page(emu, {"limit": 50, "ordering": "created_at"}) == default
    assert client.page(emu, {"limit": 50, "ordering": "name,bogus"}) == default


def _untimestamped(item):
    def ts(actor):
        return actor.get("timestamp") if isinstance(actor, dict) else None

    return ts(item.get("updated_by")) is None and ts(item.get("created_by")) is None


@pytest.mark.parametrize("mode", ["first", "last"])
def test_untimestamped_rows_group_first_or_last(make_emulator, client, mode):
    emu = make_emulator(
        rows={"customers": 200},
        behaviour=Behaviour(untimestamped_sort=mode, untimestamped_fraction=0.1),
    )
    for ordering in ("-updated_at", "updated_at"):
        flags = [
            _untimestamped(i)
            for i in client.fetch_all(emu, [*client.all_statuses, ("ordering", ordering)], limit=30)
        ]
        n = sum(flags)
        assert n >= 10
        expected = [True] * n + [False] * (len(flags) - n)
        assert flags == (expected if mode == "first" else expected[::-1])


def test_untimestamped_rows_sort_by_hidden_key_by_default(make_emulator, client):
    emu = make_emulator(rows={"customers": 200}, behaviour=Behaviour(untimestamped_fraction=0.1))
    flags = [_untimestamped(i) for i in client.fetch_all(emu, client.all_statuses)]
    first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
    assert not all(flags[first : last + 1])  # interleaved with timestamped rows
