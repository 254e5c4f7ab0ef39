"""The demo behind scripts/demo: Meltano moves DualEntry data twice, the second time only
what changed.

An emulator of the DualEntry API runs inside this process (real HTTP on a random loopback
port, the documented rate limits unless --no-rate-limits); Meltano runs
`tap-dualentry target-jsonl` against it, handing over the URL and key through
TAP_DUALENTRY_API_URL / TAP_DUALENTRY_API_KEY. Then rows are edited, inserted and archived
in the emulator's tables and the pipeline runs again from the state Meltano stored.

Run it through scripts/demo, which builds .venv first.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from dualentry_emulator import CATALOGUE as SERVED
from dualentry_emulator import Emulator, RateLimits

from tap_dualentry.catalogue import CATALOGUE, Endpoint, Replication, load_schema
from tap_dualentry.settings import DEFAULT_API_VERSION

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))
OUTPUT = ROOT / "output" / "demo"
# Its own state id (dev:tap-dualentry-to-target-jsonl:demo): a real pipeline's state in
# the dev environment is never touched.
STATE_SUFFIX = "demo"
STATE_ID = f"dev:tap-dualentry-to-target-jsonl:{STATE_SUFFIX}"
KEY_VARIABLE = "DUALENTRY_EMULATOR_KEY"


@dataclass
class Landed:
    """What one run wrote for one stream."""

    rows: int
    money: tuple[str, Decimal] | None  # (column, exact total)
    requests: int
    ids: set[Any]


def served_endpoints() -> list[Endpoint]:
    """Catalogue entries the emulator serves under the tap's default API version."""
    version = DEFAULT_API_VERSION
    return [
        e
        for e in CATALOGUE
        if e.name in SERVED and version in SERVED[e.name].versions and (e.v1 or version != "v1")
    ]


def served_streams() -> list[str]:
    names: list[str] = []
    for endpoint in served_endpoints():
        names += [endpoint.name, *(endpoint.child_name(lines) for lines in endpoint.lines)]
    return names


MONEY_WORDS = ("amount", "total", "balance", "cost", "price", "paid")


def money_column(stream: str) -> str | None:
    """The stream's headline amount: `amount`, else the first money-like number field."""
    properties = load_schema(stream)["properties"]
    numbers = [name for name, schema in properties.items() if "number" in schema.get("type", [])]
    if "amount" in numbers:
        return "amount"
    return next((n for n in numbers if any(word in n for word in MONEY_WORDS)), None)


def read_landed(directory: Path, stream: str, requests: Counter[str]) -> Landed:
    rows = []
    for path in sorted(directory.glob(f"{stream}-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows += [json.loads(line, parse_float=Decimal) for line in handle if line.strip()]
    column = money_column(stream)
    money = None
    if column:
        total = sum((Decimal(str(r[column])) for r in rows if r.get(column) is not None), Decimal())
        money = (column, total)
    # Rows are matched to the emulator's changes by a single-column key.
    keys = {e.name: e.primary_keys[0] for e in served_endpoints() if len(e.primary_keys) == 1}
    ids = {r.get(keys[stream]) for r in rows} if stream in keys else set()
    return Landed(len(rows), money, requests.get(stream, 0), ids)


def meltano(args: list[str], env: dict[str, str], log: Path) -> float:
    """Run Meltano in the project, its output to `log`; exit on failure."""
    started = time.monotonic()
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ meltano {' '.join(args)}\n")
        handle.flush()
        done = subprocess.run(
            [MELTANO, *args],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text("utf-8").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        sys.exit(f"meltano {args[0]} failed (exit {done.returncode}); full log: {log}")
    return time.monotonic() - started


def table(title: str, landed: dict[str, Landed], note: dict[str, str]) -> None:
    print(f"\n{title}")
    header = f"  {'stream':<40} {'requests':>8} {'rows':>7}  {'money total':<30} note"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for stream, item in landed.items():
        requests = str(item.requests) if stream in SERVED else "-"
        money = f"{item.money[0]}={item.money[1]:,}" if item.money else "(no amounts)"
        print(f"  {stream:<40} {requests:>8} {item.rows:>7}  {money:<30} {note.get(stream, '')}")


def mutate(emu: Emulator, per_table: int) -> dict[str, list[int]]:
    """Edit, archive and insert a few rows of every served table; print what changed."""
    changed: dict[str, list[int]] = {}
    for endpoint in served_endpoints():
        table = emu.table(endpoint.name)
        ids = table.ids()
        step = max(1, len(ids) // (per_table + 3))
        edited = ids[step::step][:per_table]
        for pk in edited:
            table.edit(pk)
        archived: list[Any] = []
        if table.spec.record_statuses and "archived" in table.statuses:
            archived = [pk for pk in ids[step // 2 :: step] if pk not in edited][:2]
            for pk in archived:
                table.archive(pk)
        inserted = table.insert(n=3)
        changed[endpoint.name] = [*edited, *archived, *inserted]
        if endpoint.name == "customers":
            print(f"  customers: edited ids {edited}, archived {archived}, inserted {inserted}")
    total = sum(len(ids) for ids in changed.values())
    print(
        f"  every served table ({len(changed)}): {per_table} edited, 3 inserted, 2 archived "
        f"where the table has record statuses ({total} rows)"
    )
    return changed


class Demo:
    """One emulator, one Meltano project (the repository's), two runs."""

    def __init__(self, args: argparse.Namespace) -> None:
        # The key: from the environment, or a fresh one. It travels in environment
        # variables only and is never printed.
        key = os.environ.get(KEY_VARIABLE) or f"demo-{secrets.token_hex(16)}"
        self.limits = None if args.no_rate_limits else RateLimits.documented()
        self.args = args
        self.streams = served_streams()
        self.log = OUTPUT / "meltano.log"
        rows = {
            e.name: args.rows if e.name == "customers" else args.other_rows
            for e in served_endpoints()
        }
        self.rows = rows
        self.emu = Emulator(key, seed=args.seed, rows=rows, rate_limits=self.limits)
        self.env = {
            **os.environ,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "TAP_DUALENTRY_API_KEY": key,
            # Only what the emulator serves today; the tap's --discover lists every stream.
            "TAP_DUALENTRY__SELECT": json.dumps([f"{s}.*" for s in self.streams]),
            "MELTANO_RUN_STATE_ID_SUFFIX": STATE_SUFFIX,
        }
        if self.limits is None:
            self.env["TAP_DUALENTRY_RATE_LIMIT_PACING"] = "false"
        self.notes = {
            e.name: "incremental" if e.replication is not Replication.FULL_TABLE else "full table"
            for e in served_endpoints()
        }

    def introduce(self) -> None:
        self.env["TAP_DUALENTRY_API_URL"] = self.emu.url
        print(
            f"DualEntry API emulator: {self.emu.url} (in this process; key from "
            f"${KEY_VARIABLE} or generated, never shown)"
        )
        print(
            f"  serves {len(self.rows)} endpoints: {self.args.rows} customers, "
            f"{self.args.other_rows} rows in each other table (seed {self.args.seed})"
        )
        if self.limits is None:
            print(
                "  rate limits: OFF (--no-rate-limits); the real API allows 5 requests/s per "
                "key and 1/s per endpoint. The tap's pacing is off too."
            )
        else:
            print(
                "  rate limits: as documented, 5 requests/s per key (burst 50) and 1/s per "
                "endpoint (burst 10); the tap paces itself to them"
            )
        print("\nInstalling the Meltano plugins (tap-dualentry, target-jsonl) ...")
        seconds = meltano(["install", "tap-dualentry", "target-jsonl"], self.env, self.log)
        print(f"  done in {seconds:.0f}s")

    def run(self, number: int, *flags: str) -> dict[str, Landed]:
        """`meltano run tap-dualentry target-jsonl` into output/demo/run<number>."""
        out = OUTPUT / f"run{number}"
        self.emu.clear_requests()
        env = {**self.env, "TARGET_JSONL_DESTINATION_PATH": str(out)}
        seconds = meltano(["run", *flags, "tap-dualentry", "target-jsonl"], env, self.log)
        requests = Counter(r.endpoint for r in self.emu.requests)
        print(f"  done in {seconds:.0f}s")
        return {s: read_landed(out, s, requests) for s in self.streams}

    def bookmarks(self) -> dict[str, str]:
        """Each stream's bookmark, as Meltano's state store holds it."""
        done = subprocess.run(
            [MELTANO, "state", "get", STATE_ID],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(done.stderr)
        if done.returncode != 0:
            return {}
        marks = json.loads(done.stdout).get("singer_state", {}).get("bookmarks", {})
        return {
            f"{name}.{mark['replication_key']}": str(mark["replication_key_value"])
            for name, mark in marks.items()
            if mark.get("replication_key_value")
        }


def compare(
    streams: list[str],
    first: dict[str, Landed],
    second: dict[str, Landed],
    changed: dict[str, set[Any]],
) -> None:
    header = f"  {'stream':<40} {'requests':>14} {'rows':>14}  changed rows delivered"
    print(f"\n{header}\n  " + "-" * (len(header) - 2))
    for stream in streams:
        a, b = first[stream], second[stream]
        requests = f"{a.requests} -> {b.requests}" if stream in SERVED else "(from parent)"
        line = f"  {stream:<40} {requests:>14} {f'{a.rows} -> {b.rows}':>14}"
        if changed.get(stream) and a.ids:
            line += f"  {len(changed[stream] & b.ids)} of {len(changed[stream])}"
        print(line)
    print(
        "\n  Incremental streams read newest first and stop on the page that holds their\n"
        "  bookmark: run 2 sends that page, i.e. every changed row plus the unchanged rest of\n"
        "  the page. Full-table streams have no change signal and are read again in full."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="DualEntry -> Meltano -> JSON Lines, twice.")
    parser.add_argument("--rows", type=int, default=1000, help="customers in the emulator")
    parser.add_argument("--other-rows", type=int, default=200, help="rows of its other tables")
    parser.add_argument("--seed", type=int, default=7, help="emulator data seed")
    parser.add_argument("--changes", type=int, default=5, help="rows edited per table")
    parser.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="serve without the API's rate limits (and turn the tap's pacing off)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)

    demo = Demo(args)
    demo.emu.start()
    try:
        demo.introduce()
        print("\nRun 1: meltano run --full-refresh tap-dualentry target-jsonl (no stored state)")
        first = demo.run(1, "--full-refresh")
        table(f"What landed in {OUTPUT.relative_to(ROOT)}/run1:", first, demo.notes)
        before = demo.bookmarks()
        print(f"\n  Meltano's state store ({STATE_ID}) holds {len(before)} bookmarks, e.g.")
        for name in list(before)[:3]:
            print(f"    {name} = {before[name]}")

        print("\nChanging rows in the emulator's tables:")
        changed = {name: set(ids) for name, ids in mutate(demo.emu, args.changes).items()}

        print("\nRun 2: meltano run tap-dualentry target-jsonl (state from Meltano's store)")
        second = demo.run(2)
        after = demo.bookmarks()
        moved = [name for name in after if after[name] != before.get(name)]
        print(f"  {len(moved)} bookmarks advanced, e.g.")
        for name in moved[:3]:
            print(f"    {name}: {before.get(name)} -> {after[name]}")
        compare(demo.streams, first, second, changed)
    finally:
        demo.emu.stop()
    print(
        f"\nEmulator stopped. Files in {OUTPUT.relative_to(ROOT)}/, Meltano's log in "
        f"{demo.log.relative_to(ROOT)}. Total {time.monotonic() - started:.0f}s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
