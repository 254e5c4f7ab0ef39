"""Unit tests of the small pure parts: timestamps, record shaping, Retry-After, buckets."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import io
import json
import logging
import random
import signal
import threading
from types import SimpleNamespace

import msgspec
import pytest
from dualentry_emulator import Emulator
from singer_sdk.singerlib.encoding.simple import StateMessage

from tap_dualentry.catalogue import CATALOGUE, Endpoint, Replication, load_schema
from tap_dualentry.errors import RecordTypeError
from tap_dualentry.output import BUFFER_BYTES, SingerOutput
from tap_dualentry.pagination import Page, ReadAhead
from tap_dualentry.ratelimit import BucketSpec, RateLimiter
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.replication import PastBookmark, derive_timestamps
from tap_dualentry.retry import RetryPolicy, retry_after_seconds
from tap_dualentry.scheduler import sync_streams
from tap_dualentry.strategy import choose_strategy, is_newest_first
from tap_dualentry.timestamps import canonical, format_timestamp, parse_timestamp


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-04T05:06:07Z", "2025-03-04T05:06:07.000000Z"),
        ("2025-03-04T05:06:07.5Z", "2025-03-04T05:06:07.500000Z"),
        ("2025-03-04T00:06:07.123456-05:00", "2025-03-04T05:06:07.123456Z"),
        ("2025-03-04T10:36:07+05:30", "2025-03-04T05:06:07.000000Z"),
        ("2025-03-04T05:06:07", "2025-03-04T05:06:07.000000Z"),
        ("2025-03-04", None),
        ("2025-03-04T05:06:07.\u0665Z", None),  # a non-ASCII digit
        ("not a time", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_timestamps(raw, expected):
    assert canonical(raw) == expected


def test_canonical_form_sorts_as_time():
    values = ["2025-03-04T05:06:07Z", "2025-03-04T05:06:07.5Z", "2025-03-04T05:06:07.05+00:00"]
    as_text = sorted(canonical(v) for v in values)
    as_time = sorted(values, key=dt.datetime.fromisoformat)
    assert as_text == [canonical(v) for v in as_time]


def test_derived_timestamps_fall_back_and_tolerate_missing_actors():
    row = {"updated_by": None, "created_by": {"timestamp": "2025-01-01T00:00:00+01:00"}}
    derive_timestamps(row, actors=True)
    assert row["updated_at"] == row["created_at"] == "2024-12-31T23:00:00.000000Z"
    bare: dict = {}
    derive_timestamps(bare, actors=True)
    assert bare["updated_at"] is None and bare["created_at"] is None
    top = {
        "updated_at": "2025-01-02T00:00:00Z",
        "updated_by": {"timestamp": "2020-01-01T00:00:00Z"},
    }
    derive_timestamps(top, actors=True)
    assert top["updated_at"] == "2025-01-02T00:00:00.000000Z"


def test_a_pass_stops_only_after_a_run_of_old_rows():
    old, tie, new = "2025-01-01", "2025-02-01", "2025-03-01"
    need = PastBookmark.OLD_ROWS_TO_STOP
    past = PastBookmark(tie)
    assert not past.passed([{"updated_at": new}, {"updated_at": tie}])
    assert not past.passed([{"updated_at": old}] * (need - 1) + [{"updated_at": None}])
    assert past.passed([{"updated_at": old}])
    interrupted = PastBookmark(tie)
    # A system-edited row (old visible time) among new rows does not end the pass.
    assert not interrupted.passed([{"updated_at": old}] * (need - 1) + [{"updated_at": new}])
    assert not interrupted.passed([{"updated_at": tie}] * 50)


def test_newest_first_detection():
    newest_first = [{"updated_at": f"2025-01-{d:02d}"} for d in range(28, 0, -1)]
    assert is_newest_first(newest_first)
    with_system_edits = list(newest_first)
    with_system_edits[3] = {"updated_at": "2020-01-01"}
    assert is_newest_first(with_system_edits)
    assert not is_newest_first(list(reversed(newest_first)))


class _ListServer:
    """A list as a server that honours -updated_at or ignores it, for the strategy probe."""

    def __init__(
        self, rows: list[dict], default_order: list[int], *, honours: bool, created: int = 0
    ) -> None:
        self.rows = {row["id"]: row for row in rows}
        self.default_order = default_order
        self.honours = honours
        self.created = created  # rows created (on top) right after the first request
        self.asked: list[str | None] = []

    def params(self, ordering: str | None) -> list[tuple[str, str]]:
        return [] if ordering is None else [("ordering", ordering)]

    def _page(self, params: list[tuple[str, str]], limit: int) -> Page:
        ordering = dict(params).get("ordering")
        self.asked.append(ordering)
        order = self.default_order
        if ordering == "-updated_at" and self.honours:
            # By the server's hidden key: system edits put old visible times on top.
            order = sorted(self.rows, key=lambda pk: -self.rows[pk]["hidden"])
        rows = [dict(self.rows[pk]) for pk in order[:limit]]
        for n in range(self.created):
            pk = max(self.rows) + 1
            self.rows[pk] = {"id": pk, "hidden": 20_000 + n, "updated_at": "2025-02-01"}
            self.default_order = [pk, *self.default_order]
        self.created = 0
        return Page(rows=rows, count=len(self.rows))

    def peek(self, params: list[tuple[str, str]]) -> Page:
        return self._page(params, 1)

    def first_page(self, params: list[tuple[str, str]]) -> Page:
        return self._page(params, 20)

    def sample(self, params: list[tuple[str, str]]) -> Page:
        return self._page(params, 20)

    def derive(self, row: dict) -> None:
        pass


@pytest.mark.parametrize(
    ("honours", "default_order", "created"),
    [
        (True, "shuffled", 0),
        (False, "shuffled", 0),
        (False, "newest id first", 2),  # two rows created between the two requests
    ],
)
def test_a_page_out_of_time_order_is_taken_as_newest_first_only_if_the_server_reordered(
    honours, default_order, created
):
    # Visible times scrambled by system edits, and a default order that is not by id:
    # neither the times nor the ids of the first page tell whether -updated_at was used.
    draw = random.Random(5)
    ids = list(range(1, 401))
    hidden = draw.sample(range(10_000), len(ids))
    rows = [
        {"id": pk, "hidden": h, "updated_at": f"2025-01-{draw.randint(1, 28):02d}"}
        for pk, h in zip(ids, hidden, strict=True)
    ]
    order = draw.sample(ids, len(ids)) if default_order == "shuffled" else ids[::-1]
    server = _ListServer(rows, default_order=order, honours=honours, created=created)
    endpoint = Endpoint(
        name="journal_entries", path="journal-entries/", replication=Replication.PROBED_UPDATED_DESC
    )
    strategy = choose_strategy(
        endpoint, incremental=True, probe=server, logger=logging.getLogger("test")
    )
    assert strategy.early_stop is honours
    assert server.asked == ["-updated_at", None]  # then a page in the default order
    assert not is_newest_first(server.first_page([("ordering", "-updated_at")]).rows)


SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "amount": {"type": ["number", "null"]},
        "rate": {"type": "number"},
        "flag": {"type": "boolean"},
        "name": {"type": "string"},
        "address": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"city": {"type": "string"}},
        },
        "lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"qty": {"type": "number"}}},
        },
        "anything": {},
    },
}


def shaper(caplog=None):
    return RecordShaper("things", SCHEMA, SchemaDrift("things", logging.getLogger("test")))


def test_decimal_strings_become_exact_numbers():
    shaped = shaper()(
        {"id": 1, "amount": "100.10", "rate": "0.1234567890123456", "lines": [{"qty": "2.500000"}]}
    )
    assert shaped["amount"] == decimal.Decimal("100.10")
    assert str(shaped["amount"]) == "100.10"
    assert str(shaped["rate"]) == "0.1234567890123456"
    assert str(shaped["lines"][0]["qty"]) == "2.500000"


def test_lossless_conversions_only():
    shape = shaper()
    assert shape({"flag": "false"})["flag"] is False
    assert shape({"flag": "True"})["flag"] is True
    assert shape({"id": "42"})["id"] == 42
    assert shape({"name": 7})["name"] == "7"
    for bad in ({"flag": "maybe"}, {"amount": "12abc"}, {"id": "4.5"}, {"amount": True}):
        with pytest.raises(RecordTypeError) as error:
            shape(bad)
        value = next(iter(bad.values()))
        assert str(value) not in str(error.value).split("sent")[1]
        assert next(iter(bad)) in str(error.value)


def test_unknown_fields_are_dropped_and_reported_once(caplog):
    shape = shaper()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            shaped = shape({"id": 1, "surprise": 1, "address": {"city": "Oslo", "zone": "x"}})
    assert "surprise" not in shaped and shaped["address"] == {"city": "Oslo"}
    messages = [r.getMessage() for r in caplog.records]
    assert sum("'surprise'" in m for m in messages) == 1
    assert sum("'address.zone'" in m for m in messages) == 1


def test_nulls_and_missing_fields_are_tolerated(caplog):
    shape = shaper()
    assert shape({"address": None}) == {"address": None}
    assert shape({}) == {}
    with caplog.at_level(logging.WARNING):
        assert shape({"rate": None}) == {"rate": None}
    assert any("'rate'" in r.getMessage() for r in caplog.records)
    assert shape({"anything": {"x": [1]}}) == {"anything": {"x": [1]}}


def test_retry_after_in_seconds_and_http_date():
    now = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds({"Retry-After": "7"}, now) == 7
    assert retry_after_seconds({"Retry-After": "Wed, 01 Jan 2025 12:00:30 GMT"}, now) == 30
    assert retry_after_seconds({"Retry-After": "Wed, 01 Jan 2025 11:00:30 GMT"}, now) == 0
    assert retry_after_seconds({}, now) is None
    assert retry_after_seconds({"Retry-After": "soon"}, now) is None


def test_backoff_waits_are_capped():
    policy = RetryPolicy(fault_base_seconds=1, fault_cap_seconds=8)
    waits = policy.fault_waits()
    assert all(0 <= next(waits) <= 8 for _ in range(20))
    throttle = policy.rate_limit_waits()
    first = [next(throttle) for _ in range(10)]
    assert all(1 <= w <= 60 for w in first)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_token_buckets_pace_to_both_limits():
    clock = FakeClock()
    limiter = RateLimiter(BucketSpec(50, 5), BucketSpec(10, 1), clock=clock, sleep=clock.sleep)
    for _ in range(30):
        limiter.acquire("/a/")
    # 10 from the route's burst, then one per second.
    assert clock.now == pytest.approx(20.0)
    clock.now = 1000.0
    limiter = RateLimiter(BucketSpec(50, 5), BucketSpec(10, 1), clock=clock, sleep=clock.sleep)
    start = clock.now
    for n in range(100):
        limiter.acquire(f"/r{n % 10}/")
    # Ten routes: the aggregate bucket decides: 50 at once, then 5 per second.
    assert clock.now - start == pytest.approx(10.0)


def test_a_429_empties_the_buckets_and_holds():
    clock = FakeClock()
    limiter = RateLimiter(BucketSpec(50, 5), BucketSpec(10, 1), clock=clock, sleep=clock.sleep)
    limiter.acquire("/a/")
    limiter.throttled("/a/", retry_after=3.0)
    limiter.acquire("/a/")
    assert clock.now == pytest.approx(3.0)


def _variants(row: dict, rng: random.Random) -> list[dict]:
    """The row, and copies with one value somewhere replaced by something shaping must
    convert, drop, report or refuse."""
    paths: list[tuple[list, object]] = []

    def walk(value: object, path: list) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                paths.append(([*path, key], item))
                walk(item, [*path, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, [*path, index])

    walk(row, [])
    out = [row]
    odd = [None, True, 7, "12.50", "x", "false", decimal.Decimal("1.5"), [], {}, {"zz": 1}]
    for path, _ in rng.sample(paths, min(12, len(paths))):
        variant = copy.deepcopy(row)
        target = variant
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = rng.choice(odd)
        out.append(variant)
    extra = copy.deepcopy(row)
    extra["undeclared_field"] = 1
    return [*out, extra]


def test_rows_recognised_as_unchanged_are_shaped_as_python_shaping_would():
    """The C-level check (unchanged.py) only ever skips work: for every stream's rows and
    for variants of them, the record, the drift reported and any error are the same
    as shaping in Python alone gives."""
    rng = random.Random(3)
    emu = Emulator("k" * 12, seed=4)  # its tables only: no server
    decode = msgspec.json.Decoder(float_hook=decimal.Decimal).decode  # as the tap reads
    for endpoint in CATALOGUE:
        schema = load_schema(endpoint.name)
        rows = [decode(json.dumps(item)) for item in emu.table(endpoint.name).rows()[:40]]
        for row in rows:
            derive_timestamps(row, actors="updated_by" in schema["properties"])
        reports: dict[bool, list[tuple[str, str]]] = {True: [], False: []}
        shapers = {}
        for check, reported in reports.items():
            drift = SchemaDrift(endpoint.name, logging.getLogger("test"))
            drift.report = lambda kind, path, _, r=reported: r.append((kind, path))  # type: ignore[method-assign]
            shapers[check] = RecordShaper(endpoint.name, schema, drift, check_unchanged=check)
        variants = [v for row in rows[:3] for v in _variants(row, rng)] + rows[3:]
        for variant in variants:
            outcomes = []
            for check, shaper in shapers.items():
                reports[check].clear()
                try:
                    outcome: object = shaper(copy.deepcopy(variant))
                except RecordTypeError as error:
                    outcome = str(error)
                outcomes.append((json.dumps(outcome, default=repr), reports[check]))
            assert outcomes[0] == outcomes[1], endpoint.name


def test_canonical_text_shortcut_agrees_with_the_datetime_round_trip():
    rng = random.Random(5)
    for _ in range(20000):
        year = rng.choice([999, 1000, 1970, 2025, 9999])
        month, day = rng.choice([0, 1, 2, 12, 13]), rng.choice([0, 1, 28, 29, 30, 31, 32])
        hour, minute, second = (
            rng.choice([0, 23, 24]),
            rng.choice([0, 59, 60]),
            rng.choice([0, 59, 60]),
        )
        fraction = rng.choice(["", ".", ".1", ".123", ".12345", ".123456", ".1234567"])
        zone = rng.choice(["Z", "+00:00", "-00:00", "+01:00", "", "z", " Z", "+0000"])
        value = (
            f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"
        )
        try:
            expected: str | None = format_timestamp(parse_timestamp(value))
        except ValueError:
            expected = None
        assert canonical(value) == expected, value


class _CountingStream(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        self.writes += 1
        return super().write(data)


def test_output_is_written_in_chunks_and_everything_before_a_state_with_it():
    # Where Python's stdout is unbuffered (PYTHONUNBUFFERED), a write per record was a
    # system call per record.
    stream = _CountingStream()
    output = SingerOutput(stream=stream)
    record = {"id": 1, "name": "x" * 500}
    for _ in range(1000):
        output.write_record("things", record, 7)
    assert stream.writes <= 1000 * 600 // BUFFER_BYTES + 1
    output.write_message(StateMessage(value={"bookmarks": {}}))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1001 and lines[-1].startswith(b'{"type":"STATE"')
    assert all(json.loads(line)["record"] == record for line in lines[:-1])


def test_messages_from_other_threads_are_never_written_after_an_interrupted_parallel_run():
    stream = io.BytesIO()
    output = SingerOutput(stream=stream)
    with pytest.raises(KeyboardInterrupt), output.parallel() as messages:
        output.write_message(StateMessage(value={"bookmarks": {"a": {"n": 1}}}))
        messages.put(b'{"type":"RECORD","stream":"a","record":{"n":2}}\n')  # never drained
        raise KeyboardInterrupt
    # A worker finishing its pass afterwards: its STATE must not overtake the record
    # still queued, which nobody writes.
    worker = threading.Thread(
        target=output.write_message,
        args=(StateMessage(value={"bookmarks": {"a": {"n": 2}}}),),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=5)
    output.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and b'"n":1' in lines[0]


def test_threads_the_tap_starts_leave_stop_signals_to_the_main_thread():
    seen: list[set[signal.Signals]] = []

    def blocked() -> set[signal.Signals]:
        return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    class Stream:
        route = "r"

        def __init__(self, name: str) -> None:
            self.name = name
            self.stream_state: dict = {}

        def sync(self) -> None:
            seen.append(blocked())

        def finalize_state_progress_markers(self) -> None: ...

        def mark_state_changed(self) -> None: ...

        def report(self) -> SimpleNamespace:
            return SimpleNamespace(rows=0, requests=0)

    class Pacer:
        def expect(self, route: str, requests: float) -> None: ...

    output = SingerOutput(stream=io.BytesIO())
    sync_streams([Stream("a"), Stream("b")], output, pacer=Pacer())
    ahead = ReadAhead()
    ahead.start("k", blocked)
    seen.append(ahead.take("k"))
    assert signal.SIGTERM not in blocked()  # the main thread still receives them
    assert len(seen) == 3
    assert all({signal.SIGTERM, signal.SIGINT} <= mask for mask in seen)
