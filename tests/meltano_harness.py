"""Meltano projects for end-to-end tests: the repository's meltano.yml in a temporary
directory, plugins installed once per test session, every run offline.

Each test gets its own project directory and system database (so its own state store);
all of them share one `.meltano` directory holding the installed plugin environments
(MELTANO_SYS_DIR_ROOT), since `meltano install` is the slow part.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dualentry_emulator
from dualentry_emulator import Emulator
from harness import API_KEY

from tap_dualentry.catalogue import CATALOGUE, Endpoint, Lines, load_schema
from tap_dualentry.settings import DEFAULT_API_VERSION

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))
# Nothing but loopback is reachable for Meltano and its plugins: a Hub lookup or any
# other outside request fails the run instead of quietly succeeding.
CLOSED = "http://127.0.0.1:9"
OFFLINE = {
    "MELTANO_HUB_URL": f"{CLOSED}/hub",
    "HTTP_PROXY": CLOSED,
    "HTTPS_PROXY": CLOSED,
    "ALL_PROXY": CLOSED,
    "NO_PROXY": "127.0.0.1,localhost",
}
BASE_ENV = {
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    "MELTANO_CLI_LOG_LEVEL": "info",
    "NO_COLOR": "1",
}


def served_endpoints(version: str = DEFAULT_API_VERSION) -> list[Endpoint]:
    """The tap's catalogue entries that the emulator serves today under an API version."""
    served = dualentry_emulator.CATALOGUE
    return [
        e
        for e in CATALOGUE
        if e.name in served and version in served[e.name].versions and (e.v1 or version != "v1")
    ]


def served_streams(version: str = DEFAULT_API_VERSION) -> list[str]:
    """Every stream the emulator can feed: served endpoints and their line streams."""
    names: list[str] = []
    for endpoint in served_endpoints(version):
        names.append(endpoint.name)
        names += [endpoint.child_name(lines) for lines in endpoint.lines]
    return names


def table_sizes(
    customers: int, others: int = 150, version: str = DEFAULT_API_VERSION
) -> dict[str, int]:
    """Rows per served table: customers sized for the test, the rest kept small."""
    return {
        e.name: customers if e.name == "customers" else others for e in served_endpoints(version)
    }


def _find(stream: str) -> tuple[Endpoint, Lines | None]:
    for endpoint in CATALOGUE:
        if stream == endpoint.name:
            return endpoint, None
        for lines in endpoint.lines:
            if stream == endpoint.child_name(lines):
                return endpoint, lines
    msg = f"no stream {stream}"
    raise KeyError(msg)


def key_fields(stream: str) -> list[str]:
    """The stream's key properties, as the tap declares them."""
    endpoint, lines = _find(stream)
    if lines is None:
        return list(endpoint.primary_keys)
    return [f"parent_{k}" for k in endpoint.primary_keys] + [lines.key or "line_index"]


def expected_rows(emu: Emulator, stream: str) -> list[dict[str, Any]]:
    """What the emulator holds for a stream: its rows, or its parents' lines (with the
    parent's key and the line's position, as the tap adds them; a line listed twice in
    one parent, by its key, once)."""
    endpoint, lines = _find(stream)
    parents = emu.table(endpoint.name).rows()
    if lines is None:
        return list(parents)
    expected = []
    for row in parents:
        written: set[Any] = set()
        for index, line in enumerate(row.get(lines.field) or []):
            key = line.get(lines.key) if lines.key else None
            if key is not None and key in written:
                continue
            written.add(key)
            parent = {f"parent_{k}": row[k] for k in endpoint.primary_keys}
            expected.append({**line, **parent, "line_index": index})
    return expected


def expected_by_key(emu: Emulator, stream: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The rows a target that upserts by key ends up with (a later duplicate wins)."""
    keys = key_fields(stream)
    return {tuple(row[k] for k in keys): row for row in expected_rows(emu, stream)}


def newest_bookmark(stream_state: dict[str, Any]) -> Any:
    """The newest replication_key_value of a stream's state, its partitions' included."""
    values = [stream_state.get("replication_key_value")]
    values += [p.get("replication_key_value") for p in stream_state.get("partitions", [])]
    return max(filter(None, values), default=None)


def select_rules(streams: Iterable[str]) -> str:
    """Meltano `select` rules for these streams, as TAP_DUALENTRY__SELECT takes them."""
    return json.dumps([f"{name}.*" for name in streams])


def money_columns(stream: str) -> list[str]:
    """Top-level number fields of a stream: amounts the targets must keep exact."""
    properties = load_schema(stream)["properties"]
    return sorted(
        name
        for name, schema in properties.items()
        if _types(schema) - {"null"} == {"number"}
        or (schema.get("format") == "x-singer.decimal" and _types(schema) - {"null"} == {"string"})
    )


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def exact_sum(values: Iterable[Any]) -> Decimal:
    """The decimal sum of API values (numbers or decimal strings), nulls skipped."""
    return sum((Decimal(str(v)) for v in values if v is not None), Decimal(0))


def meltano_yml_for_tests() -> str:
    """The repository's meltano.yml, with the tap installed from the repository itself."""
    text = (ROOT / "meltano.yml").read_text("utf-8")
    line = "    pip_url: -e .\n"
    assert text.count(line) == 1, "meltano.yml: the tap's pip_url is no longer `-e .`"
    return text.replace(line, f"    pip_url: -e {ROOT}\n")


def run_meltano(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MELTANO, *args],
        cwd=cwd,
        env={**os.environ, **BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


_installed: dict[str, Path] = {}


def installed_sys_dir(base: Path) -> Path:
    """A `.meltano` directory with every plugin of meltano.yml installed, once per session."""
    if "sys_dir" not in _installed:
        project = base / "install-project"
        project.mkdir(parents=True)
        (project / "meltano.yml").write_text(meltano_yml_for_tests(), "utf-8")
        sys_dir = base / "meltano-sys"
        env = {"MELTANO_SYS_DIR_ROOT": str(sys_dir), "MELTANO_HUB_URL": OFFLINE["MELTANO_HUB_URL"]}
        done = run_meltano(["install"], project, env, timeout=1200)
        assert done.returncode == 0, f"meltano install failed:\n{done.stdout}\n{done.stderr}"
        _installed["sys_dir"] = sys_dir
    return _installed["sys_dir"]


@dataclass
class MeltanoProject:
    """One test's Meltano project: its own meltano.yml copy and state store."""

    root: Path
    sys_dir: Path

    @classmethod
    def create(cls, root: Path, sys_dir: Path) -> MeltanoProject:
        root.mkdir(parents=True, exist_ok=True)
        (root / "meltano.yml").write_text(meltano_yml_for_tests(), "utf-8")
        return cls(root, sys_dir)

    def env(self, emu: Emulator, streams: Iterable[str], **settings: str) -> dict[str, str]:
        """Meltano's environment variables for a run of the tap against `emu`."""
        return {
            "MELTANO_SYS_DIR_ROOT": str(self.sys_dir),
            "MELTANO_DATABASE_URI": f"sqlite:///{self.root / 'meltano.db'}",
            "TAP_DUALENTRY_API_URL": emu.url,
            "TAP_DUALENTRY_API_KEY": API_KEY,
            "TAP_DUALENTRY__SELECT": select_rules(streams),
            # Test emulators have no rate limits (as in harness.base_config).
            "TAP_DUALENTRY_RATE_LIMIT_PACING": "false",
            **OFFLINE,
            **settings,
        }

    def meltano(
        self, *args: str, env: dict[str, str], timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return run_meltano(list(args), self.root, env, timeout)

    def run(self, *blocks: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """`meltano run` that must succeed; on failure, the plugins' own errors are shown
        (Meltano's traceback follows them and would hide them) and the whole log is kept."""
        done = self.meltano("run", *blocks, env=env)
        log = self.root / f"meltano-run-{len(list(self.root.glob('meltano-run-*.log')))}.log"
        log.write_text(done.stderr, "utf-8")
        if done.returncode != 0:
            plugin_lines = [
                line
                for line in done.stderr.splitlines()
                if any(f"] {name}" in line for name in blocks)
            ]
            detail = "\n".join(plugin_lines[-60:])
            raise AssertionError(f"meltano run failed ({log}):\n{detail}")
        assert API_KEY not in done.stdout + done.stderr
        return done

    def state(self, state_id: str, env: dict[str, str]) -> dict[str, Any]:
        """A job's state, read back from Meltano's own state store."""
        done = self.meltano("state", "get", state_id, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        state: dict[str, Any] = json.loads(done.stdout)
        return state


def read_jsonl(directory: Path, stream: str) -> list[dict[str, Any]]:
    """Records target-jsonl wrote for one stream (numbers as exact decimals)."""
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob(f"{stream}-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows += [json.loads(line, parse_float=Decimal) for line in handle if line.strip()]
    return rows
