"""Fixed assets (one depreciation schedule per book) and the depreciation books."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from .common import BaseFactory
from .documents import (
    DocumentFactory,
    cents,
    line_id,
    put_actors,
    revise_memo,
)
from .reference import ASSET_ACCOUNTS, DEPRECIATION_BOOKS, DepreciationBook
from .values import classifications, iso, money

FIXED_ASSET_STATUSES = ("active", "inactive", "disposed", "fully_amortized")
_ASSET_NAMES = (
    "MacBook Pro 16",
    "Dell PowerEdge R750",
    "Standing desk",
    "Forklift — Linde H25",
    "Konferenztisch",
    "Delivery van",
    "3D printer",
    "複合機",
)
_METHODS = (
    "straight_line",
    "straight_line_prorate_even",
    "declining_balance",
    "double_declining",
    "macrs_gds",
    "custom",
)
_CONVENTIONS = ("mid_month", "half_month", "full_month", "mid_quarter", "half_year", "full_year")


def asset_name(seed: int, rid: int) -> str:
    draw = Draw(seed, salt("fixed_assets.name"), rid)
    return f"{draw.pick(_ASSET_NAMES)} #{rid}"


def _schedule(draw: Draw, book: DepreciationBook, cost: int, start: str) -> dict[str, Any]:
    method = draw.pick(_METHODS)
    custom = method == "custom"
    return {
        "depreciation_book_code": book.code,
        "depreciation_book_name": book.name,
        "is_posting": book.is_posting,
        "useful_life": draw.pick((36, 60, 84, 120, None)),
        "salvage_value": money(cents_share(cost, draw.pick((0, 5, 10))))
        if draw.chance(0.8)
        else None,
        "depreciation_method": method if draw.chance(0.95) else None,
        "depreciation_start_date": start if draw.chance(0.9) else None,
        "convention": draw.pick(_CONVENTIONS) if draw.chance(0.7) else None,
        "depreciation_frequency": draw.pick(("monthly", "yearly", None)),
        "accumulated_beginning_balance": money(cents_share(cost, 20)) if draw.chance(0.2) else None,
        "accumulated_through": start if draw.chance(0.2) else None,
        "acceleration_factor": "2.00"
        if method in ("declining_balance", "double_declining")
        else None,
        "property_class": draw.pick((3, 5, 7, 10, 15, 20, 27, 39))
        if method == "macrs_gds"
        else None,
        "ads_recovery_period": None,
        "custom_schedule": [
            {"value": "40.00", "period_count": 1},
            {"value": "30.00", "period_count": 2},
        ]
        if custom
        else None,
        "custom_schedule_type": "cost_percentage" if custom else None,
    }


def cents_share(cost: int, percent: int) -> int:
    return cost * percent // 100


class FixedAssetFactory(DocumentFactory):
    """V2FixedAssetSchemaOut."""

    endpoint = "fixed_assets"
    party = "vendors"
    party_null_share = 0.2
    foreign_share = 0.1
    categories: Mapping[str, Sequence[Any]] = MappingProxyType({"status": FIXED_ASSET_STATUSES})
    category_weights: Mapping[str, Sequence[float]] = MappingProxyType(
        {"status": (0.7, 0.05, 0.1, 0.15)}
    )

    def field(self, row: RowContext, name: str) -> Any:
        if name == "name":
            return asset_name(row.seed, row.rid)
        if name == "purchase_date":
            return iso(self.head(row).inception)
        return super().field(row, name)

    def build(self, row: RowContext) -> dict[str, Any]:
        head, draw = self.head(row), self.body(row)
        refs = row.world.refs
        cost = draw.weighted(
            (
                draw.between(50_000, 500_000),
                draw.between(500_000, 10_000_000),
                draw.between(10**11, 9 * 10**11),
            ),
            (6, 3, 1),
        )
        asset_account = draw.pick(ASSET_ACCOUNTS)
        books = [DEPRECIATION_BOOKS[0], *draw.sample(DEPRECIATION_BOOKS[1:], draw.between(0, 2))]
        start = iso(head.inception + timedelta(days=draw.pick((0, 1, 30))))
        sources = []
        if draw.chance(0.4):
            bill = refs.pick("bills", draw)
            sources.append({"type": "bill_line", "id": line_id(bill, 1), "parent_record_id": bill})
        item: dict[str, Any] = {}
        put_actors(item, row, draw)
        company = head.company
        item.update(
            {
                "internal_id": row.rid,
                "number": head.number,
                "company_id": company.id,
                "company_name": company.name,
                "name": asset_name(row.seed, row.rid),
                "serial_number": f"SN-{draw.bits():08X}" if draw.chance(0.7) else "",
                "currency_iso_4217_code": head.currency,
                "exchange_rate": head.exchange_rate,
                "purchase_date": iso(head.inception),
                "memo": draw.pick(("", "Capitalised per policy", "Leasehold improvement")),
                "cost": money(cost),
                "status": row.categories["status"],
                "record_status": row.record_status,
                "asset_account_number": asset_account,
                "expense_account_number": 6500,
                "accumulation_account_number": 1590,
                "vendor_id": head.party_id,
                "vendor_name": self.party_name(row, head.party_id),
                "fixed_asset_class_id": draw.pick((None, 1, 2, 3)),
                "depreciation_schedules": [_schedule(draw, b, cost, start) for b in books],
                "classifications": classifications(draw, 1),
                "source_lines": sources,
            }
        )
        return item

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw)
        if draw.chance(0.3):
            item["cost"] = money(cents(item["cost"]) + draw.between(1_000, 50_000))


class DepreciationBookFactory(BaseFactory):
    """DepreciationBookSchemaOut, keyed by `code` (ids 1..n are the fixed books)."""

    def _book(self, rid: int) -> DepreciationBook:
        if 1 <= rid <= len(DEPRECIATION_BOOKS):
            return DEPRECIATION_BOOKS[rid - 1]
        return DepreciationBook(f"BOOK{rid}", f"Book {rid}", "", False)

    def field(self, row: RowContext, name: str) -> Any:
        if name == "code":
            return self._book(row.rid).code
        raise LookupError(name)

    def build(self, row: RowContext) -> dict[str, Any]:
        book = self._book(row.rid)
        return {
            "id": row.rid,
            "code": book.code,
            "name": book.name,
            "description": book.description,
            "is_active": row.rid != 3,
            "is_posting": book.is_posting,
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw, "description")
