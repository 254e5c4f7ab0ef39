"""The compatibility matrix: five independently written Singer targets, each in its own
virtualenv, fed the same multi-stream sync (line streams, then edits, inserts and
deletes and a run that makes a full pass), each checked against the emulator: one row
per row, money exact, deletes retired where the target supports ACTIVATE_VERSION.

What each target was shown to do is declared in tests/compat_targets.py; the README's
table is rendered from those declarations (scripts/readme_settings.py) and the last test
keeps it equal. Marked `compat`: not in `scripts/test --quick`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from compat_harness import (
    Stored,
    installed,
    load,
    read_csv,
    read_duckdb,
    read_jsonl,
    read_postgres,
)
from compat_targets import END, TARGETS, Target, render_table
from dualentry_emulator import Emulator
from harness import API_KEY, base_config, catalog_for, run_tap
from meltano_harness import ROOT, expected_by_key, key_fields, money_columns
from pg_harness import connect, dropped_after, fresh_schema_name, server

# Parents with line streams, master data, nested JSON-number amounts (customer
# prepayments' deposits), and workflows' version column (an alias by default).
STREAMS = [
    "customers",
    "vendors",
    "items",
    "accounts",
    "invoices",
    "invoices_items",
    "bills",
    "bills_items",
    "bills_expenses",
    "journal_entries",
    "journal_entries_items",
    "customer_prepayments",
    "customer_deposits",
    "customer_deposits_items",
    "workflows",
]
PARENTS = [s for s in STREAMS if not any(s.startswith(f"{p}_") for p in STREAMS if p != s)]
SIZES = {name: (300 if name == "customers" else 60) for name in PARENTS}


@dataclass
class Sync:
    """The tap's output for two runs, in both decimal formats, and the truth after them."""

    inputs: dict[tuple[str, int], Path]  # (decimal_format, run) -> Singer messages
    current: dict[str, dict[tuple[str, ...], dict[str, Any]]]  # stream -> key -> row
    delivered: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)  # both runs


def _key(row: dict[str, Any], stream: str) -> tuple[str, ...]:
    return tuple(str(row[name]) for name in key_fields(stream))


@pytest.fixture(scope="module")
def sync(tmp_path_factory) -> Sync:
    directory = tmp_path_factory.mktemp("singer")
    inputs: dict[tuple[str, int], Path] = {}
    delivered: dict[str, set[tuple[str, ...]]] = {stream: set() for stream in STREAMS}
    with Emulator(API_KEY, seed=41, rows=SIZES) as emu:
        states: dict[str, dict[str, Any] | None] = {"number": None, "string": None}
        for run in (1, 2):
            if run == 2:
                for name in PARENTS:
                    table = emu.table(name)
                    ids = table.ids()
                    for pk in ids[2::23][:3]:
                        table.edit(pk)
                    for pk in ids[5::31][:2]:
                        table.delete(pk)
                    table.insert(n=2)
            for decimal_format in ("number", "string"):
                # The second run makes a full pass, whose ACTIVATE_VERSION retires deletes.
                config = base_config(emu, decimal_format=decimal_format, full_pass_interval_days=0)
                done = run_tap(
                    config, catalog=catalog_for(config, STREAMS), state=states[decimal_format]
                )
                assert done.exit_code == 0, done
                states[decimal_format] = done.state
                path = directory / f"{decimal_format}-{run}.jsonl"
                path.write_text(done.raw, "utf-8")
                inputs[(decimal_format, run)] = path
                for stream in STREAMS:
                    delivered[stream] |= {_key(r, stream) for r in done.records(stream)}
        current = {
            stream: {tuple(map(str, k)): row for k, row in expected_by_key(emu, stream).items()}
            for stream in STREAMS
        }
    return Sync(inputs, current, delivered)


def _load_both_runs(target: Target, sync: Sync, workdir: Path) -> dict[str, Stored]:
    """Install the target, load both runs into it, read back every stream."""
    executable = installed(target)
    runs = [sync.inputs[(target.decimal_format, run)] for run in (1, 2)]
    if target.key in ("meltanolabs-target-postgres", "pipelinewise-target-postgres"):
        return _through_postgres(target, executable, runs, workdir)
    if target.key == "target-duckdb":
        database = workdir / "warehouse.duckdb"
        config = {"path": str(database), "default_target_schema": "dualentry"}
        for number, singer_input in enumerate(runs, 1):
            load(executable, config, singer_input, workdir / f"run{number}")
        return read_duckdb(executable, database, "dualentry")
    # File targets write each run to its own folder; the second run made a full pass.
    for number, singer_input in enumerate(runs, 1):
        out = workdir / f"run{number}-out"
        if target.key == "target-jsonl":
            config: dict[str, Any] = {"destination_path": str(out), "do_timestamp_file": True}
        else:
            config = {"output_path": str(out)}
        load(executable, config, singer_input, workdir / f"run{number}")
    last = workdir / "run2-out"
    reader = read_jsonl if target.key == "target-jsonl" else read_csv
    return {stream: reader(last, stream) for stream in STREAMS}


def _through_postgres(
    target: Target, executable: Path, runs: list[Path], workdir: Path
) -> dict[str, Stored]:
    connection = connect()
    schema = fresh_schema_name("compat")
    meltanolabs = target.key == "meltanolabs-target-postgres"
    where = server()
    config: dict[str, Any] = {
        **where,
        "port": int(where["port"]),
        "default_target_schema": schema,
    }
    if not meltanolabs:
        config["dbname"] = config.pop("database")
    if meltanolabs:
        config |= {
            "load_method": "upsert",
            "add_record_metadata": True,
            "activate_version": True,
            "hard_delete": False,
        }
    with dropped_after(connection, schema):
        for number, singer_input in enumerate(runs, 1):
            load(executable, config, singer_input, workdir / f"run{number}")
        stored = {
            stream: read_postgres(connection, schema, stream, soft_delete=meltanolabs)
            for stream in STREAMS
        }
    connection.close()
    return stored


def _exact(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(repr(value) if isinstance(value, float) else str(value))


@pytest.mark.compat
@pytest.mark.parametrize("target", TARGETS, ids=[t.key for t in TARGETS])
def test_target_loads_every_row_with_exact_money(target, sync, tmp_path):
    stored = _load_both_runs(target, sync, tmp_path)
    problems: list[str] = []
    money_checked = 0
    for stream in STREAMS:
        held = stored.get(stream, Stored([], []))
        live = [_key(row, stream) for row in held.rows]
        if len(live) != len(set(live)):
            problems.append(f"{stream}: {len(live) - len(set(live))} duplicate rows")
        current = set(sync.current[stream])
        gone = sync.delivered[stream] - current
        # A target that never retires a row keeps the deleted ones.
        wanted = current | gone if target.deletes.startswith("kept") else current
        if set(live) != wanted:
            problems.append(
                f"{stream}: {len(set(live) - wanted)} rows too many, "
                f"{len(wanted - set(live))} missing"
            )
        if target.activate_version:
            retired = {_key(row, stream) for row in held.rows + held.retired} - set(live)
            if retired != gone:
                problems.append(f"{stream}: retired {len(retired)} rows, {len(gone)} were deleted")
        by_key = {_key(row, stream): row for row in held.rows}
        for column in money_columns(stream):
            for key, row in sync.current[stream].items():
                if key not in by_key:
                    continue
                money_checked += 1
                if _exact(by_key[key].get(column)) != _exact(row.get(column)):
                    problems.append(f"{stream}.{column}: {key} differs")
                    break
    assert not problems, f"{target.label}: " + "; ".join(problems[:20])
    assert money_checked > 1000


def test_the_readme_table_is_the_matrix():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert render_table() in readme, "README is stale: run scripts/readme_settings.py"
    assert readme.count(END) == 1
