"""Injected faults: each kind, persistence, latency, reproducibility, no side effects."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from dualentry_emulator import FAULT_KINDS, FaultPlan


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_errors(make_emulator, client, status):
    emu = make_emulator(faults=FaultPlan(**{f"http_{status}": 1.0}))
    reply = client.customers(emu)
    assert reply.status == status
    assert reply.json()["success"] is False
    assert emu.requests[-1].fault == f"http_{status}"
    assert client.request(emu.url_for("health")).status == 200  # lists only, by default


@pytest.mark.parametrize(("style", "header"), [("seconds", "2"), ("none", None)])
def test_rate_limited_fault(make_emulator, client, style, header):
    emu = make_emulator(
        faults=FaultPlan(rate_limited=1.0, retry_after=style, retry_after_seconds=2)
    )
    reply = client.customers(emu)
    assert reply.status == 429
    assert reply.headers.get("retry-after") == header
    assert (emu.requests[-1].fault, emu.requests[-1].retry_after) == ("rate_limited", header)


def test_rate_limited_fault_http_date(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(rate_limited=1.0, retry_after="http_date"))
    assert client.customers(emu).headers["retry-after"].endswith(" GMT")


def test_slow_trips_a_client_read_timeout(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(slow=1.0, slow_seconds=0.4))
    with pytest.raises((TimeoutError, socket.timeout)):
        client.request(emu.url_for("customers"), timeout=0.1)
    deadline = time.monotonic() + 3
    while not emu.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emu.requests[-1].fault == "slow"
    reply = client.request(emu.url_for("customers"), timeout=3)  # a patient client is served
    assert reply.status == 200 and "items" in reply.json()


def test_reset_closes_without_a_response(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(reset=1.0))
    with pytest.raises(ConnectionError):
        client.customers(emu)
    record = emu.requests[-1]
    assert (record.status, record.fault) == (None, "reset")


def test_truncated_body(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(truncated=1.0))
    with pytest.raises(http.client.IncompleteRead) as caught:
        client.customers(emu)
    partial = caught.value.partial
    assert partial.startswith(b'{"items": [') and caught.value.expected > 0
    assert emu.requests[-1].fault == "truncated"


def test_not_json_and_missing_keys(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(not_json=1.0))
    reply = client.customers(emu)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    emu = make_emulator(faults=FaultPlan(missing_keys=1.0))
    body = client.customers(emu).json()
    assert isinstance(body, dict) and "items" not in body and "count" not in body


def test_persistent_status_per_endpoint(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(persistent={"customers": 403}))
    for _ in range(3):
        reply = client.customers(emu)
        assert reply.status == 403
        assert reply.json() == {
            "success": False,
            "errors": {"__all__": ["You do not have permission to perform this action."]},
        }
    assert {r.fault for r in emu.requests} == {"persistent_403"}
    assert client.request(emu.url_for("health")).status == 200


def test_latency_is_added_to_every_response(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(latency_seconds=0.15))
    started = time.monotonic()
    assert client.request(emu.url_for("health")).status == 200
    assert time.monotonic() - started >= 0.15


def test_fault_choice_is_reproducible(make_emulator, client):
    plan = FaultPlan(seed=3, http_500=0.2, http_503=0.2, not_json=0.1)
    runs = []
    for _ in range(2):
        emu = make_emulator(faults=plan)
        runs.append([client.customers(emu, {"limit": 1}).status for _ in range(40)])
        assert [r.fault for r in emu.requests] == [plan.choose(i) for i in range(40)]
    assert runs[0] == runs[1]
    assert {500, 503, 200} <= set(runs[0])


def test_faulted_requests_have_no_side_effects(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(http_500=0.5, seed=1))
    calls = []
    emu.before_list(lambda endpoint, query, index: calls.append(index))
    for _ in range(20):
        client.customers(emu)
    served = [r.index for r in emu.requests if r.fault is None]
    assert calls == served and 0 < len(served) < 20


def test_health_can_be_faulted_when_named(make_emulator, client):
    emu = make_emulator(faults=FaultPlan(http_503=1.0, endpoints=frozenset({"health"})))
    assert client.request(emu.url_for("health")).status == 503
    assert client.customers(emu).status == 200


def test_plan_validation():
    assert len(FAULT_KINDS) == 10
    with pytest.raises(ValueError):
        FaultPlan(http_500=0.7, reset=0.5)
    with pytest.raises(ValueError):
        FaultPlan(persistent={"customers": 200})
    with pytest.raises(ValueError):
        FaultPlan.from_rates({"explode": 0.1})
