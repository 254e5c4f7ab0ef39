"""Turning a list request's query string into a validated `ListQuery` (or a 400)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from .behaviour import RECORD_STATUSES, Behaviour
from .filters import ParamError, last, parse_int, present
from .ordering import Term, parse_terms
from .spec import EndpointSpec

Params = dict[str, list[str]]


@dataclass(frozen=True)
class ListQuery:
    terms: tuple[Term, ...]
    filters: tuple[tuple[str, Hashable], ...]
    """(parameter, normalized value) pairs, sorted by parameter: part of a view's cache key."""
    limit: int
    offset: int


def _quoted_list(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def default_statuses(spec: EndpointSpec, behaviour: Behaviour) -> frozenset[str]:
    """Statuses listed when the request names none. Statuses beyond draft/posted/archived
    (e.g. a paper check's printed/not_printed) are listed by default."""
    allowed = spec.record_statuses or ()
    return frozenset(
        s for s in allowed if s in behaviour.default_record_statuses or (s not in RECORD_STATUSES)
    )


def _int_param(params: Params, name: str, default: int, minimum: int) -> int:
    """A paging parameter: `default` when absent, a 400 when not an integer or below
    `minimum`."""
    raw = last(params.get(name, []))
    if raw is None:
        return default
    value = parse_int(name, raw)
    if value < minimum:
        raise ParamError(name, f"Input should be greater than or equal to {minimum}")
    return value


def parse_list_query(spec: EndpointSpec, behaviour: Behaviour, params: Params) -> ListQuery:
    limit = min(_int_param(params, "limit", 100, 1), behaviour.page_cap)
    offset = _int_param(params, "offset", 0, 0)

    terms = tuple(parse_terms(spec.default_ordering))
    raw = last(params.get("ordering", [])) if spec.ordering_param else None
    if raw is not None and raw.strip() in behaviour.refused_orderings:
        raise ParamError("ordering", f"Ordering by {raw.strip()} is not allowed here")
    if raw is not None:
        asked = parse_terms(raw)
        if spec.updated_ordering_switch and any(t.name == "updated_at" for t in asked):
            if behaviour.updated_ordering == "reject":
                allowed = ", ".join(sorted(n for n in spec.orderings if n != "updated_at"))
                raise ParamError(
                    "ordering",
                    f"Invalid ordering field(s): updated_at. "
                    f"Allowed: {allowed} (prefix '-' for descending)",
                )
            if behaviour.updated_ordering == "ignore":
                asked = []
        unknown = [t.name for t in asked if t.name not in spec.orderings]
        if unknown and behaviour.unknown_ordering == "reject":
            allowed = ", ".join(sorted(spec.orderings))
            raise ParamError(
                "ordering",
                f"Invalid ordering field(s): {', '.join(unknown)}. "
                f"Allowed: {allowed} (prefix '-' for descending)",
            )
        if asked and not unknown:
            terms = tuple(asked)

    filters: dict[str, Hashable] = {}
    if spec.record_statuses is not None and spec.record_status_param:
        asked_statuses = present(params.get("record_status", []))
        for status in asked_statuses:
            if status not in spec.record_statuses:
                raise ParamError(
                    "record_status", f"Input should be {_quoted_list(spec.record_statuses)}"
                )
        statuses = frozenset(asked_statuses) or default_statuses(spec, behaviour)
        if statuses != frozenset(spec.record_statuses):  # every status = no filter at all
            filters["record_status"] = statuses
    for param, flt in spec.filters.items():
        switch = getattr(flt, "switch", None)
        if switch is not None and not getattr(behaviour, switch):
            continue  # a parameter this server does not honour (or know): ignored
        values = params.get(param, [])
        if (
            not present(values)
            and behaviour.hide_closed_statuses
            and param in spec.hidden_by_default
        ):
            every, hidden = spec.hidden_by_default[param]
            values = [value for value in every if value not in hidden]
        if values or getattr(flt, "always", False):
            parsed = flt.parse(param, values)
            if parsed is not None:
                if param == "company_id" and behaviour.company_filter_unassigned:
                    parsed = frozenset({*parsed, 0})  # column code 0: no company
                filters[param] = parsed
    return ListQuery(
        terms=terms,
        filters=tuple(sorted(filters.items(), key=lambda kv: kv[0])),
        limit=limit,
        offset=offset,
    )
