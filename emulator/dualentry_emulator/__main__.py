"""Command line: serve the emulator until SIGTERM/SIGINT.

    DUALENTRY_EMULATOR_KEY=k python -m dualentry_emulator --rows customers=1000

Prints exactly one line to stdout, `DUALENTRY_EMULATOR_URL=http://127.0.0.1:PORT`, once the
server accepts connections; logs one line per request to stderr (never the key).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .behaviour import Behaviour
from .emulator import Emulator, is_loopback
from .faults import FAULT_KINDS, FaultPlan
from .profile import behaviour_from_report
from .ratelimit import RateLimits

KEY_ENV = "DUALENTRY_EMULATOR_KEY"


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "true", "1", "on"):
        return True
    if text.lower() in ("no", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    defaults, limits = Behaviour(), RateLimits()
    p = argparse.ArgumentParser(
        prog="python -m dualentry_emulator", description="Serve a DualEntry API emulator."
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback address only")
    p.add_argument("--port", type=int, default=0, help="0 = a free port")
    p.add_argument("--key", help=f"the API key (better: environment variable {KEY_ENV})")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--rows",
        type=_pair,
        action="append",
        default=[],
        metavar="NAME=N",
        help="table size per endpoint, repeatable (e.g. customers=1000)",
    )
    g = p.add_argument_group("rate limits")
    g.add_argument("--rate-limits", choices=("documented", "off"), default="documented")
    g.add_argument("--aggregate-burst", type=int, default=limits.aggregate_burst)
    g.add_argument("--aggregate-per-second", type=float, default=limits.aggregate_per_second)
    g.add_argument("--route-burst", type=int, default=limits.route_burst)
    g.add_argument("--route-per-second", type=float, default=limits.route_per_second)
    g.add_argument(
        "--retry-after", choices=("seconds", "http_date", "none"), default=limits.retry_after
    )
    g.add_argument("--scale", type=float, default=limits.scale, help="multiplies refill rates")
    g = p.add_argument_group("behaviour switches")
    g.add_argument(
        "--profile",
        metavar="REPORT.json",
        help="answer as the API a `tap-dualentry --probe --format json` report describes "
        "(what the report tells overrides the switches below)",
    )
    g.add_argument("--page-cap", type=int, default=defaults.page_cap)
    g.add_argument("--count-skew", type=int, default=defaults.count_skew)
    g.add_argument(
        "--unknown-ordering", choices=("reject", "ignore"), default=defaults.unknown_ordering
    )
    g.add_argument(
        "--default-record-statuses",
        default=",".join(defaults.default_record_statuses),
        help="comma list of draft,posted,archived (may be empty)",
    )
    g.add_argument(
        "--untimestamped-sort",
        choices=("hidden_key", "first", "last"),
        default=defaults.untimestamped_sort,
    )
    g.add_argument("--disagreeing-fraction", type=float, default=defaults.disagreeing_fraction)
    g.add_argument("--untimestamped-fraction", type=float, default=defaults.untimestamped_fraction)
    g.add_argument(
        "--timestamp-style", choices=("utc", "offsets", "mixed"), default=defaults.timestamp_style
    )
    g.add_argument(
        "--trailing-slash-required",
        type=_yes_no,
        default=defaults.trailing_slash_required,
        metavar="yes|no",
    )
    g.add_argument(
        "--updated-ordering",
        choices=("accept", "reject", "ignore"),
        default=defaults.updated_ordering,
        help="ordering=-updated_at on lists whose documented default is id",
    )
    g.add_argument(
        "--refused-orderings",
        default="",
        help="comma list of ordering values every list answers with a 400",
    )
    g.add_argument(
        "--company-filter-unassigned",
        type=_yes_no,
        default=defaults.company_filter_unassigned,
        metavar="yes|no",
        help="company_id also lists rows of no company",
    )
    g.add_argument(
        "--hide-closed-statuses",
        type=_yes_no,
        default=defaults.hide_closed_statuses,
        metavar="yes|no",
        help="without status, contracts and fixed assets leave out closed rows",
    )
    g.add_argument(
        "--actions-created-filter",
        type=_yes_no,
        default=defaults.actions_created_filter,
        metavar="yes|no",
        help="approval actions honour start_date/end_date (their creation time)",
    )
    g.add_argument(
        "--updated-after-filter",
        type=_yes_no,
        default=defaults.updated_after_filter,
        metavar="yes|no",
        help="newer API: updated_after/updated_before and created_at/updated_at on "
        "invoices, bills, journal entries",
    )
    g.add_argument(
        "--undocumented-fields",
        type=_yes_no,
        default=defaults.undocumented_fields,
        metavar="yes|no",
        help="items carry fields the API document does not list",
    )
    g = p.add_argument_group("faults")
    g.add_argument(
        "--fault",
        type=_pair,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help=f"repeatable; kinds: {', '.join(FAULT_KINDS)}",
    )
    g.add_argument("--fault-seed", type=int, default=0)
    g.add_argument("--slow-seconds", type=float, default=FaultPlan.slow_seconds)
    g.add_argument("--latency-seconds", type=float, default=FaultPlan.latency_seconds)
    g.add_argument(
        "--persistent",
        type=_pair,
        action="append",
        default=[],
        metavar="ENDPOINT=STATUS",
        help="every request to ENDPOINT gets STATUS (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument(
        "--prerender",
        action="store_true",
        help="render every row of the tables sized with --rows before listening",
    )
    return p


def _options(args: argparse.Namespace) -> dict[str, Any]:
    statuses = tuple(s.strip() for s in args.default_record_statuses.split(",") if s.strip())
    behaviour = Behaviour(
        page_cap=args.page_cap,
        count_skew=args.count_skew,
        unknown_ordering=args.unknown_ordering,
        default_record_statuses=statuses,
        untimestamped_sort=args.untimestamped_sort,
        disagreeing_fraction=args.disagreeing_fraction,
        untimestamped_fraction=args.untimestamped_fraction,
        timestamp_style=args.timestamp_style,
        trailing_slash_required=args.trailing_slash_required,
        updated_ordering=args.updated_ordering,
        refused_orderings=tuple(o.strip() for o in args.refused_orderings.split(",") if o.strip()),
        company_filter_unassigned=args.company_filter_unassigned,
        hide_closed_statuses=args.hide_closed_statuses,
        actions_created_filter=args.actions_created_filter,
        updated_after_filter=args.updated_after_filter,
        undocumented_fields=args.undocumented_fields,
    )
    if args.profile:
        with open(args.profile, encoding="utf-8") as report:
            behaviour = behaviour_from_report(json.load(report), base=behaviour)
    rate_limits = None
    if args.rate_limits == "documented":
        rate_limits = RateLimits(
            aggregate_burst=args.aggregate_burst,
            aggregate_per_second=args.aggregate_per_second,
            route_burst=args.route_burst,
            route_per_second=args.route_per_second,
            retry_after=args.retry_after,
            scale=args.scale,
        )
    faults = None
    if args.fault or args.persistent or args.latency_seconds:
        faults = FaultPlan.from_rates(
            {kind: float(rate) for kind, rate in args.fault},
            seed=args.fault_seed,
            slow_seconds=args.slow_seconds,
            latency_seconds=args.latency_seconds,
            retry_after=args.retry_after,
            persistent={name: int(status) for name, status in args.persistent},
        )
    return {
        "seed": args.seed,
        "rows": {name: int(n) for name, n in args.rows},
        "behaviour": behaviour,
        "rate_limits": rate_limits,
        "faults": faults,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        parser.error(f"an API key is required: --key or environment variable {KEY_ENV}")
    if not is_loopback(args.host):
        parser.error(f"refusing to listen on {args.host!r}: only loopback addresses are allowed")
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
    )
    try:
        emulator = Emulator(key, host=args.host, port=args.port, **_options(args))
    except ValueError as exc:  # bad sizes, rates, statuses, unknown endpoints
        parser.error(str(exc))

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.prerender:
        emulator.prerender()
    emulator.start()
    print(f"DUALENTRY_EMULATOR_URL={emulator.url}", flush=True)
    while not stop.wait(0.2):
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
