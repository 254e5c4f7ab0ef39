"""Test helpers: emulators on loopback and ways to run the tap against them.

Every test talks real HTTP to a ``dualentry_emulator.Emulator`` on 127.0.0.1. The
tap runs either in-process (``run_tap``: fast, output captured from its own
writer) or as the installed command (``run_cli``: exit codes, stderr, signals).
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import secrets
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dualentry_emulator import Emulator

from tap_dualentry.clock import SYSTEM_CLOCK, Clock, SimulatedClock
from tap_dualentry.output import SingerOutput
from tap_dualentry.tap import TapDualEntry

# A fresh key per test session; test_secrets.py searches every artefact for it.
API_KEY = "de-test-" + secrets.token_hex(16)
TAP_COMMAND = [sys.executable, "-m", "tap_dualentry"]
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@dataclass
class TapRun:
    """What one tap run wrote, parsed."""

    exit_code: int
    messages: list[dict[str, Any]]
    stderr: str = ""
    raw: str = ""
    tap: TapDualEntry | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        # What an assertion on a run prints: the exit code and the tap's last words,
        # not thousands of messages.
        return (
            f"TapRun(exit_code={self.exit_code}, messages={len(self.messages)}, "
            f"stderr tail={self.stderr[-1500:]!r})"
        )

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def record_messages(self, stream: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}

    def bookmark(self, stream: str) -> dict[str, Any]:
        return dict(self.state.get("bookmarks", {}).get(stream, {}))

    def bookmarks(self, stream: str) -> dict[tuple[tuple[str, Any], ...], Any]:
        """Each pass's replication_key_value, by its partition (``()``: the stream's own)."""
        state = self.bookmark(stream)
        found = {(): state["replication_key_value"]} if "replication_key_value" in state else {}
        for partition in state.get("partitions", []):
            context = tuple(sorted(partition["context"].items()))
            found[context] = partition.get("replication_key_value")
        return found

    def newest_bookmark(self, stream: str) -> Any:
        return max(filter(None, self.bookmarks(stream).values()), default=None)

    def types(self, stream: str | None = None) -> Counter[str]:
        return Counter(
            m["type"] for m in self.messages if stream is None or m.get("stream") == stream
        )


# The tap's own simulated clock, under the name the tests use.
VirtualClock = SimulatedClock


def sweep(size: int, *, default: int, quick: int = 0) -> list[Any]:
    """Trials ``0 .. size-1`` as pytest parameters: the first ``quick`` in every run,
    up to ``default`` in a default run (marked thorough), the rest only in a full run
    (marked slow), which is what CI runs."""
    params = []
    for trial in range(size):
        marks = [] if trial < quick else [pytest.mark.thorough]
        if trial >= default:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(trial, marks=marks))
    return params


def base_config(emu: Emulator, **settings: Any) -> dict[str, Any]:
    """Settings for a run against ``emu``; pacing is off unless a test turns it on, since
    emulators without rate limits are the norm in tests."""
    return {"api_key": API_KEY, "api_url": emu.url, "rate_limit_pacing": False, **settings}


def catalog_for(config: dict[str, Any], streams: list[str]) -> dict[str, Any]:
    """The tap's discovered catalog with only ``streams`` selected."""
    tap = TapDualEntry(config=config, validate_config=False, setup_mapper=False)
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as a module (the scripts are files, not a package)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tap(
    config: dict[str, Any],
    *,
    streams: list[str] | None = None,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> TapRun:
    """Run a sync in this process; output comes from the tap's own writer.

    With a ``VirtualClock`` the tap's waits (retries, Retry-After, pacing) take no time.
    """
    if streams is not None and catalog is None:
        catalog = catalog_for(config, streams)
    buffer = io.BytesIO()
    tap = TapDualEntry(
        config=config,
        state=json.loads(json.dumps(state)) if state else None,
        catalog=catalog,
        message_writer=SingerOutput(stream=buffer),
        clock=clock,
    )
    # The tap's warnings and errors stand in for stderr, as a command's would.
    stderr = io.StringIO()
    handler = logging.StreamHandler(stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tap-dualentry")
    logger.addHandler(handler)
    try:
        code = tap.run()
    finally:
        logger.removeHandler(handler)
    raw = buffer.getvalue().decode("utf-8")
    return TapRun(code, parse_messages(raw), stderr=stderr.getvalue(), raw=raw, tap=tap)


def parse_messages(raw: str) -> list[dict[str, Any]]:
    """Singer messages from JSON lines, numbers with a fraction as exact Decimals."""
    return [json.loads(line, parse_float=Decimal) for line in raw.splitlines() if line.strip()]


def run_cli(
    config: dict[str, Any],
    tmp_path: Path,
    *args: str,
    streams: list[str] | None = None,
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run the tap as a command, the way Meltano or a shell would."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [*TAP_COMMAND, "--config", str(config_file), *args]
    if streams is not None:
        catalog_file = tmp_path / "catalog.json"
        catalog_file.write_text(json.dumps(catalog_for(config, streams)))
        command += ["--catalog", str(catalog_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    singer_output = not {"--discover", "--about", "--probe"} & set(args)
    return TapRun(
        completed.returncode,
        parse_messages(completed.stdout) if singer_output else [],
        stderr=completed.stderr,
        raw=completed.stdout,
    )


def list_requests(emu: Emulator, endpoint: str = "customers") -> list[Any]:
    """The emulator's log of list requests to one endpoint."""
    return [r for r in emu.requests if r.endpoint == endpoint]
