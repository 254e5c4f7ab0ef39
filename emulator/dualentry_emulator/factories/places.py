"""Places and postal addresses (AddressSchemaIn shapes) shared by parties and documents."""

from __future__ import annotations

from typing import Any

from ..draw import Draw

# country, state, city, postal code
PLACES = (
    ("US", "CA", "San Francisco", "94105"),
    ("US", "NY", "New York", "10001"),
    ("US", "TX", "Austin", "73301"),
    ("US", "WA", "Seattle", "98101"),
    ("GB", "", "London", "EC1A 1BB"),
    ("GB", "", "Manchester", "M1 1AE"),
    ("DE", "BY", "München", "80331"),
    ("DE", "", "Berlin", "10115"),
    ("JP", "東京都", "千代田区", "100-0001"),
    ("CA", "ON", "Toronto", "M5H 2N2"),
    ("CA", "QC", "Montréal", "H2Y 1C6"),
    ("AU", "NSW", "Sydney", "2000"),
    ("BR", "SP", "São Paulo", "01310-100"),
    ("FR", "", "Paris", "75002"),
    ("", "", "Springfield", ""),
)
STREETS = (
    "Market St",
    "Baker Street",
    "Königstraße",
    "Rue de Rivoli",
    "Avenida Paulista",
    "Marunouchi",
    "King St W",
    "George St",
    "Elm Street",
    "Calle Mayor",
)
SECOND_LINES = ("", "", "", "Suite 400", "Floor 3", "Apt. 12B", "Unit 7")


def address(draw: Draw, customer_name: str) -> dict[str, Any]:
    """An AddressSchemaIn: every key present, `name` possibly null."""
    country, state, city, postal = draw.pick(PLACES)
    return {
        "street": f"{draw.between(1, 2500)} {draw.pick(STREETS)}",
        "city": city,
        "postal_code": postal,
        "state": state,
        "country": country,
        "second_line": draw.pick(SECOND_LINES),
        "name": draw.pick((None, None, "Accounts Payable", "Head office", customer_name)),
    }


def one_line(address: dict[str, Any] | None) -> str:
    """The flat `bill_to_address`-style text of an address ("" when there is none)."""
    if address is None:
        return ""
    parts = [address.get("name"), address["street"], address.get("second_line")]
    city = " ".join(p for p in (address.get("postal_code"), address["city"]) if p)
    parts += [city, address.get("state"), address.get("country")]
    return "\n".join(p for p in parts if p)
