"""One canonical form for every timestamp the tap compares or bookmarks.

Bookmarks are compared as strings by the SDK, by Meltano and by us, so every
replication value is written as UTC with a ``Z`` suffix and exactly six
fractional digits: ``2025-03-04T05:06:07.000000Z`` sorts before
``2025-03-04T05:06:07.500000Z``, which would not hold for ``…:07Z`` and
``…:07.5Z``.
"""

from __future__ import annotations

import datetime as dt
import re

_UTC = dt.UTC
# A UTC time as APIs mostly send it (``Z`` or ``+00:00``, up to six fractional digits):
# its canonical form is a matter of text once the date and time are known to be real.
# ASCII digits only, and no hour 24 (which newer Pythons read as the next day's 00).
_UTC_TEXT = re.compile(
    r"([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]{1,6}))?(?:Z|\+00:00)"
).fullmatch


def parse_timestamp(value: str) -> dt.datetime:
    """Parse an ISO 8601 date or date-time; a value without an offset is taken as UTC.

    Raises:
        ValueError: if the value is not an ISO 8601 date or date-time.
    """
    text = value.strip()
    if not text:
        msg = "empty timestamp"
        raise ValueError(msg)
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


def format_timestamp(value: dt.datetime) -> str:
    """Render an aware datetime in the canonical UTC form."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: object) -> str | None:
    """Return the canonical form of an API timestamp, or None when there is none.

    A value that is not a parseable timestamp is treated as missing: a row is
    never dropped because its audit timestamp is malformed.
    """
    if not isinstance(value, str) or len(value) < 11:
        return None  # absent, or a date without a time: not a point in time
    utc = _UTC_TEXT(value)
    try:
        if utc is None:
            parsed = parse_timestamp(value)
        else:
            dt.datetime.fromisoformat(utc[1])  # a real date and time, or ValueError
            return f"{utc[1]}.{(utc[2] or '').ljust(6, '0')}Z"
    except ValueError:
        return None
    if parsed.year < 1000:
        return format_timestamp(parsed)  # strftime does not pad such years
    return parsed.isoformat(timespec="microseconds")[:-6] + "Z"
