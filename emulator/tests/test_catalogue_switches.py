"""The two switches of the newer API questions: `updated_ordering` (may lists documented
as `id`-ordered be read newest-changed first?) and `updated_after_filter` (updated_after /
updated_before plus top-level created_at/updated_at on invoices, bills, journal entries)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dualentry_emulator import CATALOGUE, Behaviour
from dualentry_emulator.timestamps import to_us

from .catalogue_support import everything, expected_order, fetch, fetch_keys, pk_of, url

SWITCHED = sorted(n for n, s in CATALOGUE.items() if s.updated_ordering_switch)
SERVER_TIMES = ("invoices", "bills", "journal_entries")


def test_the_switched_lists_are_the_id_ordered_transactions_and_accounts():
    assert set(SWITCHED) == {
        n
        for n, s in CATALOGUE.items()
        if s.default_ordering == "id" and s.primary_key == ("internal_id",)
    } | {"intercompany_journal_entries", "accounts"}
    assert {n for n, s in CATALOGUE.items() if s.server_timestamps} == set(SERVER_TIMES)


@pytest.mark.parametrize("mode", ["accept", "reject", "ignore"])
def test_updated_ordering_modes(make_emulator, client, mode):
    emu = make_emulator(
        rows={"invoices": 30, "accounts": 20}, behaviour=Behaviour(updated_ordering=mode)
    )
    for name in ("invoices", "accounts"):
        spec, table = CATALOGUE[name], emu.table(name)
        params = [*everything(spec), ("ordering", "-updated_at")]
        if mode == "reject":
            reply = client.request(url(emu, name), params)
            assert reply.status == 400 and list(reply.json()["errors"]) == ["ordering"]
            continue
        wanted = "-updated_at" if mode == "accept" else spec.default_ordering
        assert fetch_keys(client, emu, name, params) == expected_order(
            table, spec, wanted, table.rows()
        )
    # Lists documented as -updated_at accept it whatever the switch says.
    reply = client.request(url(emu, "customers"), {"ordering": "-updated_at"})
    assert reply.status == 200


def _items(client, emu, name, params=()):
    return fetch(client, emu, name, [*everything(CATALOGUE[name]), *params])[0]


@pytest.mark.parametrize("name", SERVER_TIMES)
def test_updated_after_filter_off_is_the_stored_spec(make_emulator, client, name):
    emu = make_emulator(rows={name: 25})
    items = _items(client, emu, name)
    assert items and not any("created_at" in i or "updated_at" in i for i in items)
    future = (datetime.now(UTC) + timedelta(days=3650)).isoformat()
    assert len(_items(client, emu, name, [("updated_after", future)])) == len(items)  # ignored
    reply = client.request(url(emu, name), {"updated_before": "not a date"})
    assert reply.status == 200  # an unknown parameter is not validated


@pytest.mark.parametrize("name", SERVER_TIMES)
def test_updated_after_filter_on(make_emulator, client, name):
    emu = make_emulator(rows={name: 25}, behaviour=Behaviour(updated_after_filter=True))
    spec, table = CATALOGUE[name], emu.table(name)
    items = _items(client, emu, name)
    assert list(items[0])[:2] == ["created_at", "updated_at"]
    hidden = {}
    for item in items:
        pk = pk_of(spec, item)
        updated, created = (datetime.fromisoformat(item[k]) for k in ("updated_at", "created_at"))
        assert updated == table.hidden_key(pk) and created <= updated
        hidden[pk] = table.hidden_key(pk)
    bound = sorted(hidden.values())[len(hidden) // 2]
    after = {
        pk_of(spec, i) for i in _items(client, emu, name, [("updated_after", bound.isoformat())])
    }
    before = {
        pk_of(spec, i) for i in _items(client, emu, name, [("updated_before", bound.isoformat())])
    }
    assert after == {pk for pk, h in hidden.items() if h >= bound}  # inclusive
    assert before == {pk for pk, h in hidden.items() if h <= bound}
    assert after & before  # the bound itself is in both
    future = (datetime.now(UTC) + timedelta(days=3650)).isoformat()
    assert _items(client, emu, name, [("updated_after", future)]) == []
    reply = client.request(url(emu, name), {"updated_before": "not a date"})
    assert reply.status == 400 and list(reply.json()["errors"]) == ["updated_before"]
    # A system edit moves the server's updated_at (and nothing else).
    target = next(iter(hidden))
    emu.clock.freeze(datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    table.touch(target)
    moved = table.row(target)
    assert to_us(datetime.fromisoformat(moved["updated_at"])) == to_us(table.hidden_key(target))
    latest = _items(client, emu, name, [("updated_after", "2030-01-01T00:00:00Z")])
    assert [pk_of(spec, i) for i in latest] == [target]
    # Other lists never grow these fields or filters.
    plain = client.request(url(emu, "sales_orders"), {"updated_after": "2999-01-01T00:00:00Z"})
    assert plain.json()["count"] > 0


def test_cli_flags_set_the_switches():
    from dualentry_emulator.__main__ import _options, build_parser

    args = build_parser().parse_args(
        ["--updated-ordering", "reject", "--updated-after-filter", "yes"]
    )
    behaviour = _options(args)["behaviour"]
    assert behaviour.updated_ordering == "reject" and behaviour.updated_after_filter is True
    assert _options(build_parser().parse_args([]))["behaviour"] == Behaviour()
    with pytest.raises(ValueError):
        Behaviour(updated_ordering="sometimes")  # type: ignore[arg-type]


def test_undocumented_fields(make_emulator, client):
    names = ("customers", "invoices", "bills")
    plain = make_emulator(rows={n: 12 for n in names})
    switched = make_emulator(
        rows={n: 12 for n in names}, behaviour=Behaviour(undocumented_fields=True)
    )
    for name in names:
        before, after = _items(client, plain, name), _items(client, switched, name)
        assert len(before) == len(after) and all("esg_rating" not in i for i in before)
        for old, new in zip(before, after, strict=True):
            assert set(new) == set(old) | {"esg_rating"}
            assert new["esg_rating"]["scale"] == "0-100"
            for key, value in old.items():
                if isinstance(value, dict):
                    assert new[key] == {**value, "geo_precision": "rooftop"}
                elif isinstance(value, list) and value and isinstance(value[0], dict):
                    assert [
                        {k: v for k, v in line.items() if k != "carbon_kg"} for line in new[key]
                    ] == value
                    assert all("carbon_kg" in line for line in new[key])
                else:
                    assert new[key] == value
        # The emulator's own view of its rows shows what it serves.
        assert switched.table(name).rows()[0]["esg_rating"]
    args = __import__("dualentry_emulator.__main__", fromlist=["x"])
    parsed = args.build_parser().parse_args(["--undocumented-fields", "yes"])
    assert args._options(parsed)["behaviour"].undocumented_fields is True
