"""Which rows shaping would leave as they are, decided by msgspec in C.

Most rows of most streams already have the shape their schema promises: every
field declared, of its type, no decimal string to convert, no null where none is
allowed. Shaping such a row only copies it, yet walking it in Python was most of
the tap's work per record. ``exact_type`` builds from a schema the msgspec type
that accepts those rows and nothing else (a strict conversion to it fails on
anything shaping would convert, drop or report), so one C-level check stands in
for the walk. It errs only towards refusing: a refused row is shaped in Python.

The type is narrower than shaping wherever that is simpler: a ``number`` accepts
integers only (decimal strings are converted by shaping, and ``Decimal`` values
are rare), an object no undeclared field, and a schema this module does not know
makes the whole check unavailable.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from functools import reduce
from operator import or_
from typing import Any

import msgspec

_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": int, "boolean": bool}
# What one member of a union of several JSON types admits (shaping checks no deeper).
_UNION_MEMBERS: dict[str, Any] = {**_SCALARS, "object": dict[str, Any], "array": list[Any]}
# A free-form object: shaping passes any value but a misplaced null.
_ANY_BUT_NULL = dict[str, Any] | list[Any] | str | int | float | bool
_names = itertools.count()


class Unsupported(Exception):  # noqa: N818 - internal control flow, never escapes
    """A schema this module does not know how to mirror."""


def exact_type(schema: Mapping[str, Any]) -> Any:  # noqa: ANN401 - a msgspec type
    """The type whose strict conversion accepts exactly the rows shaping leaves
    unchanged (or fewer), or None when the schema holds something it cannot mirror."""
    try:
        return _type(schema)
    except Unsupported:
        return None


def _type(schema: Mapping[str, Any]) -> Any:  # noqa: ANN401
    types = schema.get("type")
    if types is None:
        if "anyOf" in schema or "oneOf" in schema or not schema:
            return Any  # any JSON value, null included
        if "properties" not in schema:
            raise Unsupported
        types = "object"
    names = {types} if isinstance(types, str) else set(types)
    nullable = "null" in names
    names.discard("null")
    if not names:
        return Any
    if len(names) > 1:
        if not names <= set(_UNION_MEMBERS):
            raise Unsupported
        options = [_UNION_MEMBERS[name] for name in sorted(names)]
    else:
        (name,) = names
        if name == "object":
            options = [_object(schema)]
        elif name == "array":
            options = [list[_type(schema.get("items") or {})]]  # type: ignore[misc]
        elif name in _SCALARS:
            options = [_SCALARS[name]]
        else:
            raise Unsupported
    if nullable:
        options.append(type(None))
    return reduce(or_, options)


def _object(schema: Mapping[str, Any]) -> Any:  # noqa: ANN401
    properties: Mapping[str, Any] = schema.get("properties") or {}
    if not properties and schema.get("additionalProperties", True) is not False:
        return _ANY_BUT_NULL
    # Field names as attributes are f0, f1, ...: property names need not be identifiers.
    fields = [
        (f"f{index}", _type(sub) | msgspec.UnsetType, msgspec.UNSET)
        for index, sub in enumerate(properties.values())
    ]
    return msgspec.defstruct(
        f"Unchanged{next(_names)}",
        fields,
        rename={f"f{index}": name for index, name in enumerate(properties)},
        forbid_unknown_fields=True,
    )
