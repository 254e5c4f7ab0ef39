"""RESULTS.md and throughput.png from one run's figures (``output/results.json``).

``python -m benchmarks.report`` rewrites both from the stored figures without rerunning.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GOAL_ONE_STREAM = 0.97
GOAL_SIX_STREAMS = 0.90
GOAL_CPU_RATIO = 2.0
GOAL_RSS_GROWTH_MIB = 50.0

TITLES = {
    "one-stream-paced": "1 stream, paced",
    "one-stream-naive": "1 stream, pacing off",
    "six-streams-parallel": "6 streams, parallel",
    "six-streams-naive": "6 streams, pacing off",
    "six-streams-sequential": "6 streams, sequential",
    "scaled-one-stream": "1 stream, x20 clock",
    "scaled-six-streams": "6 streams, x20 clock",
    "scaled-six-light": "6 light streams, x20 clock",
}


def _yes(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _runs(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["scenario"]: run for run in results.get("throughput", {}).get("runs", [])}


def goals(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(goal, figure, met) for every goal the run has figures for."""
    out: list[tuple[str, str, bool]] = []
    runs = _runs(results)
    for name in ("one-stream-paced", "scaled-one-stream"):
        run = runs.get(name)
        if run:
            ok = run["ratio"] >= GOAL_ONE_STREAM and run["throttled"] == 0
            figure = f"{run['ratio']:.3f} of ceiling, {run['throttled']} x 429"
            out.append((f"{TITLES[name]}: >= {GOAL_ONE_STREAM} of ceiling, no 429", figure, ok))
    for name in ("six-streams-parallel", "scaled-six-streams", "scaled-six-light"):
        run = runs.get(name)
        if run:
            ok = run["ratio"] >= GOAL_SIX_STREAMS
            figure = f"{run['ratio']:.3f} of ceiling, {run['throttled']} x 429"
            out.append((f"{TITLES[name]}: >= {GOAL_SIX_STREAMS} of ceiling", figure, ok))
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
                    f"incremental, k = {run['k']}: <= ceil(k/99)+1",
                    figure,
                    run["requests"] <= run["bound_99"],
                )
            )
    cpu = results.get("cpu")
    if cpu:
        figure = (
            f"{cpu['tap_us_per_record']:.1f} vs {cpu['floor_us_per_record']:.1f} us/record "
            f"= {cpu['ratio']:.2f}x"
        )
        out.append(
            (
                f"CPU per record <= {GOAL_CPU_RATIO:g}x the floor",
                figure,
                cpu["ratio"] <= GOAL_CPU_RATIO,
            )
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
    for section in ("cpu",):
        if section in results:
            loads += [results[section]["load_before"], results[section]["load_after"]]
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
    if peak > 0.5:
        lines.append(
            f"- **The machine is shared**: other work was running (1-minute load up to "
            f"{peak:.2f} on {m['cores']} cores). Real-time figures are rate-bound and barely "
            "affected; CPU times are per process (user + sys), but a loaded machine inflates "
            "them for the tap and the floor alike."
        )
    return lines


def _throughput_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| scenario | streams | rows | requests | 429s | ceiling (s) | achieved (s) | "
        "achieved / ceiling | bound by | tap sync (s) | process (s) | CPU tap / emulator (s) "
        "| cores needed at ceiling | load before/after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        lines.append(
            f"| {TITLES.get(run['scenario'], run['scenario'])} | {len(run['streams'])} | "
            f"{run['rows']:,} | {run['requests']} | {run['throttled']} | {run['ceiling_s']:.2f} | "
            f"{run['span_s']:.2f} | **{run['ratio']:.3f}** | {run['binding']} | "
            f"{run['sync_s']} | {run['wall_s']:.1f} | {run['tap_cpu_s']:.1f} / "
            f"{run['emulator_cpu_s']:.1f} | {run['cores_at_ceiling']:.2f} | "
            f"{run['load_before'][0]:.2f} / "
            f"{run['load_after'][0]:.2f} |"
        )
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
    incremental = results.get("incremental")
    if incremental:
        out += [
            "## 4. Incremental runs",
            "",
            f"`customers`, {incremental['rows']:,} rows; a full sync first "
            f"({incremental['full_sync_requests']} requests), then k rows edited before each "
            "incremental run (each run starts from the previous run's state). Requests counted "
            "in the emulator's request log (and equal to the tap's own count where shown).",
            "",
            "| k | requests | tap's count | rows sent | ceil(k/100)+1 | ceil(k/99)+1 |",
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
        samples = cpu["samples_cpu_s"]
        out += [
            "## 5. CPU per record",
            "",
            f"`customers` without rate limits, {cpu['rows']:,} rows; the emulator in its own "
            "process. CPU = user + sys of the child process (`os.wait4`); per record = (big run "
            f"- a {cpu['tiny_rows']}-row run) / the row difference, medians of "
            f"{cpu['repeats']} interleaved repeats. The floor (`benchmarks/floor.py`) pages "
            "with `requests`, parses with `json` (`parse_float=Decimal`) and writes the same "
            "Singer lines; its RECORD content was checked equal to the tap's: "
            f"**{cpu['identical_records']}**.",
            "",
            "| | CPU per record (us) | start-up CPU (s) | big-run CPU samples (s) |",
            "|---|---:|---:|---|",
            f"| tap | **{cpu['tap_us_per_record']:.1f}** | {cpu['tap_startup_cpu_s']:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in samples['tap'])} |",
            f"| floor | **{cpu['floor_us_per_record']:.1f}** | {cpu['floor_startup_cpu_s']:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in samples['floor'])} |",
            "",
            f"Ratio tap / floor: **{cpu['ratio']:.2f}x** (load {cpu['load_before'][0]:.2f} "
            f"before, {cpu['load_after'][0]:.2f} after).",
            "",
        ]
    rss = results.get("rss")
    if rss:
        out += [
            "## 6. Peak memory",
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

    runs = results.get("throughput", {}).get("runs", [])
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
