"""``--probe`` against the emulator in several behaviour profiles: each behaviour reported
right, at most three requests per endpoint, no key and no data value in the report, and
the report loads back into the emulator as the same behaviour."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest
from dualentry_emulator import Behaviour, FaultPlan, behaviour_from_report
from harness import API_KEY, base_config, run_cli

from tap_dualentry.catalogue import CUSTOMERS, load_schema
from tap_dualentry.pagination import Page
from tap_dualentry.probe import EndpointFindings, _examine_page

ALL = ("draft", "posted", "archived")
PROFILES = {
    "emulator defaults": Behaviour(),
    "strict": Behaviour(
        page_cap=37,
        updated_ordering="reject",
        refused_orderings=("id",),
        hide_closed_statuses=True,
        default_record_statuses=ALL,
        updated_after_filter=True,
        timestamp_style="utc",
    ),
    "loose": Behaviour(
        updated_ordering="ignore", timestamp_style="offsets", actions_created_filter=False
    ),
}
# What the probe can tell, and so what a profile loaded from its report reproduces.
REPRODUCED = (
    "page_cap",
    "updated_ordering",
    "refused_orderings",
    "hide_closed_statuses",
    "default_record_statuses",
    "updated_after_filter",
    "actions_created_filter",
    "timestamp_style",
)


def probe(emulator, tmp_path, behaviour, *args):
    emu = emulator(rows={"customers": 120, "contracts": 60}, behaviour=behaviour)
    run = run_cli(base_config(emu), tmp_path, "--probe", *args)
    assert run.exit_code == 0, run.stderr[-2000:]
    return emu, run


def data_values(emu) -> set[str]:
    """Every string value of the first rows of every list the probe read (not field names)."""
    values: set[str] = set()

    def collect(value):
        if isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, str) and len(value) >= 8 and not value.isidentifier():
            values.add(value)

    for name in ("customers", "vendors", "invoices", "contracts", "items", "companies"):
        for row in emu.table(name).rows()[:100]:
            collect(row)
    return values


@pytest.mark.parametrize(
    "profile",
    [
        name if name == "emulator defaults" else pytest.param(name, marks=pytest.mark.thorough)
        for name in sorted(PROFILES)
    ],
)
def test_the_probe_reports_each_behaviour(emulator, tmp_path, profile):
    behaviour = PROFILES[profile]
    emu, run = probe(emulator, tmp_path, behaviour, "--format", "json")
    report = json.loads(run.raw)
    found = report["endpoints"]
    assert len(found) == 46
    per_endpoint = Counter(r.endpoint for r in emu.requests)
    assert max(per_endpoint.values()) <= 3, per_endpoint.most_common(3)
    assert report["requests"] == sum(per_endpoint.values())

    assert found["invoices"]["updated_after"] == (
        "honoured" if behaviour.updated_after_filter else "ignored"
    )
    # Approval actions are read since their creation: their filter is probed, not an order.
    assert found["workflow_actions"]["start_date_filter"] == (
        "honoured" if behaviour.actions_created_filter else "ignored"
    )
    assert found["workflow_actions"]["newest_first"] is None
    expected_order = {"accept": "honoured", "reject": "refused", "ignore": "ignored"}
    assert found["purchase_orders"]["newest_first"] == expected_order[behaviour.updated_ordering]
    assert found["customers"]["newest_first"] == "honoured"  # documented: always
    assert found["contracts"]["ordering_id"] == (
        "refused" if behaviour.refused_orderings else "accepted"
    )
    assert found["contracts"]["default_hides_rows"] is behaviour.hide_closed_statuses
    assert found["vendors"]["default_hides_rows"] is (
        set(behaviour.default_record_statuses) != set(ALL)
    )
    assert found["customers"]["page_cap"] == (37 if behaviour.page_cap == 37 else 100)
    assert found["customers"]["count_consistent"] is None  # more rows than one page
    # 60 contracts fit in a page: counted and listed must agree, unless pages are capped
    # below that (which one page cannot tell from a count too high).
    assert found["contracts"]["count_consistent"] is (behaviour.page_cap > 60)
    assert not any(f["unknown_fields"] or f["type_mismatches"] for f in found.values())

    loaded = behaviour_from_report(report)
    for name in REPRODUCED:
        assert getattr(loaded, name) == getattr(behaviour, name), name

    assert API_KEY not in run.raw + run.stderr
    leaked = [value for value in data_values(emu) if value in run.raw]
    assert not leaked, leaked[:5]


def test_the_text_report_reads_and_holds_no_secret(emulator, tmp_path):
    emu, run = probe(emulator, tmp_path, PROFILES["strict"])
    text = run.raw
    assert text.startswith("tap-dualentry probe of ")
    assert "purchase_orders: " in text and "-updated_at refused" in text
    assert "page cap: 37 rows" in text and "ordering=id refused" in text
    assert "no API key and no values from the data" in text
    assert API_KEY not in text + run.stderr
    assert not [value for value in data_values(emu) if value in text]


def test_fields_types_and_nulls_the_schema_does_not_expect_are_named():
    schema = load_schema("customers")
    rows = [
        {"id": 1, "name": "A", "is_active": True, "loyalty_tier": "gold"},
        {"id": 2, "name": None, "is_active": {"since": "2024"}},
        {"id": 3, "name": "C", "is_active": False, "email": "c@example.com"},
    ]
    found = EndpointFindings("customers")
    _examine_page(
        Page(rows=rows, count=3),
        CUSTOMERS,
        schema,
        found,
        logging.getLogger("t"),
        newest_first=False,
    )
    assert found.unknown_fields == ["loyalty_tier"]
    assert found.type_mismatches == ["is_active: schema boolean, sent object"]
    assert found.nulls_in_required == ["name"]
    assert "website" in found.missing_fields and "email" not in found.missing_fields
    assert found.count_consistent is True


def test_rate_limit_headers_are_named_and_waited_out(emulator, tmp_path):
    emu = emulator(
        rows={"customers": 50},
        faults=FaultPlan(seed=4, rate_limited=0.1, retry_after_seconds=0.1),
    )
    run = run_cli(base_config(emu), tmp_path, "--probe", "--format", "json")
    assert run.exit_code == 0, run.stderr[-2000:]
    report = json.loads(run.raw)
    assert any(r.status == 429 for r in emu.requests)
    assert "retry-after" in report["rate_limit_headers"]
    assert all(f["available"] for f in report["endpoints"].values())


def test_an_inexact_count_is_reported_as_such_and_no_row_count_leaks(emulator, tmp_path):
    _, run = probe(emulator, tmp_path, Behaviour(count_skew=7), "--format", "json")
    found = json.loads(run.raw)["endpoints"]
    assert found["contracts"]["count_consistent"] is False
    # A page shorter than its count within one page is not called a cap: that would
    # print how many rows the list has.
    assert {f["page_cap"] for f in found.values()} <= {None, 100}


def test_one_failing_endpoint_leaves_the_rest_of_the_report(emulator, tmp_path):
    emu = emulator(rows={"customers": 50}, faults=FaultPlan(persistent={"vendors": 503}))
    run = run_cli(base_config(emu), tmp_path, "--probe", "--format", "json")
    assert run.exit_code == 0, run.stderr[-2000:]
    report = json.loads(run.raw)
    vendors = report["endpoints"]["vendors"]
    assert vendors["available"] is False and vendors["refused"] == "HTTP 503"
    assert sum(1 for r in emu.requests if r.endpoint == "vendors") == 3
    assert all(f["available"] for name, f in report["endpoints"].items() if name != "vendors")
    assert report["requests"] == len(emu.requests)
