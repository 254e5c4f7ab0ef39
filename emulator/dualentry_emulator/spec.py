"""The declarative description of one served list endpoint.

Adding an endpoint = writing its row factory and one `EndpointSpec`. Everything else (auth,
paging, ordering, count, switches, rate limits, faults, mutations, logging) is shared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .behaviour import RECORD_STATUSES
from .draw import Draw
from .filters import Filter
from .ordering import HIDDEN_UPDATED, PRIMARY_KEY, SortField
from .timeline import Timeline
from .world import World


@dataclass(slots=True)
class RowContext:
    """What a factory gets to build one row: the row's compact columns, decoded."""

    seed: int
    rid: int
    company_id: int | None
    record_status: str
    categories: dict[str, Any]
    updated_ts: int | None  # µs, None = no visible updated time
    created_ts: int | None
    world: World
    style: str  # Behaviour.timestamp_style


class RowFactory(Protocol):
    """Generates the visible part of rows, deterministically from (seed, row id)."""

    categories: Mapping[str, Sequence[Any]]
    """Categorical hidden columns (filterable without building the row): name → values."""
    category_weights: Mapping[str, Sequence[float]]

    def build(self, row: RowContext) -> dict[str, Any]:
        """The item exactly as the list endpoint serves it (JSON-ready)."""
        ...

    def field(self, row: RowContext, name: str) -> Any:
        """One top-level field, cheaper than `build` (raise LookupError to fall back)."""
        ...

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        """A user's edit of visible fields, in place (actor and timestamps are done for you)."""
        ...


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    """Catalogue name, also the `rows=` key and the `FaultPlan.persistent` key."""
    path: str
    """Path fragment after `/public/{version}/`, with its trailing slash: `recurring/bills/`."""
    factory: RowFactory
    versions: tuple[str, ...] = ("v1", "v2")
    primary_key: tuple[str, ...] = ("id",)
    rid_field: str | None = "id"
    """The item field holding the integer row id; None when the factory makes the keys."""
    default_ordering: str = "-updated_at"
    orderings: Mapping[str, SortField] = field(
        default_factory=lambda: {"updated_at": HIDDEN_UPDATED, "id": PRIMARY_KEY}
    )
    ordering_param: bool = True
    """False for lists that take no `ordering` (the parameter is then ignored as unknown)."""
    filters: Mapping[str, Filter] = field(default_factory=dict)
    hidden_by_default: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )
    """Filter parameter -> (every value, the values a request without it leaves out under
    `Behaviour.hide_closed_statuses`)."""
    record_statuses: tuple[str, ...] | None = RECORD_STATUSES
    """The record statuses rows can have; None when rows have none."""
    record_status_param: bool = True
    """Whether the list takes a `record_status` filter (with its default statuses). False
    lists every status (contracts show a record status but cannot filter on it)."""
    status_weights: tuple[float, ...] = (0.04, 0.86, 0.10)
    new_row_status: str = "posted"
    status_field: str | None = None
    """Item field mirroring the record status, if the item shows it."""
    updated_actor: str | None = "updated_by"
    created_actor: str | None = "created_by"
    updated_at_field: str | None = None
    """Top-level visible updated timestamp, for items that have one."""
    company_weights: tuple[float, ...] = (0.6, 0.25, 0.1, 0.05)
    company_null_fraction: float = 0.0
    """Rows without a company (org-wide vendors, budgets, accounts)."""
    timestamps_required: bool = False
    """Items carry required top-level times: every row gets a visible created and updated
    time (the untimestamped fractions do not apply; system edits still do)."""
    updated_ordering_switch: bool = False
    """`Behaviour.updated_ordering` governs `ordering=(-)updated_at` here."""
    server_timestamps: bool = False
    """Under `Behaviour.updated_after_filter`, items gain top-level `created_at`/`updated_at`
    (the updated one is the hidden key itself)."""
    default_rows: int = 250
    timeline: Timeline = field(default_factory=Timeline)

    def __post_init__(self) -> None:
        if not self.path.endswith("/") or self.path.startswith("/"):
            raise ValueError(f"{self.name}: path must look like 'things/' (got {self.path!r})")
        first = self.default_ordering.split(",")[0].strip().lstrip("-")
        if first not in self.orderings:
            raise ValueError(f"{self.name}: default ordering {first!r} is not an allowed ordering")
        if not 0.0 <= self.company_null_fraction < 1.0:
            raise ValueError(f"{self.name}: company_null_fraction must be within 0..1")
        if self.record_statuses is not None and self.new_row_status not in self.record_statuses:
            raise ValueError(f"{self.name}: new_row_status must be one of record_statuses")
