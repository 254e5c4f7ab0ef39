"""A behaviour profile from a real organisation's ``tap-dualentry --probe --format json``.

The report says, endpoint by endpoint, what the real API answered; this turns it into
the `Behaviour` switches that answer the same way, so a test can reproduce what a user's
organisation does. Only the report's documented keys are read; anything the report could
not tell keeps the emulator's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .behaviour import RECORD_STATUSES, Behaviour

PAGE = 100
# Lists documented as `id`-ordered, where `-updated_at` is probed (Behaviour.updated_ordering).
_PROBED_ORDER = ("refused", "ignored")


def behaviour_from_report(report: Mapping[str, Any], base: Behaviour | None = None) -> Behaviour:
    """The switches that answer as the probed API did."""
    base = base or Behaviour()
    endpoints: Mapping[str, Mapping[str, Any]] = report.get("endpoints", {})
    found = [e for e in endpoints.values() if e.get("available", True)]
    caps = [e["page_cap"] for e in found if e.get("page_cap") and e["page_cap"] < PAGE]
    newest = {e.get("newest_first") for e in found}
    updated_ordering = (
        "reject" if "refused" in newest else "ignore" if "ignored" in newest else "accept"
    )
    statuses_hidden = [
        e["default_hides_rows"]
        for name, e in endpoints.items()
        if name not in ("contracts", "fixed_assets") and e.get("default_hides_rows") is not None
    ]
    contracts = endpoints.get("contracts", {}).get("default_hides_rows")
    actions_filter = endpoints.get("workflow_actions", {}).get("start_date_filter")
    return Behaviour(
        page_cap=min(caps, default=base.page_cap),
        count_skew=base.count_skew,
        unknown_ordering=base.unknown_ordering,
        default_record_statuses=(
            base.default_record_statuses
            if not statuses_hidden
            else ("draft", "posted")
            if any(statuses_hidden)
            else RECORD_STATUSES
        ),
        untimestamped_sort=base.untimestamped_sort,
        disagreeing_fraction=base.disagreeing_fraction,
        untimestamped_fraction=base.untimestamped_fraction,
        timestamp_style=_style(found) or base.timestamp_style,
        trailing_slash_required=base.trailing_slash_required,
        updated_ordering=updated_ordering if newest - {None} else base.updated_ordering,
        refused_orderings=("id",) if _any(found, "ordering_id", "refused") else (),
        company_filter_unassigned=base.company_filter_unassigned,
        hide_closed_statuses=bool(contracts)
        if contracts is not None
        else base.hide_closed_statuses,
        actions_created_filter=base.actions_created_filter
        if actions_filter is None
        else actions_filter == "honoured",
        updated_after_filter=_any(found, "updated_after", "honoured"),
    )


def _any(endpoints: Iterable[Mapping[str, Any]], key: str, value: str) -> bool:
    return any(e.get(key) == value for e in endpoints)


def _style(endpoints: Iterable[Mapping[str, Any]]) -> str | None:
    """The emulator's timestamp style closest to the formats the report saw."""
    offsets: set[str] = set()
    digits: set[int] = set()
    for e in endpoints:
        offsets.update(e.get("timestamp_offsets", ()))
        digits.update(e.get("timestamp_fraction_digits", ()))
    if not offsets:
        return None
    if offsets <= {"+00:00"} and digits <= {6}:
        return "utc"
    if len(digits) <= 1 and "Z" not in offsets:
        return "offsets"
    return "mixed"
