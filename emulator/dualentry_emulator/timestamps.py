"""Instants as integer microseconds, and how the API renders them.

Every time value the emulator holds (hidden sort keys, visible actor timestamps) is an int of
microseconds since the Unix epoch: exact, compact in an `array`, cheap to compare. Rendering
is where the undocumented timezone behaviour lives (`Behaviour.timestamp_style`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = 1_000_000
MILLISECOND = 1_000
DAY = 86_400 * SECOND

NO_TS = -(1 << 63)
"""Column value for "no visible timestamp here"."""

# Offsets (minutes) a server or an integration might render with; 0 included on purpose.
_OFFSETS = (0, -300, -240, -480, 60, 120, 330, 540, 345, -210, 600, 780)
_ZONES = tuple(timezone(timedelta(minutes=m)) for m in _OFFSETS)


def to_us(dt: datetime) -> int:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("an aware datetime is required (naive times have no instant)")
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _fmt(dt: datetime, timespec: str, zulu: bool) -> str:
    text = dt.isoformat(timespec=timespec)
    return text[:-6] + "Z" if zulu and text.endswith("+00:00") else text


def render(us: int, style: str, choice: int) -> str:
    """Render an instant as an ISO 8601 string with an offset.

    `choice` (any int, derived from the row) picks the variant, so a given row always
    renders the same way. Variants never lose precision: a form without fractional seconds
    is used only for an instant that is a whole second, milliseconds only for whole ms.
    """
    utc = from_us(us)
    if style == "utc":
        return _fmt(utc, "microseconds", zulu=False)
    zone = _ZONES[(choice >> 8) % len(_ZONES)]
    if style == "offsets":
        return _fmt(utc.astimezone(zone), "microseconds", zulu=False)
    if style != "mixed":
        raise ValueError(f"unknown timestamp style {style!r}")
    whole_second = us % SECOND == 0
    whole_ms = us % MILLISECOND == 0
    variant = choice % 8
    if variant == 0:
        return _fmt(utc, "microseconds", zulu=False)
    if variant == 1:
        return _fmt(utc, "microseconds", zulu=True)
    if variant == 2:
        return _fmt(utc.astimezone(zone), "microseconds", zulu=False)
    if variant == 3:
        return _fmt(utc, "milliseconds" if whole_ms else "microseconds", zulu=True)
    if variant == 4:
        return _fmt(utc, "seconds" if whole_second else "microseconds", zulu=False)
    if variant == 5:
        return _fmt(utc, "seconds" if whole_second else "microseconds", zulu=True)
    if variant == 6:
        local = utc.astimezone(zone)
        return _fmt(local, "seconds" if whole_second else "microseconds", zulu=False)
    local = utc.astimezone(zone)
    return _fmt(local, "milliseconds" if whole_ms else "microseconds", zulu=False)
