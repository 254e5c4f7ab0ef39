"""Generated time data: ids, hidden sort keys and visible timestamps for a table.

The shape of the data is chosen to exercise a tap's incremental logic:
- ids grow with creation time, with gaps (rows deleted long ago);
- most rows show their hidden key as their visible updated time; a fraction were changed by
  the system later (hidden key later than anything visible); a fraction show no time at all;
  a fraction have an updated actor without a time, so only the created time is visible;
- groups of rows share one exact instant (an initial bulk import, and small batches spread
  through the table), so ties straddle page boundaries at any page size.
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate, compress
from random import Random

from .behaviour import Behaviour
from .columns import byte_table
from .timestamps import DAY, MILLISECOND, NO_TS, SECOND, to_us

# Id gaps (1..4): mostly consecutive, sometimes a few ids skipped.
_GAPS = bytes(code + 1 for code in byte_table([0.78, 0.14, 0.05, 0.03]))
_NO_GAPS = bytes([1]) * 256
_NOT = bytes([1, 0]) + bytes(254)
_IS = {code: bytes(int(b == code) for b in range(256)) for code in (1, 2)}


@dataclass(frozen=True)
class Timeline:
    """Per-endpoint knobs for generated time data (Behaviour holds the switch-like ones)."""

    start: datetime = datetime(2019, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2025, 6, 1, tzinfo=UTC)
    first_id: int = 1
    id_gaps: bool = True
    """False: consecutive ids, so row i has id first_id + i (fixed reference lists)."""
    never_updated: float = 0.35
    updated_absent_fraction: float = 0.08
    tie_group_every: int = 40  # one small tie group per this many rows
    bulk_import_max: int = 150
    whole_second_fraction: float = 0.15
    whole_ms_fraction: float = 0.15


@dataclass
class TimeColumns:
    rid: array[int]
    hidden_key: array[int]
    updated_ts: array[int]
    created_ts: array[int]


def _quota(fraction: float, n: int) -> int:
    k = round(fraction * n)
    return 1 if k == 0 and fraction > 0 and n >= 10 else k


def _uniform(rng: Random, n: int) -> array[int]:
    """n uniform 32-bit integers ('I' is 4 bytes on every platform CPython supports)."""
    return array("I", rng.randbytes(4 * n))


def _round_some(
    rng: Random, values: array[int], timeline: Timeline, floor: array[int] | None = None
) -> None:
    """Round a fraction of the values down to whole seconds and another to whole ms
    (never below `floor`).

    Real timestamps come with every precision; a renderer that drops zero fractions must
    still be exact. Only the chosen rows are visited (compress() picks them at C speed).
    """
    n = len(values)
    codes = rng.randbytes(n).translate(
        byte_table(
            [
                1.0 - timeline.whole_second_fraction - timeline.whole_ms_fraction,
                timeline.whole_second_fraction,
                timeline.whole_ms_fraction,
            ]
        )
    )
    for code, unit in ((1, SECOND), (2, MILLISECOND)):
        for i in compress(range(n), codes.translate(_IS[code])):
            value = values[i] - values[i] % unit
            values[i] = value if floor is None or value >= floor[i] else floor[i]


def generate(rng: Random, n: int, behaviour: Behaviour, timeline: Timeline) -> TimeColumns:
    start, end = to_us(timeline.start), to_us(timeline.end)
    step = max(1, (end - start) // max(n, 1))
    gaps = rng.randbytes(n).translate(_GAPS if timeline.id_gaps else _NO_GAPS)
    rid = array("q", accumulate(gaps, initial=timeline.first_id))
    rid.pop()

    # Created: evenly through the timeline in id order, jittered within each step.
    created = array(
        "q", [start + i * step + (u * step >> 32) for i, u in enumerate(_uniform(rng, n))]
    )
    _round_some(rng, created, timeline)
    # Last change: never for some rows, else uniformly between creation and the end.
    changed = rng.randbytes(n).translate(
        byte_table([timeline.never_updated, 1.0 - timeline.never_updated])
    )
    hidden = array(
        "q",
        [
            c + ((end - c) * u >> 32) * k
            for c, u, k in zip(created, _uniform(rng, n), changed, strict=True)
        ],
    )
    _round_some(rng, hidden, timeline, floor=created)

    locked = bytearray(n)
    # The oldest rows came in one import and were never edited: one shared instant.
    bulk = min(timeline.bulk_import_max, max(2, n // 8)) if n >= 4 else 0
    if bulk:
        instant = created[0] - created[0] % SECOND
        created[0:bulk] = array("q", [instant]) * bulk
        hidden[0:bulk] = array("q", [instant]) * bulk
        locked[0:bulk] = b"\x01" * bulk
    # Small batches saved together: consecutive rows sharing their latest hidden key.
    for _ in range(max(1, n // timeline.tie_group_every) if n - bulk >= 4 else 0):
        size = rng.randint(2, 12)
        if n - bulk - size <= 0:
            continue
        s = rng.randrange(bulk, n - size)
        value = max(hidden[s : s + size])
        hidden[s : s + size] = array("q", [value]) * size
        locked[s : s + size] = b"\x01" * size

    updated = array("q", hidden)
    free = list(compress(range(n), locked.translate(_NOT)))
    k_untimestamped = _quota(behaviour.untimestamped_fraction, n)
    k_disagreeing = _quota(behaviour.disagreeing_fraction, n)
    k_absent = _quota(timeline.updated_absent_fraction, n)
    chosen = rng.sample(free, min(len(free), k_untimestamped + k_disagreeing + k_absent))
    for i in chosen[:k_untimestamped]:
        updated[i] = NO_TS
        created[i] = NO_TS
    for i in chosen[k_untimestamped : k_untimestamped + k_disagreeing]:
        # A system edit after the last user edit: the server's key moves, nothing visible does.
        hidden[i] += SECOND + int(rng.random() * 20 * DAY)
    for i in chosen[k_untimestamped + k_disagreeing :]:
        # The updated actor carries no time; the created time (== last change) is visible.
        updated[i] = NO_TS
        created[i] = hidden[i]
    _tie_at_page_boundaries(hidden, updated, created, rid)
    return TimeColumns(rid=rid, hidden_key=hidden, updated_ts=updated, created_ts=created)


PAGE_BOUNDARIES = (3, 7, 10, 100)


def _tie_at_page_boundaries(
    hidden: array[int], updated: array[int], created: array[int], rid: array[int]
) -> None:
    """Make the last row of the first page and the first row of the second share one
    instant, for common page sizes, in the default newest-first order.

    Random tie groups land on some boundary somewhere; these guarantee the case that matters
    most to an incremental client: a tie across the very first page break.
    """
    n = len(hidden)
    top = heapq.nlargest(max(PAGE_BOUNDARIES) + 20, range(n), key=hidden.__getitem__)
    top.sort(key=lambda i: (hidden[i], rid[i]), reverse=True)
    for boundary in PAGE_BOUNDARIES:
        if boundary >= len(top):
            break
        last, first = top[boundary - 1], top[boundary]
        value = hidden[last]
        for i in (last, first):
            hidden[i] = updated[i] = value
            if created[i] == NO_TS or created[i] > value:
                created[i] = value
