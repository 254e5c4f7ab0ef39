"""What a target receives for each stream: a SCHEMA its records validate against, and
records that carry every property of that SCHEMA, in its order.

Applied last, after the SDK's selection, stream maps and flattening (``sdk_bridge``
calls it for each stream map's output):

* every property of the SCHEMA sent is in every RECORD, null where DualEntry sent
  nothing, in the schema's order: a target that takes its columns from the first
  record writes every later row under the same columns. A property that may be
  absent from the API (not ``required``) is therefore declared nullable;
* flattening: the SDK leaves a null object under its own key, which the flattened
  schema no longer has, and keeps ``required`` naming properties that flattening
  replaced. Such a key is dropped (its flattened columns are null), ``required``
  names only properties that exist, and any other key the flattened schema lacks (a
  field DualEntry added inside an object) joins ``_unknown_fields``;
* ``decimal_format: string``: every ``number`` (nested ones too) is declared
  ``{"type": "string", "format": "x-singer.decimal"}`` and written as its exact digits,
  for targets that would turn a JSON number into a float.
"""

from __future__ import annotations

import copy
import decimal
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from tap_dualentry.records import UNKNOWN_FIELDS

Record = dict[str, Any]
Convert = Callable[[Any], Any]

DECIMAL_TEXT = {"type": "string", "format": "x-singer.decimal"}
_NUMERIC_KEYWORDS = ("multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_json = msgspec.json.Encoder(decimal_format="number")
_decode = msgspec.json.Decoder(float_hook=decimal.Decimal)


class OutputShape:
    """The SCHEMA and the records of one stream map's output, compiled once."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        decimal_text: bool,
        separator: str | None,
        dropped: Callable[[str], None],
    ) -> None:
        """``schema``: what the stream map produces; ``separator``: the flattening
        separator when the map flattens; ``dropped``: told of each key that has no
        place in the output (once per key is the caller's business)."""
        properties: Mapping[str, Any] = schema.get("properties") or {}
        self._template: Record = dict.fromkeys(properties)
        self._known = frozenset(properties)
        self._parents = (
            frozenset(
                separator.join(parts[:end])
                for name in properties
                for parts in [name.split(separator)]
                for end in range(1, len(parts))
            )
            if separator
            else frozenset()
        )
        self._unknown = UNKNOWN_FIELDS in properties
        self._dropped = dropped
        self._decimals = _decimal_converters(properties) if decimal_text else {}
        self.schema = _output_schema(schema, decimal_text=decimal_text)

    def __call__(self, record: Record) -> Record:
        # Every property null, in the schema's order, then the record's values over them:
        # two C-level dict operations, the cheapest way to complete and order a record.
        out = self._template.copy()
        out.update(record)
        if len(out) != len(self._template):
            for key in [key for key in out if key not in self._known]:
                del out[key]
            self._place_strays(record, out)
        for name, convert in self._decimals.items():
            value = out[name]
            if value is not None:
                out[name] = convert(value)
        return out

    def _place_strays(self, record: Record, out: Record) -> None:
        strays: Record = {}
        for key, value in record.items():
            if key in self._known:
                continue
            if value is None and key in self._parents:
                continue  # a null object: its flattened columns are null already
            strays[key] = value
        if not strays:
            return
        if not self._unknown:
            for key in strays:
                self._dropped(key)
            return
        kept = out.get(UNKNOWN_FIELDS)
        if isinstance(kept, str):  # flattened: the object was written as JSON text
            merged = {**_decode.decode(kept), **strays}
            out[UNKNOWN_FIELDS] = _json.encode(merged).decode()
        else:
            out[UNKNOWN_FIELDS] = {**(kept or {}), **strays}


def _output_schema(schema: Mapping[str, Any], *, decimal_text: bool) -> dict[str, Any]:
    result = copy.deepcopy(dict(schema))
    properties: dict[str, Any] = result.setdefault("properties", {})
    required = [name for name in result.get("required", ()) if name in properties]
    if "required" in result:
        result["required"] = required
    for name, sub in properties.items():
        if name not in required:
            _allow_null(sub)
        if decimal_text:
            _decimals_as_text(sub)
    return result


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if kind is None:
        return set()
    return {kind} if isinstance(kind, str) else set(kind)


def _allow_null(schema: dict[str, Any]) -> None:
    """Let a property be null (it may be absent from the API)."""
    if not schema or "type" not in schema:
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if options is not None and not any("null" in _types(o) for o in options):
                options.append({"type": "null"})
        return
    types = _types(schema)
    if "null" not in types:
        kind = schema["type"]
        schema["type"] = [*([kind] if isinstance(kind, str) else kind), "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]


def _is_decimal(schema: Mapping[str, Any]) -> bool:
    """A number field (nullable or not), not a field of any JSON value."""
    return _types(schema) - {"null"} == {"number"}


def _decimals_as_text(schema: dict[str, Any]) -> None:
    """Declare every number below ``schema`` as an exact decimal string."""
    types = _types(schema)
    if _is_decimal(schema):
        schema["type"] = ["string", "null"] if "null" in types else "string"
        schema["format"] = DECIMAL_TEXT["format"]
        for keyword in _NUMERIC_KEYWORDS:
            schema.pop(keyword, None)
    for sub in (schema.get("properties") or {}).values():
        _decimals_as_text(sub)
    items = schema.get("items")
    if isinstance(items, dict):
        _decimals_as_text(items)
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key) or ():
            _decimals_as_text(sub)


def _decimal_converters(properties: Mapping[str, Any]) -> dict[str, Convert]:
    """For each property holding numbers (at any depth), how to write them as text."""
    converters = {}
    for name, sub in properties.items():
        convert = _compile_text(sub)
        if convert is not None:
            converters[name] = convert
    return converters


def _compile_text(schema: Mapping[str, Any]) -> Convert | None:
    """A converter of the numbers in values of ``schema`` to text; None if it has none."""
    types = _types(schema)
    if _is_decimal(schema):
        return _number_text
    if "object" in types or "properties" in schema:
        fields = {
            name: convert
            for name, sub in (schema.get("properties") or {}).items()
            if (convert := _compile_text(sub)) is not None
        }
        if not fields:
            return None

        def convert_object(value: Any) -> Any:  # noqa: ANN401
            if not isinstance(value, dict):
                return value
            result = dict(value)  # a copy: nested objects may be shared with other records
            for name, convert in fields.items():
                item = result.get(name)
                if item is not None:
                    result[name] = convert(item)
            return result

        return convert_object
    items = schema.get("items")
    if "array" in types and isinstance(items, dict):
        convert_item = _compile_text(items)
        if convert_item is None:
            return None

        def convert_array(value: Any) -> Any:  # noqa: ANN401
            if not isinstance(value, list):
                return value
            return [None if item is None else convert_item(item) for item in value]

        return convert_array
    return None


def _number_text(value: Any) -> Any:  # noqa: ANN401
    """The exact digits of a number (plain notation, trailing zeros kept)."""
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value
