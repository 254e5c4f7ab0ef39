"""Value building blocks for documents: exact decimal strings, currencies and exchange rates,
dates, terms, attachments, classifications and line tax data.

Money never passes through a float: amounts are integers of the smallest unit shown (cents
for 2 fractional digits, millionths for quantities and rates) and are rendered with exactly
the digits the API documents.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..draw import Draw
from ..timestamps import DAY
from ..world import Company
from .reference import (
    CHART,
    CLASSIFICATION_LINES,
    CLASSIFICATIONS,
    GST_RATES,
    TERMS,
    VAT_BY_CURRENCY,
    VAT_RATES,
)

MICRO = 1_000_000


def fixed(value: int, scale: int) -> str:
    """`value` units of 10**-scale as a decimal string with exactly `scale` digits."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if scale == 0:
        return f"{sign}{value}"
    unit: int = 10**scale
    return f"{sign}{value // unit}.{value % unit:0{scale}d}"


def money(cents: int) -> str:
    return fixed(cents, 2)


def div_round(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero (banks' ROUND_HALF_UP)."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


# --------------------------------------------------------------------------- currencies

USD_MICRO = {  # value of one unit in millionths of a US dollar (rough, for plausible rates)
    "USD": 1_000000,
    "EUR": 1_083700,
    "GBP": 1_268400,
    "JPY": 6_712,
    "CAD": 737_900,
    "CHF": 1_121_300,
    "AUD": 659_800,
    "MXN": 58_310,
    "SEK": 95_420,
    "INR": 12_010,
    "BRL": 201_500,
}
FOREIGN = tuple(USD_MICRO)
ONE = "1.0000000000000000"


def bank_for(currency: str | None, card: bool = False) -> int:
    """The bank account (number) held in a currency; the operating account otherwise."""
    if card:
        return 2100
    for account in CHART:
        if account.account_type == "bank" and account.currency == currency:
            return account.number
    return 1000


def currency_for(draw: Draw, company: Company, foreign_share: float = 0.2) -> str:
    if draw.chance(foreign_share):
        return draw.pick(tuple(c for c in FOREIGN if c != company.currency))
    return company.currency


def exchange_rate(draw: Draw, currency: str, company_currency: str) -> str:
    """Units of company currency per unit of document currency, 16 fractional digits, all
    of them significant for a foreign currency (the last one is never 0)."""
    if currency == company_currency:
        return ONE
    base = USD_MICRO.get(currency, MICRO) * 10**16 // USD_MICRO.get(company_currency, MICRO)
    units = base + draw.below(10**11) - 5 * 10**10
    if units % 10 == 0:
        units += 7
    return fixed(max(units, 1), 16)


# --------------------------------------------------------------------------- dates

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DEFAULT_DAY = date(2022, 1, 1)


def day_of(us: int | None) -> date:
    """The UTC calendar day of an instant (a fixed day when there is none)."""
    if us is None:
        return _DEFAULT_DAY
    return date.fromordinal(_EPOCH_ORDINAL + us // DAY)


def doc_dates(draw: Draw, created_us: int | None) -> tuple[date, date]:
    """(posting date, inception date): entered a few days after the fact, sometimes
    back-dated further, never in a different way for the same row."""
    if created_us is None:
        posted = date(2019, 1, 1) + timedelta(days=draw.below(2300))
    else:
        posted = day_of(created_us) - timedelta(days=draw.weighted((0, 1, 3, 12), (5, 3, 2, 1)))
    inception = posted - timedelta(days=draw.weighted((0, 2, 9), (6, 2, 1)))
    return posted, inception


def iso(day: date) -> str:
    return day.isoformat()


def some_day(draw: Draw, first: int = 2019, last: int = 2025) -> str:
    """A plausible calendar day as `YYYY-MM-DD`."""
    return f"{draw.between(first, last)}-{draw.between(1, 12):02d}-{draw.between(1, 28):02d}"


# --------------------------------------------------------------------------- small parts


def term(draw: Draw) -> tuple[int | None, str, int]:
    """(term_id, term_name, days); no term: (None, "", 0)."""
    if draw.chance(0.12):
        return None, "", 0
    return draw.pick(TERMS)


def attachments(draw: Draw, owner: int, most: int = 2) -> list[dict[str, Any]]:
    """PublicAttachmentSchemaOut items (download_url null while a scan is pending)."""
    count = draw.weighted(tuple(range(most + 1)), (6, 3, 1)[: most + 1])
    out = []
    for k in range(count):
        attachment_id = owner * 10 + k + 1
        name = draw.pick(("scan.pdf", "receipt.jpg", "Rechnung_März.pdf", "契約書.pdf", "po.xlsx"))
        url = f"https://files.example.com/a/{attachment_id}/{name}?sig={draw.bits():08x}"
        out.append(
            {
                "id": attachment_id,
                "file_name": name,
                "file_size": draw.between(2_000, 9_000_000),
                "download_url": None if draw.chance(0.1) else url,
            }
        )
    return out


def classifications(draw: Draw, most: int = 2) -> list[dict[str, Any]]:
    """RecordClassificationsSchemaOut items: one line from each of 0..most classifications."""
    count = draw.weighted(tuple(range(most + 1)), (5, 4, 2)[: most + 1])
    out = []
    for index in sorted(draw.sample(range(len(CLASSIFICATIONS)), count)):
        owner = CLASSIFICATIONS[index]
        lines = [ln for ln in CLASSIFICATION_LINES if ln.classification_id == index + 1]
        line = draw.pick(lines)
        parent_line = None
        if owner.parent is not None:
            parents = [
                ln for ln in CLASSIFICATION_LINES if ln.classification_id == owner.parent + 1
            ]
            parent_line = draw.pick(parents).id
        out.append(
            {
                "id": index + 1,
                "name": owner.name,
                "line_id": line.id,
                "line_name": line.name,
                "parent_classification_id": owner.parent + 1 if owner.parent is not None else None,
                "parent_classification_line_id": parent_line,
            }
        )
    return out


def bank_match_status(draw: Draw) -> str | None:
    return draw.weighted((None, "matched", "unmatched", "partially_matched"), (4, 4, 2, 1))


def reconciliation_status(draw: Draw) -> str | None:
    return draw.weighted((None, "reconciled", "unreconciled"), (4, 4, 2))


# --------------------------------------------------------------------------- line tax


def percent_of(cents: int, rate_micro_percent: int) -> int:
    """`cents` times rate% (rate in millionths of a percent point), rounded half up."""
    return div_round(cents * rate_micro_percent, 100 * MICRO)


_SALES_TAXES = (
    ("CA-SF", "San Francisco sales tax", 8_625000),
    ("NY-NYC", "New York City sales tax", 8_875000),
    ("TX-AUS", "Austin sales tax", 8_250000),
    ("WA-SEA", "Seattle sales tax", 10_350000),
)


def line_tax(draw: Draw, company: Company, net: int) -> tuple[dict[str, Any] | None, int]:
    """(ItemTaxDataOut or None, tax cents) for a line of `net` cents, by the company's regime:
    US sales tax, EU/UK VAT (citing the VAT rates list), Japanese consumption tax, and now
    and then GST with components (a Canadian or Indian counterparty)."""
    if draw.chance(0.25):
        return None, 0
    if draw.chance(0.08):
        gst_id = draw.between(1, len(GST_RATES))
        gst = GST_RATES[gst_id - 1]
        components = [
            {
                "component_type": c.component_type,
                "rate": fixed(c.rate, 6),
                "amount": money(percent_of(net, c.rate)),
                "region": c.region,
                "position": position,
            }
            for position, c in enumerate(gst.components, start=1)
        ]
        tax = sum(percent_of(net, c.rate) for c in gst.components)
        return _tax_data(
            code=f"{gst.country}-{gst.treatment}",
            rate=gst.rate,
            tax=tax,
            net=net,
            gst_tax_rate_id=gst_id,
            components=components,
            rate_name=gst.name,
            treatment=gst.treatment,
        ), tax
    vat_ids = VAT_BY_CURRENCY.get(company.currency)
    if vat_ids:
        vat_id = draw.pick(vat_ids)
        vat = VAT_RATES[vat_id - 1]
        tax = percent_of(net, vat.rate)
        return _tax_data(
            code=f"{vat.country}-{vat.rate_type}",
            rate=vat.rate,
            tax=tax,
            net=net,
            vat_rate_id=vat_id,
            rate_name=vat.name,
            rate_type=vat.rate_type,
            treatment=vat.tax_type,
        ), tax
    if company.currency == "JPY":
        code, name, rate = "JP-CT", "消費税 10%", 10_000000
    else:
        code, name, rate = draw.pick(_SALES_TAXES)
    taxable = draw.chance(0.9)
    tax = percent_of(net, rate) if taxable else 0
    return _tax_data(code=code, rate=rate, tax=tax, net=net, rate_name=name, taxable=taxable), tax


def _tax_data(
    *,
    code: str,
    rate: int,
    tax: int,
    net: int,
    vat_rate_id: int | None = None,
    gst_tax_rate_id: int | None = None,
    components: list[dict[str, Any]] | None = None,
    rate_name: str | None = None,
    rate_type: str | None = None,
    treatment: str | None = None,
    taxable: bool | None = True,
) -> dict[str, Any]:
    return {
        "code": code,
        "rate": fixed(rate, 6),
        "amount": money(tax),
        "is_taxable": taxable,
        "tax_exempt_amount": money(0 if taxable else net) if taxable is not None else None,
        "vat_rate_id": vat_rate_id,
        "gst_tax_rate_id": gst_tax_rate_id,
        "tax_components": components,
        "amount_with_tax": money(net + tax),
        "rate_name": rate_name,
        "rate_type": rate_type,
        "tax_treatment": treatment,
    }
