"""RESULTS.md and throughput.png from one run's figures (``output/results.json``).

``python -m benchmarks.report`` rewrites both from the stored figures without rerunning.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GOAL_ONE_STREAM = 0.97
GOAL_MANY_STREAMS = 0.95
GOAL_SCALED = 0.90
GOAL_UNCHANGED = 1.05
GOAL_CPU_JSON = 0.6
GOAL_CPU_MSGSPEC = 1.5
GOAL_RSS_GROWTH_MIB = 50.0

TITLES = {
    "one-stream-paced": "1 stream",
    "one-stream-naive": "1 stream, pacing off",
    "six-streams-parallel": "6 streams",
    "six-streams-naive": "6 streams, pacing off",
    "six-streams-sequential": "6 streams, one at a time",
    "scaled-one-stream": "1 stream, x20 clock",
    "scaled-six-streams": "6 document streams, x20 clock",
    "scaled-six-light": "6 light streams, x20 clock",
    "organisation": "organisation, 46 streams",
    "organisation-capped": "organisation, capped",
    "organisation-unchanged": "organisation, nothing changed",
}
CPU_NAMES = {"tap": "tap", "floor_json": "floor: json", "floor_msgspec": "floor: msgspec"}


def _yes(ok: bool | None) -> str:
    if ok is None:
        return "reported"
    return "met" if ok else "**not met**"


def _runs(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    runs = [
        *results.get("throughput", {}).get("runs", []),
        *results.get("organisation", {}).get("runs", []),
    ]
    return {run["scenario"]: run for run in runs}


def _ratio_goal(run: dict[str, Any], goal: float, *, no_429: bool) -> tuple[str, str, bool]:
    ok = run["ratio"] >= goal and (run["throttled"] == 0 or not no_429)
    figure = f"{run['ratio']:.3f} of ceiling, {run['throttled']} x 429"
    wanted = f"{TITLES[run['scenario']]}, defaults: >= {goal} of ceiling" + (
        ", no 429" if no_429 else ""
    )
    return wanted, figure, ok


def _floor_goals(
    measure: str, per_record: dict[str, Any], ratios: dict[str, Any], number: str, unit: str
) -> list[tuple[str, str, bool | None]]:
    """The tap per record against each floor, by one measure (CPU or instructions)."""
    rows: list[tuple[str, str, bool | None]] = []
    for floor, goal, ratio in (
        ("floor_json", GOAL_CPU_JSON, ratios["ratio_json"]),
        ("floor_msgspec", GOAL_CPU_MSGSPEC, ratios["ratio_msgspec"]),
    ):
        tap, other = number.format(per_record["tap"]), number.format(per_record[floor])
        figure = f"{tap} vs {other} {unit} = {ratio:.2f}x"
        rows.append(
            (f"{measure} per record <= {goal:g}x the {CPU_NAMES[floor]}", figure, ratio <= goal)
        )
    return rows


def goals(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, figure, met) for every goal the run has figures for; met is None for a
    figure only reported."""
    out: list[tuple[str, str, bool | None]] = []
    runs = _runs(results)
    wanted = [
        ("one-stream-paced", GOAL_ONE_STREAM, True),
        ("six-streams-parallel", GOAL_MANY_STREAMS, True),
        ("organisation", GOAL_MANY_STREAMS, True),
        ("scaled-one-stream", GOAL_SCALED, False),
        ("scaled-six-light", GOAL_SCALED, False),
    ]
    for name, goal, no_429 in wanted:
        if name in runs:
            out.append(_ratio_goal(runs[name], goal, no_429=no_429))
    documents = runs.get("scaled-six-streams")
    if documents:
        figure = (
            f"{documents['ratio']:.3f} of ceiling; {documents['cores_at_ceiling']:.2f} cores "
            f"needed at the ceiling's pace (tap {documents['tap_cpu_s']:.1f} s + emulator "
            f"{documents['emulator_cpu_s']:.1f} s of CPU for a {documents['ceiling_s']:.1f} s "
            "ceiling)"
        )
        out.append((f"{TITLES['scaled-six-streams']}: cores needed (reported)", figure, None))
    unchanged = results.get("organisation", {}).get("unchanged")
    if unchanged:
        figure = (
            f"{unchanged['requests']} requests, least possible {unchanged['least']} "
            f"= {unchanged['ratio']:.3f}x"
        )
        out.append(
            (
                f"organisation, nothing changed: <= {GOAL_UNCHANGED} x the least possible",
                figure,
                unchanged["ratio"] <= GOAL_UNCHANGED,
            )
        )
    incremental = results.get("incremental")
    if incremental:
        for run in incremental["runs"]:
            figure = (
                f"{run['requests']} request{'' if run['requests'] == 1 else 's'} "
                f"(bounds: {run['bound_100']} strict, "
                f"{run['bound_99']} with the overlap row)"
            )
            out.append(
                (
                    f"incremental, k = {run['k']}: <= the pages its passes need",
                    figure,
                    run["requests"] <= run["bound_99"],
                )
            )
    cpu = results.get("cpu")
    if cpu:
        out += _floor_goals("CPU", cpu["us_per_record"], cpu, "{:.1f}", "us/record")
    counted = results.get("instructions")
    if counted:
        out += _floor_goals(
            "instructions", counted["per_record"], counted, "{:,}", "instructions/record"
        )
    rss = results.get("rss")
    if rss:
        first, last = rss["runs"][0], rss["runs"][-1]
        figure = (
            f"{last['maxrss_mib']:.1f} MiB at {last['rows']:,} rows vs {first['maxrss_mib']:.1f} "
            f"MiB at {first['rows']:,} (+{rss['growth_mib']:.1f} MiB)"
        )
        out.append(
            (
                f"peak RSS growth <= {GOAL_RSS_GROWTH_MIB:g} MiB",
                figure,
                rss["growth_mib"] <= GOAL_RSS_GROWTH_MIB,
            )
        )
    return out


def _machine(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    loads = [m.get("load_at_start", []), m.get("load_at_end", [])]
    if "cpu" in results:
        loads += [results["cpu"]["load_before"], results["cpu"]["load_after"]]
    for run in _runs(results).values():
        loads += [run["load_before"], run["load_after"]]
    peak = max((load[0] for load in loads if load), default=0.0)
    lines = [
        f"- CPU: {m['cpu_model']}, {m['cores']} cores",
        f"- Python {m['python']} on {m['platform']}; singer-sdk {m['singer_sdk']}",
        f"- Commit `{m['commit']}`, run started {m['started']}, "
        f"took {m.get('duration_s', 0):.0f} s",
        f"- Load average (1/5/15 min) at start {m['load_at_start']}, at end "
        f"{m.get('load_at_end')}; highest 1-minute figure seen during the run: {peak:.2f}",
    ]
    if peak > m["cores"]:  # more than the benchmark's own processes can make
        lines.append(
            f"- **The machine is shared**: other work was running (1-minute load up to "
            f"{peak:.2f} on {m['cores']} cores). Real-time figures are rate-bound and barely "
            "affected; CPU times are per process (user + sys), but a loaded machine inflates "
            "them for the tap and the floors alike, and scaled-clock runs then measure the "
            "cores left to them."
        )
    return lines


def _throughput_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| scenario | settings | streams | rows | requests | 429s | ceiling (s) | achieved (s) | "
        "achieved / ceiling | bound by | tap sync (s) | process (s) | CPU tap / emulator (s) "
        "| cores needed at ceiling | load before/after |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        lines.append(
            f"| {TITLES.get(run['scenario'], run['scenario'])} | {run.get('settings', '')} | "
            f"{len(run['streams'])} | "
            f"{run['rows']:,} | {run['requests']} | {run['throttled']} | {run['ceiling_s']:.2f} | "
            f"{run['span_s']:.2f} | **{run['ratio']:.3f}** | {run['binding']} | "
            f"{run['sync_s']} | {run['wall_s']:.1f} | {run['tap_cpu_s']:.1f} / "
            f"{run['emulator_cpu_s']:.1f} | {run['cores_at_ceiling']:.2f} | "
            f"{run['load_before'][0]:.2f} / "
            f"{run['load_after'][0]:.2f} |"
        )
    return lines


def _cpu_section(cpu: dict[str, Any], counted: dict[str, Any] | None) -> list[str]:
    samples, us, startup = cpu["samples_cpu_s"], cpu["us_per_record"], cpu["startup_cpu_s"]
    same = ", ".join(
        f"{CPU_NAMES['floor_' + codec]}: **{ok}**" for codec, ok in cpu["identical_records"].items()
    )
    lines = [
        "## 6. CPU per record",
        "",
        f"`customers` without rate limits, {cpu['rows']:,} rows; the emulator in its own "
        "process. CPU = user + sys of the child process (`os.wait4`); per record = (big run "
        f"- a {cpu['tiny_rows']}-row run) / the row difference, medians of "
        f"{cpu['repeats']} interleaved repeats. The floors (`benchmarks/floor.py`) page with "
        "`requests` (100 rows a page, no overlap, no pacing), derive the same timestamps with "
        "a plain `datetime` round trip and write the same Singer lines; one parses and writes "
        "with the standard `json` module, the other with `msgspec`. Their RECORD content was "
        f"checked equal to the tap's: {same}.",
        "",
        "| | CPU per record (us) | start-up CPU (s) | big-run CPU samples (s) |",
        "|---|---:|---:|---|",
    ]
    for name, title in CPU_NAMES.items():
        lines.append(
            f"| {title} | **{us[name]:.1f}** | {startup[name]:.2f} | "
            f"{', '.join(f'{v:.2f}' for v in samples[name])} |"
        )
    lines += [
        "",
        f"Tap / json floor: **{cpu['ratio_json']:.2f}x**; tap / msgspec floor: "
        f"**{cpu['ratio_msgspec']:.2f}x** (load {cpu['load_before'][0]:.2f} before, "
        f"{cpu['load_after'][0]:.2f} after).",
        "",
    ]
    if counted:
        big, small = counted["rows"]
        per = counted["per_record"]
        lines += [
            "CPU seconds on a shared machine move with its load. The same three processes "
            "were also run under callgrind (`valgrind --tool=callgrind`), which counts the "
            "instructions a process executes in user space, the same on every run: per "
            f"record = (a {big:,}-row run - a {small:,}-row run) / the row difference, "
            "the emulator prerendered in its own process.",
            "",
            "| | instructions per record |",
            "|---|---:|",
            *(f"| {title} | **{per[name]:,}** |" for name, title in CPU_NAMES.items()),
            "",
            f"Tap / json floor: **{counted['ratio_json']:.2f}x**; tap / msgspec floor: "
            f"**{counted['ratio_msgspec']:.2f}x**.",
            "",
        ]
    return lines


def _organisation_section(organisation: dict[str, Any]) -> list[str]:
    tables, runs = organisation["tables"], organisation["runs"]
    unchanged = organisation["unchanged"]
    sizes = ", ".join(
        f"{name} {rows:,}" for name, rows in sorted(tables.items(), key=lambda kv: -kv[1])
    )
    lines = [
        "## 4. A realistic organisation",
        "",
        f"{len(tables)} lists, {sum(tables.values()):,} rows, skewed as a real ledger is: "
        f"{sizes}. Every stream selected, line streams included, at the documented limits. "
        "The first run reads everything; the second, against the same emulator and from the "
        "first run's state, finds nothing changed. The capped run is the first run again on "
        "a fresh emulator with at most five streams in flight (the former default).",
        "",
        *_throughput_table(runs),
        "",
        "### The run with nothing changed",
        "",
        "The least possible is derived from what each stream's design needs: a stream read "
        "incrementally needs one request per pass (a pass per company partition, or per "
        "record status where a design reads them apart: a pass is a distinct query once "
        "paging is left out), since it must see a page to know that nothing changed; a "
        "full-table stream needs every page of its list, ceil(rows / 100), per pass. A "
        "request for one row is a probe, not a pass.",
        "",
        f"**{unchanged['requests']} requests against a least possible of {unchanged['least']}"
        f" ({unchanged['ratio']:.3f}x)**, {unchanged['throttled']} x 429.",
        "",
        "| replication | streams | passes | requests | least possible |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in ("incremental", "full table"):
        group = [s for s in unchanged["streams"] if s["replication"] == kind]
        lines.append(
            f"| {kind} | {len(group)} | {sum(s['passes'] for s in group)} | "
            f"{sum(s['requests'] for s in group)} | {sum(s['least'] for s in group)} |"
        )
    extra = [s for s in unchanged["streams"] if s["extra"] > 0]
    lines += ["", "Streams that cost more than the least possible, and why:", ""]
    if not extra:
        lines.append("- none")
    for stream in extra:
        lines.append(
            f"- `{stream['stream']}` ({stream['replication']}, {stream['rows_listed']:,} rows): "
            f"{stream['requests']} requests, least {stream['least']}: {stream['why']}"
        )
    lines.append("")
    return lines


def render(results: dict[str, Any], notes: str = "") -> str:
    out: list[str] = ["# Benchmark results", ""]
    if results.get("quick"):
        out += ["**Quick run (small sizes): a check of the benchmark, not the figures.**", ""]
    out += [
        "Written by `bash benchmarks/run.sh` (see README.md); every figure below comes from "
        "this one run.",
        "",
        "## Machine",
        "",
        *_machine(results),
        "",
        "## Goals",
        "",
        "| goal | figure | |",
        "|---|---|---|",
    ]
    out += [f"| {goal} | {figure} | {_yes(ok)} |" for goal, figure, ok in goals(results)]
    out.append("")
    throughput = results.get("throughput")
    if throughput:
        runs = throughput["runs"]
        six = next((r["streams"] for r in runs if "six" in r["scenario"]), [])
        out += [
            "## 1-3. Throughput under the rate limits",
            "",
            "Emulator as its own process (`python -m dualentry_emulator --rate-limits "
            "documented`, a fresh one per row), the tap as another, one API key. "
            "*Ceiling*: the schedule-optimal time, first request to last, for the requests "
            "the emulator answered (429s take no token): max over routes of "
            "(n - 10) / 1 s and, over all routes, (N - 50) / 5 s (rates x20 on the scaled "
            "clock). *Achieved*: the emulator's span from the first request's arrival to "
            "the last answer. Achieved / ceiling is the share of the ceiling's throughput "
            "reached. *Tap sync* is the tap's own run time (its summary line); *process* "
            "adds Python start-up and discovery.",
            "",
            f"Six streams: {', '.join(six)}"
            + (f" ({throughput['six_streams_note']})" if throughput.get("six_streams_note") else "")
            + f". Six light streams: {', '.join(throughput.get('light_streams', []))}. "
            "*Cores needed at ceiling*: (tap CPU + emulator CPU) / ceiling, the CPU the run "
            "asks of this machine per second if it is to keep the ceiling's pace; past the "
            "cores actually free, the run measures the machine, not the pacing.",
            "",
            *_throughput_table(runs),
            "",
            "Requests per route:",
            "",
        ]
        for run in runs:
            routes = ", ".join(f"{path.split('/')[3]} {n}" for path, n in run["per_route"].items())
            out.append(f"- {TITLES.get(run['scenario'], run['scenario'])}: {routes}")
        out += ["", "![achieved vs ceiling throughput](throughput.png)", ""]
    organisation = results.get("organisation")
    if organisation:
        out += _organisation_section(organisation)
    incremental = results.get("incremental")
    if incremental:
        out += [
            "## 5. Incremental runs",
            "",
            f"`customers`, {incremental['rows']:,} rows; a full sync first "
            f"({incremental['full_sync_requests']} requests), then k rows edited before each "
            "incremental run (each run starts from the previous run's state). Requests counted "
            "in the emulator's request log (and equal to the tap's own count where shown). "
            "Customers are read one pass per record status (draft, posted, archived), so the "
            "least a run needs is, per pass, a page per 100 of its k_s edited rows plus the "
            "page that reaches past its bookmark: sum of ceil(k_s/100) + 3 (with the overlap "
            "row that verifies each page's position, ceil(k_s/99)).",
            "",
            "| k | requests | tap's count | rows sent | least: sum ceil(k_s/100)+3 "
            "| with overlap: sum ceil(k_s/99)+3 |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for run in incremental["runs"]:
            out.append(
                f"| {run['k']:,} | **{run['requests']}** | {run['tap_requests']} | "
                f"{run['rows']:,} | {run['bound_100']} | {run['bound_99']} |"
            )
        out.append("")
    cpu = results.get("cpu")
    if cpu:
        out += _cpu_section(cpu, results.get("instructions"))
    rss = results.get("rss")
    if rss:
        out += [
            "## 7. Peak memory",
            "",
            "Peak resident set of the tap process (VmHWM, polled every 50 ms until it exits: "
            "`ru_maxrss` from `wait4` would report the benchmark's own size, which Linux "
            "carries over fork and exec), `customers` without rate limits, output to "
            "/dev/null.",
            "",
            "| rows | peak RSS (MiB) | CPU (s) | wall (s) |",
            "|---:|---:|---:|---:|",
        ]
        for run in rss["runs"]:
            out.append(
                f"| {run['rows']:,} | **{run['maxrss_mib']:.1f}** | {run['cpu_s']:.1f} | "
                f"{run['wall_s']:.1f} |"
            )
        out += ["", f"Growth from the smallest to the largest: {rss['growth_mib']:+.1f} MiB.", ""]
    if notes.strip():
        out += [notes.strip(), ""]
    return "\n".join(out)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    runs = [
        *results.get("throughput", {}).get("runs", []),
        *(
            run
            for run in results.get("organisation", {}).get("runs", [])
            if run["scenario"] != "organisation-unchanged"
        ),
    ]
    groups = [
        ("real time (documented limits)", [r for r in runs if r["scale"] == 1]),
        ("scaled clock (rates x20)", [r for r in runs if r["scale"] != 1]),
    ]
    groups = [(title, group) for title, group in groups if group]
    if not groups:
        return
    fig, axes = plt.subplots(
        1,
        len(groups),
        figsize=(6 + 3 * len(groups), 4.8),
        squeeze=False,
        gridspec_kw={"width_ratios": [len(g) for _, g in groups]},
    )
    for axis, (title, group) in zip(axes[0], groups, strict=True):
        names = [TITLES.get(r["scenario"], r["scenario"]).replace(", ", ",\n") for r in group]
        ceiling = [r["rows"] / r["ceiling_s"] if r["ceiling_s"] else 0 for r in group]
        achieved = [r["rows"] / r["span_s"] if r["span_s"] else 0 for r in group]
        xs = range(len(group))
        axis.bar([x - 0.2 for x in xs], ceiling, width=0.4, label="ceiling", color="#9db4d0")
        axis.bar([x + 0.2 for x in xs], achieved, width=0.4, label="achieved", color="#2b5c8a")
        for x, run, value in zip(xs, group, achieved, strict=True):
            label = f"{run['ratio']:.2f}"
            if run["throttled"]:
                label += f"\n{run['throttled']}x429"
            axis.annotate(label, (x + 0.2, value), ha="center", va="bottom", fontsize=8)
        axis.set_xticks(list(xs), names, fontsize=8)
        axis.set_ylabel("rows per second")
        axis.set_title(title, fontsize=10)
        axis.margins(y=0.15)
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.suptitle("tap-dualentry: achieved vs ceiling throughput (label: achieved / ceiling)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(results: dict[str, Any], directory: Path, notes: Path | None = None) -> None:
    notes_path = notes or directory / "notes.md"
    notes_text = notes_path.read_text() if notes_path.exists() and not results.get("quick") else ""
    (directory / "RESULTS.md").write_text(render(results, notes_text))
    chart(results, directory / "throughput.png")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "output" / "results.json"
    write_report(json.loads(source.read_text()), here)
