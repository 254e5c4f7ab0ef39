"""Real Singer targets, each in its own virtualenv, fed the tap's output and read back.

A target's virtualenv is built once from tests/compat_requirements/<key>.txt (every
package pinned) under ~/.cache/tap-dualentry/targets/, named by a digest of that file,
so a changed pin builds a new one and CI machines reuse what they built before. Each
target is then run as its own command with the tap's saved output on its standard
input, and what it stored is read back: PostgreSQL with SQL, DuckDB through the
target's own environment, files as files.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from compat_targets import Target
from psycopg import sql

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tap-dualentry"
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")

Row = dict[str, Any]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time per virtualenv (test workers run side by side)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def installed(target: Target) -> Path:
    """The target's executable, in a virtualenv of exactly its pinned requirements."""
    pins = target.requirements.read_bytes()
    venv = CACHE / "targets" / f"{target.key}-{hashlib.sha256(pins).hexdigest()[:12]}"
    executable = venv / "bin" / target.executable
    done = venv / ".installed"
    with _locked(venv.with_suffix(".lock")):
        if done.exists() and executable.exists():
            return executable
        assert UV, "uv is missing from the environment"
        shutil.rmtree(venv, ignore_errors=True)
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        for command in (
            [UV, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [UV, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
             "-r", str(target.requirements)],
        ):  # fmt: skip
            built = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=1200, check=False
            )
            assert built.returncode == 0, f"{target.key}: {built.stderr[-3000:]}"
        done.write_text("")
    return executable


def load(executable: Path, config: dict[str, Any], singer_input: Path, workdir: Path) -> str:
    """Run the target on a file of Singer messages; return its log (it must succeed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "target-config.json"
    config_file.write_text(json.dumps(config))
    with singer_input.open("rb") as stdin:
        done = subprocess.run(
            [str(executable), "--config", str(config_file)],
            stdin=stdin,
            capture_output=True,
            text=True,
            cwd=workdir,
            timeout=1200,
            check=False,
        )
    assert done.returncode == 0, f"{executable.name} failed:\n{done.stderr[-4000:]}"
    return done.stderr


@dataclass
class Stored:
    """What a target holds for one stream: its rows, and which of them it retired."""

    rows: list[Row]
    retired: list[Row]


def read_postgres(connection: Any, schema: str, stream: str, *, soft_delete: bool) -> Stored:
    cursor = connection.execute(
        sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, stream.lower()))
    )
    names = [column.name for column in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    if not soft_delete:
        return Stored(rows, [])
    return Stored(
        [r for r in rows if r["_sdc_deleted_at"] is None],
        [r for r in rows if r["_sdc_deleted_at"] is not None],
    )


def read_jsonl(directory: Path, stream: str) -> Stored:
    rows: list[Row] = []
    for path in sorted(directory.glob(f"{stream}*.jsonl")):
        if path.name.split(".")[0].rsplit("-", 1)[0] != stream and path.stem != stream:
            continue
        with path.open(encoding="utf-8") as handle:
            rows += [json.loads(line, parse_float=Decimal) for line in handle if line.strip()]
    return Stored(rows, [])


def read_csv(directory: Path, stream: str) -> Stored:
    path = directory / f"{stream}.csv"
    if not path.exists():
        return Stored([], [])
    with path.open(encoding="utf-8", newline="") as handle:
        return Stored(list(csv.DictReader(handle)), [])


DUCKDB_DUMP = """
import json, sys
import duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
tables = connection.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [sys.argv[2]]
).fetchall()
out = {}
for (table,) in tables:
    cursor = connection.execute(f'SELECT * FROM "{sys.argv[2]}"."{table}"')
    names = [column[0] for column in cursor.description]
    out[table] = [dict(zip(names, row)) for row in cursor.fetchall()]
print(json.dumps(out, default=str))
"""


def read_duckdb(executable: Path, database: Path, schema: str) -> dict[str, Stored]:
    """Every table of a DuckDB schema, read with the target's own duckdb."""
    python = executable.parent / "python"
    done = subprocess.run(
        [str(python), "-c", DUCKDB_DUMP, str(database), schema],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    tables = json.loads(done.stdout, parse_float=Decimal)
    return {name: Stored(rows, []) for name, rows in tables.items()}
