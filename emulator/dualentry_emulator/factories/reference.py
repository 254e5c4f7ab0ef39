"""Fixed reference data shared by the factories: chart of accounts, classifications, terms,
tax catalogues, depreciation books.

Lists whose rows other tables cite (accounts, classifications, VAT/GST rates) are served
with consecutive ids, so the row with id k is entry k-1 here and a citation stays valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class Account(NamedTuple):
    number: int
    name: str
    account_type: str
    system_ref: str | None = None
    currency: str | None = None  # bank and credit card accounts only
    category_1099: str = ""


CHART: tuple[Account, ...] = (
    Account(1000, "Operating Bank — Chase", "bank", currency="USD"),
    Account(1010, "Payroll Bank", "bank", currency="USD"),
    Account(1020, "Euro Account — Deutsche Bank", "bank", currency="EUR"),
    Account(1030, "Sterling Account — Barclays", "bank", currency="GBP"),
    Account(1040, "円口座 — MUFG", "bank", currency="JPY"),
    Account(1050, "Undeposited Funds", "other_current_asset", "Undeposited Funds"),
    Account(1200, "Accounts Receivable", "accounts_receivable", "Accounts Receivable"),
    Account(1210, "IC Accounts Receivable", "accounts_receivable", "IC Accounts Receivable"),
    Account(1220, "IC Due From", "other_current_asset", "IC Due From"),
    Account(1300, "Inventory", "other_current_asset"),
    Account(1400, "Prepaid Expenses", "deferred_expense"),
    Account(1410, "Vendor Deposits", "other_current_asset", "Vendor Deposits"),
    Account(1500, "Computer Equipment", "fixed_asset"),
    Account(1510, "Furniture & Fixtures", "fixed_asset"),
    Account(1520, "Vehicles", "fixed_asset"),
    Account(1590, "Accumulated Depreciation", "fixed_asset", "Accumulated Depreciation"),
    Account(1700, "Unbilled Receivables", "unbilled_receivable"),
    Account(1800, "Long-term Investments", "investment"),
    Account(2000, "Accounts Payable", "accounts_payable", "Accounts Payable"),
    Account(2010, "IC Accounts Payable", "accounts_payable", "IC Accounts Payable"),
    Account(2020, "IC Due To", "other_current_liability", "IC Due To"),
    Account(2100, "Corporate Card — Amex", "credit_card", currency="USD"),
    Account(2200, "Customer Deposits", "other_current_liability", "Customer Deposits"),
    Account(2300, "Tax Payable", "other_current_liability", "Tax Payable"),
    Account(2310, "Accrued Purchases", "other_current_liability", "Accrued Purchases"),
    Account(2400, "Deferred Revenue", "deferred_revenue", "Deferred Revenue"),
    Account(2700, "Term Loan", "long_term_liability"),
    Account(3000, "Common Stock", "equity"),
    Account(3100, "Retained Earnings", "equity", "Retained Earnings"),
    Account(3200, "Net Income", "equity", "Net Income"),
    Account(
        3300, "Cumulative Translation Adjustment", "equity", "Cumulative Translation Adjustment"
    ),
    Account(4000, "Product Revenue", "income"),
    Account(4100, "Services Revenue", "income"),
    Account(4200, "Subscription Revenue", "income"),
    Account(4900, "Discounts Given", "income"),
    Account(5000, "Cost of Goods Sold", "cost_of_goods_sold"),
    Account(5100, "Freight In", "cost_of_goods_sold"),
    Account(6000, "Rent", "expense", category_1099="MISC-Box 1"),
    Account(6100, "Software Subscriptions", "expense"),
    Account(6200, "Professional Fees", "expense", category_1099="NEC-Box 1"),
    Account(6300, "Travel & Meals", "expense"),
    Account(6400, "Office Supplies", "expense"),
    Account(6500, "Depreciation Expense", "expense"),
    Account(6600, "Bank Fees", "expense"),
    Account(7000, "Interest Income", "other_income"),
    Account(7100, "Realized Gain/Loss", "other_income", "Realized Gain/Loss"),
    Account(7200, "Unrealized Gain/Loss", "other_income", "Unrealized Gain/Loss"),
    Account(8000, "Interest Expense", "other_expense"),
)
ACCOUNT_ID: Mapping[int, int] = MappingProxyType({a.number: i + 1 for i, a in enumerate(CHART)})
"""Account number → account id (the accounts list serves CHART with ids 1..n)."""

BANK_ACCOUNTS = (1000, 1010, 1020, 1030, 1040)
PAYMENT_ACCOUNTS = (1000, 1010, 1020, 1030, 1040, 2100)
INCOME_ACCOUNTS = (4000, 4100, 4200)
EXPENSE_ACCOUNTS = (5000, 5100, 6000, 6100, 6200, 6300, 6400, 6600)
ASSET_ACCOUNTS = (1500, 1510, 1520)
JOURNAL_ACCOUNTS = (1000, 1200, 1300, 1400, 2000, 2300, 2400, 4000, 4100, 6000, 6100, 6300, 8000)


class Classification(NamedTuple):
    name: str
    parent: int | None  # index into CLASSIFICATIONS
    required_for: tuple[str, ...]
    lines: tuple[str, ...]


CLASSIFICATIONS: tuple[Classification, ...] = (
    Classification(
        "Department", None, ("invoice", "bill"), ("Sales", "Engineering", "Finance", "Operations")
    ),
    Classification("Location", None, (), ("HQ", "London", "東京", "São Paulo", "Remote")),
    Classification("Project", None, ("journal_entry",), ("Apollo", "Zephyr", "Orion 🚀", "Atlas")),
    Classification("Region", None, (), ("EMEA", "APAC", "AMER")),
    Classification("Team", 0, (), ("Platform", "Growth", "Payroll")),
    Classification("Cost center", None, ("direct_expense",), ("CC-100", "CC-200", "CC-300")),
)


class ClassificationLine(NamedTuple):
    id: int
    name: str
    classification_id: int
    is_active: bool


CLASSIFICATION_LINES: tuple[ClassificationLine, ...] = tuple(
    ClassificationLine(0, name, c_index + 1, not (c_index == 1 and name == "Remote"))
    for c_index, c in enumerate(CLASSIFICATIONS)
    for name in c.lines
)
CLASSIFICATION_LINES = tuple(line._replace(id=i + 1) for i, line in enumerate(CLASSIFICATION_LINES))

TERMS: tuple[tuple[int, str, int], ...] = (
    (1, "Net 30", 30),
    (2, "Net 15", 15),
    (3, "Due on receipt", 0),
    (4, "Net 60", 60),
    (5, "2/10 Net 30", 30),
)
PAYMENT_METHOD_IDS = (1, 2, 3, 4)


class VatRate(NamedTuple):
    country: str
    name: str
    rate: int  # millionths of a percent point: 20% = 20_000000
    rate_type: str
    tax_type: str
    valid_from: str
    valid_to: str | None
    is_system: bool
    description: str | None


VAT_RATES: tuple[VatRate, ...] = (
    VatRate(
        "GB", "Standard rate", 20_000000, "STANDARD", "INPUT_OUTPUT", "2011-01-04", None, True, None
    ),
    VatRate(
        "GB",
        "Reduced rate",
        5_000000,
        "REDUCED",
        "INPUT_OUTPUT",
        "2011-01-04",
        None,
        True,
        "Home energy, child car seats",
    ),
    VatRate("GB", "Zero rate", 0, "ZERO", "ZERO_RATED", "1973-04-01", None, True, None),
    VatRate(
        "GB",
        "Hospitality (temporary)",
        12_500000,
        "REDUCED",
        "INPUT_OUTPUT",
        "2021-10-01",
        "2022-03-31",
        True,
        "Covid-19 relief",
    ),
    VatRate(
        "DE", "Normalsatz", 19_000000, "STANDARD", "INPUT_OUTPUT", "2007-01-01", None, True, None
    ),
    VatRate(
        "DE",
        "Ermäßigter Satz",
        7_000000,
        "REDUCED",
        "INPUT_OUTPUT",
        "1983-07-01",
        None,
        True,
        "Lebensmittel, Bücher",
    ),
    VatRate(
        "DE",
        "Normalsatz (2020 H2)",
        16_000000,
        "STANDARD",
        "INPUT_OUTPUT",
        "2020-07-01",
        "2020-12-31",
        True,
        None,
    ),
    VatRate(
        "FR", "Taux normal", 20_000000, "STANDARD", "INPUT_OUTPUT", "2014-01-01", None, True, None
    ),
    VatRate(
        "FR",
        "Taux intermédiaire",
        10_000000,
        "REDUCED",
        "INPUT_OUTPUT",
        "2014-01-01",
        None,
        True,
        None,
    ),
    VatRate(
        "FR", "Taux réduit", 5_500000, "REDUCED", "INPUT_OUTPUT", "2014-01-01", None, True, None
    ),
    VatRate(
        "FR",
        "Taux particulier",
        2_100000,
        "SUPER_REDUCED",
        "INPUT_OUTPUT",
        "1989-01-01",
        None,
        True,
        "Presse, médicaments remboursables",
    ),
    VatRate(
        "IE",
        "Second reduced rate",
        13_500000,
        "REDUCED",
        "INPUT_OUTPUT",
        "2019-01-01",
        None,
        True,
        None,
    ),
    VatRate(
        "IE", "Livestock rate", 4_800000, "PARKING", "INPUT_OUTPUT", "2005-01-01", None, True, None
    ),
    VatRate(
        "LU",
        "Super-reduced rate",
        3_000000,
        "SUPER_REDUCED",
        "INPUT_OUTPUT",
        "2015-01-01",
        None,
        True,
        None,
    ),
    VatRate(
        "NL",
        "Standaardtarief",
        21_000000,
        "STANDARD",
        "INPUT_OUTPUT",
        "2012-10-01",
        None,
        True,
        None,
    ),
    VatRate(
        "ES", "Tipo general", 21_000000, "STANDARD", "INPUT_OUTPUT", "2012-09-01", None, True, None
    ),
    VatRate(
        "IT",
        "Aliquota ordinaria",
        22_000000,
        "STANDARD",
        "INPUT_OUTPUT",
        "2013-10-01",
        None,
        True,
        None,
    ),
    VatRate(
        "SE",
        "Normalskattesats",
        25_000000,
        "STANDARD",
        "INPUT_OUTPUT",
        "1990-07-01",
        None,
        True,
        None,
    ),
    VatRate(
        "HU", "Általános", 27_000000, "STANDARD", "INPUT_OUTPUT", "2012-01-01", None, True, None
    ),
    VatRate(
        "AE", "Standard rate", 5_000000, "STANDARD", "INPUT_OUTPUT", "2018-01-01", None, True, None
    ),
    VatRate(
        "MX", "Tasa general", 16_000000, "STANDARD", "INPUT_OUTPUT", "2014-01-01", None, True, None
    ),
    VatRate(
        "TH", "Standard rate", 7_000000, "STANDARD", "INPUT_OUTPUT", "1992-01-01", None, True, None
    ),
    VatRate("DE", "Steuerfrei", 0, "EXEMPT", "EXEMPT", "2007-01-01", None, True, "§ 4 UStG"),
    VatRate(
        "GB",
        "Reverse charge (services)",
        20_000000,
        "STANDARD",
        "REVERSE_CHARGE",
        "2021-01-01",
        None,
        False,
        "B2B services from abroad",
    ),
    VatRate("FR", "Hors champ", 0, "ZERO", "OUT_OF_SCOPE", "2014-01-01", None, False, None),
)
VAT_BY_CURRENCY: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {"GBP": (1, 2, 3), "EUR": (5, 6, 8, 9, 10)}
)
"""Ids of the VAT rates a company in that currency charges (1-based into VAT_RATES)."""


class GstComponent(NamedTuple):
    component_type: str
    rate: int  # millionths of a percent point
    region: str | None


class GstRate(NamedTuple):
    country: str
    name: str
    treatment: str
    supply_category: str | None
    region: str | None
    valid_from: str
    valid_to: str | None
    is_system: bool
    description: str | None
    components: tuple[GstComponent, ...]

    @property
    def rate(self) -> int:
        return sum(c.rate for c in self.components)


GST_RATES: tuple[GstRate, ...] = (
    GstRate(
        "AU",
        "GST",
        "STANDARD",
        None,
        None,
        "2000-07-01",
        None,
        True,
        None,
        (GstComponent("GST", 10_000000, None),),
    ),
    GstRate(
        "AU",
        "GST-free",
        "ZERO_RATED",
        None,
        None,
        "2000-07-01",
        None,
        True,
        "Basic food, health",
        (),
    ),
    GstRate(
        "NZ",
        "GST",
        "STANDARD",
        None,
        None,
        "2010-10-01",
        None,
        True,
        None,
        (GstComponent("GST", 15_000000, None),),
    ),
    GstRate(
        "SG",
        "GST 9%",
        "STANDARD",
        None,
        None,
        "2024-01-01",
        None,
        True,
        None,
        (GstComponent("GST", 9_000000, None),),
    ),
    GstRate(
        "SG",
        "GST 8%",
        "STANDARD",
        None,
        None,
        "2023-01-01",
        "2023-12-31",
        True,
        None,
        (GstComponent("GST", 8_000000, None),),
    ),
    GstRate(
        "IN",
        "GST 18% intra-state",
        "STANDARD",
        "INTRA_STATE",
        "KA",
        "2017-07-01",
        None,
        True,
        None,
        (GstComponent("CGST", 9_000000, "KA"), GstComponent("SGST", 9_000000, "KA")),
    ),
    GstRate(
        "IN",
        "GST 18% inter-state",
        "STANDARD",
        "INTER_STATE",
        None,
        "2017-07-01",
        None,
        True,
        None,
        (GstComponent("IGST", 18_000000, None),),
    ),
    GstRate(
        "IN",
        "GST 28% + cess",
        "STANDARD",
        "INTRA_STATE",
        "MH",
        "2017-07-01",
        None,
        True,
        "Motor vehicles",
        (
            GstComponent("CGST", 14_000000, "MH"),
            GstComponent("SGST", 14_000000, "MH"),
            GstComponent("CESS", 12_000000, None),
        ),
    ),
    GstRate(
        "CA",
        "GST",
        "STANDARD",
        None,
        "AB",
        "2008-01-01",
        None,
        True,
        None,
        (GstComponent("GST", 5_000000, None),),
    ),
    GstRate(
        "CA",
        "HST Ontario",
        "STANDARD",
        None,
        "ON",
        "2010-07-01",
        None,
        True,
        None,
        (GstComponent("HST", 13_000000, "ON"),),
    ),
    GstRate(
        "CA",
        "GST + PST British Columbia",
        "STANDARD",
        None,
        "BC",
        "2013-04-01",
        None,
        True,
        None,
        (GstComponent("GST", 5_000000, None), GstComponent("PST", 7_000000, "BC")),
    ),
    GstRate(
        "CA",
        "GST + QST Québec",
        "STANDARD",
        None,
        "QC",
        "2013-01-01",
        None,
        True,
        None,
        (GstComponent("GST", 5_000000, None), GstComponent("QST", 9_975000, "QC")),
    ),
    GstRate(
        "MY",
        "SST service tax",
        "STANDARD",
        None,
        None,
        "2024-03-01",
        None,
        False,
        None,
        (GstComponent("GST", 8_000000, None),),
    ),
    GstRate(
        "AU",
        "Imported services",
        "REVERSE_CHARGE",
        None,
        None,
        "2017-07-01",
        None,
        False,
        None,
        (GstComponent("GST", 10_000000, None),),
    ),
)


class ProductTaxCode(NamedTuple):
    code: str
    description: str
    source: str
    is_global: bool


PRODUCT_TAX_CODES: tuple[ProductTaxCode, ...] = (
    ProductTaxCode("P0000000", "Tangible personal property", "AVALARA", True),
    ProductTaxCode("SW052000", "Software as a service (SaaS)", "AVALARA", True),
    ProductTaxCode("SW054000", "Digital products — downloaded software", "AVALARA", True),
    ProductTaxCode("SC080100", "Consulting services", "AVALARA", True),
    ProductTaxCode("SP140000", "Installation services", "AVALARA", True),
    ProductTaxCode("FR020100", "Shipping — common carrier", "AVALARA", True),
    ProductTaxCode("PF050100", "Prepared food", "AVALARA", True),
    ProductTaxCode("PC040100", "Clothing and apparel", "AVALARA", True),
    ProductTaxCode("NT", "Non-taxable", "INTERNAL", True),
    ProductTaxCode("TAXABLE", "Generic taxable item", "INTERNAL", True),
    ProductTaxCode("NW-HW-01", "Northwind hardware kit", "INTERNAL", False),
    ProductTaxCode("NW-SVC-02", "Northwind support plan (annual)", "INTERNAL", False),
    ProductTaxCode("NW-TRN-03", "Training — Schulung vor Ort", "INTERNAL", False),
)


class DepreciationBook(NamedTuple):
    code: str
    name: str
    description: str
    is_posting: bool


DEPRECIATION_BOOKS: tuple[DepreciationBook, ...] = (
    DepreciationBook("BOOK", "Corporate book", "GAAP book; posts to the ledger", True),
    DepreciationBook("FEDERAL", "Federal tax", "IRS MACRS", False),
    DepreciationBook("AMT", "Alternative minimum tax", "", False),
    DepreciationBook("STATE", "State tax (CA)", "California conformity", False),
    DepreciationBook("IFRS", "IFRS group reporting", "IAS 16, component approach", False),
)
