"""What a newcomer meets at the command line: every mistake is one line naming what is
wrong and how to fix it, never a traceback; a state in any of its usual forms is
understood; a target that stops reading ends the run plainly."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from harness import (
    API_KEY,
    TAP_COMMAND,
    VirtualClock,
    base_config,
    catalog_for,
    list_requests,
    parse_messages,
    run_cli,
    run_tap,
)

from tap_dualentry.errors import OutputClosed
from tap_dualentry.tap import EXIT_OUTPUT_CLOSED

CUSTOMERS = ["customers"]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "ERROR" in line]


def assert_one_line(run, *expected: str) -> str:
    """The run failed with exactly one error line holding ``expected``, no traceback."""
    assert run.exit_code != 0
    errors = error_lines(run.stderr)
    assert len(errors) == 1, run.stderr
    for text in expected:
        assert text in errors[0], errors[0]
    assert "Traceback" not in run.stderr
    assert API_KEY not in run.stderr + run.raw
    return errors[0]


# --state


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda state: {"type": "STATE", "value": state}, id="STATE message"),
        pytest.param(lambda state: state, id="state", marks=pytest.mark.thorough),
        pytest.param(
            lambda state: {"singer_state": state},
            id="meltano state get",
            marks=pytest.mark.thorough,
        ),
    ],
)
def test_a_state_is_understood_in_each_of_its_forms(emulator, tmp_path, wrap):
    emu = emulator(rows={"customers": 450})
    config = base_config(emu)
    first = run_tap(config, streams=CUSTOMERS)
    emu.table("customers").edit(emu.table("customers").ids()[7])
    emu.clear_requests()
    second = run_cli(config, tmp_path, streams=CUSTOMERS, state=wrap(first.state))
    assert second.exit_code == 0, second.stderr
    # Incremental from the bookmarks: a page per record-status pass, not the 450 rows.
    assert len(list_requests(emu)) == 3
    assert len(second.records("customers")) < 450
    assert second.newest_bookmark("customers") >= first.newest_bookmark("customers")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"type": "RECORD", "stream": "customers", "record": {}}', "a RECORD message"),
        pytest.param("[1, 2]", "holds a JSON array, not an object", marks=pytest.mark.thorough),
        pytest.param('{"bookmarks": ', "not valid JSON", marks=pytest.mark.thorough),
        pytest.param(
            '{"bookmarks": []}', "'bookmarks' is not an object", marks=pytest.mark.thorough
        ),
    ],
)
def test_a_state_file_that_is_not_a_state_is_refused_in_one_line(tmp_path, content, expected):
    state_file = tmp_path / "state.json"
    state_file.write_text(content)
    config = {"api_key": API_KEY, "api_url": "http://127.0.0.1:9"}
    run = run_cli(config, tmp_path, "--state", str(state_file))
    line = assert_one_line(run, "--state", str(state_file), expected)
    assert run.exit_code == 1 and not run.messages, line


# --config


def assert_config_refused(config: Path, *extra: str, expected: str) -> None:
    """The tap given ``--config config`` exits 1 with one error line holding ``expected``."""
    done = subprocess.run(
        [*TAP_COMMAND, "--config", str(config), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, extra
    errors = error_lines(done.stderr)
    assert len(errors) == 1 and expected in errors[0], done.stderr
    assert "Traceback" not in done.stderr and not done.stdout


def test_a_missing_config_file_is_one_line(tmp_path):
    missing = tmp_path / "nowhere" / "config.json"
    assert_config_refused(missing, expected=f"--config {missing}: no such file")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"api_key": "k",}', "not valid JSON (Expecting property name"),
        pytest.param('"api_key"', "holds a JSON string, not an object", marks=pytest.mark.thorough),
    ],
)
def test_a_malformed_config_file_is_one_line(tmp_path, content, expected):
    config = tmp_path / "config.json"
    config.write_text(content)
    for extra in ([], ["--discover"], ["--test"]):
        assert_config_refused(config, *extra, expected=expected)


@pytest.mark.parametrize(
    ("typo", "nearest"),
    [
        ("page_sise", "page_size"),
        pytest.param("start_dat", "start_date", marks=pytest.mark.thorough),
        pytest.param("companyids", "company_ids", marks=pytest.mark.thorough),
    ],
)
def test_an_unknown_setting_is_named_with_the_nearest_known_one(emulator, tmp_path, typo, nearest):
    emu = emulator(rows={"customers": 5})
    run = run_cli({**base_config(emu), typo: 10}, tmp_path, streams=CUSTOMERS)
    assert_one_line(run, f"unknown setting '{typo}'", f"did you mean '{nearest}'?")
    assert run.exit_code == 1
    assert not emu.requests and not run.messages


def test_an_unknown_setting_far_from_any_is_still_named(tmp_path):
    config = {"api_key": API_KEY, "api_url": "http://127.0.0.1:9", "colour": "blue"}
    line = assert_one_line(run_cli(config, tmp_path), "unknown setting 'colour'", "--about")
    assert "did you mean" not in line


# An unreachable API


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_api_url_stops_at_once_naming_the_url():
    url = f"http://127.0.0.1:{_closed_port()}"
    clock = VirtualClock()
    config = {"api_key": API_KEY, "api_url": url, "rate_limit_pacing": False}
    run = run_tap(config, streams=["customers", "vendors", "items"], clock=clock)
    assert run.exit_code == 1
    assert f"Cannot reach the DualEntry API at {url} (connection refused)" in run.stderr
    assert "api_url" in run.stderr
    # No backoff: the first failed connection to a host that never answered ends the run.
    assert clock.sleeps == []
    assert "retrying" not in run.stderr
    assert API_KEY not in run.stderr + run.raw


def test_an_unreachable_api_url_is_one_line_at_the_command_line(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    run = run_cli({"api_key": API_KEY, "api_url": url}, tmp_path, streams=CUSTOMERS)
    assert_one_line(run, f"Cannot reach the DualEntry API at {url}")


def test_an_unknown_host_is_named_as_such(tmp_path):
    url = "http://no-such-host.invalid"
    run = run_cli({"api_key": API_KEY, "api_url": url}, tmp_path, streams=CUSTOMERS)
    assert_one_line(run, f"Cannot reach the DualEntry API at {url} (host name not found)")


# The run's own report


def test_the_summary_counts_every_record_lines_included(emulator, caplog):
    emu = emulator(rows={"customers": 40, "invoices": 60, "bills": 30})
    streams = ["customers", "invoices", "invoices_items", "bills", "bills_expenses"]
    with caplog.at_level(logging.INFO, logger="tap-dualentry"):
        run = run_tap(base_config(emu), streams=streams)
    assert run.exit_code == 0
    summary = [r.getMessage() for r in caplog.records if "rows=" in r.getMessage()]
    total = next(line for line in summary if line.strip().startswith("total"))
    records = sum(run.types(stream)["RECORD"] for stream in streams)
    assert f"rows={records} " in total
    lines = run.types("invoices_items")["RECORD"] + run.types("bills_expenses")["RECORD"]
    assert lines > 0 and f"({lines} rows of line-item streams among them)" in total
    per_stream = {line.split()[0]: line for line in summary}
    assert f"rows={run.types('invoices_items')['RECORD']} " in per_stream["invoices_items"]


def test_streams_not_synced_leave_no_bookmark(emulator):
    emu = emulator(rows={"customers": 30})
    run = run_tap(base_config(emu), streams=CUSTOMERS)
    assert run.exit_code == 0
    for state in run.states:
        assert all(state.get("bookmarks", {}).values()), state
    assert set(run.state["bookmarks"]) == {"customers"}
    # An older state's empty entries are not carried on either.
    stale = {"bookmarks": {**run.state["bookmarks"], "vendors": {}, "items": {}}}
    again = run_tap(base_config(emu), streams=CUSTOMERS, state=stale)
    assert set(again.state["bookmarks"]) == {"customers"}


# A target that stops reading

READER = """
import sys
wanted = int(sys.argv[1])
with open(sys.argv[2], "wb") as kept:
    for _ in range(wanted):
        line = sys.stdin.buffer.readline()
        if not line:
            break
        kept.write(line)
# Exit without reading further, as a target that failed would.
"""


@pytest.mark.parametrize("parallel", [5, pytest.param(1, marks=pytest.mark.thorough)])
def test_a_target_that_stops_reading_ends_the_run_in_one_line(emulator, tmp_path, parallel):
    emu = emulator(rows={"customers": 2500, "vendors": 40, "items": 40, "companies": 5})
    streams = ["customers", "vendors", "items", "companies"]
    config = base_config(emu, max_parallel_streams=parallel, page_size=50)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog_for(config, streams)))
    kept = tmp_path / "kept.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, "700", str(kept)], stdin=subprocess.PIPE
    )
    tap = subprocess.run(
        [*TAP_COMMAND, "--config", str(config_file), "--catalog", str(catalog_file)],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        check=False,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(timeout=60)

    assert tap.returncode == 141, tap.stderr
    errors = error_lines(tap.stderr)
    assert len(errors) == 1, tap.stderr
    assert "The target stopped reading its input: see the target's log." in errors[0]
    for noise in ("Traceback", "BrokenPipeError", "Exception ignored"):
        assert noise not in tap.stderr

    # What the target received, and a rerun from the last state it received, hold
    # every row: no state it saw ran ahead of the rows it saw.
    received = parse_messages(kept.read_text("utf-8"))
    assert 0 < len(received) <= 700
    states = [m["value"] for m in received if m["type"] == "STATE"]
    rerun = run_tap(base_config(emu), streams=streams, state=states[-1] if states else None)
    assert rerun.exit_code == 0
    for stream in streams:
        got = {
            m["record"]["id"] for m in received if m["type"] == "RECORD" and m["stream"] == stream
        } | {r["id"] for r in rerun.records(stream)}
        assert got == set(emu.table(stream).ids()), stream


def test_the_one_line_messages_are_the_documented_ones():
    """The README quotes these lines and the exit code; they stay in step with the code."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    assert OutputClosed.message in readme
    assert "exit 141" in readme and EXIT_OUTPUT_CLOSED == 141
    assert "did you mean 'page_size'? Rename or remove it" in readme
    assert "Cannot reach the DualEntry API at <api_url> (connection refused)" in readme
