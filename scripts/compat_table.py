"""Regenerate the README's compatibility table from the compatibility matrix.

The table is everything between ``<!-- compat:begin -->`` and ``<!-- compat:end -->`` in
README.md, rendered from tests/compat_targets.py: the targets, their pins and what each
was shown to do. tests/test_compat.py checks every claim against the real targets and
that the README holds exactly this table.

Run: .venv/bin/python scripts/compat_table.py          (rewrite README.md)
     .venv/bin/python scripts/compat_table.py --check  (exit 1 when out of date)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
sys.path.insert(0, str(ROOT / "tests"))

from compat_targets import BEGIN, END, render_table  # noqa: E402


def render(current: str) -> str:
    """README text with the table between the markers replaced (appended if missing)."""
    table = render_table()
    if BEGIN not in current or END not in current:
        return current.rstrip("\n") + "\n\n" + table + "\n"
    start = current.index(BEGIN)
    stop = current.index(END, start) + len(END)
    return current[:start] + table + current[stop:]


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
            "README.md's compatibility table is stale; run scripts/compat_table.py", file=sys.stderr
        )
        return 1
    README.write_text(wanted, "utf-8")
    print("README.md: compatibility table regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
