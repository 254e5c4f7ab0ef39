"""Compact per-row columns: what the emulator holds for every row of a table.

A million rows cost ~40 bytes each here. Everything else about a row (names, addresses,
actors, ...) is generated on demand from (seed, row id), or held as an override once a
mutation has touched the row.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from random import Random


@dataclass
class Columns:
    rid: array[int]  # 'q': internal row id, strictly increasing with the slot (= the integer pk)
    hidden_key: array[int]  # 'q': the server's own updated_at in µs; the sort key of "updated_at"
    updated_ts: array[int]  # 'q': µs shown in the updated actor / updated_at field, or NO_TS
    created_ts: array[int]  # 'q': µs shown in the created actor / created_at field, or NO_TS
    company_id: bytearray  # 0 = no company
    record_status: bytearray  # index into the endpoint's record statuses
    alive: bytearray  # 0 once hard-deleted (slots are never reused)
    extra: dict[str, bytearray] = field(default_factory=dict)  # categorical codes

    def __len__(self) -> int:
        return len(self.rid)

    def column(self, name: str) -> bytearray:
        """A one-byte-per-row column: company_id, record_status or a categorical one."""
        if name == "company_id":
            return self.company_id
        if name == "record_status":
            return self.record_status
        return self.extra[name]

    def append(
        self,
        *,
        rid: int,
        hidden_key: int,
        updated_ts: int,
        created_ts: int,
        company_id: int,
        record_status: int,
        extra: Mapping[str, int],
    ) -> int:
        slot = len(self.rid)
        self.rid.append(rid)
        self.hidden_key.append(hidden_key)
        self.updated_ts.append(updated_ts)
        self.created_ts.append(created_ts)
        self.company_id.append(company_id)
        self.record_status.append(record_status)
        self.alive.append(1)
        for name, column in self.extra.items():
            column.append(extra[name])
        return slot


def byte_table(weights: Sequence[float]) -> bytes:
    """A 256-entry translation table turning uniform random bytes into weighted codes."""
    total = float(sum(weights))
    if total <= 0 or len(weights) > 256:
        raise ValueError("weights must be positive and at most 256 long")
    cumulative, running = [], 0.0
    for weight in weights:
        running += weight / total
        cumulative.append(running)
    out = bytearray(256)
    code = 0
    for byte in range(256):
        while code < len(weights) - 1 and (byte + 0.5) / 256 >= cumulative[code]:
            code += 1
        out[byte] = code
    return bytes(out)


def categorical(rng: Random, n: int, weights: Sequence[float]) -> bytearray:
    """n weighted codes at C speed (one random byte per row)."""
    return bytearray(rng.randbytes(n).translate(byte_table(weights)))
