"""Faults the tap rides through, failures it reports in one line, bad data it
neither drops silently nor lets through, and a connection check.

The tap's own waits (backoff, Retry-After) pass on a virtual clock, which records
them; one test measures them in real time at the emulator.
"""

from __future__ import annotations

import itertools
import json
import logging
import time

import pytest
from dualentry_emulator import FAULT_KINDS, FaultPlan
from harness import (
    API_KEY,
    VirtualClock,
    base_config,
    catalog_for,
    list_requests,
    run_cli,
    run_tap,
)

from tap_dualentry.api import DualEntryClient
from tap_dualentry.errors import AuthenticationError
from tap_dualentry.ratelimit import Unlimited
from tap_dualentry.retry import RetryPolicy

CUSTOMERS = ["customers"]


# The emulator's "slow" replies take SLOW seconds: a read timeout for the tap.
SLOW = 0.6


def fault_config(emu, **settings):
    return base_config(emu, request_timeout=SLOW / 2, **settings)


def assert_waits_honoured(emu, slack: float = 5.0) -> int:
    """Every request after a 429 came at least Retry-After later, and not much later
    (measured at the emulator, in real time)."""
    requests = list_requests(emu)
    checked = 0
    for before, after in itertools.pairwise(requests):
        if before.status == 429 and before.retry_after is not None:
            asked = float(before.retry_after)
            waited = after.monotonic - before.monotonic
            assert asked - 0.05 <= waited <= asked + slack, (asked, waited)
            checked += 1
    return checked


def retry_after_sleeps(clock: VirtualClock, seconds: float) -> int:
    """The tap's waits of exactly Retry-After (a backoff wait is a jittered fraction)."""
    return sum(1 for slept in clock.sleeps if slept == seconds)


def test_ten_percent_faults_still_deliver_every_row(emulator, caplog):
    rates = {kind: 0.01 for kind in FAULT_KINDS}  # every random kind the emulator has
    emu = emulator(
        rows={"customers": 5000},
        faults=FaultPlan(seed=21, slow_seconds=SLOW, retry_after_seconds=1, **rates),
    )
    clock = VirtualClock()
    with caplog.at_level(logging.INFO):
        run = run_tap(fault_config(emu), streams=CUSTOMERS, clock=clock)
    assert run.exit_code == 0
    ids = [r["id"] for r in run.records("customers")]
    assert len(ids) == len(set(ids)) == 5000
    faulted = [r for r in list_requests(emu) if r.fault]
    assert len(faulted) >= 0.08 * len(list_requests(emu))
    assert len({r.fault for r in faulted}) >= 5
    throttled = sum(1 for r in faulted if r.status == 429)
    assert throttled and retry_after_sleeps(clock, 1.0) == throttled
    retry_lines = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert retry_lines and all("attempt" in line for line in retry_lines)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind_is_ridden_through(emulator, kind):
    emu = emulator(
        rows={"customers": 400},
        faults=FaultPlan(seed=3, slow_seconds=SLOW, retry_after_seconds=1, **{kind: 0.3}),
    )
    run = run_tap(fault_config(emu, page_size=50), streams=CUSTOMERS, clock=VirtualClock())
    assert run.exit_code == 0
    assert sorted(r["id"] for r in run.records("customers")) == sorted(emu.table("customers").ids())
    assert any(r.fault == kind for r in list_requests(emu))


@pytest.mark.parametrize("variant", ["seconds", "http_date", "none"])
def test_rate_limit_replies_do_not_spend_fault_retries(emulator, variant):
    emu = emulator(
        rows={"customers": 300},
        faults=FaultPlan(seed=5, rate_limited=0.3, retry_after=variant, retry_after_seconds=1),
    )
    clock = VirtualClock()
    # One try per request for faults: only patience with 429s can get this through.
    run = run_tap(fault_config(emu, page_size=50, max_tries=1), streams=CUSTOMERS, clock=clock)
    assert run.exit_code == 0
    assert len(run.records("customers")) == 300
    throttled = [r for r in list_requests(emu) if r.status == 429]
    assert throttled
    assert len(clock.sleeps) == len(throttled)  # one wait per 429, none for anything else
    if variant == "seconds":
        assert retry_after_sleeps(clock, 1.0) == len(throttled)
    assert run.tap is not None
    assert run.tap.streams["customers"].client.stats.rate_limited == len(throttled)


@pytest.mark.thorough
def test_retry_after_is_waited_in_real_time(emulator):
    emu = emulator(
        rows={"customers": 150},
        faults=FaultPlan(seed=5, rate_limited=0.3, retry_after="seconds", retry_after_seconds=1),
    )
    run = run_tap(fault_config(emu, page_size=50, max_tries=1), streams=CUSTOMERS)
    assert run.exit_code == 0
    throttled = [r for r in list_requests(emu) if r.status == 429]
    assert throttled and assert_waits_honoured(emu) == len(throttled)


def test_waiting_out_429s_is_bounded(emulator):
    emu = emulator(
        rows={"customers": 50},
        faults=FaultPlan(persistent={"customers": 429}, retry_after_seconds=1),
    )
    clock = VirtualClock()
    run = run_tap(fault_config(emu, max_rate_limit_wait=3), streams=CUSTOMERS, clock=clock)
    assert run.exit_code == 1
    assert "429" in run.stderr and "max_rate_limit_wait" in run.stderr
    assert "Traceback" not in run.stderr
    # No Retry-After: backoff waits of 1-2 s, then 2-4 s, ... while they fit in 3 s.
    assert 1 <= clock.sleeps[0] <= 2 and sum(clock.sleeps) <= 3
    assert 2 <= len(list_requests(emu)) == len(clock.sleeps) + 1 <= 4


def test_a_persistent_fault_names_stream_status_and_attempts(emulator):
    emu = emulator(rows={"customers": 50}, faults=FaultPlan(persistent={"customers": 503}))
    clock = VirtualClock()
    run = run_tap(fault_config(emu, max_tries=3), streams=CUSTOMERS, clock=clock)
    assert run.exit_code == 1
    error_lines = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert any(
        "'customers'" in line and "HTTP 503" in line and "3 times" in line for line in error_lines
    )
    assert len(list_requests(emu)) == 3
    assert len(clock.sleeps) == 2  # a backoff between attempts
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "status",
    [
        400,
        pytest.param(404, marks=pytest.mark.thorough),
        pytest.param(403, marks=pytest.mark.thorough),
    ],
)
def test_client_errors_are_not_retried_and_say_what_failed(emulator, tmp_path, status):
    emu = emulator(rows={"customers": 50}, faults=FaultPlan(persistent={"customers": status}))
    run = run_cli(fault_config(emu), tmp_path, streams=CUSTOMERS)
    assert run.exit_code == 1
    assert len(list_requests(emu)) == 1
    assert f"{status}" in run.stderr and "'customers'" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_rejected_key_stops_at_once_naming_the_environment(emulator, tmp_path):
    emu = emulator(rows={"customers": 50})
    config = {**fault_config(emu), "api_key": "not-the-key"}
    run = run_cli(config, tmp_path, streams=CUSTOMERS)
    assert run.exit_code == 1
    assert "API key was rejected" in run.stderr and emu.url in run.stderr
    assert len(list_requests(emu)) == 1
    assert "Traceback" not in run.stderr
    assert "not-the-key" not in run.stderr


def test_a_missing_key_header_is_reported_as_such(emulator):
    emu = emulator(rows={"customers": 5})
    client = DualEntryClient(
        api_url=emu.url,
        api_key=API_KEY,
        user_agent="test",
        timeout=5,
        pacer=Unlimited(),
        policy=RetryPolicy(),
        logger=logging.getLogger("test"),
        stream_name="customers",
        sleep=time.sleep,
    )
    del client._headers["X-API-KEY"]  # as a proxy that strips headers would
    with pytest.raises(AuthenticationError, match="no API key reached it"):
        client.get_json("/public/v1/customers/", [], expect_page=True)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "   "}, "api_key"),
        ({"page_size": 0}, "page_size"),
        pytest.param({"page_size": 101}, "page_size", marks=pytest.mark.thorough),
        pytest.param({"api_url": "api.dualentry.com"}, "api_url", marks=pytest.mark.thorough),
        pytest.param(
            {"api_url": "https://api.dualentry.com/public/v1"},
            "api_url",
            marks=pytest.mark.thorough,
        ),
        pytest.param({"api_version": "v3"}, "api_version", marks=pytest.mark.thorough),
        pytest.param({"start_date": "last tuesday"}, "start_date", marks=pytest.mark.thorough),
        pytest.param(
            {"record_statuses": ["deleted"]}, "record_statuses", marks=pytest.mark.thorough
        ),
        pytest.param({"request_timeout": 0}, "request_timeout", marks=pytest.mark.thorough),
    ],
)
def test_bad_settings_are_named_in_one_line(tmp_path, change, named):
    config = {"api_key": API_KEY, "api_url": "http://127.0.0.1:9", **change}
    run = run_cli(config, tmp_path)
    assert run.exit_code == 1
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, run.stderr
    assert named in errors[0]
    assert "Traceback" not in run.stderr
    assert not run.messages


def test_a_missing_key_is_an_error_not_a_fallback(tmp_path):
    run = run_cli({"api_url": "http://127.0.0.1:9"}, tmp_path)
    assert run.exit_code == 1
    assert "api_key" in run.stderr and "Traceback" not in run.stderr


def catalog_without_website(config):
    """The customers catalog with `website` left out of its schema: a field the API
    sends that the schema does not list. Returns the catalog and the stream's entry."""
    catalog = catalog_for(config, CUSTOMERS)
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "customers")
    del entry["schema"]["properties"]["website"]
    return catalog, entry


def test_undeclared_fields_are_kept_and_reported_once(emulator, caplog):
    emu = emulator(rows={"customers": 200})
    config = base_config(emu)
    catalog, _ = catalog_without_website(config)
    with caplog.at_level(logging.WARNING):
        run = run_tap(config, catalog=catalog)
    assert run.exit_code == 0
    assert len(run.records("customers")) == 200
    served = {row["id"]: row["website"] for row in emu.table("customers").rows()}
    for record in run.records("customers"):
        assert "website" not in record
        assert record["_unknown_fields"] == {"website": served[record["id"]]}
    reports = [r for r in caplog.records if "'website'" in r.getMessage()]
    assert len(reports) == 1
    assert "kept in _unknown_fields" in reports[0].getMessage()


def test_undeclared_fields_are_dropped_only_when_unknown_fields_is_deselected(emulator, caplog):
    emu = emulator(rows={"customers": 30})
    config = base_config(emu)
    catalog, entry = catalog_without_website(config)
    for meta in entry["metadata"]:
        if meta["breadcrumb"] == ["properties", "_unknown_fields"]:
            meta["metadata"]["selected"] = False
    with caplog.at_level(logging.WARNING):
        run = run_tap(config, catalog=catalog)
    assert run.exit_code == 0 and len(run.records("customers")) == 30
    assert all("website" not in r and "_unknown_fields" not in r for r in run.records("customers"))


def test_a_lossy_type_mismatch_fails_the_stream_without_showing_the_value(emulator, tmp_path):
    emu = emulator(rows={"customers": 20})
    config = base_config(emu)
    catalog = catalog_for(config, CUSTOMERS)
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "customers")
    entry["schema"]["properties"]["email"] = {"type": "integer"}
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))
    run = run_cli(config, tmp_path, "--catalog", str(catalog_file))
    assert run.exit_code == 1
    assert "field 'email' should be integer but DualEntry sent string" in run.stderr
    emails = {row["email"] for row in emu.table("customers").rows() if row["email"]}
    assert not any(email in run.stderr for email in emails)
    assert "Traceback" not in run.stderr


def test_connection_check_reports_success_and_failures(emulator, tmp_path):
    emu = emulator(rows={"customers": 5})
    ok = run_cli(base_config(emu), tmp_path, "--test")
    assert ok.exit_code == 0 and "Connected to" in ok.stderr
    assert [r.endpoint for r in emu.requests] == ["health"]

    rejected = run_cli({**base_config(emu), "api_key": "wrong"}, tmp_path, "--test")
    assert rejected.exit_code == 1 and "API key was rejected" in rejected.stderr

    unreachable = run_cli(
        {"api_key": API_KEY, "api_url": "http://127.0.0.1:9", "max_tries": 1}, tmp_path, "--test"
    )
    assert unreachable.exit_code == 1
    assert "Connection test failed" in unreachable.stderr
    assert "Cannot reach the DualEntry API at http://127.0.0.1:9" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_a_proxy_named_by_the_environment_carries_every_request(emulator, monkeypatch):
    # The API's host does not resolve: only the proxy (the emulator, which serves a
    # request in absolute form like any other) can answer.
    emu = emulator(rows={"customers": 150})
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", emu.url)
    monkeypatch.setenv("http_proxy", emu.url)
    config = {**base_config(emu), "api_url": "http://api.dualentry.invalid", "max_tries": 1}
    run = run_tap(config, streams=["customers"])
    assert run.exit_code == 0
    assert len(run.records("customers")) == 150
    through_proxy = len(list_requests(emu))
    emu.clear_requests()
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name)
    direct = run_tap({**base_config(emu), "max_tries": 1}, streams=["customers"])
    assert direct.exit_code == 0
    assert through_proxy == len(list_requests(emu)) > 0
