"""Regenerate plugin settings in meltano.yml from the plugins' own ``--about --format=json``.

The ``settings`` (and ``settings_group_validation``) of tap-dualentry and target-postgres
sit between marker comments in meltano.yml; everything else in the file is written by hand.
Generated from each plugin's own settings schema, they cannot drift from what it accepts.
target-postgres is asked only once `meltano install` has put it in .meltano/.

Run: .venv/bin/python scripts/meltano_settings.py          (rewrite meltano.yml)
     .venv/bin/python scripts/meltano_settings.py --check  (exit 1 when out of date)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MELTANO_YML = ROOT / "meltano.yml"
# Each plugin's entry (plugins > extractors|loaders > - name) holds its keys four spaces in.
INDENT = " " * 4
TAP = "tap-dualentry"
TARGET_POSTGRES = "target-postgres"
# Settings that hold credentials although the plugin's schema does not flag them secret.
SENSITIVE = {TARGET_POSTGRES: {"password", "sqlalchemy_url", "ssl_client_private_key"}}


def begin_marker(plugin: str) -> str:
    return f"# BEGIN settings generated from `{plugin} --about` by scripts/meltano_settings.py"


def end_marker(plugin: str) -> str:
    return f"# END settings generated from `{plugin} --about`"


def installed_executable(plugin: str, project: Path = ROOT) -> Path:
    """Where `meltano install` puts a loader's executable."""
    return project / ".meltano" / "loaders" / plugin / "venv" / "bin" / plugin


def about(command: list[str] | None = None) -> dict[str, Any]:
    """A plugin's --about JSON; by default the tap of this interpreter's environment."""
    command = command or [sys.executable, "-m", "tap_dualentry"]
    output = subprocess.run(
        [*command, "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info: dict[str, Any] = json.loads(output)
    return info


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _secret(schema: dict[str, Any]) -> bool:
    """Whether a property, or any property nested in it, is flagged secret."""
    if schema.get("secret") or schema.get("writeOnly"):
        return True
    return any(_secret(inner) for inner in (schema.get("properties") or {}).values())


def setting(name: str, schema: dict[str, Any], *, sensitive: bool = False) -> dict[str, Any]:
    """One Meltano setting definition for one property of a plugin's settings schema."""
    types = _types(schema) - {"null"}
    definition: dict[str, Any] = {"name": name}
    if schema.get("enum"):
        definition["kind"] = "options"
    elif "boolean" in types:
        definition["kind"] = "boolean"
    elif types & {"integer", "number"}:
        # Not `decimal`: Meltano 4.4 turns a decimal setting given as text (environment
        # variable, `meltano config set`) into a Decimal it then cannot write to the
        # plugin's JSON config, and the run crashes. `integer` parses whole numbers from
        # text and passes numbers from meltano.yml through untouched, fractions included.
        definition["kind"] = "integer"
    elif "array" in types:
        definition["kind"] = "array"
    elif "object" in types:
        definition["kind"] = "object"
    elif schema.get("format") == "date-time":
        definition["kind"] = "date_iso8601"
    else:
        definition["kind"] = "string"
    definition["label"] = schema.get("title") or name.replace("_", " ").capitalize()
    if "description" in schema:
        definition["description"] = schema["description"]
    if "default" in schema:
        definition["value"] = schema["default"]
    if schema.get("enum"):
        definition["options"] = [{"label": str(v), "value": v} for v in schema["enum"]]
    if sensitive or _secret(schema):
        definition["sensitive"] = True
    return definition


class _Dumper(yaml.SafeDumper):
    """Block style, except lists of plain values, which read best inline: [api_key]."""


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    inline = all(not isinstance(item, dict | list) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=inline)


_Dumper.add_representer(list, _represent_list)


def generated_block(plugin: str, info: dict[str, Any]) -> str:
    """The YAML between one plugin's markers, indented for its entry."""
    settings = info["settings"]
    sensitive = SENSITIVE.get(plugin, set())
    data: dict[str, Any] = {}
    if settings.get("required"):
        data["settings_group_validation"] = [list(settings["required"])]
    data["settings"] = [
        setting(name, schema, sensitive=name in sensitive)
        for name, schema in settings["properties"].items()
    ]
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    lines = [begin_marker(plugin), *text.splitlines(), end_marker(plugin)]
    return "\n".join(INDENT + line for line in lines)


def render(current: str, plugin: str, info: dict[str, Any]) -> str:
    """meltano.yml text with one plugin's generated block replaced."""
    start = current.index(INDENT + begin_marker(plugin))
    stop = current.index(end_marker(plugin), start) + len(end_marker(plugin))
    return current[:start] + generated_block(plugin, info) + current[stop:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if meltano.yml is stale")
    parser.add_argument(
        "--target-postgres",
        type=Path,
        default=installed_executable(TARGET_POSTGRES),
        help="target-postgres executable to ask (default: the one `meltano install` put in "
        ".meltano/); skipped when missing",
    )
    args = parser.parse_args()
    current = MELTANO_YML.read_text("utf-8")
    wanted = render(current, TAP, about())
    if args.target_postgres.exists():
        wanted = render(wanted, TARGET_POSTGRES, about([str(args.target_postgres)]))
    else:
        print(f"{args.target_postgres} not found: target-postgres settings left as they are")
    if current == wanted:
        return 0
    if args.check:
        print(
            "meltano.yml's settings differ from the plugins' --about; "
            "run scripts/meltano_settings.py",
            file=sys.stderr,
        )
        return 1
    MELTANO_YML.write_text(wanted, "utf-8")
    print("meltano.yml: settings regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
