"""Every paginated v2 list endpoint is served; v1 serves exactly the non-v2-only ones; the
catalogue agrees with the digest of the API (`list-endpoints.json`) where it is present."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dualentry_emulator import CATALOGUE, Emulator

from .catalogue_support import V2_ONLY

DIGEST = Path("/work/shared/dualentry-api/list-endpoints.json")

# The 46 v2 list paths, in the digest's order (kept here so the test runs anywhere).
PATHS = (
    "invoices/",
    "sales-orders/",
    "bills/",
    "journal-entries/",
    "purchase-orders/",
    "customer-prepayments/",
    "customer-prepayment-applications/",
    "customer-deposits/",
    "customer-refunds/",
    "customer-credits/",
    "cash-sales/",
    "customer-payments/",
    "vendor-payments/",
    "vendor-prepayments/",
    "vendor-prepayment-applications/",
    "vendor-credits/",
    "vendor-refunds/",
    "direct-expenses/",
    "bank-transfers/",
    "recurring/invoices/",
    "recurring/bills/",
    "recurring/journal-entries/",
    "intercompany-journal-entries/",
    "contracts/",
    "fixed-assets/",
    "paper-checks/",
    "customers/",
    "vendors/",
    "items/",
    "accounts/",
    "companies/",
    "classifications/",
    "classifications-lines/",
    "custom-fields/",
    "budgets/",
    "depreciation-books/",
    "vat-rates/",
    "gst-tax-rates/",
    "product-tax-codes/",
    "workflows/",
    "workflows/execution-states/",
    "workflows/actions/",
    "inbox/transactions/",
    "inbox/records/",
    "bank-match/suggestions/",
    "bank-match/bank-transactions/",
)
# Documented parameters deliberately not emulated (integration sources, access scoping).
NOT_EMULATED = {
    "integration_sources",
    "is_monetary",
    "parent_account_id",
    "financial_account_id",
    "no_financial_account",
    "should_sync_pending",
    "company_id_access",
    "exclude_mapped_to_other_companies",
    "transaction_id",
}


def test_the_catalogue_is_the_46_list_paths_with_snake_case_names():
    assert [spec.path for spec in CATALOGUE.values()] == list(PATHS)
    for name, spec in CATALOGUE.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", name)
        assert spec.name == name


@pytest.fixture(scope="module")
def emu(client):
    with Emulator(client.key, seed=5, rows={"customers": 10}) as emulator:
        yield emulator


def test_every_path_answers_on_v2_and_v1_serves_the_rest(emu, client):
    for name, spec in CATALOGUE.items():
        for version in ("v2", "v1"):
            reply = client.request(f"{emu.url}/public/{version}/{spec.path}", {"limit": 1})
            if version == "v1" and name in V2_ONLY:
                assert reply.status == 404, name
                continue
            assert reply.status == 200, (name, version, reply.body[:200])
            body = reply.json()
            assert set(body) == {"items", "count"} and len(body["items"]) <= 1
    assert {n for n, s in CATALOGUE.items() if "v1" not in s.versions} == V2_ONLY


@pytest.mark.skipif(not DIGEST.exists(), reason="the API digest is not available here")
def test_specs_agree_with_the_digest():
    digest = json.loads(DIGEST.read_text())["endpoints"]
    by_path = {f"/public/v2/{spec.path}": spec for spec in CATALOGUE.values()}
    assert set(by_path) == {e["path"] for e in digest}
    for entry in digest:
        spec = by_path[entry["path"]]
        assert list(spec.primary_key) == entry["primary_key"], spec.name
        if entry["ordering_default"] is None or "ordering" not in entry["query_params"]:
            assert not spec.ordering_param, spec.name
        else:
            assert spec.ordering_param and spec.default_ordering == entry["ordering_default"]
        has_status_filter = spec.record_statuses is not None and spec.record_status_param
        assert has_status_filter == entry["record_status_filter"], spec.name
        params = [re.sub(r"\[\]|\s.*", "", p) for p in entry["query_params"]]
        params += list(entry["date_filters"])
        ignored = {"ordering", "limit", "offset", "record_status", *NOT_EMULATED}
        if spec.name == "inbox_transactions":
            ignored.add("customer_id")  # the inbox item shows no customer id to filter on
        missing = [p for p in params if p not in spec.filters and p not in ignored]
        assert not missing, (spec.name, missing)
