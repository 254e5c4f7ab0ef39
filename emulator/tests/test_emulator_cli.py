"""The command line: start as a subprocess, print the URL line, serve, stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

URL_PREFIX = "DUALENTRY_EMULATOR_URL="


def _start(*args: str, key_in_env: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ}
    if key_in_env is not None:
        env["DUALENTRY_EMULATOR_KEY"] = key_in_env
    return subprocess.Popen(
        [sys.executable, "-m", "dualentry_emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err


def test_serves_until_sigterm_and_never_logs_the_key(client):
    proc = _start("--rows", "customers=50", "--seed", "3", key_in_env=client.key)
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        assert line.startswith(URL_PREFIX + "http://127.0.0.1:")
        url = line.removeprefix(URL_PREFIX)
        assert client.request(url + "/public/v1/health/").status == 200
        body = client.request(url + "/public/v2/customers/", {"limit": 2}).json()
        assert len(body["items"]) == 2
        assert client.request(url + "/public/v1/customers/", key="wrong").status == 403
    finally:
        code, out, err = _stop(proc)
    assert code == 0
    assert out == ""  # the URL line was the only output on stdout
    assert "GET /public/v1/health/ -> 200 key=yes" in err
    assert "key=no" in err
    assert client.key not in err and client.key not in out


def test_switch_flags_reach_the_server(client):
    proc = _start(
        "--key",
        client.key,
        "--page-cap",
        "4",
        "--count-skew",
        "2",
        "--rate-limits",
        "off",
        "--trailing-slash-required",
        "no",
        "--quiet",
        "--prerender",
        "--rows",
        "customers=30",
    )
    try:
        url = (proc.stdout.readline() if proc.stdout else "").strip().removeprefix(URL_PREFIX)
        body = client.request(
            url + "/public/v1/customers", {"limit": 50, "record_status": "posted"}
        ).json()
        assert len(body["items"]) == 4
    finally:
        code, _, err = _stop(proc)
    assert code == 0 and err == ""


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_non_loopback_hosts_are_refused(client, host):
    proc = _start("--host", host, key_in_env=client.key)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 2
    assert "loopback" in err


def test_a_key_is_required():
    env = {k: v for k, v in os.environ.items() if k != "DUALENTRY_EMULATOR_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "dualentry_emulator"],
        capture_output=True,
        text=True,
        env=env,
        timeout=10,
    )
    assert proc.returncode == 2 and "API key" in proc.stderr


def test_unknown_endpoint_in_rows_is_refused(client):
    proc = _start("--rows", "nonsense=5", key_in_env=client.key)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 2 and "nonsense" in err
