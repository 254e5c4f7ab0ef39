"""With default settings the warehouse converges to DualEntry, whichever way the API's
undocumented behaviours fall: values that change without a timestamp and deleted rows
are corrected by reconciliation, date filters never retire rows, servers that hide rows
by default or refuse an ordering lose nothing, and rows of no company arrive."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from decimal import Decimal

import pytest
from dualentry_emulator import Behaviour
from harness import VirtualClock, base_config, list_requests, run_tap

from tap_dualentry.plan import PassPlanner, PlanSettings

DAY = 86400.0


def latest_by_key(runs, stream: str, key: str) -> dict:
    latest: dict = {}
    for run in runs:
        for record in run.records(stream):
            latest[record[key]] = record
    return latest


@pytest.mark.parametrize("reconciliation", [True, False])
def test_silent_changes_and_deletes_are_corrected_within_the_interval(emulator, reconciliation):
    emu = emulator(rows={"invoices": 300}, behaviour=Behaviour(updated_ordering="accept"))
    table = emu.table("invoices")
    clock = VirtualClock()
    config = base_config(emu) if reconciliation else base_config(emu, reconciliation=False)
    first = run_tap(config, streams=["invoices"], clock=clock)
    due = [r["internal_id"] for r in table.rows() if Decimal(r["amount_due"]) != 0]
    paid, deleted = due[0], due[1]
    # A payment settles an invoice: amount_due changes, no timestamp moves. Another is deleted.
    table.recompute(paid, "amount_due", "0.00")
    table.delete(deleted)
    runs = [first]
    for _ in range(3):  # runs on day 3, 6 and 9
        clock.advance(3 * DAY)
        runs.append(run_tap(config, streams=["invoices"], state=runs[-1].state, clock=clock))
    assert all(run.exit_code == 0 for run in runs)
    # Before the stream's slot, an incremental run reads nothing about either row.
    early = [run for run in runs[1:] if len(run.records("invoices")) < 299]
    for run in early:
        assert not {paid, deleted} & {r["internal_id"] for r in run.records("invoices")}
    latest = latest_by_key(runs, "invoices", "internal_id")
    if not reconciliation:
        assert early == runs[1:]  # every later run incremental
        # Off: the stale amount and the deleted row stay in the warehouse for good.
        assert latest[paid]["amount_due"] != 0
        assert not any(m["type"] == "ACTIVATE_VERSION" for run in runs[1:] for m in run.messages)
        return
    # By day 9, past the 7-day interval, every row was read again (day 6 or day 9, at
    # the stream's slot) and the deleted one retired after that complete pass.
    assert latest[paid]["amount_due"] == 0
    full = next(run for run in runs[1:] if len(run.records("invoices")) == 299)
    assert deleted not in {r["internal_id"] for r in full.records("invoices")}
    activations = [m for m in full.messages if m["type"] == "ACTIVATE_VERSION"]
    assert [m["stream"] for m in activations] == ["invoices"]
    kinds = [m["type"] for m in full.messages if m.get("stream") == "invoices"]
    assert kinds[-1] == "ACTIVATE_VERSION"
    version = activations[0]["version"]
    assert {m["version"] for m in full.record_messages("invoices")} == {version}


def test_reconciliation_is_spread_over_the_interval_and_never_late():
    """46 streams fully read on day 0, then a run every hour for four weeks: each stream
    is read in full again at most 7 days after its last full pass, and the full passes
    of a day are spread rather than all due on day 7."""

    class State:
        def __init__(self) -> None:
            self.stream_state: dict = {"replication_key_value": "2025-01-01T00:00:00.000000Z"}

        def get_context_state(self, context):
            return self.stream_state

    clock = VirtualClock()
    settings = PlanSettings(
        start_date=None,
        full_pass_interval_days=7,
        reconciliation=True,
        lookback_minutes=5,
        emit_activate_version=True,
    )
    names = [f"stream_{n}" for n in range(46)]
    states = {name: State() for name in names}
    start = clock.now()
    for state in states.values():
        state.stream_state["last_full_pass"] = start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    full_passes: dict[str, list[float]] = {name: [0.0] for name in names}
    per_day: dict[int, int] = {}
    for _ in range(28 * 24):
        clock.advance(3600)
        elapsed = (clock.now() - start).total_seconds()
        for name in names:
            planner = PassPlanner(
                name=name,
                replication_key="updated_at",
                state=states[name],
                settings=settings,
                clock=clock,
                logger=logging.getLogger("test"),
            )
            planner.start(incremental=True, narrowed=False, partitions=[None])
            if planner.finish_stream() is not None:
                full_passes[name].append(elapsed)
                day = int(elapsed // DAY)
                per_day[day] = per_day.get(day, 0) + 1
    for name, times in full_passes.items():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps and max(gaps) <= 7 * DAY + 3600, name
        assert len(times) >= 4, name  # every week of the four
    # Steady state (weeks 2-4): about 46/7 = 6.6 full passes a day, never a pile-up.
    steady = [per_day.get(day, 0) for day in range(7, 28)]
    assert max(steady) <= 14, steady
    assert sum(steady) <= 46 * 3 + 46


def test_a_second_run_soon_after_a_full_pass_is_incremental(emulator):
    emu = emulator(rows={"customers": 200})
    clock = VirtualClock()
    first = run_tap(base_config(emu), streams=["customers"], clock=clock)
    clock.advance(DAY / 2)
    second = run_tap(base_config(emu), streams=["customers"], state=first.state, clock=clock)
    assert len(second.records("customers")) < 200
    assert "ACTIVATE_VERSION" not in second.types("customers")


@pytest.mark.parametrize(
    ("stream", "dated_by"),
    [("paper_checks", "created_at"), ("intercompany_journal_entries", "date")],
)
def test_start_date_on_a_date_filtered_full_table_never_retires_rows(emulator, stream, dated_by):
    emu = emulator(rows={stream: 120})
    unbounded = run_tap(base_config(emu), streams=[stream])
    assert "ACTIVATE_VERSION" in unbounded.types(stream)
    dates = sorted(str(r[dated_by])[:10] for r in unbounded.records(stream))
    middle = dates[len(dates) // 2]
    emu.clear_requests()
    bounded = run_tap(base_config(emu, start_date=middle), streams=[stream])
    assert bounded.exit_code == 0
    assert all(("start_date", middle) in r.query for r in list_requests(emu, stream))
    assert len(bounded.records(stream)) < len(unbounded.records(stream))
    assert "ACTIVATE_VERSION" not in bounded.types()
    assert all("version" not in m for m in bounded.record_messages(stream))


@pytest.mark.parametrize("hidden", [False, True])
def test_closed_contracts_and_assets_arrive_whatever_the_server_default(emulator, hidden):
    emu = emulator(
        rows={"contracts": 80, "fixed_assets": 80},
        behaviour=Behaviour(hide_closed_statuses=hidden),
    )
    run = run_tap(base_config(emu), streams=["contracts", "fixed_assets"])
    assert run.exit_code == 0
    for stream, key, closed in (
        ("contracts", "id", {"completed", "terminated", "archived"}),
        ("fixed_assets", "internal_id", {"disposed", "fully_amortized"}),
    ):
        rows = emu.table(stream).rows()
        assert {r["status"] for r in rows} & closed, f"{stream}: no closed rows to check"
        assert sorted(r[key] for r in run.records(stream)) == sorted(r[key] for r in rows)


@pytest.mark.parametrize("stream", ["contracts", "paper_checks", "custom_fields"])
def test_a_refused_ordering_falls_back_to_the_server_default(emulator, stream, caplog):
    emu = emulator(rows={stream: 150}, behaviour=Behaviour(refused_orderings=("id",)))
    with caplog.at_level(logging.WARNING):
        run = run_tap(base_config(emu, page_size=20), streams=[stream])
    assert run.exit_code == 0, run
    keys = [r["id"] for r in run.records(stream)]
    assert sorted(keys) == sorted(emu.table(stream).ids())
    orderings = [dict(r.query).get("ordering") for r in list_requests(emu, stream)]
    assert orderings[0] == "id" and set(orderings[1:]) == {None}
    refusals = [r for r in caplog.records if "refuses ordering=id" in r.getMessage()]
    assert len(refusals) == 1
    assert "ACTIVATE_VERSION" in run.types(stream)


def test_a_refused_ordering_loses_nothing_while_rows_are_deleted(emulator):
    emu = emulator(rows={"paper_checks": 200}, behaviour=Behaviour(refused_orderings=("id",)))
    table = emu.table("paper_checks")
    doomed = list(table.ids()[-10:])  # the newest checks: first in the default order

    def delete_rows_behind_the_reader(endpoint, query, index):
        if endpoint == "paper_checks" and index in range(3, 13) and doomed:
            table.delete(doomed.pop())

    emu.before_list(delete_rows_behind_the_reader)
    run = run_tap(base_config(emu, page_size=15), streams=["paper_checks"])
    assert run.exit_code == 0
    assert set(table.ids()) <= {r["id"] for r in run.records("paper_checks")}


@pytest.mark.parametrize("unassigned_listed", [False, True])
@pytest.mark.parametrize("stream", ["vendors", "budgets"])
def test_rows_of_no_company_arrive_with_company_ids_set(emulator, stream, unassigned_listed):
    emu = emulator(
        rows={stream: 120}, behaviour=Behaviour(company_filter_unassigned=unassigned_listed)
    )
    table = emu.table(stream)
    assert any(table.company_id(pk) is None for pk in table.ids())
    config = base_config(emu, company_ids=[1])
    first = run_tap(config, streams=[stream])
    expected = sorted(pk for pk in table.ids() if table.company_id(pk) in (1, None))
    delivered = [r["id"] for r in first.records(stream)]
    assert sorted(delivered) == expected  # each exactly once
    # Incremental afterwards: an edited row of no company arrives, once.
    orphan = next(pk for pk in table.ids() if table.company_id(pk) is None)
    table.edit(orphan)
    second = run_tap(config, streams=[stream], state=first.state)
    again = [r["id"] for r in second.records(stream)]
    assert again.count(orphan) == 1
    assert all(table.company_id(pk) in (1, None) for pk in again)


def test_recurring_records_are_keyed_by_their_own_id(emulator):
    emu = emulator(rows={"recurring_invoices": 60})
    run = run_tap(base_config(emu), streams=["recurring_invoices", "recurring_invoices_records"])
    schema = next(
        m
        for m in run.messages
        if m["type"] == "SCHEMA" and m["stream"] == "recurring_invoices_records"
    )
    assert schema["key_properties"] == ["parent_internal_id", "internal_id"]
    keys = [
        (r["parent_internal_id"], r["internal_id"])
        for r in run.records("recurring_invoices_records")
    ]
    assert keys and len(keys) == len(set(keys))
    expected = {
        (row["internal_id"], record["internal_id"])
        for row in emu.table("recurring_invoices").rows()
        for record in row["records"]
    }
    assert set(keys) == expected


def test_lookback_reads_back_before_the_bookmark(emulator):
    emu = emulator(rows={"customers": 300})
    table = emu.table("customers")
    posted = [pk for pk in table.ids() if table.record_status(pk) == "posted"]
    config = base_config(emu)
    first = run_tap(config, streams=["customers"])
    now = dt.datetime.now(dt.UTC)
    early, late, fillers = posted[0], posted[1], posted[2:27]
    table.edit(late, at=now)
    for n, pk in enumerate(fillers):  # 25 edits between one and two minutes ago
        table.edit(pk, at=now - dt.timedelta(seconds=60 + n))
    second = run_tap(config, streams=["customers"], state=first.state)
    assert {late, *fillers} <= {r["id"] for r in second.records("customers")}
    # A change committed with a timestamp 3 minutes before one already read: behind 25
    # rows older than the bookmark, so the early stop alone would not reach it.
    table.edit(early, at=now - dt.timedelta(minutes=3))
    no_lookback = run_tap(
        base_config(emu, lookback_minutes=0), streams=["customers"], state=second.state
    )
    assert early not in {r["id"] for r in no_lookback.records("customers")}
    default = run_tap(config, streams=["customers"], state=second.state)
    assert early in {r["id"] for r in default.records("customers")}


@pytest.mark.parametrize("bump", [True, False])
def test_a_customer_moving_back_a_status_mid_run_is_never_retired(emulator, bump):
    emu = emulator(rows={"customers": 300})
    table = emu.table("customers")
    victim = next(pk for pk in table.ids() if table.record_status(pk) == "archived")

    def unarchive_between_the_passes(endpoint, query, index):
        # Statuses are read draft, posted, archived: moved back to posted as the archived
        # pass starts, the customer is in neither pass.
        if query.get("record_status") == ["archived"] and table.record_status(victim) == "archived":
            table.set_record_status(victim, "posted", bump=bump)

    emu.before_list(unarchive_between_the_passes)
    clock = VirtualClock()
    first = run_tap(base_config(emu), streams=["customers"], clock=clock)
    assert first.exit_code == 0
    assert victim not in {r["id"] for r in first.records("customers")}
    assert "ACTIVATE_VERSION" not in first.types("customers")  # nothing retired
    assert "changed record status during the full pass" in first.stderr
    emu.before_list(None)
    clock.advance(3600)
    second = run_tap(base_config(emu), streams=["customers"], state=first.state, clock=clock)
    latest = {r["id"]: r["record_status"] for r in second.records("customers")}
    assert latest[victim] == "posted"
    assert len(latest) == 300 and "ACTIVATE_VERSION" in second.types("customers")


def test_a_vendor_given_a_company_mid_run_is_delivered_once(emulator):
    emu = emulator(rows={"vendors": 150})
    table = emu.table("vendors")
    orphan = next(pk for pk in table.ids() if table.company_id(pk) is None)

    def assign_after_the_company_pass(endpoint, query, index):
        # The company-1 pass is done when the no-company pass starts: assign then.
        if "company_id" not in query and table.company_id(orphan) is None:
            table.set_company(orphan, 1)

    emu.before_list(assign_after_the_company_pass)
    run = run_tap(base_config(emu, company_ids=[1]), streams=["vendors"])
    ids = [r["id"] for r in run.records("vendors")]
    assert ids.count(orphan) == 1
    expected = sorted(pk for pk in table.ids() if table.company_id(pk) in (1, None))
    assert sorted(ids) == expected


def test_lookback_also_widens_updated_after(emulator):
    emu = emulator(rows={"invoices": 200}, behaviour=Behaviour(updated_after_filter=True))
    table = emu.table("invoices")
    config = base_config(emu)
    first = run_tap(config, streams=["invoices"])
    now = dt.datetime.now(dt.UTC)
    early, late = table.ids()[:2]
    table.edit(late, at=now)
    second = run_tap(config, streams=["invoices"], state=first.state)
    assert late in {r["internal_id"] for r in second.records("invoices")}
    # Committed with a timestamp 3 minutes before the bookmark: only a lookback reaches it.
    table.edit(early, at=now - dt.timedelta(minutes=3))
    without = run_tap(
        base_config(emu, lookback_minutes=0), streams=["invoices"], state=second.state
    )
    assert early not in {r["internal_id"] for r in without.records("invoices")}
    default = run_tap(config, streams=["invoices"], state=second.state)
    assert early in {r["internal_id"] for r in default.records("invoices")}
    sent = [dict(r.query).get("updated_after") for r in list_requests(emu, "invoices")]
    assert any(value and value < now.strftime("%Y-%m-%dT%H:%M:%S") for value in sent)


def test_a_record_listed_twice_in_a_template_is_written_once(emulator):
    emu = emulator(rows={"recurring_bills": 30})
    table = emu.table("recurring_bills")
    template = next(row for row in table.rows() if row["records"])
    twice = [*template["records"], template["records"][0]]
    table.recompute(template["internal_id"], "records", twice)
    run = run_tap(base_config(emu), streams=["recurring_bills", "recurring_bills_records"])
    mine = [
        r["internal_id"]
        for r in run.records("recurring_bills_records")
        if r["parent_internal_id"] == template["internal_id"]
    ]
    assert sorted(mine) == sorted({record["internal_id"] for record in twice})
    parent = next(
        r for r in run.records("recurring_bills") if r["internal_id"] == template["internal_id"]
    )
    assert len(parent["records"]) == len(twice)  # the parent keeps what the API sent
