"""Bring API rows into the shape their schema promises, once per field, compiled once.

The SDK's own type conformance would turn the string ``"false"`` into ``True``
and pass a decimal string through a ``number`` field unchanged; it also costs
more CPU than anything else per record. Instead each stream compiles its schema
into converters that:

* keep fields the schema does not declare, reporting each one once per run: a
  top-level one in the record's ``_unknown_fields`` object (when the schema has
  it), a nested one in its object (when the object's schema allows other fields),
  and drop it only where the schema has room for it nowhere;
* convert only losslessly: decimal strings to exact ``Decimal`` numbers (never
  float), ``"true"``/``"false"`` to booleans, integral strings to integers;
* fail with the field's path and the two types, never the value, when a value
  cannot be converted without loss.

Missing fields and nulls are left alone: optional fields may be absent, and a
null where an object or value was promised is passed through and reported once.
"""

from __future__ import annotations

import decimal
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from tap_dualentry.errors import RecordTypeError
from tap_dualentry.unchanged import exact_type

Converter = Callable[[Any], Any]
# Where a record keeps the top-level fields DualEntry sent that its schema lacks.
UNKNOWN_FIELDS = "_unknown_fields"
# Rows a stream's shaper checks in C before it decides whether checking pays.
_TRIAL_ROWS = 64

_JSON_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    decimal.Decimal: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


class PlainDecimal(decimal.Decimal):
    """A decimal written in plain notation (``0.0000000000``), never as ``0E-10``.

    Only small values need it: everything else prints plainly already.
    """

    __slots__ = ()


def _json_type(value: object) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


class SchemaDrift:
    """Reports, once per run and stream, each field the schema does not know."""

    UNDECLARED = "undeclared field"
    NULL = "null in non-nullable field"

    def __init__(self, stream: str, logger: logging.Logger) -> None:
        self._stream = stream
        self._logger = logger
        self._reported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def report(self, kind: str, path: str, detail: str) -> None:
        with self._lock:
            if (kind, path) in self._reported:
                return
            self._reported.add((kind, path))
        self._logger.warning("Stream '%s': %s '%s' %s", self._stream, kind, path, detail)


class RecordShaper:
    """A compiled converter for one stream's records."""

    def __init__(
        self,
        stream: str,
        schema: Mapping[str, Any],
        drift: SchemaDrift,
        *,
        check_unchanged: bool = True,
    ) -> None:
        self._stream = stream
        self._drift = drift
        self._root = self._compile_object(schema, "")
        # Rows shaping would leave as they are, recognised in C (see unchanged.py); given
        # up for a stream whose rows mostly need shaping (decimal strings, say).
        self._unchanged = exact_type(schema) if check_unchanged else None
        self._checked = self._passed = 0

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        unchanged = self._unchanged
        if unchanged is not None:
            try:
                msgspec.convert(row, unchanged, strict=True)
            except msgspec.ValidationError:
                self._checked += 1
                if self._checked >= _TRIAL_ROWS and self._passed * 2 < self._checked:
                    self._unchanged = None
            else:
                self._checked += 1
                self._passed += 1
                return dict(row)  # exactly what shaping would give
        return self._root(row)  # type: ignore[no-any-return]

    # Compilation

    def _compile(self, schema: Mapping[str, Any], path: str) -> Converter:
        types = schema.get("type")
        if types is None:
            if "anyOf" in schema or "oneOf" in schema or not schema:
                return _identity  # any JSON value
            types = "object" if "properties" in schema else None
        names = {types} if isinstance(types, str) else set(types or ())
        nullable = "null" in names
        names.discard("null")
        if not names:
            return _identity
        if len(names) > 1:
            return self._compile_union(names, schema, path, nullable=nullable)
        (name,) = names
        if name == "object":
            return self._compile_object(schema, path, nullable=nullable)
        if name == "array":
            return self._compile_array(schema, path, nullable=nullable)
        return self._with_null(self._compile_scalar(name, path), path, nullable=nullable)

    def _null(self, path: str, *, nullable: bool) -> Converter:
        """What a null becomes where a value of another type was promised."""
        if nullable:
            return _identity
        drift = self._drift

        def required_value(value: Any) -> Any:  # noqa: ANN401
            drift.report(SchemaDrift.NULL, path, "passed through as null")
            return value

        return required_value

    def _with_null(self, convert: Converter, path: str, *, nullable: bool) -> Converter:
        if nullable:

            def nullable_value(value: Any) -> Any:  # noqa: ANN401
                return None if value is None else convert(value)

            return nullable_value

        def required_value(value: Any) -> Any:  # noqa: ANN401
            if value is None:
                self._drift.report(SchemaDrift.NULL, path, "passed through as null")
                return None
            return convert(value)

        return required_value

    def _compile_object(
        self, schema: Mapping[str, Any], path: str, *, nullable: bool = False
    ) -> Converter:
        properties: dict[str, Any] = schema.get("properties") or {}
        if not properties and schema.get("additionalProperties", True) is not False:
            # A free-form object.
            return self._with_null(_identity, path, nullable=nullable)
        converters = {
            name: self._compile(sub, f"{path}.{name}" if path else name)
            for name, sub in properties.items()
        }
        # The exact types each field keeps unchanged, checked inline: a call per field
        # was most of the shaping cost, and most values need no conversion at all.
        passes = {
            name: kinds
            for name, sub in properties.items()
            if (kinds := _passing_types(sub, converters[name])) is not None
        }
        drift = self._drift
        root = not path
        # A field the schema does not list is never dropped where the schema has room
        # for it: the record's _unknown_fields, or an object open to other fields.
        collect = root and UNKNOWN_FIELDS in properties
        keep = not root and schema.get("additionalProperties", True) is not False
        fate = (
            f"is kept in {UNKNOWN_FIELDS} (not in the schema)"
            if collect
            else "is kept in its object (not in the schema)"
            if keep
            else "is dropped (not in the schema)"
        )
        null = None if root else self._null(path, nullable=nullable)

        def convert_object(value: Any) -> Any:  # noqa: ANN401
            if value is None and null is not None:
                return null(value)
            if not isinstance(value, dict):
                raise self._mismatch(path or "(record)", "object", value)
            # Copy on write: most objects need nothing converted or dropped, and are
            # then shared as they came (a call per field, or a copy per object, was most
            # of the shaping cost). The record itself is always a new dict, so the raw
            # row stays as it came.
            result = dict(value) if root else None
            for key, item in value.items():
                kinds = passes.get(key)
                if kinds is not None and type(item) in kinds:
                    continue
                converter = converters.get(key)
                if converter is None:
                    drift.report(SchemaDrift.UNDECLARED, f"{path}.{key}" if path else key, fate)
                    if keep:
                        continue  # kept where it is
                    if result is None:
                        result = dict(value)
                    del result[key]
                    if collect:
                        result.setdefault(UNKNOWN_FIELDS, {})[key] = item
                    continue
                converted = converter(item)
                if converted is not item:
                    if result is None:
                        result = dict(value)
                    result[key] = converted
            return value if result is None else result

        return convert_object

    def _compile_array(self, schema: Mapping[str, Any], path: str, *, nullable: bool) -> Converter:
        items = schema.get("items") or {}
        item_converter = self._compile(items, f"{path}[]")
        passthrough = item_converter is _identity
        null = self._null(path, nullable=nullable)

        def convert_array(value: Any) -> Any:  # noqa: ANN401
            if value is None:
                return null(value)
            if not isinstance(value, list):
                raise self._mismatch(path, "array", value)
            if passthrough:
                return value
            result = None  # copy on write, as for objects
            for index, item in enumerate(value):
                converted = item_converter(item)
                if converted is not item:
                    if result is None:
                        result = list(value)
                    result[index] = converted
            return value if result is None else result

        return convert_array

    def _compile_scalar(self, name: str, path: str) -> Converter:
        mismatch = self._mismatch
        if name == "number":

            def convert_number(value: Any) -> Any:  # noqa: ANN401
                kind = type(value)
                if kind is decimal.Decimal or kind is int:
                    return value
                if kind is str:
                    try:
                        number = decimal.Decimal(value)
                    except decimal.InvalidOperation:
                        raise mismatch(path, "number", value) from None
                    if number.is_finite():
                        # str() of 0.0000000000 is "0E-10": keep the API's plain digits.
                        return PlainDecimal(value) if number.adjusted() < -6 else number
                if kind is float:
                    return decimal.Decimal(repr(value))
                raise mismatch(path, "number", value)

            return convert_number
        if name == "integer":

            def convert_integer(value: Any) -> Any:  # noqa: ANN401
                kind = type(value)
                if kind is int:
                    return value
                if kind is str and value.strip().lstrip("+-").isdigit():
                    return int(value)
                if kind is decimal.Decimal and value == value.to_integral_value():
                    return int(value)
                raise mismatch(path, "integer", value)

            return convert_integer
        if name == "boolean":

            def convert_boolean(value: Any) -> Any:  # noqa: ANN401
                if type(value) is bool:
                    return value
                if type(value) is str and value.lower() in ("true", "false"):
                    return value.lower() == "true"
                raise mismatch(path, "boolean", value)

            return convert_boolean
        if name == "string":

            def convert_string(value: Any) -> Any:  # noqa: ANN401
                kind = type(value)
                if kind is str:
                    return value
                if kind is int or kind is decimal.Decimal:
                    return str(value)  # lossless: the digits are kept as text
                raise mismatch(path, "string", value)

            return convert_string
        return _identity

    def _compile_union(
        self, names: set[str], schema: Mapping[str, Any], path: str, *, nullable: bool
    ) -> Converter:
        """Several JSON types allowed: keep a value that already is one of them."""
        allowed = {"number": (int, decimal.Decimal, float), "integer": (int,), "string": (str,)}
        accepted: tuple[type, ...] = (bool,) if "boolean" in names else ()
        for name in names:
            accepted += allowed.get(name, ())
            if name == "object":
                accepted += (dict,)
            if name == "array":
                accepted += (list,)
        expected = "/".join(sorted(names))

        def convert_union(value: Any) -> Any:  # noqa: ANN401
            if value is None and nullable:
                return None
            if isinstance(value, accepted) and not (type(value) is bool and "boolean" not in names):
                return value
            raise self._mismatch(path, expected, value)

        del schema
        return convert_union

    def _mismatch(self, path: str, expected: str, value: object) -> RecordTypeError:
        # The value itself stays out of the message: it may be sensitive business data.
        sent = _json_type(value)
        return RecordTypeError(
            f"Stream '{self._stream}': field '{path}' should be {expected} but DualEntry sent "
            f"{sent}, which cannot be converted without loss. The API changed "
            "shape; please report it with this message.",
            path,
            expected,
            sent,
        )


def _identity(value: Any) -> Any:  # noqa: ANN401
    return value


# Every type a JSON decoder produces: what a field of any JSON value keeps unchanged.
_JSON_TYPES: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), dict, list, decimal.Decimal}
)
# What a scalar field keeps unchanged (exact types: a bool is not an integer here).
_SCALAR_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "number": frozenset({int, decimal.Decimal}),
}


def _passing_types(schema: Mapping[str, Any], converter: Converter) -> frozenset[type] | None:
    """The exact value types ``converter`` returns unchanged and silently, if it is simple.

    Only for any-value fields, single scalar types (optionally nullable) and the null of
    a nullable object or array; None for everything else, which keeps going through its
    converter.
    """
    if converter is _identity:
        return _JSON_TYPES
    types = schema.get("type")
    names = {types} if isinstance(types, str) else set(types or ())
    nullable = "null" in names
    names.discard("null")
    if len(names) != 1:
        return None
    name = names.pop()
    if name in ("object", "array"):
        # A null where one is allowed needs nothing; an object or array goes through.
        return frozenset({type(None)}) if nullable else None
    kinds = _SCALAR_TYPES.get(name)
    if kinds is None:
        return None
    return kinds | {type(None)} if nullable else kinds
