"""Regenerate the README's settings section from ``tap-dualentry --about --format=markdown``.

The section is everything between the lines ``<!-- about:begin -->`` and
``<!-- about:end -->`` in README.md: the tap's own description of its capabilities and
settings, verbatim, so the README cannot drift from what the tap accepts.

Run: .venv/bin/python scripts/readme_settings.py          (rewrite README.md)
     .venv/bin/python scripts/readme_settings.py --check  (exit 1 when out of date)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = "<!-- about:begin -->"
END = "<!-- about:end -->"


def about_markdown() -> str:
    """What the tap of this interpreter's environment prints for --about --format=markdown."""
    return subprocess.run(
        [sys.executable, "-m", "tap_dualentry", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def render(current: str, markdown: str) -> str:
    """README text with the section between the markers replaced (appended if missing)."""
    section = f"{BEGIN}\n{markdown.strip()}\n{END}"
    if BEGIN not in current or END not in current:
        return current.rstrip("\n") + "\n\n" + section + "\n"
    start = current.index(BEGIN)
    stop = current.index(END, start) + len(END)
    return current[:start] + section + current[stop:]


def section(text: str) -> str:
    """The generated section's body as it stands in ``text``."""
    start = text.index(BEGIN) + len(BEGIN)
    return text[start : text.index(END, start)].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    current = README.read_text("utf-8")
    wanted = render(current, about_markdown())
    if current == wanted:
        return 0
    if args.check:
        print(
            "README.md's settings section differs from `tap-dualentry --about "
            "--format=markdown`; run scripts/readme_settings.py",
            file=sys.stderr,
        )
        return 1
    README.write_text(wanted, "utf-8")
    print("README.md: settings section regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
