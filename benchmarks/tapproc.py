"""Running the tap as its own process and reading back what it did."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.procs import ChildResult, run_child

_SUMMARY = re.compile(r"Run summary \((?P<seconds>[\d.]+) s\)")
_STREAM_LINE = re.compile(
    r"\|\s+(?P<name>\w+)\s+rows=(?P<rows>\d+)\s+requests=(?P<requests>\d+)\s+"
    r"retries=(?P<retries>\d+)\s+429s=(?P<throttled>\d+)\s+time=(?P<time>[\d.]+)s"
)


@dataclass
class StreamSummary:
    rows: int
    requests: int
    retries: int
    throttled: int
    seconds: float


@dataclass
class TapResult:
    child: ChildResult
    sync_seconds: float | None
    streams: dict[str, StreamSummary] = field(default_factory=dict)
    state: dict[str, Any] | None = None

    @property
    def rows(self) -> int:
        return sum(stream.rows for stream in self.streams.values())

    @property
    def throttled(self) -> int:
        return sum(stream.throttled for stream in self.streams.values())


def parse_summary(stderr: str) -> tuple[float | None, dict[str, StreamSummary]]:
    seconds = None
    streams: dict[str, StreamSummary] = {}
    for line in stderr.splitlines():
        match = _SUMMARY.search(line)
        if match:
            seconds = float(match["seconds"])
            continue
        match = _STREAM_LINE.search(line)
        if match:
            streams[match["name"]] = StreamSummary(
                rows=int(match["rows"]),
                requests=int(match["requests"]),
                retries=int(match["retries"]),
                throttled=int(match["throttled"]),
                seconds=float(match["time"]),
            )
    return seconds, streams


def catalog_for(config: dict[str, Any], streams: Sequence[str]) -> dict[str, Any]:
    """The tap's discovered catalog with only ``streams`` selected."""
    from tap_dualentry.tap import TapDualEntry  # noqa: PLC0415 - only when needed

    tap = TapDualEntry(config=config, validate_config=False, setup_mapper=False)
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def last_state(path: Path) -> dict[str, Any] | None:
    """The last STATE message of a Singer output file."""
    state = None
    with path.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"STATE"'):
                state = json.loads(line)["value"]
    return state


def run_tap(
    workdir: Path,
    name: str,
    config: dict[str, Any],
    streams: Sequence[str],
    *,
    state: dict[str, Any] | None = None,
    keep_output: bool = False,
    python: str = sys.executable,
    prefix: Sequence[str] = (),
) -> TapResult:
    """Run ``python -m tap_dualentry`` (after ``prefix``, a profiler say) with a catalog
    selecting ``streams``."""
    config_path = workdir / f"{name}.config.json"
    config_path.write_text(json.dumps(config))
    catalog_path = workdir / f"{name}.catalog.json"
    catalog_path.write_text(json.dumps(catalog_for(config, streams)))
    command = [*prefix, python, "-m", "tap_dualentry", "--config", str(config_path)]
    command += ["--catalog", str(catalog_path)]
    if state is not None:
        state_path = workdir / f"{name}.state.json"
        state_path.write_text(json.dumps(state))
        command += ["--state", str(state_path)]
    out_path = workdir / f"{name}.out.jsonl" if keep_output else None
    child = run_child(command, stdout=out_path)
    (workdir / f"{name}.stderr.log").write_text(child.stderr)
    if child.returncode != 0:
        tail = "\n".join(child.stderr.splitlines()[-15:])
        raise RuntimeError(f"tap run {name!r} exited {child.returncode}:\n{tail}")
    seconds, summaries = parse_summary(child.stderr)
    result = TapResult(child=child, sync_seconds=seconds, streams=summaries)
    if out_path is not None:
        result.state = last_state(out_path)
    return result
