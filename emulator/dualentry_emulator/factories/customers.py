"""Customers: `CustomerListSchemaOut` items, generated from (seed, row id).

Field notes (types, nullability) follow DualEntry's OpenAPI document; the values are the
emulator's own. Each group of fields draws from its own stream, so one field (say `name` for
ordering or filtering a million rows) can be produced without building the whole item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from .common import BaseFactory, approvers, custom_field_values, put_actor, rejected_by, slug
from .places import address as _address

_IDENTITY, _ADDRESS, _EXTRA = (
    salt("customers.identity"),
    salt("customers.address"),
    salt("customers.extra"),
)

CUSTOMER_TYPES = ("company", "individual", "partnership", "")
"""A free string in the API; the last two are the "unexpected" values a tap must pass on."""
APPROVAL_STATUSES = (None, "approved", "pending", "rejected")

_FIRST = (
    "Ana",
    "José",
    "Zoë",
    "Björn",
    "Chloé",
    "Łukasz",
    "Siobhán",
    "Søren",
    "Mia",
    "Noah",
    "Amélie",
    "Olamide",
    "Priya",
    "Ren",
    "Ömer",
    "Ngozi",
    "Mateus",
    "Inés",
    "Ólafur",
    "Emma",
)
_LAST = (
    "García",
    "Müller",
    "Nguyễn",
    "O'Brien",
    "Smith",
    "Kowalski",
    "Dubois",
    "Sato",
    "Rossi",
    "Ivanova",
    "Jones",
    "Okafor",
    "Fernández",
    "Svensson",
    "Novák",
    "Haddad",
    "Brown",
)
_CJK_PEOPLE = ("山田 太郎", "王芳", "김민준", "佐藤 花子", "陳美玲", "이서연")
_STEMS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Café Müller",
    "Nordlys",
    "Øresund Shipping",
    "Bloom 🌸 Florals",
    "Rocket 🚀 Labs",
    "Hōkū Trading",
    "São Paulo Têxtil",
    "Żabka Foods",
    "Blue Fjord",
    "Château Lumière",
    "Crème & Co",
    "Kaffeehaus Wien",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Tyrell",
    "Nakatomi",
    "Zürich Precision",
    "Ñandú Distribuciones",
)
_SUFFIXES = ("Ltd", "GmbH", "Inc.", "LLC", "S.A.", "AB", "K.K.", "Pty Ltd", "& Co.", "SARL", "")
_CJK_COMPANIES = (
    "株式会社 山田商事",
    "北京华光科技有限公司",
    "삼성 물산 협력사",
    "東京デザイン合同会社",
    "上海明珠贸易",
    "大阪フーズ株式会社",
)
_COMPANY_MAILBOXES = ("billing", "ap", "accounts", "info", "finance", "invoices")


def _person(draw: Draw) -> tuple[str, str, str]:
    if draw.chance(0.08):
        name = draw.pick(_CJK_PEOPLE)
        return name, "", ""
    first, last = draw.pick(_FIRST), draw.pick(_LAST)
    return f"{first} {last}", first, last


def _company(draw: Draw) -> tuple[str, str]:
    if draw.chance(0.08):
        return draw.pick(_CJK_COMPANIES), ""
    stem = draw.pick(_STEMS)
    suffix = draw.pick(_SUFFIXES)
    return (f"{stem} {suffix}" if suffix else stem), stem


_PHONES = (
    "+1 415-555-{0:04d}",
    "(212) 555-{0:04d}",
    "+44 20 7946 {0:04d}",
    "+81 3-1234-{0:04d}",
    "+49 89 {1:03d} {0:04d}",
    "555.{1:03d}.{0:04d}",
)


def _phone(draw: Draw) -> str:
    return draw.pick(_PHONES).format(draw.below(10_000), draw.below(1000))


def _identity(rid: int, seed: int, customer_type: str) -> dict[str, Any]:
    draw = Draw(seed, _IDENTITY, rid)
    if customer_type == "individual":
        name, first, last = _person(draw)
        local = f"{slug(first)}.{slug(last)}" if first else ""
        domain = draw.pick(("example.com", "mail.example.net", "example.org"))
        site_slug = slug(first + last)
        website = f"https://{site_slug}.example.net" if site_slug and draw.chance(0.25) else ""
    else:
        name, stem = _company(draw)
        local = draw.pick(_COMPANY_MAILBOXES)
        stem_slug = slug(stem)
        domain = f"{stem_slug}.example.com" if stem_slug else ""
        website = ""
        if stem_slug and draw.chance(0.8):
            website = draw.pick(
                (f"https://www.{stem_slug}.example.com", f"http://{stem_slug}.example.org")
            )
    if local and domain:
        email = f"{local}@{domain}"
        if draw.chance(0.1):
            email = email[0].upper() + email[1:]
    else:
        email = f"contact{rid}@example.jp"
    if draw.chance(0.04):
        email = ""
    unique_id: str | None = None
    if draw.chance(0.8):
        unique_id = f"CUST-{rid:06d}" if draw.chance(0.88) else f"cust-{rid}"
    return {
        "name": name,
        "unique_id": unique_id,
        "email": email,
        "website": website,
        "phone": _phone(draw) if draw.chance(0.92) else "",
        "is_active": draw.chance(0.92),
    }


def _next_approvers(ctx: RowContext, status: str | None, draw: Draw) -> list[Any] | None:
    if status == "pending":
        return approvers(ctx.world, draw, draw.between(1, 2)) if draw.chance(0.85) else []
    if status is None:
        return [] if draw.chance(0.15) else None
    return [] if draw.chance(0.4) else None


class CustomerFactory(BaseFactory):
    categories: Mapping[str, Sequence[Any]] = MappingProxyType(
        {"customer_type": CUSTOMER_TYPES, "approval_status": APPROVAL_STATUSES}
    )
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {
            "customer_type": (0.56, 0.40, 0.02, 0.02),
            "approval_status": (0.70, 0.20, 0.07, 0.03),
        }
    )

    def field(self, row: RowContext, name: str) -> Any:
        if name == "id":
            return row.rid
        if name in ("customer_type", "approval_status"):
            return row.categories[name]
        if name in ("name", "unique_id", "email", "website", "phone", "is_active"):
            return _identity(row.rid, row.seed, row.categories["customer_type"])[name]
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        customer_type = row.categories["customer_type"]
        approval = row.categories["approval_status"]
        identity = _identity(row.rid, row.seed, customer_type)
        extra = Draw(row.seed, _EXTRA, row.rid)
        places = Draw(row.seed, _ADDRESS, row.rid)

        full_address = None if places.chance(0.1) else _address(places, identity["name"])
        shipping_choice = places.weighted(("null", "same", "other"), (0.45, 0.25, 0.30))
        shipping_address = None
        if shipping_choice == "same" and full_address is not None:
            shipping_address = dict(full_address)
        elif shipping_choice != "null":
            shipping_address = _address(places, identity["name"])

        fields = custom_field_values(row, extra, row.world.customer_custom_fields)
        item: dict[str, Any] = {"custom_fields": fields}
        put_actor(item, "created_by", row.world, extra, row.created_ts, row.style)
        put_actor(item, "updated_by", row.world, extra, row.updated_ts, row.style)
        item["approval_status"] = approval
        item["next_approvers"] = _next_approvers(row, approval, extra)
        item["rejected_by"] = rejected_by(row.world, extra) if approval == "rejected" else None
        item["id"] = row.rid
        item["full_address"] = full_address
        item["shipping_address"] = shipping_address
        item["name"] = identity["name"]
        item["unique_id"] = identity["unique_id"]
        item["email"] = identity["email"]
        item["website"] = identity["website"]
        item["customer_type"] = customer_type
        item["is_active"] = identity["is_active"]
        item["phone"] = identity["phone"]
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        changes = draw.sample(("phone", "email", "name", "is_active", "address", "website"), 2)
        for change in changes:
            if change == "phone" or (change == "address" and item.get("full_address") is None):
                item["phone"] = _phone(draw)
            elif change == "email":
                mailbox = draw.pick(("ar", "payables", "office", "team"))
                domain = item["email"].partition("@")[2] or "example.com"
                item["email"] = f"{mailbox}@{domain}"
            elif change == "name":
                base = item["name"].split(" (", 1)[0]
                item["name"] = f"{base} ({draw.pick(('Europe', 'Holdings', 'Retail', '新'))})"
            elif change == "is_active":
                item["is_active"] = not item["is_active"]
            elif change == "address":
                address = dict(item["full_address"])
                address["second_line"] = draw.pick(("Suite 1200", "Floor 9", "c/o Reception"))
                item["full_address"] = address
            else:
                site = item["website"] or "https://www.example.com"
                item["website"] = site.replace("http://", "https://").rstrip("/") + "/"
