"""The customers stream end to end against the emulator: messages, fields, state,
request counts, filters, paging under a server cap.

Customer list items carry no record status, so the stream reads each status in a pass
of its own (a state partition), and each record says the status it was read under.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

import pytest
from dualentry_emulator import Behaviour
from harness import base_config, catalog_for, list_requests, run_tap

from tap_dualentry.catalogue import load_schema
from tap_dualentry.timestamps import canonical

CUSTOMERS = ["customers"]
STATUS_PASSES = 3  # draft, posted, archived


def expected_record(row: dict, status: str) -> dict:
    """An emulator row as the tap must deliver it: the API's fields plus derived times and
    the status it was read under, and every other property of the schema null
    (_unknown_fields too: there are none)."""
    created = canonical((row.get("created_by") or {}).get("timestamp"))
    updated = canonical((row.get("updated_by") or {}).get("timestamp")) or created
    every = dict.fromkeys([*load_schema("customers")["properties"], "_unknown_fields"])
    # company_id says which company filter the row was read under: none here.
    return {
        **every,
        **row,
        "updated_at": updated,
        "created_at": created,
        "company_id": None,
        "record_status": status,
    }


def within_lookback(updated: str | None, bookmark: str) -> bool:
    """Whether an incremental pass back to ``bookmark`` reads this row again."""
    if updated is None:
        return False
    reach = dt.datetime.fromisoformat(bookmark) - dt.timedelta(minutes=5)
    return dt.datetime.fromisoformat(updated) >= reach


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_full_sync_delivers_every_customer_exactly(emulator, version):
    emu = emulator(rows={"customers": 730}, seed=3)
    run = run_tap(base_config(emu, api_version=version), streams=CUSTOMERS)
    assert run.exit_code == 0
    records = run.records("customers")
    table = emu.table("customers")
    assert len(records) == len(table.ids()) == 730
    assert len({r["id"] for r in records}) == 730
    by_id = {r["id"]: r for r in records}
    for row in table.rows():
        assert by_id[row["id"]] == expected_record(row, table.record_status(row["id"]))
    assert all(r.endpoint == "customers" for r in list_requests(emu))
    assert {r.path for r in list_requests(emu)} == {f"/public/{version}/customers/"}


def test_message_order_and_final_bookmark(emulator):
    emu = emulator(rows={"customers": 120})
    run = run_tap(base_config(emu), streams=CUSTOMERS)
    kinds = [m["type"] for m in run.messages if m.get("stream") in (None, "customers")]
    first_record = kinds.index("RECORD")
    assert "SCHEMA" in kinds[:first_record]
    assert kinds[-1] == "STATE"
    # One bookmark per status pass: the newest updated_at that pass read.
    bookmarks = run.bookmarks("customers")
    assert sorted(bookmarks) == [(("record_status", s),) for s in ("archived", "draft", "posted")]
    for ((_, status),), value in bookmarks.items():
        read = [r["updated_at"] for r in run.records("customers") if r["record_status"] == status]
        assert value == max(filter(None, read))
    partitions = run.bookmark("customers")["partitions"]
    assert all(p["replication_key"] == "updated_at" for p in partitions)
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["id"]
    assert schema["bookmark_properties"] == ["updated_at"]


def test_records_without_any_timestamp_are_still_delivered(emulator):
    emu = emulator(rows={"customers": 300}, behaviour=Behaviour(untimestamped_fraction=0.2), seed=5)
    run = run_tap(base_config(emu), streams=CUSTOMERS)
    untimed = [r for r in run.records("customers") if r["updated_at"] is None]
    assert len(untimed) >= 30
    assert len(run.records("customers")) == 300


def test_incremental_run_costs_one_request_per_pass_when_nothing_changed(emulator):
    emu = emulator(rows={"customers": 2000}, seed=11)
    first = run_tap(base_config(emu), streams=CUSTOMERS)
    emu.clear_requests()
    second = run_tap(base_config(emu), streams=CUSTOMERS, state=first.state)
    requests = list_requests(emu)
    assert len(requests) == STATUS_PASSES
    assert sorted(dict(r.query)["record_status"] for r in requests) == [
        "archived",
        "draft",
        "posted",
    ]
    assert second.exit_code == 0
    assert second.bookmarks("customers") == first.bookmarks("customers")


@pytest.mark.parametrize("changes", [1, 10, 150, 420])
@pytest.mark.parametrize("page_size", [100, pytest.param(37, marks=pytest.mark.thorough)])
def test_incremental_request_bound(emulator, changes, page_size):
    emu = emulator(rows={"customers": 3000}, seed=changes)
    config = base_config(emu, page_size=page_size)
    first = run_tap(config, streams=CUSTOMERS)
    bookmarks = {ctx[0][1]: value for ctx, value in first.bookmarks("customers").items()}
    table = emu.table("customers")
    # Rows each status pass reads again: those within the lookback of its bookmark.
    again = sum(
        1
        for r in first.records("customers")
        if within_lookback(r["updated_at"], bookmarks[r["record_status"]])
    )
    edited = table.ids()[:: max(1, len(table.ids()) // changes)][:changes]
    for pk in edited:
        table.edit(pk)
    emu.clear_requests()
    second = run_tap(config, streams=CUSTOMERS, state=first.state)
    delivered = {r["id"] for r in second.records("customers")}
    assert set(edited) <= delivered
    requests = len(list_requests(emu))
    # Each page after the first overlaps the previous one by a row; each status pass
    # ends on a page of its own.
    assert requests <= math.ceil((changes + again) / (page_size - 1)) + STATUS_PASSES
    assert second.newest_bookmark("customers") > first.newest_bookmark("customers")


def test_rows_tied_with_the_bookmark_are_delivered_again(emulator):
    emu = emulator(rows={"customers": 500}, seed=2)
    first = run_tap(base_config(emu), streams=CUSTOMERS)
    bookmarks = {ctx[0][1]: value for ctx, value in first.bookmarks("customers").items()}
    tied = {
        r["id"]
        for r in first.records("customers")
        if r["updated_at"] == bookmarks[r["record_status"]]
    }
    second = run_tap(base_config(emu), streams=CUSTOMERS, state=first.state)
    assert tied and tied <= {r["id"] for r in second.records("customers")}


def test_every_record_status_is_asked_for_explicitly(emulator):
    emu = emulator(rows={"customers": 50, "vendors": 50})
    run_tap(base_config(emu), streams=["customers", "vendors"])
    # Customers: a pass per status, each naming its status; then, a full run, one row
    # over every status to count them together.
    asked = [
        [value for name, value in request.query if name == "record_status"]
        for request in list_requests(emu)
    ]
    assert sorted(asked) == [["archived"], ["draft"], ["draft", "posted", "archived"], ["posted"]]
    # Vendors say their status: one pass naming all three.
    request = list_requests(emu, "vendors")[0]
    statuses = [value for name, value in request.query if name == "record_status"]
    assert sorted(statuses) == ["archived", "draft", "posted"]


@pytest.mark.parametrize("bump", [True, False])
def test_archived_customers_arrive_marked_archived(emulator, bump):
    emu = emulator(rows={"customers": 300})
    table = emu.table("customers")
    config = base_config(emu)
    first = run_tap(config, streams=CUSTOMERS)
    assert {r["id"]: r["record_status"] for r in first.records("customers")} == {
        pk: table.record_status(pk) for pk in table.ids()
    }
    posted = [pk for pk in table.ids() if table.record_status(pk) == "posted"][:12]
    for pk in posted:
        table.archive(pk, bump=bump)  # without bump: archived without a new timestamp
    second = run_tap(config, streams=CUSTOMERS, state=first.state)
    latest = {r["id"]: r["record_status"] for r in second.records("customers")}
    if bump:
        assert all(latest[pk] == "archived" for pk in posted)
    else:
        # No timestamp moved: only the next full pass (reconciliation) can see it.
        forced = run_tap(
            {**config, "full_pass_interval_days": 0}, streams=CUSTOMERS, state=second.state
        )
        latest = {r["id"]: r["record_status"] for r in forced.records("customers")}
        assert all(latest[pk] == "archived" for pk in posted)


@pytest.mark.parametrize(
    "default", [("draft", "posted"), ("posted",), ("draft", "posted", "archived")]
)
def test_archived_rows_arrive_whatever_the_server_default(emulator, default):
    emu = emulator(rows={"customers": 200}, behaviour=Behaviour(default_record_statuses=default))
    table = emu.table("customers")
    archived = table.ids()[:15]
    for pk in archived:
        table.archive(pk)
    run = run_tap(base_config(emu), streams=CUSTOMERS)
    assert set(archived) <= {r["id"] for r in run.records("customers")}
    assert len(run.records("customers")) == 200


def test_filters_reach_the_api_as_repeated_parameters(emulator):
    emu = emulator(rows={"customers": 300})
    config = base_config(
        emu,
        customer_types=["company", "individual"],
        approval_statuses=["approved"],
        record_statuses=["posted", "draft"],
    )
    run = run_tap(config, streams=CUSTOMERS)
    assert run.exit_code == 0
    queries = [r.query for r in list_requests(emu) if ("limit", "1") not in r.query]
    assert len(queries) == 2  # one pass per status asked for (and a count over both)
    for query in queries:
        counts = Counter(name for name, _ in query)
        assert counts["customer_type"] == 2
        assert counts["record_status"] == 1
        assert ("approval_status", "approved") in query
    table = emu.table("customers")
    expected = {
        row["id"]
        for row in table.rows()
        if row["customer_type"] in ("company", "individual")
        and row["approval_status"] == "approved"
        and table.record_status(row["id"]) in ("posted", "draft")
    }
    assert {r["id"] for r in run.records("customers")} == expected


def test_company_ids_partition_the_stream(emulator):
    emu = emulator(rows={"customers": 400})
    run = run_tap(base_config(emu, company_ids=[1, 2]), streams=CUSTOMERS)
    table = emu.table("customers")
    for company in (1, 2):
        expected = {pk for pk in table.ids() if table.company_id(pk) == company}
        got = {r["id"] for r in run.records("customers") if r["company_id"] == company}
        assert got == expected
    partitions = run.bookmark("customers")["partitions"]
    assert [p["context"] for p in partitions] == [
        {"company_id": company, "record_status": status}
        for company in (1, 2)
        for status in ("draft", "posted", "archived")
    ]
    company_params = {tuple(v for n, v in r.query if n == "company_id") for r in list_requests(emu)}
    assert company_params == {("1",), ("2",)}


@pytest.mark.parametrize("cap", [1, 10, 99])
def test_a_server_capping_pages_below_page_size_still_yields_every_row(emulator, cap):
    emu = emulator(rows={"customers": 333}, behaviour=Behaviour(page_cap=cap))
    run = run_tap(base_config(emu), streams=CUSTOMERS)
    assert sorted(r["id"] for r in run.records("customers")) == sorted(emu.table("customers").ids())


@pytest.mark.parametrize("skew", [-40, -1, 3, 120])
def test_an_inexact_count_loses_nothing(emulator, skew):
    emu = emulator(rows={"customers": 400}, behaviour=Behaviour(count_skew=skew))
    run = run_tap(base_config(emu), streams=CUSTOMERS)
    assert run.exit_code == 0
    assert sorted(r["id"] for r in run.records("customers")) == sorted(emu.table("customers").ids())


@pytest.mark.parametrize("placement", ["hidden_key", "first", "last"])
def test_untimestamped_rows_never_block_the_early_stop(emulator, placement):
    emu = emulator(
        rows={"customers": 1500},
        behaviour=Behaviour(untimestamped_sort=placement, untimestamped_fraction=0.01),
    )
    first = run_tap(base_config(emu), streams=CUSTOMERS)
    untimed = sum(1 for r in first.records("customers") if r["updated_at"] is None)
    emu.clear_requests()
    run_tap(base_config(emu), streams=CUSTOMERS, state=first.state)
    # Rows with no timestamp sorted first must be read through (they might have
    # changed); anywhere else they cost nothing.
    allowance = math.ceil(untimed / 99) if placement == "first" else 0
    assert len(list_requests(emu)) <= STATUS_PASSES + allowance


def test_a_system_edit_does_not_end_the_incremental_pass_early(emulator):
    emu = emulator(rows={"customers": 1000}, behaviour=Behaviour(disagreeing_fraction=0.0))
    first = run_tap(base_config(emu), streams=CUSTOMERS)
    table = emu.table("customers")
    ids = table.ids()
    edited = ids[:150]
    for pk in edited:
        table.edit(pk)
    table.touch(ids[500])  # newest hidden key, old visible timestamp: sorts first
    second = run_tap(base_config(emu), streams=CUSTOMERS, state=first.state)
    assert set(edited) | {ids[500]} <= {r["id"] for r in second.records("customers")}


@pytest.mark.parametrize("deselected", [(), ("email", "full_address")])
def test_deselected_fields_and_stream_maps_shape_the_records(emulator, deselected):
    emu = emulator(rows={"customers": 30})
    config = base_config(
        emu, stream_maps={"customers": {"__alias__": "clients", "name_upper": "name.upper()"}}
    )
    catalog = catalog_for(config, ["customers"])
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "customers")
    for meta in entry["metadata"]:
        if meta["breadcrumb"][1:] and meta["breadcrumb"][1] in deselected:
            meta["metadata"]["selected"] = False
    run = run_tap(config, catalog=catalog)
    assert run.exit_code == 0
    assert run.records("customers") == []
    records = run.records("clients")
    assert len(records) == 30
    for name in ("email", "full_address"):
        assert all((name in r) == (name not in deselected) for r in records), name
    assert all(r["name_upper"] == r["name"].upper() for r in records)
    assert all(
        r["shipping_address"] is None or isinstance(r["shipping_address"], dict) for r in records
    )
