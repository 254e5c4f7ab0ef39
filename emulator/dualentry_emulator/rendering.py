"""Response bodies as bytes: items rendered once, pages joined from them.

A list page is `{"items": [...], "count": N}` exactly as `json.dumps` writes it (default
separators, UTF-8). Rendering each item once and joining the bytes gives the same body as
dumping the whole page, byte for byte, while a page read again (or read by a client at
100 requests a second) costs a join instead of building and encoding its rows.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(payload: Any) -> bytes:
    """The JSON body of a payload, as every response is written."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def page_body(items: list[bytes], count: int) -> bytes:
    """`dumps({"items": items, "count": count})` from items already rendered."""
    return b'{"items": [' + b", ".join(items) + b'], "count": ' + str(count).encode() + b"}"
