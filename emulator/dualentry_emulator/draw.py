"""Deterministic pseudo-randomness keyed by (seed, purpose, row).

Rows of a large table are generated lazily, in any order, so every row needs its own
reproducible stream of choices. `random.Random` costs several microseconds to seed, which is
too slow when a filter has to look at a million names; a splitmix64 chain is cheap and
gives the same answer in every process (unlike `hash()` of a string).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def mix(*parts: int) -> int:
    """Fold integers into one 64-bit hash."""
    h = 0x2545F4914F6CDD1D
    for part in parts:
        h = splitmix64(h ^ (part & MASK64))
    return h


def salt(name: str) -> int:
    """A stable integer for a purpose name ("customers", "address", ...)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


_LCG_MULTIPLIER = 6364136223846793005  # Knuth's MMIX constants
_LCG_INCREMENT = 1442695040888963407


class Draw:
    """A small stream of choices; the same parts always give the same stream.

    Seeded through splitmix64 (good mixing of nearby row ids), then stepped as a 64-bit LCG,
    whose high bits are plenty for test data and which costs a fifth of a splitmix step.
    """

    __slots__ = ("_state",)

    def __init__(self, *parts: int) -> None:
        self._state = mix(*parts)

    def bits(self) -> int:
        """32 random bits (the LCG's high half; its low bits are weak)."""
        self._state = (self._state * _LCG_MULTIPLIER + _LCG_INCREMENT) & MASK64
        return self._state >> 32

    def unit(self) -> float:
        """Uniform in [0, 1)."""
        self._state = (self._state * _LCG_MULTIPLIER + _LCG_INCREMENT) & MASK64
        return (self._state >> 11) * (1.0 / (1 << 53))

    def below(self, n: int) -> int:
        return int(self.unit() * n)

    def between(self, low: int, high: int) -> int:
        """Uniform integer in [low, high]."""
        return low + int(self.unit() * (high - low + 1))

    def chance(self, p: float) -> bool:
        return self.unit() < p

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.unit() * len(seq))]

    def weighted(self, seq: Sequence[T], weights: Sequence[float]) -> T:
        x = self.unit() * sum(weights)
        for item, weight in zip(seq, weights, strict=True):
            x -= weight
            if x < 0:
                return item
        return seq[-1]

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """k distinct items, in the order drawn."""
        pool = list(seq)
        out: list[T] = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.below(len(pool))))
        return out
