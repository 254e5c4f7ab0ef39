"""Mutations through the Python API, seen over HTTP; the clock; before-list callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dualentry_emulator import Behaviour

T0 = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def _ids(items):
    return [item["id"] for item in items]


@pytest.fixture
def emu(make_emulator):
    emulator = make_emulator(rows={"customers": 60}, behaviour=Behaviour(timestamp_style="utc"))
    emulator.clock.freeze(T0)
    return emulator


def _first(client, emu, **params):
    return client.page(emu, {**params, "limit": 1})["items"][0]


def test_insert_appends_fresh_ids_at_the_front_of_updated_order(emu, client):
    table = emu.table("customers")
    before = table.ids()
    new = table.insert(3)
    assert new == [before[-1] + 1, before[-1] + 2, before[-1] + 3]
    assert table.ids() == before + new
    head = client.page(emu, {"limit": 3})["items"]
    assert _ids(head) == new[::-1]  # strictly increasing hidden keys within one frozen instant
    assert head[0]["updated_by"]["timestamp"] == "2031-05-06T07:08:09.000002+00:00"
    assert client.page(emu, [("ordering", "-id"), ("limit", 1)])["items"][0]["id"] == new[-1]


def test_edit_changes_visible_fields_actor_and_order(emu, client):
    table = emu.table("customers")
    target = table.ids()[10]
    before = table.row(target)
    table.edit(target)
    after = table.row(target)
    changed = {k for k in after if after[k] != before[k]} - {"updated_by"}
    assert changed  # some visible field changed
    assert after["updated_by"]["timestamp"].startswith("2031-05-06T07:08:09.00000")
    assert after["updated_by"]["actor_type"] == "user"
    assert _first(client, emu) == after
    assert table.hidden_key(target) == datetime.fromisoformat(after["updated_by"]["timestamp"])


def test_touch_reorders_without_changing_visible_data(emu, client):
    table = emu.table("customers")
    everything = client.fetch_all(emu, client.all_statuses)
    target = everything[-1]["id"]  # the oldest row
    table.touch(target)
    again = client.fetch_all(emu, client.all_statuses)
    assert again[0] == everything[-1]  # same bytes, now first
    assert _ids(again[1:]) == _ids(everything[:-1])
    assert table.hidden_key(target) > T0 - timedelta(seconds=1)


def test_archive_hides_the_row_by_default_but_keeps_it_filterable(emu, client):
    table = emu.table("customers")
    target = next(i for i in table.ids() if table.record_status(i) == "posted")
    count = client.page(emu)["count"]
    table.archive(target)
    assert table.record_status(target) == "archived"
    assert target not in _ids(client.fetch_all(emu))
    assert client.page(emu)["count"] == count - 1
    archived = client.fetch_all(emu, [("record_status", "archived")])
    assert target in _ids(archived)
    assert archived[0]["id"] == target  # a user action: the hidden key moved to now
    assert "record_status" not in archived[0]


def test_archive_without_bump_keeps_the_order(emu, client):
    table = emu.table("customers")
    order = _ids(client.fetch_all(emu, client.all_statuses))
    target = order[-1]
    table.archive(target, bump=False)
    assert _ids(client.fetch_all(emu, client.all_statuses)) == order


def test_delete_removes_the_row_everywhere(emu, client):
    table = emu.table("customers")
    target = table.ids()[5]
    table.delete(target)
    assert target not in table.ids()
    assert target not in _ids(client.fetch_all(emu, client.all_statuses))
    assert client.page(emu, [*client.all_statuses, ("id", target)])["count"] == 0
    with pytest.raises(KeyError):
        table.row(target)
    with pytest.raises(KeyError):
        table.edit(target)


def test_explicit_times_make_ties_on_purpose(emu, client):
    table = emu.table("customers")
    a, b, c = table.ids()[:3]
    for pk in (a, b, c):
        table.edit(pk, at=T0 + timedelta(days=1))
    head = client.page(emu, {"limit": 3})["items"]
    assert _ids(head) == sorted([a, b, c], reverse=True)  # equal keys, ties by id
    assert len({i["updated_by"]["timestamp"] for i in head}) == 1
    new = table.insert(2, at=T0 + timedelta(days=2))
    assert table.hidden_key(new[0]) == table.hidden_key(new[1])


def test_clock_controls(emu):
    clock = emu.clock
    assert clock.now() == T0 and clock.frozen
    assert clock.advance(30) == T0 + timedelta(seconds=30)
    first, second = clock.stamp(), clock.stamp()
    assert second == first + 1
    clock.unfreeze()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        clock.freeze(datetime(2030, 1, 1))  # naive


def test_mutations_between_page_requests_shift_offsets(emu, client):
    """The hazard a tap must survive: a delete between pages skips a row for good."""
    table = emu.table("customers")
    reference = _ids(client.fetch_all(emu, client.all_statuses, limit=10))
    calls = []

    def delete_on_second_page(endpoint, query, index):
        calls.append((endpoint, query.get("offset"), index))
        if query.get("offset") == ["10"]:
            table.delete(reference[0])

    emu.before_list(delete_on_second_page)
    seen = _ids(client.fetch_all(emu, client.all_statuses, limit=10))
    emu.before_list(None)
    assert calls[0][0] == "customers" and calls[1][1] == ["10"]
    assert reference[10] not in seen  # shifted back onto the first page, never served
    assert set(seen) == set(reference) - {reference[10]}  # the deleted row came on page 1
    assert len(calls) >= 6


def test_callbacks_get_the_parsed_query_and_stack(emu, client):
    got = []
    emu.before_list(lambda e, q, i: got.append(("a", q)))
    emu.before_list(lambda e, q, i: got.append(("b", i)))
    client.page(emu, [("company_id", 1), ("company_id", 2), ("limit", 5)])
    assert got[0] == ("a", {"company_id": ["1", "2"], "limit": ["5"]})
    assert got[1][0] == "b" and isinstance(got[1][1], int)
    emu.before_list(None)
    client.page(emu)
    assert len(got) == 2


def test_edits_before_start_are_served(make_emulator, client):
    from dualentry_emulator import Emulator

    emulator = Emulator(client.key, seed=2, rows={"customers": 30})
    target = emulator.table("customers").ids()[0]
    emulator.table("customers").edit(target)
    with emulator:
        assert _first(client, emulator)["id"] == target
