"""The catalogue: one declarative entry per DualEntry list endpoint.

Every stream is an instance of the same class (``client.DualEntryStream``),
configured by its entry here; nothing about an endpoint lives anywhere else
except its schema file (``schemas/<name>.json``).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

RECORD_STATUSES = ("draft", "posted", "archived")


class Replication(enum.Enum):
    """How a stream finds what changed since the last run."""

    #: Read ``-updated_at`` (the endpoint's documented order) and stop past the bookmark.
    UPDATED_DESC = "updated_desc"
    #: Full table in a stable order: the endpoint offers no usable change signal.
    FULL_TABLE = "full_table"


class Timestamps(enum.Enum):
    """Where a row's ``updated_at`` / ``created_at`` come from."""

    ACTORS = "actors"  # derived from updated_by / created_by .timestamp
    TOP_LEVEL = "top_level"  # the item carries them itself


@dataclass(frozen=True)
class Endpoint:
    """Everything the tap needs to know about one list endpoint."""

    name: str
    path: str  # below /public/{version}/, with the trailing slash
    primary_keys: tuple[str, ...] = ("id",)
    replication: Replication = Replication.FULL_TABLE
    ordering: str | None = "id"  # requested on full passes; None: takes no ordering
    timestamps: Timestamps | None = Timestamps.ACTORS
    company_filter: bool = False  # accepts repeated company_id
    record_statuses: tuple[str, ...] = ()  # every status, asked for explicitly
    filters: dict[str, str] = field(default_factory=dict)  # setting -> query parameter
    fixed_params: tuple[tuple[str, str], ...] = ()
    v1: bool = True  # also served under /public/v1/

    @property
    def incremental(self) -> bool:
        return self.replication is not Replication.FULL_TABLE


CUSTOMERS = Endpoint(
    name="customers",
    path="customers/",
    replication=Replication.UPDATED_DESC,
    ordering="-updated_at",
    company_filter=True,
    record_statuses=RECORD_STATUSES,
    filters={"customer_types": "customer_type", "approval_statuses": "approval_status"},
)

CATALOGUE: tuple[Endpoint, ...] = (CUSTOMERS,)


def _schema_dir() -> Traversable:
    """Schemas ship inside the wheel; a source checkout reads them from the repository."""
    packaged = resources.files("tap_dualentry") / "schemas"
    if packaged.is_dir():
        return packaged
    return resources.files("tap_dualentry").joinpath("..", "schemas")


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a stream, from ``schemas/<name>.json``."""
    schema: dict[str, Any] = json.loads((_schema_dir() / f"{name}.json").read_text("utf-8"))
    return schema
