"""Regenerate the README's generated sections, so the README cannot drift from the tap:

* between ``<!-- about:begin -->`` and ``<!-- about:end -->``: what
  ``tap-dualentry --about --format=markdown`` prints (capabilities and settings), verbatim;
* between ``<!-- start-date:begin -->`` and ``<!-- start-date:end -->``: what ``start_date``
  bounds, stream by stream, from the catalogue;
* between ``<!-- compat:begin -->`` and ``<!-- compat:end -->``: the compatibility table,
  from the matrix the tests run (tests/compat_targets.py).

Run: .venv/bin/python scripts/readme_settings.py          (rewrite README.md)
     .venv/bin/python scripts/readme_settings.py --check  (exit 1 when out of date)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tap_dualentry.catalogue import CATALOGUE, Endpoint, Replication

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
sys.path.insert(0, str(ROOT / "tests"))

from compat_targets import BEGIN as COMPAT_BEGIN  # noqa: E402
from compat_targets import END as COMPAT_END  # noqa: E402
from compat_targets import render_table  # noqa: E402

BEGIN = "<!-- about:begin -->"
END = "<!-- about:end -->"
START_DATE_BEGIN = "<!-- start-date:begin -->"
START_DATE_END = "<!-- start-date:end -->"


def about_markdown() -> str:
    """What the tap of this interpreter's environment prints for --about --format=markdown."""
    return subprocess.run(
        [sys.executable, "-m", "tap_dualentry", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def start_date_bound(endpoint: Endpoint) -> str:
    """What start_date does to one stream."""
    if endpoint.replication is not Replication.FULL_TABLE:
        effect = "changes since then (`updated_at`), on the first run and on reconciliation"
        if endpoint.replication is Replication.UPDATED_DESC:
            return effect
        fallback = (
            f"full passes are bounded by {endpoint.start_date_field}"
            if endpoint.start_date_field
            else "full passes read the whole list"
        )
        return f"{effect}; if the server offers no change signal, {fallback}"
    if endpoint.start_date_field:
        return f"every pass reads rows whose {endpoint.start_date_field} is on or after it"
    return "nothing: every pass reads the whole list"


def start_date_table() -> str:
    rows = [f"| `{e.name}` | {start_date_bound(e)} |" for e in CATALOGUE]
    return "\n".join(["| stream | `start_date` bounds |", "|---|---|", *rows])


SECTIONS: list[tuple[str, str, Callable[[], str]]] = [
    (BEGIN, END, about_markdown),
    (START_DATE_BEGIN, START_DATE_END, start_date_table),
    (
        COMPAT_BEGIN,
        COMPAT_END,
        lambda: render_table().removeprefix(COMPAT_BEGIN).removesuffix(COMPAT_END),
    ),
]


def replace(current: str, begin: str, end: str, body: str) -> str:
    """README text with one section replaced (appended if its markers are missing)."""
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin not in current or end not in current:
        return current.rstrip("\n") + "\n\n" + block + "\n"
    start = current.index(begin)
    stop = current.index(end, start) + len(end)
    return current[:start] + block + current[stop:]


def render(current: str) -> str:
    """README text with every generated section brought up to date."""
    for begin, end, produce in SECTIONS:
        current = replace(current, begin, end, produce())
    return current


def section(text: str, begin: str = BEGIN, end: str = END) -> str:
    """A generated section's body as it stands in ``text``."""
    start = text.index(begin) + len(begin)
    return text[start : text.index(end, start)].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    current = README.read_text("utf-8")
    wanted = render(current)
    if current == wanted:
        return 0
    if args.check:
        print(
            "README.md's generated sections are stale; run scripts/readme_settings.py",
            file=sys.stderr,
        )
        return 1
    README.write_text(wanted, "utf-8")
    print("README.md: generated sections regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
