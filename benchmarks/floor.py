"""The CPU floors: the least a customers extractor can do and still write what the tap writes.

Pages ``GET /public/{v}/customers/`` with ``requests`` once per record status, as the
tap does (100 rows a page, no overlap, no pacing), parses each page, derives the same
canonical top-level ``updated_at`` / ``created_at`` the tap emits (a plain ``datetime``
round trip), tags each row with the company filter it was read under (none: null) and
the record status, and writes the same Singer lines a target would get: one SCHEMA, one
RECORD per row (every schema property in the schema's order, ``_unknown_fields`` null;
same ``version`` and ``time_extracted``), ACTIVATE_VERSION and a STATE. Two codecs:

* ``json`` (the default): the standard library, decimals parsed as ``Decimal``. Its
  encoder cannot write a ``Decimal`` as a number; customers carry no fractional JSON
  numbers, so the floor refuses one instead of rounding it through float.
* ``msgspec``: msgspec's decoder (decimals as ``Decimal``) and encoder (decimals as
  numbers), the fastest JSON codec available to Python here.

Usage: ``DUALENTRY_KEY=k python benchmarks/floor.py URL [v1|v2] [json|msgspec]``
(stdout: Singer lines).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

_UTC = dt.UTC
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "customers.json"


def canonical(value: object) -> str | None:
    if not isinstance(value, str) or len(value) < 11:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def actor_time(row: dict[str, object], actor: str) -> str | None:
    value = row.get(actor)
    return canonical(value.get("timestamp")) if isinstance(value, dict) else None


def no_decimals(value: object) -> object:
    raise TypeError(f"the floor cannot write {type(value).__name__} exactly")


Codec = tuple[Callable[[bytes], Any], Callable[[Any], bytes]]


def codec(name: str) -> Codec:
    """(decode, encode) of one JSON library, both exact for decimals."""
    if name == "msgspec":
        import msgspec  # noqa: PLC0415 - only this codec needs it

        decoder = msgspec.json.Decoder(float_hook=decimal.Decimal)
        encoder = msgspec.json.Encoder(decimal_format="number")
        return decoder.decode, encoder.encode
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=no_decimals)
    return (
        lambda content: json.loads(content, parse_float=decimal.Decimal),
        lambda value: encoder.encode(value).encode(),
    )


def main() -> int:
    url, version = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "v1")
    decode, encode = codec(sys.argv[3] if len(sys.argv) > 3 else "json")
    session = requests.Session()
    session.headers.update({"X-API-KEY": os.environ["DUALENTRY_KEY"]})
    endpoint = f"{url}/public/{version}/customers/"
    out = sys.stdout.buffer
    stream_version = int(time.time() * 1000)
    schema = json.loads(SCHEMA.read_text())
    template = dict.fromkeys([*schema["properties"], "_unknown_fields"])
    out.write(
        encode(
            {"type": "SCHEMA", "stream": "customers", "schema": schema, "key_properties": ["id"]}
        )
        + b"\n"
    )
    newest = None
    for status in ("draft", "posted", "archived"):
        base = [("record_status", status), ("ordering", "-updated_at")]
        offset = 0
        while True:
            params = [*base, ("limit", "100"), ("offset", str(offset))]
            response = session.get(endpoint, params=params)
            response.raise_for_status()
            page = decode(response.content)
            items, count = page["items"], page["count"]
            extracted = dt.datetime.now(_UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            lines = []
            for row in items:
                created = actor_time(row, "created_by")
                updated = actor_time(row, "updated_by") or created
                record = dict(template)
                record.update(row)
                record["updated_at"], record["created_at"] = updated, created
                record["company_id"] = None  # the company filter it was read under: none
                record["record_status"] = status
                if updated is not None and (newest is None or updated > newest):
                    newest = updated
                message = {
                    "type": "RECORD",
                    "stream": "customers",
                    "record": record,
                    "version": stream_version,
                    "time_extracted": extracted,
                }
                lines.append(encode(message))
            if lines:
                out.write(b"\n".join(lines) + b"\n")
            offset += len(items)
            if not items or len(items) < 100 or offset >= count:
                break
    activate = {"type": "ACTIVATE_VERSION", "stream": "customers", "version": stream_version}
    out.write(encode(activate) + b"\n")
    state = {"bookmarks": {"customers": {"replication_key_value": newest}}}
    out.write(encode({"type": "STATE", "value": state}) + b"\n")
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
