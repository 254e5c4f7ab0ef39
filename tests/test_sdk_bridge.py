"""Contracts of the private SDK members that tap_dualentry.sdk_bridge relies on.

Each test checks one member against the installed singer-sdk, by what the SDK's own
code does with it, and fails naming the member when a release changes it. A last
test keeps every other module of the tap away from the SDK's private members.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import TapCapabilities
from singer_sdk.singerlib.encoding.simple import SimpleSingerWriter
from singer_sdk.streams.core import StreamStateManager  # type: ignore[attr-defined]

import tap_dualentry
from tap_dualentry.output import SingerOutput
from tap_dualentry.sdk_bridge import BridgedStream, BridgedTap, ConfigInput

SDK = f"singer-sdk {version('singer-sdk')}"


@contextmanager
def contract(member: str) -> Iterator[None]:
    """Turn any failure inside into one that names the SDK member and where it is used."""
    try:
        yield
    except (AssertionError, AttributeError, TypeError, KeyError) as error:
        pytest.fail(
            f"{SDK} changed {member}, which tap_dualentry/sdk_bridge.py relies on: "
            f"{type(error).__name__}: {error}",
            pytrace=False,
        )


def parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


SCHEMA = th.PropertiesList(
    th.Property("id", th.IntegerType()), th.Property("updated_at", th.DateTimeType())
).to_dict()
ROWS = [
    {"id": 1, "updated_at": "2025-01-01T00:00:00Z"},
    {"id": 2, "updated_at": "2025-02-01T00:00:00Z"},
]


class Plain(Stream):
    name = "plain"
    primary_keys = ("id",)
    replication_key = "updated_at"
    schema = SCHEMA

    def get_records(self, context: Any) -> Any:
        yield from (dict(row) for row in ROWS)


class Bridged(BridgedStream):
    replication_key = "updated_at"

    def __init__(self, tap: Tap, *, write_state: bool = True) -> None:
        state: dict[str, Any] = {}
        if write_state:  # a view of the run's state, as DualEntryStream's
            bookmarks = tap.state.setdefault("bookmarks", {})
            state = {"bookmarks": {"bridged": bookmarks.setdefault("bridged", {})}}
        super().__init__(tap, name="bridged", schema=SCHEMA, state=state, write_state=write_state)
        self.primary_keys = ("id",)

    def get_records(self, context: Any) -> Any:
        yield from (dict(row) for row in ROWS)


class Small(BridgedTap):
    name = "tap-small"
    config_jsonschema = th.PropertiesList(th.Property("secret", th.StringType())).to_dict()
    capabilities = [TapCapabilities.STATE]  # noqa: RUF012
    reviewed: list[list[str]] = []  # noqa: RUF012
    terminated: list[int] = []  # noqa: RUF012

    def discover_streams(self) -> list[Stream]:
        return [Plain(self), Bridged(self)]

    def review_config_errors(self, errors: list[str]) -> list[str]:
        self.reviewed.append(list(errors))
        return [*errors, "secret is wrong"] if self.config.get("secret") == "bad" else errors

    def on_termination(self, signum: int) -> None:
        self.terminated.append(signum)


def small_tap(**config: Any) -> tuple[Small, io.StringIO]:
    out = io.StringIO()
    writer = SimpleSingerWriter()
    writer.format_message = lambda message: json.dumps(message.to_dict(), default=str)  # type: ignore[method-assign]
    tap = Small(config=config, message_writer=writer)
    writer.write_message = lambda message: out.write(  # type: ignore[method-assign]
        json.dumps(message.to_dict(), default=str) + "\n"
    )
    return tap, out


def messages(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_stream_increment_stream_state():
    with contract("Stream._increment_stream_state"):
        assert parameters(Stream._increment_stream_state) == ["self", "latest_record", "context"]
        tap, _ = small_tap()
        plain, bridged = tap.streams["plain"], tap.streams["bridged"]
        plain.sync()
        bridged.sync()
        # The SDK's sync calls it for every record: the plain stream's bookmark moved.
        assert plain.stream_state.get("replication_key_value") == "2025-02-01T00:00:00Z"
        assert "replication_key_value" not in bridged.stream_state


def test_stream_write_state_message_and_tap_state():
    with contract("Stream._write_state_message / Stream.tap_state"):
        assert parameters(Stream._write_state_message) == ["self"]
        tap, out = small_tap()
        bridged = tap.streams["bridged"]
        bridged.stream_state["replication_key_value"] = "x"
        bridged.mark_state_changed()
        bridged.finalize_state_progress_markers()
        states = [m["value"] for m in messages(out) if m["type"] == "STATE"]
        # What the SDK writes is the stream's tap_state: its own bookmarks only.
        assert states and states[-1] == {"bookmarks": {"bridged": {"replication_key_value": "x"}}}


def test_stream_tap_state_private_for_streams_that_write_none():
    with contract("Stream._tap_state"):
        tap, out = small_tap()
        silent = Bridged(tap, write_state=False)
        assert silent._tap_state is not tap.state
        silent.stream_state["replication_key_value"] = "y"
        silent.finalize_state_progress_markers()
        assert "y" not in json.dumps(tap.state)
        assert not [m for m in messages(out) if m["type"] == "STATE"]


def test_state_manager_is_flushed():
    with contract("StreamStateManager.is_flushed"):
        assert "is_flushed" in inspect.getsource(StreamStateManager.__init__)
        tap, out = small_tap()
        bridged = tap.streams["bridged"]
        bridged.state_manager.is_flushed = True
        bridged.stream_state["replication_key_value"] = "z"
        Stream._write_state_message(bridged)
        assert not [m for m in messages(out) if m["type"] == "STATE"]
        bridged.mark_state_changed()
        Stream._write_state_message(bridged)
        assert [m for m in messages(out) if m["type"] == "STATE"]


def test_stream_version_and_generate_record_messages():
    with contract("Stream._stream_version / Stream._generate_record_messages"):
        assert parameters(Stream._generate_record_messages) == ["self", "record"]
        tap, _ = small_tap()
        bridged = tap.streams["bridged"]
        bridged.stream_version = 42
        assert bridged._stream_version == 42
        sdk = list(Stream._generate_record_messages(bridged, dict(ROWS[0])))
        ours = list(bridged._generate_record_messages(dict(ROWS[0])))
        assert [m.version for m in sdk] == [m.version for m in ours] == [42]
        assert [(m.stream, m.record) for m in sdk] == [(m.stream, m.record) for m in ours]


def test_stream_generate_schema_messages():
    with contract("Stream._generate_schema_messages"):
        assert parameters(Stream._generate_schema_messages) == ["self"]
        tap, _ = small_tap()
        bridged = tap.streams["bridged"]
        sdk = list(Stream._generate_schema_messages(bridged))
        aliases = [stream_map.stream_alias for stream_map in bridged.stream_maps]
        # One SCHEMA per stream map, named by its alias, its schema a settable field.
        assert [m.stream for m in sdk] == aliases == ["bridged"]
        assert sdk[0].schema == bridged.stream_maps[0].transformed_schema
        ours = list(bridged._generate_schema_messages())
        assert [(m.stream, m.key_properties) for m in ours] == [
            (m.stream, m.key_properties) for m in sdk
        ]
        # Ours declares what the output shape makes: here, every property may be null.
        assert ours[0].schema["properties"]["id"]["type"] == ["integer", "null"]


@pytest.mark.parametrize(
    ("member", "call", "kind"),
    [
        ("Stream._write_schema_message", lambda s: s.write_schema(), "SCHEMA"),
        ("Stream._write_record_message", lambda s: s.write_record(dict(ROWS[0])), "RECORD"),
        (
            "Stream._write_activate_version_message",
            lambda s: s.write_activate_version(7),
            "ACTIVATE_VERSION",
        ),
    ],
)
def test_stream_message_writers(member, call, kind):
    with contract(member):
        _, name = member.split(".")
        assert callable(getattr(Stream, name))
        tap, out = small_tap()
        call(tap.streams["bridged"])
        written = messages(out)
        assert [m["type"] for m in written] == [kind]
        assert written[0]["stream"] == "bridged"


def test_stream_write_record_message_straight_to_a_record_writer():
    with contract("Stream._write_record_message (called by Stream._sync_records)"):
        assert parameters(Stream._write_record_message) == ["self", "record"]
        assert "self._write_record_message(record)" in inspect.getsource(Stream._sync_records)
        lines = {}
        for fast in (True, False):
            out = io.BytesIO()
            tap = Small(message_writer=SingerOutput(stream=out))
            bridged = tap.streams["bridged"]
            bridged.stream_version = 42
            assert (bridged._record_writer is tap.message_writer) is True
            if not fast:  # the SDK's own way, for comparison
                bridged._record_writer = None
            bridged.sync()
            bridged.state_manager.is_flushed = True
            bridged.write_record(dict(ROWS[0]))
            assert bridged.state_manager.is_flushed is False  # a record awaits its STATE
            tap.message_writer.flush()
            lines[fast] = [
                line.split(b',"time_extracted":')[0]
                for line in out.getvalue().splitlines()
                if line.startswith(b'{"type":"RECORD"')
            ]
        assert len(lines[True]) == len(ROWS) + 1
        assert lines[True] == lines[False]  # byte for byte, but for the time of extraction


def test_tap_validate_config():
    with contract("Tap._validate_config"):
        assert parameters(Tap._validate_config) == ["self", "raise_errors"]
        Small.reviewed.clear()
        small_tap(secret="good")
        assert Small.reviewed == [[]]  # the SDK's constructor called it once
        with pytest.raises(ConfigValidationError) as raised:
            small_tap(secret="bad")
        assert raised.value.errors == ["secret is wrong"]


def test_tap_handle_termination():
    with contract("Tap._handle_termination"):
        assert parameters(Tap._handle_termination) == ["self", "signum", "frame"]
        before = signal.getsignal(signal.SIGTERM)
        try:
            tap, _ = small_tap()
            handler = signal.getsignal(signal.SIGTERM)
            assert getattr(handler, "__func__", None) is BridgedTap._handle_termination
            Small.terminated.clear()
            handler(signal.SIGTERM, None)
            assert Small.terminated == [signal.SIGTERM]
            del tap
        finally:
            signal.signal(signal.SIGTERM, before)
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _private_sdk_names() -> set[str]:
    names: set[str] = set()
    for klass in (*Stream.__mro__, *Tap.__mro__, *StreamStateManager.__mro__):
        if klass.__module__.startswith("singer_sdk"):
            names |= {n for n in vars(klass) if n.startswith("_") and not n.startswith("__")}
    tap, _ = small_tap()
    for instance in (tap, tap.streams["plain"]):
        names |= {n for n in vars(instance) if n.startswith("_") and not n.startswith("__")}
    return names


# The tap's classes built on the SDK's: inside them ``self._x`` may be the SDK's.
SDK_BASES = {"Stream", "Tap", "BridgedStream", "BridgedTap", "DualEntryStream", "LineStream"}


def _uses(tree: ast.AST, private: set[str]) -> Iterator[tuple[int, str]]:
    sdk_classes = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id in SDK_BASES for base in node.bases)
    ]
    inside = {id(node) for cls in sdk_classes for node in ast.walk(cls)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("singer_sdk"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield node.lineno, alias.name  # a private SDK name, imported
        if isinstance(node, ast.Attribute) and node.attr in private:
            on_self = isinstance(node.value, ast.Name) and node.value.id == "self"
            if not on_self or id(node) in inside:
                yield node.lineno, node.attr
        elif isinstance(node, ast.FunctionDef) and node.name in private and id(node) in inside:
            yield node.lineno, node.name  # an override of a private SDK method


def test_only_the_bridge_touches_private_sdk_members():
    private = _private_sdk_names()
    assert {"_write_record_message", "_tap_state", "_stream_version"} <= private
    package = Path(tap_dualentry.__file__).parent
    found = [
        f"{path.name}:{line} {name}"
        for path in sorted(package.glob("*.py"))
        if path.name != "sdk_bridge.py"
        for line, name in _uses(ast.parse(path.read_text()), private)
    ]
    assert not found, f"private SDK members outside sdk_bridge.py: {found}"


def test_config_input():
    with contract("singer_sdk.plugin_base._ConfigInput"):
        given = ConfigInput.from_cli_args("ENV")
        assert given.parse_env is True and given.config == {}
