"""The benchmark: every section in one run, figures to ``output/results.json``,
``RESULTS.md`` and ``throughput.png`` (see README.md). Every scenario runs at the
settings a user gets; a baseline or capped figure is an extra row beside it.

Sections:
1. one stream, 3,000 rows, documented limits, real time: paced and naive (pacing off);
2. six streams of 3,000 rows, real time: defaults, pacing off, sequential;
3. the same on a clock scaled x20 (emulator ``--scale 20``, tap rates x20), larger tables;
4. a realistic organisation (46 streams, skewed sizes) at the documented limits, then
   its run with nothing changed: requests against the least its streams' designs need;
5. incremental runs after k changes among 100,000 rows: requests made;
6. CPU microseconds per record, tap vs a requests + json floor and a msgspec floor, and
   the same as instructions counted by callgrind (when valgrind is installed);
7. peak RSS of the tap at 10^4, 10^5 and 10^6 rows.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.ceiling import Limits, binding_constraint, ceiling_seconds
from benchmarks.procs import ChildResult, EmulatorProcess, LoggedRequest, run_child
from benchmarks.tapproc import TapResult, run_tap

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
KEY = "bench-" + secrets.token_hex(12)
API_VERSION = "v2"
SCALE = 20.0
# Master data with small items: six streams at x20 whose pages this machine can build and
# shape at 100 a second (the documents above, with their lines, cost several times more).
LIGHT = ("customers", "items", "accounts", "classifications", "budgets", "custom_fields")
# Distinct endpoints for the six-stream runs, best first: each has its own route bucket.
PREFERRED = (
    "customers",
    "vendors",
    "items",
    "invoices",
    "bills",
    "journal_entries",
    "accounts",
    "classifications",
    "sales_orders",
    "purchase_orders",
)


@dataclass
class Sizes:
    """Table sizes; ``--quick`` shrinks them to check the benchmark itself."""

    one_stream: int = 3_000
    six_streams: int = 3_000
    scaled_one: int = 100_000
    scaled_six: int = 30_000
    incremental: int = 100_000
    incremental_changes: tuple[int, ...] = (0, 10, 1_000)
    cpu: int = 100_000
    cpu_tiny: int = 100
    cpu_repeats: int = 3
    rss: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    organisation_scale_down: int = 1  # the organisation's sizes divided by this
    instructions: tuple[int, int] = (3_000, 300)


QUICK = Sizes(
    one_stream=1_500,
    six_streams=1_000,
    scaled_one=10_000,
    scaled_six=5_000,
    incremental=10_000,
    incremental_changes=(0, 10, 300),
    cpu=10_000,
    cpu_tiny=100,
    cpu_repeats=1,
    rss=(1_000, 10_000, 100_000),
    organisation_scale_down=20,
    instructions=(600, 100),
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def tap_config(url: str, **settings: object) -> dict[str, Any]:
    return {"api_key": KEY, "api_url": url, "api_version": API_VERSION, **settings}


# Throughput under the rate limits (sections 1-3)


@dataclass
class Throughput:
    """One rate-limited run, seen from the emulator's log and the tap's summary."""

    scenario: str
    settings: str  # "defaults", or the settings changed from them
    streams: list[str]
    scale: float
    rows: int
    requests: int  # answered with a token taken (everything but 429)
    throttled: int  # 429s received
    per_route: dict[str, int]
    ceiling_s: float
    span_s: float  # first request's arrival to the last answer, at the emulator
    ratio: float  # ceiling / span: achieved throughput as a share of the ceiling
    binding: str
    sync_s: float | None  # the tap's own "Run summary" time
    wall_s: float  # process start to exit (includes Python start-up)
    tap_cpu_s: float  # CPU of the tap process (user + sys, start-up included)
    emulator_cpu_s: float  # CPU the emulator spent serving this run
    load_before: list[float]
    load_after: list[float]

    @property
    def cores_at_ceiling(self) -> float:
        """CPU (tap + emulator) the run needs per second at the ceiling's pace."""
        return (self.tap_cpu_s + self.emulator_cpu_s) / self.ceiling_s if self.ceiling_s else 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.span_s if self.span_s else 0.0

    @property
    def ceiling_rows_per_s(self) -> float:
        return self.rows / self.ceiling_s if self.ceiling_s else 0.0


def describe_settings(settings: dict[str, object]) -> str:
    """How a run's settings differ from the defaults (rates scaled with the clock aside)."""
    return ", ".join(f"`{name}: {json.dumps(value)}`" for name, value in settings.items()) or (
        "defaults"
    )


def scaled_config(url: str, scale: float, settings: dict[str, object]) -> dict[str, Any]:
    """The tap's settings: defaults, the documented rates times ``scale``, then ``settings``."""
    limits = Limits(scale=scale)
    rates: dict[str, object] = {}
    if scale != 1:
        rates = {
            "requests_per_second": limits.aggregate_per_second * scale,
            "endpoint_requests_per_second": limits.route_per_second * scale,
        }
    return tap_config(url, **rates, **settings)


def throughput_run(
    workdir: Path,
    scenario: str,
    streams: Sequence[str],
    rows: int,
    *,
    scale: float = 1.0,
    prerender: bool = False,
    **settings: object,
) -> Throughput:
    """A fresh emulator with the documented buckets, one tap run, its figures."""
    log(f"{scenario}: {len(streams)} stream(s) x {rows} rows, scale {scale:g}")
    before = loadavg()
    with EmulatorProcess(
        PYTHON,
        workdir,
        key=KEY,
        rows=dict.fromkeys(streams, rows),
        rate_limits=True,
        scale=scale,
        prerender=prerender,
    ) as emu:
        config = scaled_config(emu.url, scale, settings)
        emulator_start = emu.cpu_seconds()
        result = run_tap(workdir, scenario, config, streams)
        emulator_cpu = emu.cpu_seconds() - emulator_start
        logged = emu.requests()
    return _throughput(
        scenario, describe_settings(settings), streams, scale, result, logged, before, emulator_cpu
    )


def _throughput(
    scenario: str,
    settings: str,
    streams: Sequence[str],
    scale: float,
    result: TapResult,
    logged: list[LoggedRequest],
    before: list[float],
    emulator_cpu: float,
) -> Throughput:
    limits = Limits(scale=scale)
    served = [r for r in logged if r.status is not None and r.status != 429]
    per_route = dict(Counter(r.path for r in served))
    ceiling = ceiling_seconds(per_route, limits)
    span = max(r.done for r in logged) - min(r.arrival for r in logged) if logged else 0.0
    throughput = Throughput(
        scenario=scenario,
        settings=settings,
        streams=list(streams),
        scale=scale,
        rows=result.rows,
        requests=len(served),
        throttled=sum(1 for r in logged if r.status == 429),
        per_route=per_route,
        ceiling_s=round(ceiling, 3),
        span_s=round(span, 3),
        ratio=round(ceiling / span, 4) if span else 0.0,
        binding=binding_constraint(per_route, limits),
        sync_s=result.sync_seconds,
        wall_s=round(result.child.wall, 2),
        tap_cpu_s=round(result.child.cpu, 2),
        emulator_cpu_s=round(emulator_cpu, 2),
        load_before=before,
        load_after=loadavg(),
    )
    log(
        f"  {scenario}: {throughput.rows} rows, {throughput.requests} requests, "
        f"{throughput.throttled} x 429, span {span:.2f} s vs ceiling {ceiling:.2f} s "
        f"-> {throughput.ratio:.3f}; CPU tap {throughput.tap_cpu_s:.1f} s, emulator "
        f"{emulator_cpu:.1f} s"
    )
    if throughput.throttled != result.throttled:
        log(f"  note: the tap counted {result.throttled} 429s, the emulator {throughput.throttled}")
    return throughput


def six_endpoints() -> tuple[list[str], str]:
    """Six distinct endpoints both the emulator and the tap serve, and a note."""
    from dualentry_emulator import CATALOGUE  # noqa: PLC0415

    from tap_dualentry.catalogue import CATALOGUE as TAP  # noqa: PLC0415

    tap_names = {endpoint.name for endpoint in TAP}
    served = [name for name in CATALOGUE if name in tap_names]
    ordered = [name for name in PREFERRED if name in served]
    ordered += sorted(name for name in served if name not in ordered)
    chosen = ordered[:6]
    note = ""
    if len(chosen) < 6:
        note = (
            f"the emulator serves only {len(chosen)} endpoint(s) the tap knows "
            f"({', '.join(chosen)}); the multi-stream runs use those"
        )
    return chosen, note


def section_throughput(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    runs: list[Throughput] = []
    one = ["customers"]
    runs.append(throughput_run(workdir, "one-stream-paced", one, sizes.one_stream))
    runs.append(
        throughput_run(workdir, "one-stream-naive", one, sizes.one_stream, rate_limit_pacing=False)
    )
    six, note = six_endpoints()
    runs.append(throughput_run(workdir, "six-streams-parallel", six, sizes.six_streams))
    runs.append(
        throughput_run(
            workdir, "six-streams-naive", six, sizes.six_streams, rate_limit_pacing=False
        )
    )
    runs.append(
        throughput_run(
            workdir, "six-streams-sequential", six, sizes.six_streams, max_parallel_streams=1
        )
    )
    # On the scaled clock the emulator renders every row before it listens: at 100
    # requests a second its page building would otherwise measure this machine's CPU.
    runs.append(
        throughput_run(
            workdir, "scaled-one-stream", one, sizes.scaled_one, scale=SCALE, prerender=True
        )
    )
    runs.append(
        throughput_run(
            workdir, "scaled-six-streams", six, sizes.scaled_six, scale=SCALE, prerender=True
        )
    )
    light = light_endpoints()
    runs.append(
        throughput_run(
            workdir, "scaled-six-light", light, sizes.scaled_six, scale=SCALE, prerender=True
        )
    )
    return {
        "runs": [
            {**asdict(run), "cores_at_ceiling": round(run.cores_at_ceiling, 2)} for run in runs
        ],
        "six_streams_note": note,
        "light_streams": light,
    }


def light_endpoints() -> list[str]:
    """Six endpoints whose pages are cheap to build and to shape (master data)."""
    from dualentry_emulator import CATALOGUE  # noqa: PLC0415

    from tap_dualentry.catalogue import CATALOGUE as TAP  # noqa: PLC0415

    tap_names = {endpoint.name for endpoint in TAP}
    return [name for name in LIGHT if name in CATALOGUE and name in tap_names][:6]


# A realistic organisation (section 4)

# The large lists of a real organisation; every other list gets 0 to 500 rows, except the
# small reference lists, which keep the emulator's own sizes.
BIG_LISTS = {"journal_entries": 30_000, "invoices": 15_000, "bills": 8_000, "customers": 3_000}
REFERENCE_LISTS = (
    "accounts",
    "companies",
    "classifications",
    "classification_lines",
    "custom_fields",
    "depreciation_books",
    "vat_rates",
    "gst_tax_rates",
    "product_tax_codes",
    "workflows",
)


def organisation_sizes(scale_down: int = 1) -> dict[str, int]:
    """Rows per list: the big four, the reference lists as they are, the rest 0 to 500."""
    from dualentry_emulator import CATALOGUE  # noqa: PLC0415

    draw = random.Random(46)
    sizes: dict[str, int] = {}
    for name, spec in CATALOGUE.items():
        if "v2" not in spec.versions:
            continue
        if name in BIG_LISTS:
            sizes[name] = BIG_LISTS[name] // scale_down
        elif name in REFERENCE_LISTS:
            sizes[name] = spec.default_rows
        else:
            sizes[name] = draw.randint(0, 500) // scale_down
    return sizes


def every_stream(config: dict[str, Any]) -> list[str]:
    """Every stream the tap offers, line streams included (what a user selects by default)."""
    from benchmarks.tapproc import catalog_for  # noqa: PLC0415

    return [entry["tap_stream_id"] for entry in catalog_for(config, [])["streams"]]


def section_organisation(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    """One organisation, default settings: a first (full) run, then a run with nothing
    changed; and the first run again with streams capped at five in flight."""
    tables = organisation_sizes(sizes.organisation_scale_down)
    log(f"organisation: {len(tables)} lists, {sum(tables.values())} rows")
    before = loadavg()
    with EmulatorProcess(PYTHON, workdir, key=KEY, rows=tables, rate_limits=True) as emu:
        config = tap_config(emu.url)
        streams = every_stream(config)
        emulator_start = emu.cpu_seconds()
        first = run_tap(workdir, "organisation", config, streams, keep_output=True)
        emulator_cpu = emu.cpu_seconds() - emulator_start
        logged = emu.requests()
        full = _throughput(
            "organisation", "defaults", list(tables), 1.0, first, logged, before, emulator_cpu
        )
        (workdir / "organisation.out.jsonl").unlink()
        # Nothing changes in DualEntry between the two runs. The next run of a schedule
        # comes long after the buckets have refilled: so does this one.
        time.sleep(Limits().aggregate_burst / Limits().aggregate_per_second + 1)
        mark = emu.mark()
        again_before = loadavg()
        again = run_tap(workdir, "organisation-unchanged", config, streams, state=first.state)
        unchanged = _throughput(
            "organisation-unchanged",
            "defaults",
            list(tables),
            1.0,
            again,
            emu.requests_since(mark),
            again_before,
            0.0,
        )
        accounting = nothing_changed_accounting(emu.requests_since(mark), first)
    capped_before = loadavg()
    log("organisation, capped at 5 streams in flight")
    with EmulatorProcess(PYTHON, workdir, key=KEY, rows=tables, rate_limits=True) as emu:
        settings: dict[str, object] = {"max_parallel_streams": 5}
        emulator_start = emu.cpu_seconds()
        capped = run_tap(workdir, "organisation-capped", tap_config(emu.url, **settings), streams)
        capped_run = _throughput(
            "organisation-capped",
            describe_settings(settings),
            list(tables),
            1.0,
            capped,
            emu.requests(),
            capped_before,
            emu.cpu_seconds() - emulator_start,
        )
    runs = [full, capped_run, unchanged]
    return {
        "tables": tables,
        "runs": [
            {**asdict(run), "cores_at_ceiling": round(run.cores_at_ceiling, 2)} for run in runs
        ],
        "unchanged": accounting,
    }


def _pass_of(query: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A request's pass: its query without the paging."""
    return tuple(sorted((k, v) for k, v in query if k not in ("limit", "offset")))


def nothing_changed_accounting(logged: list[LoggedRequest], first: TapResult) -> dict[str, Any]:
    """Requests per stream of a run with nothing changed, against the least each stream's
    design needs.

    Least possible: a stream read incrementally needs one request for each pass its
    design makes (a pass per company partition, or per record status where a design
    reads them apart), since a pass must see at least one page to know nothing changed;
    a full-table stream needs every page of its list, ceil(rows / 100) (at least one),
    for each pass. A pass is a distinct query once paging is left out, and a request
    for one row is a probe, not a pass. What a stream costs beyond that is named: the
    probes, and the pages beyond ceil(rows / 100) (the one-row overlap that lets paging
    verify its position, or rows the pass had to read).
    """
    from tap_dualentry.catalogue import CATALOGUE  # noqa: PLC0415

    by_path = {f"/public/{API_VERSION}/{endpoint.path}": endpoint for endpoint in CATALOGUE}
    served = [r for r in logged if r.status is not None and r.status != 429]
    streams: list[dict[str, Any]] = []
    for path, endpoint in by_path.items():
        mine = [r for r in served if r.path == path]
        if not mine:
            continue
        probes = [r for r in mine if dict(r.query).get("limit") == "1"]
        passes = {_pass_of(r.query) for r in mine if dict(r.query).get("limit") != "1"}
        rows = first.streams[endpoint.name].rows if endpoint.name in first.streams else 0
        incremental = endpoint.incremental
        per_pass = 1 if incremental else max(1, math.ceil(rows / 100))
        least = per_pass * max(1, len(passes))
        reasons = []
        if probes:
            reasons.append(f"{len(probes)} probe{'' if len(probes) == 1 else 's'}")
        pages_over = len(mine) - len(probes) - least
        if pages_over > 0:
            reasons.append(
                f"{pages_over} page{'' if pages_over == 1 else 's'} "
                + ("past the first of a pass" if incremental else "for the overlap row")
            )
        streams.append(
            {
                "stream": endpoint.name,
                "replication": "incremental" if incremental else "full table",
                "rows_listed": rows,
                "passes": len(passes),
                "requests": len(mine),
                "least": least,
                "extra": len(mine) - least,
                "why": "; ".join(reasons),
            }
        )
    made = sum(stream["requests"] for stream in streams)
    least = sum(stream["least"] for stream in streams)
    return {
        "requests": made,
        "least": least,
        "ratio": round(made / least, 4) if least else 0.0,
        "throttled": sum(1 for r in logged if r.status == 429),
        "streams": streams,
    }


# Incremental runs (section 5)


def section_incremental(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    """A full sync of N customers, then incremental runs after k edits each: requests
    made, against the least a pass per record status needs.

    The emulator runs in this process here (its Python API is the only way to edit
    rows); only request counts are measured, so its CPU does not matter.
    """
    from dualentry_emulator import Emulator  # noqa: PLC0415
    from dualentry_emulator.behaviour import RECORD_STATUSES  # noqa: PLC0415

    log(f"incremental: {sizes.incremental} rows, k = {sizes.incremental_changes}")
    results: list[dict[str, Any]] = []
    with Emulator(KEY, seed=1, rows={"customers": sizes.incremental}) as emu:
        config = tap_config(emu.url, rate_limit_pacing=False)
        table = emu.table("customers")
        full = run_tap(workdir, "incremental-full", config, ["customers"], keep_output=True)
        full_requests = len([r for r in emu.requests if r.endpoint == "customers"])
        state = full.state
        ids = table.ids()
        chooser = random.Random(7)
        for k in sizes.incremental_changes:
            edited = chooser.sample(ids, k)
            for pk in edited:
                table.edit(pk)
            # Customers are read one pass per record status: each pass needs a page per
            # 100 (or 99, with the overlap row) of its own edits, plus the page that
            # reaches past its bookmark.
            per_pass = Counter(table.record_status(pk) for pk in edited)
            passes = len(RECORD_STATUSES)
            emu.clear_requests()
            run = run_tap(
                workdir, f"incremental-k{k}", config, ["customers"], state=state, keep_output=True
            )
            made = len([r for r in emu.requests if r.endpoint == "customers"])
            state = run.state
            results.append(
                {
                    "k": k,
                    "requests": made,
                    "rows": run.rows,
                    "tap_requests": run.streams["customers"].requests,
                    "passes": passes,
                    "bound_100": sum(math.ceil(n / 100) for n in per_pass.values()) + passes,
                    "bound_99": sum(math.ceil(n / 99) for n in per_pass.values()) + passes,
                }
            )
            log(f"  k={k}: {made} requests, {run.rows} rows")
    return {"rows": sizes.incremental, "full_sync_requests": full_requests, "runs": results}


# CPU per record (section 6)


FLOORS = ("json", "msgspec")


def _floor_child(
    workdir: Path, url: str, name: str, keep: bool, codec: str, prefix: Sequence[str] = ()
) -> tuple[ChildResult, Path | None]:
    out = workdir / f"{name}.out.jsonl" if keep else None
    child = run_child(
        [*prefix, PYTHON, str(HERE / "floor.py"), url, API_VERSION, codec],
        stdout=out,
        env={"DUALENTRY_KEY": KEY},
    )
    if child.returncode != 0:
        raise RuntimeError(f"floor run failed:\n{child.stderr[-2000:]}")
    return child, out


def _floor_run(
    workdir: Path, url: str, name: str, keep: bool, codec: str
) -> tuple[float, Path | None]:
    child, out = _floor_child(workdir, url, name, keep, codec)
    return child.cpu, out


def _records(path: Path) -> list[Any]:
    from decimal import Decimal  # noqa: PLC0415

    records = []
    with path.open("rb") as lines:
        for line in lines:
            message = json.loads(line, parse_float=Decimal)
            if message["type"] == "RECORD":
                records.append(message["record"])
    return records


def section_cpu(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    """CPU seconds (user + sys) of whole processes, big run minus tiny run, per row: the
    tap, and the two floors (``floor.py`` with the standard json module and with msgspec)."""
    log(f"cpu: {sizes.cpu} vs {sizes.cpu_tiny} rows, {sizes.cpu_repeats} repeat(s)")
    before = loadavg()
    names = ["tap", *(f"floor_{codec}" for codec in FLOORS)]
    samples: dict[str, list[float]] = {key: [] for name in names for key in (name, f"{name}_tiny")}
    identical: dict[str, bool] = {}
    with (
        EmulatorProcess(
            PYTHON, workdir, key=KEY, rows={"customers": sizes.cpu}, rate_limits=False, quiet=True
        ) as big,
        EmulatorProcess(
            PYTHON,
            workdir,
            key=KEY,
            rows={"customers": sizes.cpu_tiny},
            rate_limits=False,
            quiet=True,
        ) as tiny,
    ):
        for repeat in range(sizes.cpu_repeats):
            keep = repeat == 0
            outputs: dict[str, Path | None] = {}
            for emu, suffix in ((big, ""), (tiny, "_tiny")):
                run = run_tap(
                    workdir,
                    f"cpu-tap{suffix}",
                    tap_config(emu.url, rate_limit_pacing=False),
                    ["customers"],
                    keep_output=keep and not suffix,
                )
                samples[f"tap{suffix}"].append(run.child.cpu)
                for codec in FLOORS:
                    cpu, out = _floor_run(
                        workdir, emu.url, f"cpu-floor-{codec}{suffix}", keep and not suffix, codec
                    )
                    samples[f"floor_{codec}{suffix}"].append(cpu)
                    if out is not None:
                        outputs[codec] = out
            if keep:
                tap_out = workdir / "cpu-tap.out.jsonl"
                tap_records = _records(tap_out)
                for codec, out in outputs.items():
                    if out is None:
                        continue
                    floor_records = _records(out)
                    identical[codec] = tap_records == floor_records
                    log(
                        f"  RECORD content identical to the {codec} floor: {identical[codec]} "
                        f"({len(tap_records)} vs {len(floor_records)} records)"
                    )
                    out.unlink()
                tap_out.unlink()
            log(
                f"  repeat {repeat + 1}: "
                + ", ".join(f"{k}={v[-1]:.2f}s" for k, v in samples.items())
            )
    rows = sizes.cpu - sizes.cpu_tiny
    median = {name: statistics.median(values) for name, values in samples.items()}
    per_record = {
        name: round((median[name] - median[f"{name}_tiny"]) / rows * 1e6, 2) for name in names
    }
    return {
        "rows": sizes.cpu,
        "tiny_rows": sizes.cpu_tiny,
        "repeats": sizes.cpu_repeats,
        "samples_cpu_s": samples,
        "startup_cpu_s": {name: round(median[f"{name}_tiny"], 3) for name in names},
        "us_per_record": per_record,
        "ratio_json": round(per_record["tap"] / per_record["floor_json"], 3),
        "ratio_msgspec": round(per_record["tap"] / per_record["floor_msgspec"], 3),
        "identical_records": identical,
        "load_before": before,
        "load_after": loadavg(),
    }


CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
_COLLECTED = re.compile(r"Collected : (\d+)")


def section_instructions(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    """Instructions per record of the same three processes, counted by callgrind: exact
    and repeatable where CPU seconds on a shared machine are neither (only when valgrind
    is installed; user-space instructions only, so no system calls)."""
    if shutil.which("valgrind") is None:
        log("instructions: valgrind is not installed; skipped")
        return {}
    big_rows, small_rows = sizes.instructions
    log(f"instructions: {big_rows} vs {small_rows} rows under callgrind")
    counts: dict[str, dict[int, int]] = {}
    for rows in (big_rows, small_rows):
        with EmulatorProcess(
            PYTHON,
            workdir,
            key=KEY,
            rows={"customers": rows},
            rate_limits=False,
            quiet=True,
            prerender=True,
        ) as emu:
            tap = run_tap(
                workdir,
                f"instructions-tap-{rows}",
                tap_config(emu.url, rate_limit_pacing=False),
                ["customers"],
                prefix=CALLGRIND,
            )
            children = {"tap": tap.child}
            for codec in FLOORS:
                children[f"floor_{codec}"], _ = _floor_child(
                    workdir, emu.url, f"instructions-{codec}", False, codec, prefix=CALLGRIND
                )
        for name, child in children.items():
            match = _COLLECTED.search(child.stderr.replace(",", ""))
            if match is None:
                raise RuntimeError(f"no callgrind total for {name}:\n{child.stderr[-1000:]}")
            counts.setdefault(name, {})[rows] = int(match[1])
    per_record = {
        name: round((by_rows[big_rows] - by_rows[small_rows]) / (big_rows - small_rows))
        for name, by_rows in counts.items()
    }
    log(f"  instructions per record: {per_record}")
    return {
        "rows": [big_rows, small_rows],
        "per_record": per_record,
        "ratio_json": round(per_record["tap"] / per_record["floor_json"], 3),
        "ratio_msgspec": round(per_record["tap"] / per_record["floor_msgspec"], 3),
    }


# Peak RSS (section 7)


def section_rss(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    results = []
    for rows in sizes.rss:
        log(f"rss: {rows} rows")
        with EmulatorProcess(
            PYTHON, workdir, key=KEY, rows={"customers": rows}, rate_limits=False, quiet=True
        ) as emu:
            run = run_tap(
                workdir, f"rss-{rows}", tap_config(emu.url, rate_limit_pacing=False), ["customers"]
            )
        results.append(
            {
                "rows": rows,
                "delivered": run.rows,
                "maxrss_mib": round(run.child.peak_kib / 1024, 1),
                "ru_maxrss_mib": round(run.child.maxrss_kib / 1024, 1),
                "cpu_s": round(run.child.cpu, 2),
                "wall_s": round(run.child.wall, 2),
            }
        )
        log(f"  {rows} rows: peak RSS {run.child.peak_kib / 1024:.1f} MiB")
    growth = results[-1]["maxrss_mib"] - results[0]["maxrss_mib"]
    return {"runs": results, "growth_mib": round(growth, 1)}


# Machine and main


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    commit = ""
    if shutil.which("git"):
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    from importlib.metadata import version  # noqa: PLC0415

    return {
        "cpu_model": model or "unknown",
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "singer_sdk": version("singer-sdk"),
        "commit": commit,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_at_start": loadavg(),
    }


SECTIONS: dict[str, Callable[[Path, Sizes], dict[str, Any]]] = {
    "throughput": section_throughput,
    "organisation": section_organisation,
    "incremental": section_incremental,
    "cpu": section_cpu,
    "instructions": section_instructions,
    "rss": section_rss,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: check the benchmark")
    parser.add_argument(
        "--only", choices=sorted(SECTIONS), action="append", help="run only these sections"
    )
    parser.add_argument(
        "--no-report", action="store_true", help="do not rewrite RESULTS.md and the chart"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    output = HERE / "output"
    workdir = output / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "sizes": asdict(sizes)}
    started = time.monotonic()
    for name, section in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        results[name] = section(workdir, sizes)
    results["machine"]["load_at_end"] = loadavg()
    results["machine"]["duration_s"] = round(time.monotonic() - started, 1)
    # A partial run (--only) never replaces the figures of a whole one.
    name = "results-partial" if args.only else "results"
    path = output / (f"{name}-quick.json" if args.quick else f"{name}.json")
    path.write_text(json.dumps(results, indent=2, default=str))
    log(f"figures written to {path}")
    if not args.no_report and not args.only:
        from benchmarks.report import write_report  # noqa: PLC0415

        # A quick run checks the benchmark: its report never replaces the real one.
        where = output if args.quick else HERE
        write_report(results, where, notes=HERE / "notes.md")
        log(f"report written to {where / 'RESULTS.md'} and {where / 'throughput.png'}")
    return 0
