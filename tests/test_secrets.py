"""The API key appears nowhere: no log line at any level, no error, no STATE, no
emulator log, whatever happens during the run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
from dualentry_emulator import FaultPlan
from harness import API_KEY, base_config, run_cli

DEBUG = {"TAP_DUALENTRY_LOGLEVEL": "DEBUG"}
ALL_FAULTS = {
    "http_500": 0.03,
    "http_503": 0.03,
    "rate_limited": 0.03,
    "reset": 0.03,
    "truncated": 0.03,
    "not_json": 0.03,
    "missing_keys": 0.03,
    "slow": 0.02,
}


def assert_nowhere(secret: str, *texts: str) -> None:
    for text in texts:
        assert secret not in text


@pytest.mark.parametrize(
    ("scenario", "faults", "settings", "args"),
    [
        ("a clean sync", None, {}, ()),
        ("retries through every fault kind", FaultPlan(seed=2, **ALL_FAULTS), {}, ()),
        pytest.param(
            "a persistent server error",
            FaultPlan(persistent={"customers": 503}),
            {"max_tries": 2},
            (),
            marks=pytest.mark.thorough,
        ),
        pytest.param(
            "a permission error",
            FaultPlan(persistent={"customers": 403}),
            {},
            (),
            marks=pytest.mark.thorough,
        ),
        pytest.param(
            "a bad request",
            FaultPlan(persistent={"customers": 400}),
            {},
            (),
            marks=pytest.mark.thorough,
        ),
        ("a bad setting", None, {"page_size": 0}, ()),
        ("the connection check", None, {}, ("--test",)),
        pytest.param("discovery", None, {}, ("--discover",), marks=pytest.mark.thorough),
    ],
)
def test_the_key_never_appears_at_debug_level(emulator, tmp_path, scenario, faults, settings, args):
    emu = emulator(rows={"customers": 300}, faults=faults)
    config = base_config(emu, request_timeout=1, **settings)
    run = run_cli(config, tmp_path, *args, streams=["customers"], env=DEBUG)
    assert "DEBUG" in run.stderr, f"{scenario}: the run did not log at DEBUG level"
    assert_nowhere(API_KEY, run.raw, run.stderr, repr(emu.requests))


def test_a_rejected_key_is_not_echoed(emulator, tmp_path):
    emu = emulator(rows={"customers": 10})
    wrong = "de-wrong-" + API_KEY[::-1]
    run = run_cli({**base_config(emu), "api_key": wrong}, tmp_path, env=DEBUG)
    assert run.exit_code == 1
    assert_nowhere(wrong, run.raw, run.stderr, repr(emu.requests))


def test_a_malformed_key_setting_is_not_echoed(tmp_path):
    run = run_cli({"api_key": ["de-secret-in-a-list"], "api_url": "http://127.0.0.1:9"}, tmp_path)
    assert run.exit_code == 1
    assert_nowhere("de-secret-in-a-list", run.raw, run.stderr)


def test_the_emulator_command_never_logs_the_key():
    env = {**os.environ, "DUALENTRY_EMULATOR_KEY": API_KEY}
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dualentry_emulator",
            "--port",
            "0",
            "--rows",
            "customers=20",
            "--rate-limits",
            "off",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        for key in (API_KEY, "wrong", None):
            headers = {"X-API-KEY": key} if key else {}
            requests.get(f"{url}/public/v1/customers/", headers=headers, timeout=10)
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert "key=yes" in err and "key=no" in err and "key=missing" in err
    assert_nowhere(API_KEY, out, err)
