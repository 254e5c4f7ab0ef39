"""Tax catalogues (v2 only): VAT rates, GST tax rates, product tax codes. Ids 1..n are the
fixed catalogues (line tax data cites them), rows past the end are generated."""

from __future__ import annotations

from typing import Any

from ..draw import Draw, salt
from ..spec import RowContext
from .common import BaseFactory
from .documents import revise_memo
from .reference import GST_RATES, PRODUCT_TAX_CODES, VAT_RATES, GstComponent, GstRate, VatRate
from .values import fixed


def _vat(rid: int) -> VatRate:
    if 1 <= rid <= len(VAT_RATES):
        return VAT_RATES[rid - 1]
    return VatRate(
        "NL",
        f"Custom rate {rid}",
        9_000000,
        "REDUCED",
        "INPUT_OUTPUT",
        "2019-01-01",
        None,
        False,
        None,
    )


def _rate_head(rid: int, rate: VatRate | GstRate) -> dict[str, Any]:
    """The fields VAT and GST rates start with (rates in percent, 6 fractional digits)."""
    return {"id": rid, "country_code": rate.country, "name": rate.name, "rate": fixed(rate.rate, 6)}


def _validity(rate: VatRate | GstRate) -> dict[str, Any]:
    """The fields VAT and GST rates continue with: a rate is active until it has an end."""
    return {
        "valid_from": rate.valid_from,
        "valid_to": rate.valid_to,
        "is_active": rate.valid_to is None,
        "is_system": rate.is_system,
        "description": rate.description,
    }


class VatRateFactory(BaseFactory):
    """PublicVatRateSchemaOut."""

    def build(self, row: RowContext) -> dict[str, Any]:
        vat = _vat(row.rid)
        return {
            **_rate_head(row.rid, vat),
            "rate_type": vat.rate_type,
            "tax_type": vat.tax_type,
            **_validity(vat),
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["description"] = draw.pick(("Updated by the tax team", "Rate reviewed", "Geprüft"))


def _gst(rid: int) -> GstRate:
    if 1 <= rid <= len(GST_RATES):
        return GST_RATES[rid - 1]
    return GstRate(
        "NZ",
        f"Custom GST {rid}",
        "STANDARD",
        None,
        None,
        "2019-01-01",
        None,
        False,
        None,
        (GstComponent("GST", 15_000000, None),),
    )


class GstTaxRateFactory(BaseFactory):
    """PublicGstTaxRateSchemaOut: the rate is the sum of its components."""

    def build(self, row: RowContext) -> dict[str, Any]:
        gst = _gst(row.rid)
        return {
            **_rate_head(row.rid, gst),
            "tax_treatment": gst.treatment,
            "supply_category": gst.supply_category,
            "region": gst.region,
            **_validity(gst),
            "components": [
                {
                    "id": row.rid * 10 + position,
                    "component_type": c.component_type,
                    "rate": fixed(c.rate, 6),
                    "region": c.region,
                    "position": position,
                }
                for position, c in enumerate(gst.components, start=1)
            ],
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        item["description"] = draw.pick(("Reviewed", "Includes provincial component", "ok"))


class ProductTaxCodeFactory(BaseFactory):
    """PublicProductTaxCodeSchemaOut."""

    _salt = salt("product_tax_codes")

    def field(self, row: RowContext, name: str) -> Any:
        if name == "code":
            return self._code(row)[0]
        raise LookupError(name)

    def _code(self, row: RowContext) -> tuple[str, str, str, bool]:
        if 1 <= row.rid <= len(PRODUCT_TAX_CODES):
            return PRODUCT_TAX_CODES[row.rid - 1]
        return f"NW-{row.rid:04d}", f"Custom code {row.rid}", "INTERNAL", False

    def build(self, row: RowContext) -> dict[str, Any]:
        code, description, source, is_global = self._code(row)
        draw = Draw(row.seed, self._salt, row.rid)
        return {
            "id": row.rid,
            "code": code,
            "description": description,
            "source": source,
            "is_active": draw.chance(0.9),
            "is_global": is_global,
        }

    def edit(self, item: dict[str, Any], draw: Draw) -> None:
        revise_memo(item, draw, "description")
