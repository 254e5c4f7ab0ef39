"""Check the stream schemas in schemas/ against the tap's conventions.

Loads every schemas/*.json, validates it as a Draft 7 JSON Schema and checks the conventions
mechanically (object roots, closed objects, decimal typing, nullable enums, required names,
derived timestamps, child-stream keys), then prints a summary table.

Run: /work/venv/bin/python scripts/check_schemas.py   (exit status 0 when everything passes)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

if TYPE_CHECKING:
    from collections.abc import Iterator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

# The 46 paginated v2 list endpoints, as stream names. Every other file must be a child stream
# named <parent>_<array>.
STREAMS: tuple[str, ...] = (
    "invoices",
    "sales_orders",
    "bills",
    "journal_entries",
    "purchase_orders",
    "customer_prepayments",
    "customer_prepayment_applications",
    "customer_deposits",
    "customer_refunds",
    "customer_credits",
    "cash_sales",
    "customer_payments",
    "vendor_payments",
    "vendor_prepayments",
    "vendor_prepayment_applications",
    "vendor_credits",
    "vendor_refunds",
    "direct_expenses",
    "bank_transfers",
    "recurring_invoices",
    "recurring_bills",
    "recurring_journal_entries",
    "intercompany_journal_entries",
    "contracts",
    "fixed_assets",
    "paper_checks",
    "customers",
    "vendors",
    "items",
    "accounts",
    "companies",
    "classifications",
    "classification_lines",
    "custom_fields",
    "budgets",
    "depreciation_books",
    "vat_rates",
    "gst_tax_rates",
    "product_tax_codes",
    "workflows",
    "workflow_execution_states",
    "workflow_actions",
    "inbox_transactions",
    "inbox_records",
    "bank_match_suggestions",
    "bank_transactions",
)

# Primary key of each parent stream that has child streams (children carry parent_<key>).
PARENT_KEYS: dict[str, tuple[str, ...]] = {
    "intercompany_journal_entries": ("record_number",),
    "contracts": ("id",),
}
DEFAULT_PARENT_KEY: tuple[str, ...] = ("internal_id",)

ALLOWED_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}
FORMATS = {"date", "date-time"}
ANY_JSON = "any JSON value"
ANY_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}


def type_list(node: dict[str, Any]) -> list[str]:
    """The node's "type" as a list (empty when the node is untyped)."""
    t = node.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


def walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, subschema) for the node and every nested property / items schema."""
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from walk(sub, f"{path}.{name}")
    items = node.get("items")
    if isinstance(items, dict):
        yield from walk(items, f"{path}[]")


def is_decimal(node: dict[str, Any]) -> bool:
    return "number" in type_list(node)


def count_decimals(schema: dict[str, Any]) -> tuple[int, int]:
    """(top-level decimal fields, decimal fields including nested objects and arrays)."""
    top = sum(1 for sub in schema["properties"].values() if is_decimal(sub))
    total = sum(1 for _, sub in walk(schema, "") if is_decimal(sub))
    return top, total


def check_types(path: str, node: dict[str, Any]) -> list[str]:
    """Type, format and keyword rules for one subschema."""
    problems: list[str] = []
    types = type_list(node)
    if "$ref" in node:
        problems.append(f"{path}: uses $ref (schemas must be spelled out)")
    if "multipleOf" in node:
        problems.append(f"{path}: has multipleOf")
    unknown = set(types) - ALLOWED_TYPES
    if unknown:
        problems.append(f"{path}: unknown type(s) {sorted(unknown)}")
    if set(types) == ANY_TYPES:
        # Any JSON value: every type spelled out, so SQL targets make a JSON column.
        if ANY_JSON not in node.get("description", ""):
            problems.append(f'{path}: a field of any type must be described as "{ANY_JSON}"')
        return problems
    if "number" in types and "string" in types:
        problems.append(f"{path}: number field is also string")
    if "number" in types and isinstance(node.get("type"), str):
        problems.append(f'{path}: decimal field must use a type list, e.g. ["number"]')
    if "format" in node and ("string" not in types or node["format"] not in FORMATS):
        problems.append(f"{path}: format {node['format']!r} on a {types} field")
    if not types:
        problems.append(f"{path}: untyped field (spell out every type for any JSON value)")
    return problems


def check_enum(path: str, node: dict[str, Any]) -> list[str]:
    """Nullable enums list null; non-nullable ones do not."""
    if "enum" not in node:
        return []
    types = type_list(node)
    values = node["enum"]
    if "null" in types and None not in values:
        return [f"{path}: nullable enum lacks null"]
    if None in values and "null" not in types:
        return [f"{path}: enum has null but the type is not nullable"]
    return []


def check_shape(path: str, node: dict[str, Any]) -> list[str]:
    """Objects are closed and spelled out, arrays have items, required names exist."""
    problems: list[str] = []
    types = type_list(node)
    if set(types) == ANY_TYPES:
        return problems
    if "object" in types and (
        node.get("additionalProperties") is not False or "properties" not in node
    ):
        problems.append(f"{path}: object without properties and additionalProperties: false")
    if "array" in types and not isinstance(node.get("items"), dict):
        problems.append(f"{path}: array without an items schema")
    required = node.get("required", [])
    missing = [name for name in required if name not in node.get("properties", {})]
    if missing:
        problems.append(f"{path}: required names not in properties: {missing}")
    if len(set(required)) != len(required):
        problems.append(f"{path}: duplicate names in required")
    return problems


def check_node(path: str, node: dict[str, Any]) -> list[str]:
    """Convention checks that apply to every subschema."""
    return check_types(path, node) + check_enum(path, node) + check_shape(path, node)


def check_derived(stream: str, schema: dict[str, Any]) -> list[str]:
    """Streams with created_by/updated_by actors carry created_at and updated_at."""
    props = schema["properties"]
    if "created_by" not in props and "updated_by" not in props:
        return []
    problems = []
    for name in ("updated_at", "created_at"):
        node = props.get(name)
        if node is None:
            problems.append(f"{stream}: has actor objects but no {name}")
        elif not {"string"} <= set(type_list(node)) or "format" not in node:
            problems.append(f"{stream}: {name} must be a formatted string")
    return problems


def find_parent(child: str, names: set[str]) -> tuple[str, str] | None:
    """Split a child stream name into (parent stream, array field)."""
    for parent in sorted(names, key=len, reverse=True):
        if child.startswith(parent + "_"):
            return parent, child[len(parent) + 1 :]
    return None


def check_child(
    child: str, schema: dict[str, Any], parent: str, array: str, parent_schema: dict[str, Any]
) -> list[str]:
    problems: list[str] = []
    props = schema["properties"]
    required = schema.get("required", [])
    field = parent_schema["properties"].get(array)
    if field is None or "array" not in type_list(field):
        problems.append(f"{child}: parent {parent} has no array field {array!r}")
    elif "object" not in type_list(field.get("items", {})):
        problems.append(f"{child}: {parent}.{array} is not an array of objects")
    for key in PARENT_KEYS.get(parent, DEFAULT_PARENT_KEY):
        name = f"parent_{key}"
        if name not in props:
            problems.append(f"{child}: missing {name}")
        elif name not in required:
            problems.append(f"{child}: {name} not required")
        elif type_list(props[name]) != type_list(parent_schema["properties"][key]):
            problems.append(f"{child}: {name} type differs from {parent}.{key}")
    pua = props.get("parent_updated_at")
    if pua is None:
        problems.append(f"{child}: missing parent_updated_at")
    elif set(type_list(pua)) != {"string", "null"} or pua.get("format") != "date-time":
        problems.append(f"{child}: parent_updated_at must be a nullable date-time")
    li = props.get("line_index")
    if li is None:
        problems.append(f"{child}: missing line_index")
    elif type_list(li) != ["integer"] or "line_index" not in required:
        problems.append(f"{child}: line_index must be a required integer")
    if field is not None and isinstance(field.get("items"), dict):
        line_props = field["items"].get("properties", {})
        absent = [name for name in line_props if name not in props]
        if absent:
            problems.append(f"{child}: line fields missing from the child: {absent}")
    return problems


def load(files: list[Path]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Parse every file; check JSON layout and Draft 7 validity."""
    schemas: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for path in files:
        text = path.read_text()
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}: invalid JSON ({exc})")
            continue
        if text != json.dumps(schema, indent=2) + "\n":
            problems.append(f"{path.name}: not 2-space indented JSON with a trailing newline")
        try:
            Draft7Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(f"{path.name}: not a valid Draft 7 schema ({exc.message})")
        schemas[path.stem] = schema
    return schemas, problems


def check_all(schemas: dict[str, dict[str, Any]]) -> tuple[dict[str, list[str]], list[str]]:
    """Run the convention checks; return each list stream's children and the problems."""
    problems: list[str] = []
    missing_streams = [s for s in STREAMS if s not in schemas]
    if missing_streams:
        problems.append(f"missing stream schemas: {missing_streams}")
    children: dict[str, list[str]] = {s: [] for s in STREAMS}
    for name, schema in schemas.items():
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            problems.append(f"{name}: root is not an object schema with properties")
            continue
        for path, node in walk(schema, name):
            problems.extend(check_node(path, node))
        if name in STREAMS:
            problems.extend(check_derived(name, schema))
            continue
        split = find_parent(name, set(STREAMS) & set(schemas))
        if split is None:
            problems.append(f"{name}: neither a list stream nor <parent>_<array> child")
            continue
        parent, array = split
        children[parent].append(name)
        problems.extend(check_child(name, schema, parent, array, schemas[parent]))
    return children, problems


def print_table(schemas: dict[str, dict[str, Any]], children: dict[str, list[str]]) -> None:
    """One row per stream: fields, required, decimal fields, child streams."""
    child_names = sorted(c for kids in children.values() for c in kids)
    names = [s for s in STREAMS if s in schemas] + child_names
    rows = []
    for name in names:
        schema = schemas[name]
        if not isinstance(schema.get("properties"), dict):
            continue
        top, total = count_decimals(schema)
        kids = ", ".join(c[len(name) + 1 :] for c in children.get(name, [])) or "-"
        fields = str(len(schema["properties"]))
        required = str(len(schema.get("required", [])))
        rows.append((name, fields, required, f"{top}/{total}", kids))
    header = ("stream", "fields", "required", "decimals top/all", "child streams")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"\n{len(schemas)} files: {len(STREAMS)} list streams, {len(child_names)} child streams")


def main() -> int:
    schemas, problems = load(sorted(SCHEMA_DIR.glob("*.json")))
    children, more = check_all(schemas)
    problems += more
    print_table(schemas, children)
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
