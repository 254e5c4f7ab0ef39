"""The schema each stream declares, and the records that match it: its schema file, plus
what the tap adds on the way.

* ``_unknown_fields`` (every stream): the top-level fields DualEntry sent that the
  schema file does not list, by name, as sent; null when there are none. One JSON
  column rather than a new column per field: the schema stays the same from row to row
  and run to run, no column type is guessed from one value, and every target (CSV and
  JSON Lines included) keeps it (records.py fills it).
* Nested objects are open: a field DualEntry adds inside an object stays in it.
* ``field_aliases``: top-level fields written under another name (by default
  workflows' ``version`` as ``workflow_version``).
* ``organisation``: a column naming the organisation, first in every record and
  leading every primary key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tap_dualentry.records import UNKNOWN_FIELDS

ORGANISATION = "organisation"

Row = dict[str, Any]
Shaper = Callable[[Row], Row]

UNKNOWN_FIELDS_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "description": (
        "Top-level fields DualEntry sent that this version of the tap's schema does not "
        "list, by name, with their values as sent; null when there are none."
    ),
}


@dataclass(frozen=True)
class Declared:
    """What one stream adds to its schema file and to each record."""

    aliases: Mapping[str, str] = field(default_factory=dict)  # API name -> name written
    organisation: str | None = None

    def schema(self, file_schema: Mapping[str, Any]) -> dict[str, Any]:
        """The stream's schema: the file's, renamed, opened, with the tap's columns."""
        schema = copy.deepcopy(dict(file_schema))
        properties: dict[str, Any] = schema.get("properties", {})
        for nested in properties.values():
            _open_objects(nested)
        renamed = {self.aliases.get(name, name): sub for name, sub in properties.items()}
        if self.organisation is not None:
            renamed = {ORGANISATION: {"type": "string"}, **renamed}
        renamed[UNKNOWN_FIELDS] = dict(UNKNOWN_FIELDS_SCHEMA)
        schema["properties"] = renamed
        if "required" in schema:
            schema["required"] = [self.aliases.get(name, name) for name in schema["required"]]
            if self.organisation is not None:
                schema["required"] = [ORGANISATION, *schema["required"]]
        return schema

    def keys(self, keys: Sequence[str]) -> list[str]:
        """The stream's primary key: the organisation first, when set."""
        return [ORGANISATION, *keys] if self.organisation is not None else list(keys)

    def shaper(self, shape: Shaper) -> Shaper:
        """``shape`` (records.RecordShaper), with fields renamed before it and the
        organisation set after it."""
        aliases, organisation = dict(self.aliases), self.organisation
        if not aliases and organisation is None:
            return shape

        def declared(row: Row) -> Row:
            if aliases:
                row = {aliases.get(key, key): value for key, value in row.items()}
            record = shape(row)
            if organisation is not None:
                record[ORGANISATION] = organisation
            return record

        return declared


NOTHING_ADDED = Declared()


def _open_objects(schema: dict[str, Any]) -> None:
    """Let every object below the record hold fields its schema does not list."""
    if not isinstance(schema, dict):
        return
    if schema.get("additionalProperties") is False:
        del schema["additionalProperties"]
    for sub in (schema.get("properties") or {}).values():
        _open_objects(sub)
    items = schema.get("items")
    if isinstance(items, dict):
        _open_objects(items)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or ():
            _open_objects(sub)
