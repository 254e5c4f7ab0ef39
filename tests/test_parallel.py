"""Several streams at once: valid Singer output from one writer, state never ahead of
the rows it covers, one stream's failure never stopping the others."""

from __future__ import annotations

import json
import random
import signal
import sys

import pytest
from dualentry_emulator import FaultPlan
from harness import base_config, catalog_for, run_cli, run_tap, sweep
from test_interruptions import complete_lines, interrupted_run, last_state

STREAMS = ["customers", "vendors", "invoices", "bills", "items", "journal_entries"]


def _bookmark_values(stream_state: dict) -> dict[tuple, object]:
    """A stream's bookmarks by partition context (``()``: the stream's own)."""
    values = {(): stream_state.get("replication_key_value")}
    for partition in stream_state.get("partitions", []):
        values[tuple(sorted(partition["context"].items()))] = partition.get("replication_key_value")
    return values


def check_singer_order(messages: list[dict]) -> None:
    """SCHEMA before a stream's records; a new bookmark only after the last record of
    the pass it covers (a partition's records carry its context's values)."""
    schema_seen: set[str] = set()
    for message in messages:
        if message["type"] == "SCHEMA":
            schema_seen.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in schema_seen, f"RECORD before SCHEMA: {message['stream']}"
    initial = messages[0]["value"]["bookmarks"] if messages[0]["type"] == "STATE" else {}
    first_bookmark: dict[tuple, int] = {}
    for position, message in enumerate(messages):
        if message["type"] != "STATE":
            continue
        for stream, state in message["value"].get("bookmarks", {}).items():
            before = _bookmark_values(initial.get(stream, {}))
            for context, value in _bookmark_values(state).items():
                if value and value != before.get(context):
                    first_bookmark.setdefault((stream, context), position)
    for (stream, context), position in first_bookmark.items():
        last = max(
            (
                index
                for index, message in enumerate(messages)
                if message["type"] == "RECORD"
                and message["stream"] == stream
                and all(message["record"].get(key) == value for key, value in context)
            ),
            default=-1,
        )
        assert last < position, f"{stream} {context}: bookmark before its rows"


@pytest.mark.parametrize(
    "workers",
    [pytest.param(1, marks=pytest.mark.thorough), 3, pytest.param(6, marks=pytest.mark.thorough)],
)
def test_parallel_output_is_valid_singer(emulator, workers):
    emu = emulator(rows={name: 400 for name in STREAMS}, seed=workers)
    config = base_config(emu, max_parallel_streams=workers, page_size=50)
    run = run_tap(config, streams=STREAMS)
    assert run.exit_code == 0
    check_singer_order(run.messages)
    for name in STREAMS:
        assert len(run.records(name)) == 400
    # Every STATE carries every stream's bookmarks, not just the writer's last one.
    assert all(run.newest_bookmark(name) for name in STREAMS)
    second = run_tap(config, streams=STREAMS, state=run.state)
    assert second.exit_code == 0
    check_singer_order(second.messages)


@pytest.fixture
def rapid_thread_switching():
    """Switch threads every 10 µs instead of every 5 ms: races between streams that a
    loaded machine hits now and then happen within a run or two."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("trial", sweep(3, default=2, quick=1))
def test_line_streams_keep_no_state_while_parents_run_in_parallel(
    emulator, rapid_thread_switching, trial
):
    parents = ["invoices", "bills", "vendor_credits", "sales_orders", "journal_entries"]
    emu = emulator(rows={name: 60 for name in parents}, seed=trial)
    run = run_tap(base_config(emu, max_parallel_streams=5, page_size=10))
    assert run.exit_code == 0
    lines = {
        line.name for stream in run.tap.streams.values() for line in getattr(stream, "lines", [])
    }
    assert {"invoices_items", "vendor_credits_expenses"} <= lines
    for name in lines:
        assert run.types(name)["RECORD"] > 0, name
    for state in run.states:
        # A line stream's STATE would be a copy of the whole run's state, taken while
        # other streams change it; their parent's bookmark covers them instead.
        assert not lines & set(state.get("bookmarks", {})), "a line stream wrote state"
    check_singer_order(run.messages)


def test_parallel_streams_overlap_in_time(emulator):
    emu = emulator(rows={name: 300 for name in STREAMS}, faults=FaultPlan(latency_seconds=0.02))
    run_tap(base_config(emu, max_parallel_streams=6, page_size=20), streams=STREAMS)
    spans = {}
    for request in emu.requests:
        start, end = spans.get(request.endpoint, (request.monotonic, request.monotonic))
        spans[request.endpoint] = (min(start, request.monotonic), max(end, request.monotonic))
    overlapping = sum(
        1
        for a in spans
        for b in spans
        if a < b and spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]
    )
    assert overlapping >= 10  # most pairs of the six streams were in flight together


@pytest.mark.parametrize("status", [403, pytest.param(404, marks=pytest.mark.thorough)])
def test_one_refused_endpoint_does_not_stop_the_others(emulator, tmp_path, status):
    emu = emulator(
        rows={name: 120 for name in STREAMS}, faults=FaultPlan(persistent={"vendors": status})
    )
    run = run_cli(base_config(emu, max_parallel_streams=3), tmp_path, streams=STREAMS)
    assert run.exit_code == 1
    for name in STREAMS:
        if name != "vendors":
            assert len(run.records(name)) == 120, name
    assert not run.records("vendors")
    final = run.stderr.strip().splitlines()[-1]
    assert "did not complete: vendors" in final
    assert "Traceback" not in run.stderr
    assert "vendors" not in {s for s, v in run.state["bookmarks"].items() if v}


@pytest.mark.parametrize("trial", sweep(8, default=2))
def test_sigkill_during_parallel_streams_then_resume(emulator, tmp_path, trial):
    emu = emulator(rows={name: 300 for name in STREAMS}, faults=FaultPlan(latency_seconds=0.01))
    config = base_config(emu, max_parallel_streams=4, page_size=25)
    config_file = tmp_path / "config.json"
    catalog_file = tmp_path / "catalog.json"
    config_file.write_text(json.dumps(config))
    catalog_file.write_text(json.dumps(catalog_for(config, STREAMS)))
    after = random.Random(trial).randint(1, 6 * 300)
    _, raw, _ = interrupted_run(config, catalog_file, config_file, after, signal.SIGKILL)
    first = complete_lines(raw)
    check_singer_order(first)
    rerun = run_cli(config, tmp_path, streams=STREAMS, state=last_state(first))
    assert rerun.exit_code == 0
    for name, key in [
        (n, "internal_id" if n in ("invoices", "bills", "journal_entries") else "id")
        for n in STREAMS
    ]:
        delivered = {
            m["record"][key] for m in first if m.get("stream") == name and m["type"] == "RECORD"
        }
        delivered |= {r[key] for r in rerun.records(name)}
        assert set(emu.table(name).ids()) <= delivered, name
