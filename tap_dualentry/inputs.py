"""The files named on the command line: config, state and catalog, each read or refused
in one line that names the file and what to do.

A state file may hold the state itself (``{"bookmarks": ...}``), a whole STATE message
as a target echoes it (``{"type": "STATE", "value": ...}``), or Meltano's
``meltano state get`` output (``{"singer_state": ...}``); all three mean the same state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tap_dualentry.errors import InputFileError


def read_json_object(path: str, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; ``what`` names the file in messages (``--config``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{what} {path}: no such file. Check the path."
        raise InputFileError(msg) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        msg = f"{what} {path}: cannot be read ({reason})."
        raise InputFileError(msg) from None
    return parse_json_object(text, f"{what} {path}")


def parse_json_object(text: str, where: str) -> dict[str, Any]:
    """The JSON object in ``text``, or one line saying where it is not one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        msg = (
            f"{where}: not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}). Fix the file."
        )
        raise InputFileError(msg) from None
    if not isinstance(value, dict):
        msg = f"{where}: holds a JSON {_json_type(value)}, not an object. Fix the file."
        raise InputFileError(msg)
    return value


def parse_state(text: str, where: str) -> dict[str, Any]:
    """A Singer state, whichever of the accepted forms ``text`` holds."""
    state = parse_json_object(text, where)
    if "singer_state" in state and isinstance(state["singer_state"], dict):
        return dict(state["singer_state"])
    kind = state.get("type")
    if kind is None:
        if "bookmarks" in state and not isinstance(state["bookmarks"], dict):
            msg = f"{where}: 'bookmarks' is not an object. Fix the file or start without it."
            raise InputFileError(msg)
        return state
    if kind == "STATE" and isinstance(state.get("value"), dict):
        return dict(state["value"])
    msg = (
        f"{where}: a {kind!s} message is not a state. Pass a state "
        '({"bookmarks": ...}), a STATE message or `meltano state get` output.'
    )
    raise InputFileError(msg)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"
