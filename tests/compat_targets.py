"""The compatibility matrix: which Singer targets the tap is proven with, how each is
installed and configured, and what each does with the tap's output.

tests/test_compat.py installs every target in its own virtualenv (pinned by
tests/compat_requirements/<name>.txt), feeds each the same multi-stream sync (line
streams, edits, inserts and deletes) and checks each claim below against what the
target stored. scripts/readme_settings.py writes the README's table from these
declarations, and a test keeps the two equal, so the README says only what the matrix
has shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "compat_requirements"
BEGIN = "<!-- compat:begin -->"
END = "<!-- compat:end -->"


@dataclass(frozen=True)
class Target:
    """One target of the matrix and what it was shown to do."""

    key: str  # tests/compat_requirements/<key>.txt; the reader in compat_harness.py
    label: str  # as the README names it
    package: str  # the PyPI distribution, pinned
    executable: str
    decimal_format: str  # the tap setting the target needs for exact money
    money: str  # how money lands, as the README says it
    activate_version: bool  # retires deleted rows on ACTIVATE_VERSION
    deletes: str  # what happens to rows deleted in DualEntry, as the README says it
    notes: str = ""

    @property
    def requirements(self) -> Path:
        return REQUIREMENTS / f"{self.key}.txt"


TARGETS: tuple[Target, ...] = (
    Target(
        key="meltanolabs-target-postgres",
        label="MeltanoLabs target-postgres",
        package="meltanolabs-target-postgres==0.8.1",
        executable="target-postgres",
        decimal_format="number",
        money="exact: `numeric` columns",
        activate_version=True,
        deletes="retired: `_sdc_deleted_at` set (`hard_delete: true` removes them)",
        notes="`load_method: upsert`, `add_record_metadata: true`",
    ),
    Target(
        key="pipelinewise-target-postgres",
        label="pipelinewise-target-postgres",
        package="pipelinewise-target-postgres==2.1.2",
        executable="target-postgres",
        decimal_format="string",
        money="exact as text with `decimal_format: string` (numbers become `double precision`)",
        activate_version=False,
        deletes="kept: ACTIVATE_VERSION is ignored",
    ),
    Target(
        key="target-jsonl",
        label="target-jsonl",
        package="target-jsonl==0.1.4",
        executable="target-jsonl",
        decimal_format="number",
        money="exact: the digits as sent",
        activate_version=False,
        deletes="not in the files of the run that made the full pass (one file per run)",
        notes="`do_timestamp_file: true`",
    ),
    Target(
        key="meltanolabs-target-csv",
        label="MeltanoLabs target-csv",
        package="meltanolabs-target-csv==0.5.0",
        executable="target-csv",
        decimal_format="number",
        money="exact: the digits as sent",
        activate_version=False,
        deletes="not in the file of the run that made the full pass (`replace_file`)",
        notes="nested values are written as Python text, not JSON",
    ),
    Target(
        key="target-duckdb",
        label="target-duckdb (with duckdb 1.1.3)",
        package="target-duckdb==0.8.0",
        executable="target-duckdb",
        decimal_format="string",
        money="exact as text with `decimal_format: string` (numbers become `DOUBLE`)",
        activate_version=False,
        deletes="kept: ACTIVATE_VERSION is ignored",
        notes="duckdb pinned to 1.1.3: with duckdb 2.x the first row of each batch is lost",
    ),
)


def render_table(targets: tuple[Target, ...] = TARGETS) -> str:
    """The README's compatibility table."""
    lines = [
        BEGIN,
        "| target (pinned) | rows per stream | money | rows deleted in DualEntry | notes |",
        "|---|---|---|---|---|",
    ]
    for target in targets:
        setting = f"`decimal_format: {target.decimal_format}`"
        notes = "; ".join(
            text
            for text in (setting if target.decimal_format != "number" else "", target.notes)
            if text
        )
        lines.append(
            f"| {target.label} (`{target.package}`) | equal | {target.money} | "
            f"{target.deletes} | {notes} |"
        )
    lines.append(END)
    return "\n".join(lines)
