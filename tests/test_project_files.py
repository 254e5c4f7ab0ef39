"""The open-source project around the tap: its licence, changelog, Meltano Hub plugin
definition and CI configuration, each checked against what it describes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from harness import load_script

ROOT = Path(__file__).resolve().parent.parent
CHECK_JSONSCHEMA = str(Path(sys.executable).with_name("check-jsonschema"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_licence_is_the_one_pyproject_names():
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert PROJECT["license"] == "Apache-2.0"
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_the_changelog_has_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert f"## [{PROJECT['version']}]" in text


def test_the_hub_definition_is_the_taps_about():
    script = load_script("hub_definition")
    about = load_script("meltano_settings").about()
    current = script.DEFINITION.read_text("utf-8")
    assert current == script.render(about), "stale: run scripts/hub_definition.py"
    hub = yaml.safe_load(current)
    properties = about["settings"]["properties"]
    assert [s["name"] for s in hub["settings"]] == list(properties)
    assert hub["capabilities"] == about["capabilities"]
    assert hub["settings_group_validation"] == [about["settings"]["required"]]
    for entry in hub["settings"]:
        schema = properties[entry["name"]]
        assert entry.get("value") == schema.get("default"), entry["name"]
        assert entry.get("sensitive", False) == bool(schema.get("secret")), entry["name"]
    for key in ("name", "variant", "namespace", "pip_url", "executable", "repo", "docs"):
        assert hub[key], key
    assert hub["namespace"] == "tap_dualentry" and hub["executable"] == "tap-dualentry"


def test_the_workflows_are_valid_github_actions():
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "release.yml"}
    checked = check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ci_runs_what_the_readme_calls_the_test_command():
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    steps = [step for job in ci["jobs"].values() for step in job["steps"]]
    assert any(step.get("run") == "bash .ci/run" for step in steps)
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text("utf-8")
    triggers = ci[True] if True in ci else ci["on"]  # YAML reads a bare `on` as true
    assert "pull_request" in triggers and "push" in triggers


def test_a_tag_builds_the_wheel_and_the_sdist():
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text("utf-8")
    release = yaml.safe_load(text)
    triggers = release[True] if True in release else release["on"]
    assert triggers == {"push": {"tags": ["v*"]}}
    assert '"$UV" build --out-dir dist' in text  # both the wheel and the sdist
    assert "upload-artifact" in text


def test_meltano_yml_is_valid_for_meltano():
    checked = check_jsonschema("vendor.meltano", ROOT / "meltano.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
