"""Switches for behaviour the DualEntry documentation leaves open.

Defaults follow the documentation where it speaks; where it is silent the default is one
plausible answer, and a tap must be correct under every value (the suites run across them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RECORD_STATUSES = ("draft", "posted", "archived")

UnknownOrdering = Literal["reject", "ignore"]
UntimestampedSort = Literal["hidden_key", "first", "last"]
TimestampStyle = Literal["utc", "offsets", "mixed"]
UpdatedOrdering = Literal["accept", "reject", "ignore"]


@dataclass(frozen=True)
class Behaviour:
    page_cap: int = 100
    """Largest page the server returns; larger `limit` values are silently capped to it."""
    count_skew: int = 0
    """Reported `count` = true count + skew (floored at 0): an inexact count either way."""
    unknown_ordering: UnknownOrdering = "reject"
    """An `ordering` naming an unknown field: 400 keyed `ordering`, or the default order."""
    default_record_statuses: tuple[str, ...] = ("draft", "posted")
    """Statuses listed when a request names none (the real default is undocumented)."""
    untimestamped_sort: UntimestampedSort = "hidden_key"
    """Where rows without any visible timestamp sort under the updated_at orderings:
    by their hidden key like every other row, or before / after all other rows."""
    disagreeing_fraction: float = 0.05
    """Generated rows whose hidden key is later than their visible timestamp (system edits)."""
    untimestamped_fraction: float = 0.02
    """Generated rows with no visible timestamp at all (no created_by/updated_by time)."""
    timestamp_style: TimestampStyle = "mixed"
    """"utc": +00:00 with microseconds; "offsets": the same instants in assorted offsets;
    "mixed": also `Z`, milliseconds and whole seconds (never losing precision)."""
    trailing_slash_required: bool = True
    """A path without its trailing slash is a 404 (as the real routing); False serves it."""
    updated_ordering: UpdatedOrdering = "accept"
    """`ordering=(-)updated_at` on the lists whose documented default is `id` (transactions,
    recurring templates, fixed assets, accounts): sort by the hidden key, 400 keyed
    `ordering`, or silently serve the default order. Lists documented as `-updated_at` by
    default always accept it."""
    refused_orderings: tuple[str, ...] = ()
    """`ordering` values every list answers with a 400 keyed `ordering` (a server that
    allows fewer orderings than the ones its items could sort by)."""
    company_filter_unassigned: bool = False
    """`company_id` also lists rows that belong to no company (org-wide vendors and
    budgets); off: only rows of the companies named."""
    hide_closed_statuses: bool = False
    """A request without `status` leaves out closed rows: completed, terminated and
    archived contracts, disposed and fully amortized fixed assets. Off: every status."""
    actions_created_filter: bool = True
    """Approval actions' `start_date`/`end_date` (date-times on their creation time), as
    documented. Off: the parameters are ignored and every action is listed."""
    updated_after_filter: bool = False
    """The newer API version's `updated_after`/`updated_before` filters (inclusive, on the
    hidden key) and top-level `created_at`/`updated_at` on invoices, bills and journal
    entries. Off (the stored spec): the parameters are unknown and the fields absent."""
    undocumented_fields: bool = False
    """Items carry fields the API document does not list (as a newer API might): a
    top-level `esg_rating` object, `geo_precision` in each nested object and `carbon_kg`
    in each line of an array of objects. Off: exactly the documented fields."""

    def __post_init__(self) -> None:
        if self.page_cap < 1:
            raise ValueError("page_cap must be at least 1")
        if self.unknown_ordering not in ("reject", "ignore"):
            raise ValueError(
                f"unknown_ordering must be 'reject' or 'ignore', not {self.unknown_ordering!r}"
            )
        if self.untimestamped_sort not in ("hidden_key", "first", "last"):
            raise ValueError(f"bad untimestamped_sort {self.untimestamped_sort!r}")
        if self.updated_ordering not in ("accept", "reject", "ignore"):
            raise ValueError(f"bad updated_ordering {self.updated_ordering!r}")
        if self.timestamp_style not in ("utc", "offsets", "mixed"):
            raise ValueError(f"bad timestamp_style {self.timestamp_style!r}")
        for name in ("disagreeing_fraction", "untimestamped_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1")
        if self.disagreeing_fraction + self.untimestamped_fraction > 1.0:
            raise ValueError("disagreeing_fraction + untimestamped_fraction must not exceed 1")
        object.__setattr__(self, "refused_orderings", tuple(self.refused_orderings))
        statuses = tuple(self.default_record_statuses)
        object.__setattr__(self, "default_record_statuses", statuses)
        for status in statuses:
            if status not in RECORD_STATUSES:
                raise ValueError(f"unknown record status {status!r}")
