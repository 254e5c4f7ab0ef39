"""The tap as users install it: a built wheel in a fresh environment (not editable, far
from the source tree), and a tool install straight from the git repository. Also: the
README's settings section is what the tap itself prints.

Installs are constrained to the versions uv.lock pins, so they come from uv's cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from harness import load_script

from tap_dualentry.catalogue import CATALOGUE
from tap_dualentry.settings import DEFAULT_FIELD_ALIASES

ROOT = Path(__file__).resolve().parent.parent
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
SCHEMAS = sorted(path.stem for path in (ROOT / "schemas").glob("*.json"))


def _uv(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    assert UV, "uv is missing from the environment"
    done = subprocess.run(
        [UV, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", **(env or {})},
        check=False,
    )
    assert done.returncode == 0, f"uv {' '.join(args)} failed:\n{done.stderr[-4000:]}"
    return done.stdout


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def constraints(tmp_path_factory) -> Path:
    """The runtime dependencies exactly as uv.lock pins them."""
    path = tmp_path_factory.mktemp("lock") / "constraints.txt"
    _uv(
        "export", "--locked", "--no-dev", "--no-emit-project", "--no-hashes",
        "--format", "requirements-txt", "--output-file", str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _uv("build", "--wheel", "--out-dir", str(out))
    (built,) = out.glob("tap_dualentry-*.whl")
    return built


def _discover(tap: Path, cwd: Path) -> dict:
    config = cwd / "config.json"
    # v2 serves every endpoint; discovery reads schemas only and calls no API.
    config.write_text(json.dumps({"api_key": "not-used", "api_version": "v2"}))
    done = _run([str(tap), "--config", str(config), "--discover"], cwd)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


@pytest.mark.thorough
def test_wheel_installs_and_discovers_every_stream_from_its_own_files(wheel, constraints, tmp_path):
    venv = tmp_path / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    _uv("pip", "install", "--python", str(python), "-c", str(constraints), str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    located = _run(
        [str(python), "-c", "import tap_dualentry; print(tap_dualentry.__file__)"], elsewhere
    )
    assert Path(located.stdout.strip()).is_relative_to(venv), located.stdout
    version = _run([str(venv / "bin" / "tap-dualentry"), "--version"], elsewhere)
    assert version.returncode == 0, version.stderr
    assert f"tap-dualentry v{VERSION}" in version.stdout + version.stderr

    catalog = _discover(venv / "bin" / "tap-dualentry", elsewhere)
    streams = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    assert sorted(streams) == SCHEMAS
    for name in SCHEMAS:
        shipped = json.loads((ROOT / "schemas" / f"{name}.json").read_text("utf-8"))
        # The file's fields, under their default aliases, and the tap's _unknown_fields.
        aliases = DEFAULT_FIELD_ALIASES.get(name, {})
        expected = [aliases.get(field, field) for field in shipped["properties"]]
        assert list(streams[name]["schema"]["properties"]) == [*expected, "_unknown_fields"]
    parents = {e.name: list(e.primary_keys) for e in CATALOGUE}
    for name, keys in parents.items():
        assert streams[name]["key_properties"] == keys, name


def test_wheel_ships_the_package_and_its_schemas_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(
        Path(n).stem
        for n in names
        if n.startswith("tap_dualentry/schemas/") and n.endswith(".json")
    )
    assert shipped == SCHEMAS
    assert not [n for n in names if n.startswith(("tests/", "emulator/", "dualentry_emulator/"))]
    assert any(n.endswith("entry_points.txt") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


@pytest.mark.thorough
def test_tool_install_from_the_git_repository_runs(constraints, tmp_path):
    if not (ROOT / ".git").exists():
        pytest.fail("the checkout has no .git: cannot test an install from the repository")
    env = {"UV_TOOL_DIR": str(tmp_path / "tools"), "UV_TOOL_BIN_DIR": str(tmp_path / "bin")}
    _uv(
        "tool", "install", "--python", sys.executable, "-c", str(constraints),
        f"git+file://{ROOT}", env=env,
    )  # fmt: skip
    tap = tmp_path / "bin" / "tap-dualentry"
    version = _run([str(tap), "--version"], tmp_path)
    assert version.returncode == 0, version.stderr
    assert "tap-dualentry v" in version.stdout + version.stderr
    about = _run([str(tap), "--about", "--format=json"], tmp_path)
    assert json.loads(about.stdout)["name"] == "tap-dualentry"
    assert "customers" in {e["tap_stream_id"] for e in _discover(tap, tmp_path)["streams"]}


def test_readme_settings_section_is_what_the_tap_prints():
    script = load_script("readme_settings")
    readme = (ROOT / "README.md").read_text("utf-8")
    assert script.BEGIN in readme and script.END in readme, "README.md lacks the markers"
    printed = script.about_markdown()
    assert "| api_key |" in printed
    assert script.section(readme) == printed.strip(), (
        "README.md's settings are stale: run scripts/readme_settings.py"
    )


def test_readme_start_date_table_is_the_catalogues():
    script = load_script("readme_settings")
    readme = (ROOT / "README.md").read_text("utf-8")
    table = script.section(readme, script.START_DATE_BEGIN, script.START_DATE_END)
    assert table == script.start_date_table(), (
        "README.md's start_date table is stale: run scripts/readme_settings.py"
    )
    assert "| `paper_checks` | every pass reads rows whose creation date" in table
