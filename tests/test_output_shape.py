"""What targets receive: every RECORD carries every property of the SCHEMA sent before
it, in its order, and validates against it, with flattening at every depth the SDK
allows; decimals as exact strings when asked; fields renamed where a target needs it;
an organisation column; and fields the schema lacks kept, never dropped."""

from __future__ import annotations

import json
import logging
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from dualentry_emulator import CATALOGUE as SERVED
from dualentry_emulator import Behaviour, Emulator
from harness import API_KEY, base_config, run_cli, run_tap
from jsonschema import Draft7Validator, FormatChecker
from meltano_harness import expected_rows, key_fields, served_streams

from tap_dualentry.catalogue import load_schema

# The deepest nesting of objects in any schema file: flattening deeper changes nothing.
DEEPEST = 3
SIZES = {name: 25 for name in SERVED}


def schema_depth(schema: dict[str, Any]) -> int:
    depth = 0
    for sub in (schema.get("properties") or {}).values():
        types = sub.get("type") or []
        if "object" in types and "properties" in sub:
            depth = max(depth, 1 + schema_depth(sub))
    return depth


def test_the_deepest_nesting_is_known():
    assert max(schema_depth(load_schema(name)) for name in served_streams()) == DEEPEST


def check_against_schemas(messages: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """Each RECORD against the SCHEMA sent before it: its problems, counted; and every
    record carries every property, in the schema's order."""
    validators: dict[str, Draft7Validator] = {}
    orders: dict[str, list[str]] = {}
    problems: Counter[tuple[str, str, str]] = Counter()
    for message in messages:
        if message["type"] == "SCHEMA":
            schema = message["schema"]
            validators[message["stream"]] = Draft7Validator(schema, format_checker=FormatChecker())
            orders[message["stream"]] = list(schema["properties"])
        elif message["type"] == "RECORD":
            stream, record = message["stream"], message["record"]
            if list(record) != orders[stream]:
                problems[(stream, "(keys)", "not every property, or not in order")] += 1
            for error in validators[stream].iter_errors(record):
                problems[(stream, error.json_path, error.message[:70])] += 1
    return problems


@pytest.fixture(scope="module")
def drifting():
    """An emulator whose items carry fields no schema lists, at every level."""
    with Emulator(
        API_KEY, seed=23, rows=SIZES, behaviour=Behaviour(undocumented_fields=True)
    ) as emu:
        yield emu


def test_every_record_carries_every_property_in_order_and_validates(drifting):
    run = run_tap(base_config(drifting), streams=served_streams())
    assert run.exit_code == 0
    assert not check_against_schemas(run.messages)
    # Properties the API left out arrive as null, not missing: created_by is optional.
    customers = run.records("customers")
    assert any(r["created_by"] is None for r in customers)


@pytest.mark.parametrize(
    "depth",
    [
        0,
        pytest.param(1, marks=pytest.mark.thorough),
        pytest.param(2, marks=pytest.mark.thorough),
        pytest.param(3, marks=pytest.mark.thorough),
        pytest.param(DEEPEST + 1, marks=pytest.mark.thorough),
    ],
)
def test_flattened_records_validate_at_every_depth(drifting, depth):
    config = base_config(drifting, flattening_enabled=True, flattening_max_depth=depth)
    run = run_tap(config, streams=served_streams())
    assert run.exit_code == 0, run
    problems = check_against_schemas(run.messages)
    assert not problems, problems.most_common(8)
    if depth >= 1:
        # Nested objects became columns; a null object's columns are null.
        customer = run.records("customers")[0]
        assert "full_address__city" in customer and "full_address" not in customer
    for stream in served_streams():
        assert len(run.records(stream)) == len(expected_rows(drifting, stream)), stream
    # Fields DualEntry added inside objects were flattened too: kept in _unknown_fields.
    kept = run.records("customers")[0]["_unknown_fields"]
    kept = json.loads(kept) if isinstance(kept, str) else kept
    assert "esg_rating" in kept
    if depth >= 1:
        assert any(
            key.endswith("geo_precision") for r in run.records("customers") for key in _unknown(r)
        )


def _unknown(record: dict[str, Any]) -> dict[str, Any]:
    value = record["_unknown_fields"]
    return json.loads(value) if isinstance(value, str) else (value or {})


def test_flattening_without_a_depth_is_one_line(emulator, tmp_path):
    emu = emulator(rows={"customers": 5})
    run = run_cli(base_config(emu, flattening_enabled=True), tmp_path, streams=["customers"])
    assert run.exit_code == 1
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "flattening_max_depth" in errors[0], run.stderr
    assert "Traceback" not in run.stderr


# Fields the schema does not list


def test_fields_the_schema_lacks_reach_the_target(drifting, caplog):
    with caplog.at_level(logging.WARNING):
        run = run_tap(base_config(drifting), streams=served_streams())
    assert run.exit_code == 0
    for name in SERVED:
        for record in run.records(name):
            assert record["_unknown_fields"]["esg_rating"]["scale"] == "0-100", name
    rows = {row["internal_id"]: row for row in drifting.table("invoices").rows()}
    for invoice in run.records("invoices"):
        # A field added inside nested objects stays where DualEntry put it.
        assert all(line["carbon_kg"] for line in invoice["items"])
        served = rows[invoice["internal_id"]]
        assert invoice["_unknown_fields"]["esg_rating"] == served["esg_rating"]
    for line in run.records("invoices_items"):
        assert line["_unknown_fields"]["carbon_kg"]
    # Reported once per stream and field, as before.
    reports = Counter(
        r.getMessage() for r in caplog.records if "undeclared field 'esg_rating'" in r.getMessage()
    )
    assert len(reports) == len(SERVED) and set(reports.values()) == {1}
    assert all("kept in _unknown_fields" in message for message in reports)


def test_without_new_fields_the_column_is_null(emulator):
    emu = emulator(rows={"customers": 20})
    run = run_tap(base_config(emu), streams=["customers"])
    assert {r["_unknown_fields"] for r in run.records("customers")} == {None}


# decimal_format


def test_decimal_format_string_writes_exact_decimal_strings(emulator):
    emu = emulator(rows={"invoices": 40, "customers": 5}, seed=5)
    streams = ["invoices", "invoices_items"]
    run = run_tap(base_config(emu, decimal_format="string"), streams=streams)
    assert run.exit_code == 0
    assert not check_against_schemas(run.messages)
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    # Every number is declared as a decimal string (fields of any JSON value stay so).
    assert not [path for schema in schemas.values() for path in _number_fields(schema, "")]
    assert schemas["invoices"]["properties"]["amount"]["format"] == "x-singer.decimal"
    for message in run.messages:
        if message["type"] == "RECORD":
            assert not _numbers_in(message["record"]), message["stream"]
    rows = {row["internal_id"]: row for row in emu.table("invoices").rows()}
    sixteen = 0
    for invoice in run.records("invoices"):
        served = rows[invoice["internal_id"]]
        assert invoice["amount"] == served["amount"]  # the API's own digits
        assert invoice["exchange_rate"] == served["exchange_rate"]
        sixteen += len(served["exchange_rate"].split(".")[-1]) == 16
        for line, served_line in zip(invoice["items"], served["items"], strict=True):
            assert line["rate"] == served_line["rate"]
    assert sixteen > 0


def _number_fields(schema: dict[str, Any], path: str) -> list[str]:
    types = schema.get("type") or []
    found = (
        [path] if set([types] if isinstance(types, str) else types) - {"null"} == {"number"} else []
    )
    for name, sub in (schema.get("properties") or {}).items():
        found += _number_fields(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        found += _number_fields(schema["items"], f"{path}[]")
    return found


def _numbers_in(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_numbers_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_numbers_in(v) for v in value)
    return isinstance(value, (Decimal, float))


def test_decimal_format_number_is_the_default_and_exact(emulator):
    emu = emulator(rows={"invoices": 20, "customers": 5})
    run = run_tap(base_config(emu), streams=["invoices"])
    rows = {row["internal_id"]: row for row in emu.table("invoices").rows()}
    for invoice in run.records("invoices"):
        assert isinstance(invoice["amount"], Decimal)
        assert format(invoice["amount"], "f") == rows[invoice["internal_id"]]["amount"]


# field_aliases


def test_workflows_version_is_written_as_workflow_version_by_default(emulator):
    emu = emulator(rows={"workflows": 10, "customers": 5})
    run = run_tap(base_config(emu), streams=["workflows"])
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")["schema"]
    assert "workflow_version" in schema["properties"] and "version" not in schema["properties"]
    served = {row["id"]: row["version"] for row in emu.table("workflows").rows()}
    assert {r["id"]: r["workflow_version"] for r in run.records("workflows")} == served
    assert all("version" not in r for r in run.records("workflows"))
    assert {r["_unknown_fields"] for r in run.records("workflows")} == {None}
    # Targets that take the name keep it with field_aliases {}.
    kept = run_tap(base_config(emu, field_aliases={}), streams=["workflows"])
    assert {r["id"]: r["version"] for r in kept.records("workflows")} == served


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ({"workflow": {"version": "v"}}, "no stream 'workflow' (did you mean 'workflows'?)"),
        pytest.param(
            {"workflows": {"versoin": "v"}},
            "stream 'workflows' has no field 'versoin'",
            marks=pytest.mark.thorough,
        ),
        pytest.param(
            {"workflows": {"version": "name"}},
            "'workflows' already has a field named 'name'",
            marks=pytest.mark.thorough,
        ),
        pytest.param(
            {"workflows": {"id": "workflow_id"}},
            "'workflows.id' is a key or the bookmark",
            marks=pytest.mark.thorough,
        ),
        pytest.param({"workflows": ["version"]}, "field_aliases", marks=pytest.mark.thorough),
    ],
)
def test_a_bad_field_alias_is_one_line(tmp_path, aliases, expected):
    config = {"api_key": API_KEY, "api_url": "http://127.0.0.1:9", "field_aliases": aliases}
    for args in ((), ("--discover",)):
        run = run_cli(config, tmp_path, *args)
        assert run.exit_code == 1, args
        errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and expected in errors[0], run.stderr
        assert "Traceback" not in run.stderr


# organisation


def test_the_organisation_leads_every_key_and_every_record(emulator, tmp_path):
    emu = emulator(rows={"invoices": 15, "customers": 10})
    streams = ["customers", "invoices", "invoices_items"]
    run = run_tap(base_config(emu, organisation="acme"), streams=streams)
    assert run.exit_code == 0
    assert not check_against_schemas(run.messages)
    for message in run.messages:
        if message["type"] == "SCHEMA":
            stream = message["stream"]
            assert message["key_properties"] == ["organisation", *key_fields(stream)]
            assert next(iter(message["schema"]["properties"])) == "organisation"
    for stream in streams:
        records = run.records(stream)
        assert records and {r["organisation"] for r in records} == {"acme"}
    discovered = run_cli(base_config(emu, organisation="acme"), tmp_path, "--discover")
    catalog = json.loads(discovered.raw)
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "invoices_items")
    assert entry["key_properties"][0] == "organisation"
