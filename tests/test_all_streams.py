"""Every DualEntry list endpoint as a stream: coverage, schema validity, exact
decimals, line items, rows hidden by default, and the replication each chooses."""

from __future__ import annotations

import json
import math
from collections import Counter
from decimal import Decimal

import pytest
from dualentry_emulator import CATALOGUE as SERVED
from dualentry_emulator import Behaviour, Emulator
from harness import API_KEY, VirtualClock, base_config, list_requests, run_tap
from jsonschema import Draft7Validator, FormatChecker

from tap_dualentry.catalogue import CATALOGUE, load_schema
from tap_dualentry.settings import DEFAULT_FIELD_ALIASES
from tap_dualentry.tap import TapDualEntry

V2_ONLY = {
    "depreciation_books",
    "intercompany_journal_entries",
    "bank_match_suggestions",
    "bank_transactions",
    "vat_rates",
    "gst_tax_rates",
    "product_tax_codes",
}


def test_every_list_endpoint_has_a_stream():
    ours = {endpoint.name: endpoint for endpoint in CATALOGUE}
    assert len(ours) == 46
    assert set(ours) == set(SERVED)
    for name, spec in SERVED.items():
        assert ours[name].path == spec.path, name
        assert tuple(ours[name].primary_keys) == tuple(spec.primary_key), name
        assert ours[name].v1 == ("v1" in spec.versions), name
    assert {name for name, e in ours.items() if not e.v1} == V2_ONLY


@pytest.fixture(scope="module")
def full_run():
    with Emulator(API_KEY, seed=17) as emu:
        run = run_tap(base_config(emu))
        tables = {name: emu.table(name).rows() for name in SERVED}
        requests = list(emu.requests)
    return run, tables, requests


def test_all_streams_sync_and_every_record_matches_its_schema(full_run):
    run, tables, _ = full_run
    assert run.exit_code == 0
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert set(SERVED) <= set(schemas)
    problems = Counter()
    for message in run.messages:
        if message["type"] != "RECORD":
            continue
        validator = Draft7Validator(schemas[message["stream"]], format_checker=FormatChecker())
        for error in validator.iter_errors(message["record"]):
            problems[(message["stream"], error.json_path, error.message[:60])] += 1
    assert not problems, problems.most_common(10)
    for name, rows in tables.items():
        delivered = run.records(name)
        assert len(delivered) == len(rows), name


def test_every_field_arrives_as_the_api_sent_it(full_run):
    """Field for field, decimals to the last digit (16 fractional digits included)."""
    run, tables, _ = full_run
    decoded = [json.loads(line, parse_float=Decimal) for line in run.raw.splitlines()]
    long_decimals = 0
    for endpoint in CATALOGUE:
        keys = endpoint.primary_keys
        aliases = DEFAULT_FIELD_ALIASES.get(endpoint.name, {})
        rows = {tuple(row[k] for k in keys): row for row in tables[endpoint.name]}
        for message in decoded:
            if message["type"] != "RECORD" or message["stream"] != endpoint.name:
                continue
            record = message["record"]
            row = rows[tuple(record[k] for k in keys)]
            # Fields written under another name (settings.field_aliases) keep their value.
            row = {aliases.get(field, field): value for field, value in row.items()}
            for field, value in row.items():
                if isinstance(value, str) and _is_decimal(value):
                    number = record[field]
                    if isinstance(number, Decimal):
                        # The exact digits, trailing zeros included.
                        assert format(number, "f") == value, (endpoint.name, field)
                        long_decimals += len(value.split(".")[-1]) == 16
                        continue
                if field in ("updated_at", "created_at") and field not in record:
                    continue
                if field not in ("updated_at", "created_at"):
                    assert _plain(record[field]) == _plain(value), (endpoint.name, field)
    assert long_decimals > 100


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return any(ch.isdigit() for ch in text) and text.strip() == text


def _plain(value):
    """Compare nested values with decimal strings and exact numbers as equal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):  # a JSON number in the API (customer_deposits[].amount)
        return repr(value)
    return value


def test_line_streams_hold_every_line_once(full_run):
    run, tables, _ = full_run
    for endpoint in CATALOGUE:
        parents = {
            tuple(r[k] for k in endpoint.primary_keys): r for r in run.records(endpoint.name)
        }
        for lines in endpoint.lines:
            child = endpoint.child_name(lines)
            records = run.records(child)
            expected = sum(len(row.get(lines.field) or []) for row in tables[endpoint.name])
            assert len(records) == expected, child
            schema = load_schema(child)
            key_fields = [f"parent_{k}" for k in endpoint.primary_keys] + [
                lines.key or "line_index"
            ]
            keys = [tuple(r[k] for k in key_fields) for r in records]
            assert len(set(keys)) == len(keys), child
            assert "parent_updated_at" in schema["properties"]
            for record in records:
                parent = parents[tuple(record[f"parent_{k}"] for k in endpoint.primary_keys)]
                assert record["parent_updated_at"] == parent.get("updated_at"), child


def test_rows_hidden_by_default_are_asked_for(full_run):
    run, tables, requests = full_run
    inactive = [r for r in tables["items"] if not r["is_active"]]
    assert inactive and len(run.records("items")) == len(tables["items"])
    expired = [r for r in tables["bank_transactions"] if r.get("is_expired")]
    assert expired and len(run.records("bank_transactions")) == len(tables["bank_transactions"])
    item_queries = [r.query for r in requests if r.endpoint == "items"]
    assert all(("show_inactive", "true") in q for q in item_queries)


def test_v1_serves_the_documented_subset(emulator):
    emu = emulator(rows={"customers": 40, "invoices": 40})
    run = run_tap(base_config(emu, api_version="v1"), streams=["customers", "invoices"])
    assert run.exit_code == 0
    assert {r.path for r in emu.requests} == {"/public/v1/customers/", "/public/v1/invoices/"}
    v1 = TapDualEntry(config=base_config(emu, api_version="v1"), validate_config=False)
    parents = {name for name, s in v1.streams.items() if not s.parent_stream_type}
    assert parents == set(SERVED) - V2_ONLY


def requests_to(emu, endpoint):
    return [r for r in emu.requests if r.endpoint == endpoint]


def test_newest_first_is_probed_and_the_probe_page_reused(emulator):
    emu = emulator(rows={"purchase_orders": 450})
    run = run_tap(base_config(emu), streams=["purchase_orders"])
    queries = [dict(r.query) for r in requests_to(emu, "purchase_orders")]
    assert queries[0]["ordering"] == "-updated_at" and queries[0]["offset"] == "0"
    assert len(queries) == math.ceil((450 - 1) / 99)  # no request spent on the probe
    assert len(run.records("purchase_orders")) == 450
    emu.clear_requests()
    table = emu.table("purchase_orders")
    for pk in table.ids()[:5]:
        table.edit(pk)
    again = run_tap(base_config(emu), streams=["purchase_orders"], state=run.state)
    assert len(requests_to(emu, "purchase_orders")) == 1
    assert set(table.ids()[:5]) <= {r["internal_id"] for r in again.records("purchase_orders")}


def test_newest_first_is_recognised_when_system_edits_crowd_the_top(emulator):
    # System edits move the server's sort key, not the visible times: where they crowd
    # the top of a list, its first newest-first page looks unsorted by visible time, but
    # it does not start with the row the server's default order starts with.
    emu = emulator(rows={"journal_entries": 400}, behaviour=Behaviour(disagreeing_fraction=0.5))
    config = base_config(emu, page_size=10)
    first = run_tap(config, streams=["journal_entries"])
    assert len(first.records("journal_entries")) == 400
    orderings = {dict(r.query).get("ordering") for r in requests_to(emu, "journal_entries")}
    # The probe of updated_after is in id order; one row in the default order (None)
    # settles whether the out-of-order page answered -updated_at.
    assert orderings == {"-updated_at", "id", None}
    table = emu.table("journal_entries")
    edited = table.ids()[100:103]
    for pk in edited:
        table.edit(pk)
    emu.clear_requests()
    second = run_tap(config, streams=["journal_entries"], state=first.state)
    # Past the bookmark after 20 old rows: a few pages of 10, not the 45 of the list.
    assert len(requests_to(emu, "journal_entries")) <= 5
    assert set(edited) <= {r["internal_id"] for r in second.records("journal_entries")}


@pytest.mark.parametrize("answer", ["reject", "ignore"])
def test_without_newest_first_a_full_table_in_id_order(emulator, answer):
    emu = emulator(rows={"purchase_orders": 300}, behaviour=Behaviour(updated_ordering=answer))
    run = run_tap(base_config(emu), streams=["purchase_orders"])
    assert sorted(r["internal_id"] for r in run.records("purchase_orders")) == sorted(
        emu.table("purchase_orders").ids()
    )
    orderings = [dict(r.query).get("ordering") for r in requests_to(emu, "purchase_orders")]
    assert orderings[0] == "-updated_at"  # the probe, at most one request
    assert set(orderings[1:]) == {"id"}
    assert "ACTIVATE_VERSION" in run.types("purchase_orders")


def test_an_ignored_updated_after_filter_costs_one_request(emulator):
    emu = emulator(rows={"invoices": 300})
    run_tap(base_config(emu), streams=["invoices"])
    queries = [dict(r.query) for r in requests_to(emu, "invoices")]
    assert queries[0]["updated_after"].startswith("2999") and queries[0]["limit"] == "1"
    assert all("updated_after" not in q for q in queries[1:])
    assert queries[1]["ordering"] == "-updated_at"
    assert len(queries) == 1 + math.ceil((300 - 1) / 99)


def test_an_honoured_updated_after_filter_is_used(emulator):
    emu = emulator(rows={"invoices": 600}, behaviour=Behaviour(updated_after_filter=True))
    first = run_tap(base_config(emu), streams=["invoices"])
    assert len(first.records("invoices")) == 600
    table = emu.table("invoices")
    edited = table.ids()[100:130]
    for pk in edited:
        table.edit(pk)
    emu.clear_requests()
    second = run_tap(base_config(emu), streams=["invoices"], state=first.state)
    queries = [dict(r.query) for r in requests_to(emu, "invoices")]
    # The first run's probe is remembered: no probe this time.
    assert all("updated_after" in q and not q["updated_after"].startswith("2999") for q in queries)
    assert set(edited) <= {r["internal_id"] for r in second.records("invoices")}
    assert len(queries) <= math.ceil(30 / 99) + 1


@pytest.mark.parametrize("honoured", [True, False])
def test_a_filter_probe_is_remembered_for_a_week(emulator, honoured):
    emu = emulator(rows={"invoices": 150}, behaviour=Behaviour(updated_after_filter=honoured))
    clock = VirtualClock()
    # Reconciliation's weekly full pass would add its pages on the stream's day.
    config = {**base_config(emu), "reconciliation": False}
    state = None
    probes = []
    for days in (0, 1, 6, 8):
        clock.advance(days * 86400 - clock.monotonic())
        emu.clear_requests()
        run = run_tap(config, streams=["invoices"], state=state, clock=clock)
        assert run.exit_code == 0
        state = run.state
        queries = [dict(r.query) for r in requests_to(emu, "invoices")]
        probes.append(sum(q.get("updated_after", "").startswith("2999") for q in queries))
        # Nothing changed after the first run: one request, whichever way it filters.
        assert days == 0 or len(queries) == 1 + probes[-1]
    assert probes == [1, 0, 0, 1]
    # The answer belongs to the server that gave it: another one is asked again.
    other = emulator(rows={"invoices": 150}, behaviour=Behaviour(updated_after_filter=honoured))
    run = run_tap({**config, "api_url": other.url}, streams=["invoices"], state=state, clock=clock)
    assert run.exit_code == 0
    asked = [dict(r.query) for r in requests_to(other, "invoices")]
    assert sum(q.get("updated_after", "").startswith("2999") for q in asked) == 1


def test_approval_actions_are_read_in_full_where_their_date_filter_is_ignored(emulator):
    emu = emulator(
        rows={"workflow_actions": 250}, behaviour=Behaviour(actions_created_filter=False)
    )
    table = emu.table("workflow_actions")
    first = run_tap(base_config(emu), streams=["workflow_actions"])
    assert len(first.records("workflow_actions")) == 250
    new = table.insert(3)
    emu.clear_requests()
    second = run_tap(base_config(emu), streams=["workflow_actions"], state=first.state)
    # The ignored filter is remembered: no probe, every page, every row, deletes retired.
    queries = [dict(r.query) for r in requests_to(emu, "workflow_actions")]
    assert len(queries) == 3 and not any("start_date" in q for q in queries)
    assert sorted(r["id"] for r in second.records("workflow_actions")) == sorted(table.ids())
    assert set(new) <= set(table.ids())
    assert "ACTIVATE_VERSION" in second.types("workflow_actions")


def test_approval_actions_are_read_since_their_bookmark(emulator):
    emu = emulator(rows={"workflow_actions": 450})
    table = emu.table("workflow_actions")
    first = run_tap(base_config(emu), streams=["workflow_actions"])
    assert len(first.records("workflow_actions")) == 450
    assert "ACTIVATE_VERSION" in first.types("workflow_actions")
    assert all(r["updated_at"] is not None for r in first.records("workflow_actions"))
    emu.clear_requests()
    unchanged = run_tap(base_config(emu), streams=["workflow_actions"], state=first.state)
    queries = [dict(r.query) for r in requests_to(emu, "workflow_actions")]
    assert len(queries) == 1 and "start_date" in queries[0]
    assert len(unchanged.records("workflow_actions")) < 10  # the lookback's few rows at most
    new = table.insert(5)
    emu.clear_requests()
    second = run_tap(base_config(emu), streams=["workflow_actions"], state=unchanged.state)
    assert len(requests_to(emu, "workflow_actions")) == 1
    assert set(new) <= {r["id"] for r in second.records("workflow_actions")}
    bookmark = second.bookmark("workflow_actions")["replication_key_value"]
    assert bookmark == max(r["updated_at"] for r in second.records("workflow_actions"))


def test_company_ids_apply_to_every_endpoint_that_takes_them(emulator):
    emu = emulator(rows={"invoices": 120, "vendors": 60, "accounts": 30})
    run = run_tap(base_config(emu, company_ids=[2]), streams=["invoices", "vendors", "accounts"])
    assert all(("company_id", "2") in r.query for r in list_requests(emu, "invoices"))
    # Vendors of no company have a pass of their own: the company filter may leave them out.
    companies = [
        [v for n, v in r.query if n == "company_id"] for r in list_requests(emu, "vendors")
    ]
    assert sorted(companies) == [[], ["2"]]
    vendors = emu.table("vendors")
    expected = {pk for pk in vendors.ids() if vendors.company_id(pk) in (2, None)}
    assert sorted(r["id"] for r in run.records("vendors")) == sorted(expected)
    # company_id on accounts selects bank and card accounts only: never sent there.
    assert all(
        not any(name == "company_id" for name, _ in r.query) for r in list_requests(emu, "accounts")
    )


def test_the_probe_page_is_reused_only_for_the_request_it_answers(emulator):
    # page_size 1: every request asks for two rows (one overlaps the page before). A
    # probe page fetched with limit 1 and served to the reader's limit-2 request would
    # look like a server capping pages at one row, and the reader would give up its
    # overlap check: then a row deleted behind the reader shifts the list and one row
    # slides past unread, for good (the count still matches: one row fewer).
    emu = emulator(rows={"purchase_orders": 30})
    table = emu.table("purchase_orders")
    # The server's order: its hidden updated column, ties by primary key, newest first.
    newest_first = sorted(table.ids(), key=lambda pk: (table.hidden_key(pk), pk), reverse=True)

    def delete_a_row_already_read(endpoint, query, index):
        if query.get("offset") == ["5"] and newest_first[0] in table.ids():
            table.delete(newest_first[0])

    emu.before_list(delete_a_row_already_read)
    run = run_tap(base_config(emu, page_size=1), streams=["purchase_orders"])
    assert run.exit_code == 0
    limits = {dict(r.query)["limit"] for r in requests_to(emu, "purchase_orders")}
    assert limits == {"2"}
    got = {r["internal_id"] for r in run.records("purchase_orders")}
    assert set(table.ids()) <= got, f"lost: {sorted(set(table.ids()) - got)}"
