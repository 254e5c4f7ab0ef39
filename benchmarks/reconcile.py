"""What reconciliation costs: a 100,000-row organisation synced once a day for three weeks.

Two emulators with the same seed and the same daily edits; the tap runs against one with
default settings (reconciliation every 7 days) and against the other with
``reconciliation: false``. The difference in requests is what reconciliation adds, per
day and per run; at the documented 5 requests/s it is also a time. Runs in process on a
simulated clock (the days pass without waiting); pacing is off, so only requests count.

Run: .venv/bin/python -m benchmarks.reconcile [--quick]   (figures to output/reconcile.json)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
from pathlib import Path
from typing import Any

from dualentry_emulator import Emulator

from tap_dualentry.catalogue import CATALOGUE, Replication
from tap_dualentry.clock import SimulatedClock
from tap_dualentry.output import SingerOutput
from tap_dualentry.tap import TapDualEntry

KEY = "bench-" + secrets.token_hex(12)
DAY = 86400.0
# 100,000 rows over the incremental streams, skewed as a real ledger is.
ORGANISATION = {
    "journal_entries": 30_000,
    "invoices": 20_000,
    "bills": 12_000,
    "customers": 8_000,
    "customer_payments": 6_000,
    "vendor_payments": 5_000,
    "vendors": 4_000,
    "items": 3_000,
    "sales_orders": 3_000,
    "purchase_orders": 3_000,
    "cash_sales": 1_500,
    "customer_credits": 1_000,
    "vendor_credits": 1_000,
    "direct_expenses": 1_000,
    "accounts": 500,
    "fixed_assets": 500,
    "customer_deposits": 200,
    "customer_refunds": 100,
    "vendor_refunds": 100,
    "customer_prepayments": 50,
    "vendor_prepayments": 50,
}
EDITED_SHARE = 0.002  # rows edited per day


def scaled(share: float) -> dict[str, int]:
    return {name: max(1, int(rows * share)) for name, rows in ORGANISATION.items()}


def run_once(
    config: dict[str, Any], state: dict[str, Any] | None, clock: SimulatedClock
) -> dict[str, Any]:
    with Path(os.devnull).open("wb") as sink:
        tap = TapDualEntry(
            config=config, state=state, message_writer=SingerOutput(stream=sink), clock=clock
        )
        code = tap.run()
        if code != 0:
            raise RuntimeError(f"tap exited {code}")
        writer = tap.message_writer
        assert isinstance(writer, SingerOutput)
        return writer.state


def simulate(sizes: dict[str, int], days: int, **settings: object) -> list[dict[str, int]]:
    """Requests per stream for the first sync and each daily run after it."""
    emu = Emulator(KEY, seed=7, rows=sizes)
    emu.start()
    rng = random.Random(7)
    clock = SimulatedClock()
    emu.clock.freeze(clock.now())  # the emulator's edits are dated on the simulated days
    config = {"api_key": KEY, "api_url": emu.url, "rate_limit_pacing": False, **settings}
    runs: list[dict[str, int]] = []
    state: dict[str, Any] | None = None
    try:
        for day in range(days + 1):
            emu.clear_requests()
            state = run_once(config, state, clock)
            counts: dict[str, int] = {}
            for request in emu.requests:
                counts[request.endpoint] = counts.get(request.endpoint, 0) + 1
            runs.append(counts)
            print(f"  day {day}: {sum(counts.values())} requests", file=sys.stderr, flush=True)
            for name in sizes:
                table = emu.table(name)
                ids = table.ids()
                for pk in rng.sample(ids, max(1, int(len(ids) * EDITED_SHARE))):
                    table.edit(pk)
            clock.advance(DAY)
            emu.clock.advance(DAY)
    finally:
        emu.stop()
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 10,000-row organisation")
    parser.add_argument("--days", type=int, default=21)
    args = parser.parse_args()
    share = 0.1 if args.quick else 1.0
    sizes = scaled(share)
    incremental = {e.name for e in CATALOGUE if e.replication is not Replication.FULL_TABLE}
    assert set(sizes) <= incremental
    print(f"reconciliation on ({sum(sizes.values())} rows)", file=sys.stderr)
    on = simulate(sizes, args.days)
    print("reconciliation off", file=sys.stderr)
    off = simulate(sizes, args.days, reconciliation=False)
    daily_on = [sum(run.values()) for run in on[1:]]
    daily_off = [sum(run.values()) for run in off[1:]]
    extra = [a - b for a, b in zip(daily_on, daily_off, strict=True)]
    steady = extra[7:]  # after the first interval: the weekly rhythm
    results = {
        "rows": sum(sizes.values()),
        "days": args.days,
        "first_sync_requests": sum(on[0].values()),
        "daily_requests_on": daily_on,
        "daily_requests_off": daily_off,
        "extra_per_day_mean": sum(steady) / len(steady),
        "extra_per_run_max": max(steady),
        "extra_per_week": sum(steady) / len(steady) * 7,
        "extra_seconds_per_day_at_5_rps": sum(steady) / len(steady) / 5,
    }
    out = Path(__file__).resolve().parent / "output"
    out.mkdir(exist_ok=True)
    (out / "reconcile.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: v for k, v in results.items() if not k.startswith("daily")}, indent=1))
    print("extra requests per daily run:", extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
