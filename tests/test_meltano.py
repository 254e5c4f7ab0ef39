"""Meltano end to end: the repository's meltano.yml, offline, against the emulator.

`meltano run tap-dualentry target-jsonl` twice; the second run must take its bookmarks
from Meltano's own state store and move only what changed. Also: the plugin settings in
meltano.yml are the plugins' own (`--about`), so they cannot drift.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
import yaml
from harness import list_requests, load_script
from meltano_harness import (
    ROOT,
    MeltanoProject,
    expected_rows,
    installed_sys_dir,
    newest_bookmark,
    read_jsonl,
    served_streams,
    table_sizes,
)

pytestmark = [pytest.mark.meltano]

STATE_ID = "dev:tap-dualentry-to-target-jsonl"
PAGE_SIZE = 100  # the tap's default


def _plugin(kind: str, name: str) -> dict:
    config = yaml.safe_load((ROOT / "meltano.yml").read_text("utf-8"))
    return next(p for p in config["plugins"][kind] if p["name"] == name)


@pytest.fixture(scope="session")
def meltano_sys_dir(tmp_path_factory):
    return installed_sys_dir(tmp_path_factory.mktemp("meltano"))


@pytest.fixture
def project(tmp_path, meltano_sys_dir):
    return MeltanoProject.create(tmp_path / "project", meltano_sys_dir)


def test_tap_settings_in_meltano_yml_are_the_taps_about():
    script = load_script("meltano_settings")
    about = script.about()
    text = (ROOT / "meltano.yml").read_text("utf-8")
    assert script.generated_block(script.TAP, about) in text, (
        "meltano.yml is stale: run scripts/meltano_settings.py"
    )
    tap = _plugin("extractors", "tap-dualentry")
    properties = about["settings"]["properties"]
    by_name = {s["name"]: s for s in tap["settings"]}
    assert list(by_name) == list(properties)
    for name, schema in properties.items():
        assert by_name[name].get("value") == schema.get("default"), name
        assert by_name[name].get("sensitive", False) == bool(schema.get("secret")), name
    assert by_name["api_key"]["sensitive"] is True
    assert tap["settings_group_validation"] == [about["settings"]["required"]]
    assert sorted(tap["capabilities"]) == sorted(about["capabilities"])


def test_every_plugin_is_defined_completely_for_offline_use():
    config = yaml.safe_load((ROOT / "meltano.yml").read_text("utf-8"))
    plugins = [p for kind in ("extractors", "loaders") for p in config["plugins"][kind]]
    assert {p["name"] for p in plugins} >= {"tap-dualentry", "target-jsonl", "target-postgres"}
    by_name = {p["name"]: p for p in plugins}
    for plugin in plugins:
        assert "variant" not in plugin, plugin["name"]
        # An inheriting plugin (one per organisation) takes all of this from its parent.
        defined = by_name[plugin.get("inherit_from", plugin["name"])]
        assert "inherit_from" not in defined, plugin["name"]
        for key in ("namespace", "pip_url", "executable", "settings"):
            assert defined.get(key), f"{plugin['name']}: {key} missing"
    assert _plugin("extractors", "tap-dualentry")["pip_url"] == "-e ."
    assert config["default_environment"] in {e["name"] for e in config["environments"]}
    assert config["send_anonymous_usage_stats"] is False


def test_target_postgres_settings_are_the_installed_targets_about(meltano_sys_dir):
    script = load_script("meltano_settings")
    executable = (
        meltano_sys_dir / "loaders" / "target-postgres" / "venv" / "bin" / "target-postgres"
    )
    about = script.about([str(executable)])
    text = (ROOT / "meltano.yml").read_text("utf-8")
    assert script.generated_block(script.TARGET_POSTGRES, about) in text, (
        "meltano.yml is stale: run scripts/meltano_settings.py after `meltano install`"
    )
    target = _plugin("loaders", "target-postgres")
    assert sorted(target["capabilities"]) == sorted(about["capabilities"])
    sensitive = {s["name"] for s in target["settings"] if s.get("sensitive")}
    assert {"password", "sqlalchemy_url", "ssh_tunnel"} <= sensitive


def test_two_runs_the_second_from_meltanos_state_store(project, emulator, tmp_path):
    emu = emulator(rows=table_sizes(1000), seed=17)
    streams = served_streams()
    first_out, second_out = tmp_path / "run1", tmp_path / "run2"

    env = project.env(emu, streams, TARGET_JSONL_DESTINATION_PATH=str(first_out))
    project.run("tap-dualentry", "target-jsonl", env=env)
    first_requests = Counter(r.endpoint for r in emu.requests)
    for stream in streams:
        written = read_jsonl(first_out, stream)
        assert len(written) == len(expected_rows(emu, stream)), stream
    customers = {r["id"]: r for r in read_jsonl(first_out, "customers")}
    assert set(customers) == set(emu.table("customers").ids())

    state = project.state(STATE_ID, env)
    bookmark = state["singer_state"]["bookmarks"]["customers"]
    newest = max(r["updated_at"] for r in customers.values() if r["updated_at"])
    assert newest_bookmark(bookmark) == newest

    table = emu.table("customers")
    edited = table.ids()[5::197][:4]
    for pk in edited:
        table.edit(pk)
    inserted = table.insert(n=3)
    emu.clear_requests()

    env = project.env(emu, streams, TARGET_JSONL_DESTINATION_PATH=str(second_out))
    project.run("tap-dualentry", "target-jsonl", env=env)
    moved = {r["id"]: r for r in read_jsonl(second_out, "customers")}
    # Every change arrives, as the emulator now serves it ...
    assert set(edited) | set(inserted) <= set(moved)
    for pk in [*edited, *inserted]:
        assert moved[pk]["name"] == table.row(pk)["name"]
    # ... and little else: one request per record-status pass, at most one page of rows,
    # where the first run read every page.
    assert len(list_requests(emu, "customers")) == 3 < first_requests["customers"]
    assert len(moved) <= PAGE_SIZE < len(customers)
    # Meltano stored the advanced bookmark for the next run.
    state = project.state(STATE_ID, env)
    advanced = newest_bookmark(state["singer_state"]["bookmarks"]["customers"])
    assert advanced > newest
    assert advanced == max(r["updated_at"] for r in moved.values() if r["updated_at"])


def test_a_run_without_a_key_fails_and_names_the_setting(project, emulator):
    emu = emulator(rows={"customers": 10})
    env = project.env(emu, ["customers"], TAP_DUALENTRY_API_KEY="")
    done = project.meltano("run", "tap-dualentry", "target-jsonl", env=env)
    assert done.returncode != 0
    assert "api_key" in done.stderr
    assert not [r for r in emu.requests if r.key_matched]


def test_meltano_knows_every_tap_setting_and_redacts_the_key(project, emulator):
    emu = emulator(rows={"customers": 1})
    # Number settings given as text, as environment variables are, reach the tap as numbers.
    numbers = {"TAP_DUALENTRY_FULL_PASS_INTERVAL_DAYS": "0", "TAP_DUALENTRY_REQUEST_TIMEOUT": "45"}
    env = project.env(emu, ["customers"], **numbers)
    listed = project.meltano("config", "list", "--all", "tap-dualentry", env=env)
    assert listed.returncode == 0, listed.stderr
    about = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tap_dualentry", "--about", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for name in about["settings"]["properties"]:
        assert f"{name} [env: TAP_DUALENTRY_{name.upper()}]" in listed.stdout, name
    printed = project.meltano("config", "print", "tap-dualentry", env=env)
    assert printed.returncode == 0, printed.stderr
    config = json.loads(printed.stdout)
    assert config["api_key"] == "*****"
    assert config["api_url"] == emu.url
    assert (config["full_pass_interval_days"], config["request_timeout"]) == (0, 45)
    assert env["TAP_DUALENTRY_API_KEY"] not in listed.stdout + printed.stdout
