"""A run stopped at any point leaves no bookmark that skips an unread row: SIGKILL
anywhere, SIGTERM/SIGINT with a non-zero exit, then a rerun from the last STATE."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading

import pytest
from dualentry_emulator import FaultPlan
from harness import TAP_COMMAND, base_config, catalog_for, parse_messages, run_cli, sweep

# Subprocess trials, each several seconds: none in a quick run.
pytestmark = pytest.mark.thorough

ROWS = 1200


def complete_lines(raw: bytes) -> list[dict]:
    """Messages from whole lines only: a killed process may leave half a line."""
    text = raw.decode("utf-8", errors="replace")
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    return parse_messages(text)


def interrupted_run(config, catalog_file, config_file, after_lines: int, sig: int):
    """Start the tap, stop it with ``sig`` once it has written ``after_lines`` lines."""
    with subprocess.Popen(
        [*TAP_COMMAND, "--config", str(config_file), "--catalog", str(catalog_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        errors = process.stderr
        stderr: list[bytes] = []
        drain = threading.Thread(target=lambda: stderr.append(errors.read()), daemon=True)
        drain.start()
        chunks: list[bytes] = []
        lines = 0
        while chunk := process.stdout.read1(65536):
            chunks.append(chunk)
            lines += chunk.count(b"\n")
            if lines >= after_lines:
                process.send_signal(sig)
                break
        rest = process.stdout.read()
        code = process.wait(timeout=60)
        drain.join(timeout=10)
    return code, b"".join([*chunks, rest]), b"".join(stderr).decode()


@pytest.fixture
def slow_source(emulator, tmp_path):
    # Latency stretches the run over many small pages so a signal can land anywhere.
    emu = emulator(rows={"customers": ROWS}, faults=FaultPlan(latency_seconds=0.01))
    config = base_config(emu, page_size=25)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog_for(config, ["customers"])))
    return emu, config, config_file, catalog_file


def last_state(messages: list[dict]) -> dict | None:
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return states[-1] if states else None


def ids_of(messages: list[dict]) -> set:
    return {m["record"]["id"] for m in messages if m["type"] == "RECORD"}


@pytest.mark.parametrize("trial", sweep(20, default=5))
def test_sigkill_anywhere_then_resume_delivers_every_row(slow_source, tmp_path, trial):
    emu, config, config_file, catalog_file = slow_source
    after = random.Random(trial).randint(1, ROWS + 60)
    _, raw, _ = interrupted_run(config, catalog_file, config_file, after, signal.SIGKILL)
    first = complete_lines(raw)
    everything = set(emu.table("customers").ids())
    # A pass cut short never tells the target to retire rows: ACTIVATE_VERSION only ever
    # follows every row of its pass. (Output leaves in chunks, so the kill, sent once
    # the reader has seen `after` lines, may come after a pass that completed.)
    for index, message in enumerate(first):
        if message["type"] == "ACTIVATE_VERSION":
            assert everything <= ids_of(first[:index])
    rerun = run_cli(config, tmp_path, streams=["customers"], state=last_state(first))
    assert rerun.exit_code == 0
    assert everything <= ids_of(first) | ids_of(rerun.messages)


@pytest.mark.parametrize(
    ("trial", "sig"),
    [(t, signal.SIGTERM) for t in range(2)]
    + [pytest.param(t, signal.SIGTERM, marks=pytest.mark.slow) for t in range(2, 5)]
    + [(5, signal.SIGINT)],
)
def test_sigterm_exits_non_zero_on_a_whole_line_and_resumes(slow_source, tmp_path, trial, sig):
    emu, config, config_file, catalog_file = slow_source
    after = random.Random(100 + trial).randint(1, ROWS // 2)
    code, raw, stderr = interrupted_run(config, catalog_file, config_file, after, sig)
    assert code == 128 + sig, stderr[-2000:]
    assert raw.endswith(b"\n"), "the output must end on a whole line"
    assert "Interrupted by" in stderr
    assert "Traceback" not in stderr
    first = parse_messages(raw.decode())
    assert not any(m["type"] == "ACTIVATE_VERSION" for m in first)
    rerun = run_cli(config, tmp_path, streams=["customers"], state=last_state(first))
    assert rerun.exit_code == 0
    assert set(emu.table("customers").ids()) <= ids_of(first) | ids_of(rerun.messages)
