"""Building blocks shared by row factories: actors, approvers, slugs."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..draw import Draw
from ..timestamps import from_us, render
from ..world import World

if TYPE_CHECKING:
    from ..spec import RowContext

ACTOR_KINDS = ("user", "user", "user", "user", "api_key", "system")


@functools.lru_cache(maxsize=4096)  # names come from short lists: slugs repeat
def slug(text: str) -> str:
    """ASCII letters and digits of a (possibly accented) name, lowercased."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def actor(
    world: World,
    draw: Draw,
    ts: int | None,
    style: str,
    kinds: tuple[str, ...] = ACTOR_KINDS,
) -> dict[str, Any]:
    """An AuditActorSchemaOut: every key present, any of them possibly null."""
    kind = draw.pick(kinds)
    timestamp = render(ts, style, draw.bits()) if ts is not None else None
    if kind == "user":
        user = draw.pick(world.users)
        return {
            "actor_type": "user",
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "timestamp": timestamp,
        }
    if kind == "api_key":
        return {
            "actor_type": "api_key",
            "email": None,
            "first_name": "Integration",
            "last_name": None,
            "timestamp": timestamp,
        }
    return {
        "actor_type": draw.pick(("system", None)),
        "email": None,
        "first_name": None,
        "last_name": None,
        "timestamp": timestamp,
    }


def put_actor(
    item: dict[str, Any], key: str, world: World, draw: Draw, ts: int | None, style: str
) -> None:
    """Set `item[key]` to an actor showing `ts`; without a time, the actor is left out,
    null, or present with a null timestamp (all three occur in the wild)."""
    if ts is not None:
        item[key] = actor(world, draw, ts, style)
        return
    shape = draw.pick(("missing", "null", "no_time"))
    if shape == "null":
        item[key] = None
    elif shape == "no_time":
        item[key] = actor(world, draw, None, style)


def approvers(world: World, draw: Draw, count: int) -> list[dict[str, Any]]:
    """ApproverDictSchema items (avatar_url sometimes null)."""
    return [
        {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "full_name": user.full_name,
            "avatar_url": user.avatar_url,
        }
        for user in draw.sample(world.users, count)
    ]


def rejected_by(world: World, draw: Draw) -> dict[str, Any]:
    """RejectedBySchema: all keys present, the reason possibly null."""
    user = draw.pick(world.users)
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "full_name": user.full_name,
        "rejection_reason": draw.pick(
            ("Duplicate of an existing record", "Missing tax registration", None)
        ),
    }


class BaseFactory:
    """Defaults for a row factory: no categorical columns, no fast field path, and a
    generic edit. Subclasses implement `build` (and usually `edit`)."""

    categories: Mapping[str, Sequence[Any]] = MappingProxyType({})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType({})

    def build(self, row: RowContext) -> dict[str, Any]:
        raise NotImplementedError

    def field(self, row: RowContext, name: str) -> Any:
        raise LookupError(name)  # the table then builds the whole item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        default_edit(item, draw)


def default_edit(item: dict[str, Any], draw: Draw) -> None:
    """A generic visible change for factories without their own `edit`: revise a text field."""
    for key in ("memo", "name", "description", "reference_number"):
        if isinstance(item.get(key), str):
            base = item[key].split(" (rev ", 1)[0]
            item[key] = f"{base} (rev {draw.between(2, 99)})"
            return
    raise LookupError("no editable text field; give the factory an edit()")


def _plain_time(us: int | None, fallback: int) -> str:
    # CustomFieldValueSchemaOut times are plain strings in the spec (no date-time format).
    return str(from_us(us if us is not None else fallback))


_FALLBACK_TIME = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000


def _custom_value(definition: dict[str, Any], draw: Draw) -> Any:
    kind = definition["field_type"]
    if kind == "boolean":
        return draw.chance(0.5)
    if kind == "single_select":
        return draw.pick(definition["options"])
    if kind == "multi_select":
        return draw.sample(definition["options"], draw.between(1, 3))
    if kind == "currency":
        return f"{draw.between(1, 500) * 100}.00"
    if kind == "date":
        return f"20{draw.between(18, 25)}-{draw.between(1, 12):02d}-{draw.between(1, 28):02d}"
    if kind == "number":
        return str(draw.between(1, 9999))
    if kind == "link":
        return f"https://tickets.example.com/T-{draw.between(100, 99999)}"
    return draw.pick(("Ana García", "Kenji Sato", "Łukasz Nowak", "", "北京 销售部"))


def custom_field_values(
    ctx: RowContext, draw: Draw, definitions: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """CustomFieldValuePairOutputSchema items: 0-3 of the record type's fields, a value or
    null each."""
    count = draw.weighted((0, 1, 2, 3), (0.45, 0.3, 0.15, 0.1))
    out = []
    for position, definition in enumerate(draw.sample(definitions, count)):
        value = None
        if draw.chance(0.85):
            value_id = ctx.rid * 10 + position
            value = {
                "id": value_id,
                "custom_field_id": definition["id"],
                "custom_field_name": definition["name"],
                "custom_field_type": definition["field_type"],
                "custom_field_value_id": 500_000 + value_id,
                "value": _custom_value(definition, draw),
                "created_at": _plain_time(ctx.created_ts, _FALLBACK_TIME),
                "updated_at": _plain_time(ctx.updated_ts or ctx.created_ts, _FALLBACK_TIME),
            }
        out.append({"field": dict(definition), "value": value})
    return out
