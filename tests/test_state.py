"""State that never runs ahead of the data: ties, partitions, filter changes, start
dates, and ACTIVATE_VERSION only after a complete full pass."""

from __future__ import annotations

import datetime as dt
import logging

from harness import base_config, list_requests, run_tap

CUSTOMERS = ["customers"]


def test_ties_straddling_pages_are_all_delivered_next_run(emulator):
    emu = emulator(rows={"customers": 300})
    table = emu.table("customers")
    config = base_config(emu, page_size=3)
    first = run_tap(config, streams=CUSTOMERS)
    tie_time = dt.datetime.now(dt.UTC).replace(microsecond=0)
    tied = table.ids()[10:17]
    for pk in tied:
        table.edit(pk, at=tie_time)
    second = run_tap(config, streams=CUSTOMERS, state=first.state)
    assert second.newest_bookmark("customers") == tie_time.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert set(tied) <= {r["id"] for r in second.records("customers")}
    # Seven tied rows, two new rows per page of three: they straddle four pages. The
    # next run delivers every one of them again, and only them and their neighbours.
    third = run_tap(config, streams=CUSTOMERS, state=second.state)
    assert set(tied) <= {r["id"] for r in third.records("customers")}


def test_a_company_added_later_is_read_from_the_start(emulator):
    emu = emulator(rows={"customers": 600})
    table = emu.table("customers")
    first = run_tap(base_config(emu, company_ids=[1]), streams=CUSTOMERS)
    emu.clear_requests()
    second = run_tap(base_config(emu, company_ids=[1, 2]), streams=CUSTOMERS, state=first.state)
    company_two = {pk for pk in table.ids() if table.company_id(pk) == 2}
    got = {r["id"] for r in second.records("customers") if r["company_id"] == 2}
    assert got == company_two
    company_one_requests = [r for r in list_requests(emu) if ("company_id", "1") in r.query]
    assert len(company_one_requests) == 3  # still incremental: a request per status pass
    bookmarks = second.bookmarks("customers")
    for company in (1, 2):
        assert bookmarks[(("company_id", company), ("record_status", "posted"))]


def test_changing_a_filter_resets_the_bookmark_and_says_so(emulator, caplog):
    emu = emulator(rows={"customers": 400})
    table = emu.table("customers")
    for pk in table.ids()[:40]:
        table.archive(pk, bump=False)
    first = run_tap(base_config(emu, record_statuses=["posted", "draft"]), streams=CUSTOMERS)
    archived = {pk for pk in table.ids() if table.record_status(pk) == "archived"}
    assert {r["id"] for r in first.records("customers")} == set(table.ids()) - archived
    with caplog.at_level(logging.WARNING):
        second = run_tap(
            base_config(emu, record_statuses=["posted", "draft", "archived"]),
            streams=CUSTOMERS,
            state=first.state,
        )
    # The archived rows keep their old timestamps: only a reset bookmark reaches them.
    assert len({r["id"] for r in second.records("customers")}) == 400
    assert any("filters changed" in r.getMessage() for r in caplog.records)


def test_start_date_bounds_the_first_run_and_no_rows_are_retired(emulator):
    emu = emulator(rows={"customers": 500})
    rows = emu.table("customers").rows()
    run = run_tap(base_config(emu, start_date="2025-01-01T00:00:00Z"), streams=CUSTOMERS)
    got = {r["id"] for r in run.records("customers")}
    recent = {
        r["id"]
        for r in run.records("customers")
        if r["updated_at"] and r["updated_at"] >= "2025-01-01T00:00:00.000000Z"
    }
    assert recent and recent < got <= {r["id"] for r in rows}
    assert "ACTIVATE_VERSION" not in run.types("customers")


def test_activate_version_follows_the_last_record_of_a_full_pass(emulator):
    emu = emulator(rows={"customers": 250})
    config = base_config(emu)
    first = run_tap(config, streams=CUSTOMERS)
    kinds = [m["type"] for m in first.messages if m.get("stream") == "customers"]
    assert kinds.count("ACTIVATE_VERSION") == 1
    assert kinds.index("ACTIVATE_VERSION") > max(i for i, k in enumerate(kinds) if k == "RECORD")
    activate = next(m for m in first.messages if m["type"] == "ACTIVATE_VERSION")
    assert {m.get("version") for m in first.record_messages("customers")} == {activate["version"]}

    second = run_tap(config, streams=CUSTOMERS, state=first.state)
    assert "ACTIVATE_VERSION" not in second.types("customers")
    assert all("version" not in m for m in second.record_messages("customers"))

    forced = run_tap(
        {**config, "full_pass_interval_days": 0}, streams=CUSTOMERS, state=second.state
    )
    assert len(forced.records("customers")) == 250
    versions = [m["version"] for m in forced.messages if m["type"] == "ACTIVATE_VERSION"]
    assert versions and versions[0] > activate["version"]


def test_activate_version_can_be_switched_off(emulator):
    emu = emulator(rows={"customers": 30})
    run = run_tap(base_config(emu, emit_activate_version_messages=False), streams=CUSTOMERS)
    assert "ACTIVATE_VERSION" not in run.types()


def test_a_failed_pass_keeps_its_old_bookmark(emulator):
    emu = emulator(rows={"customers": 300})
    config = base_config(emu, page_size=50, max_tries=1)
    first = run_tap(config, streams=CUSTOMERS)
    table = emu.table("customers")
    for pk in table.ids()[:120]:
        table.edit(pk)

    def break_third_page(endpoint, query, index):
        if query.get("offset") == ["98"]:
            raise RuntimeError("simulated outage")  # the emulator answers 500

    emu.before_list(break_third_page)
    second = run_tap(config, streams=CUSTOMERS, state=first.state)
    assert second.exit_code == 1
    # The posted pass (most of the edits, three pages) failed: its bookmark stays.
    posted = (("record_status", "posted"),)
    assert second.bookmarks("customers")[posted] == first.bookmarks("customers")[posted]
    broken = [r for r in list_requests(emu) if ("offset", "98") in r.query]
    assert broken and all(("record_status", "posted") in r.query for r in broken)


def test_a_state_from_before_the_status_passes_resumes_cleanly(emulator):
    emu = emulator(rows={"customers": 200})
    old = {
        "bookmarks": {
            "customers": {
                "replication_key": "updated_at",
                "replication_key_value": "2030-01-01T00:00:00.000000Z",
                "partitions": [
                    {
                        "context": {"company_id": 1},
                        "replication_key": "updated_at",
                        "replication_key_value": "2030-01-01T00:00:00.000000Z",
                        "last_full_pass": "2030-01-01T00:00:00.000000Z",
                    }
                ],
                "filters": {"record_statuses": ["archived", "draft", "posted"]},
            }
        }
    }
    run = run_tap(base_config(emu, company_ids=[1]), streams=CUSTOMERS, state=old)
    assert run.exit_code == 0
    table = emu.table("customers")
    company_one = {pk for pk in table.ids() if table.company_id(pk) == 1}
    # The old bookmarks belong to passes this version does not make: forgotten, so the
    # customers of company 1 are read in full, each with its status.
    assert {r["id"] for r in run.records("customers")} == company_one
    state = run.bookmark("customers")
    assert "replication_key_value" not in state
    assert {tuple(sorted(p["context"].items())) for p in state["partitions"]} == {
        (("company_id", 1), ("record_status", s)) for s in ("draft", "posted", "archived")
    }
