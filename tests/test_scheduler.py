"""The run's schedule: every stream in flight, the longest first, the pacer serving the
route with the most work left whenever the key's budget is short."""

from __future__ import annotations

import logging
import threading

from dualentry_emulator import FaultPlan
from harness import API_KEY, base_config, list_requests, run_tap

from tap_dualentry.api import DualEntryClient
from tap_dualentry.pass_reader import PageSource
from tap_dualentry.ratelimit import BucketSpec, RateLimiter
from tap_dualentry.retry import RetryPolicy


class SimulatedTime:
    """A clock for threads that moves only when every worker is asleep, straight to the
    earliest wake-up: a schedule measured in it depends on the pacing alone, never on
    how fast this machine runs the threads."""

    def __init__(self, workers: int) -> None:
        self._condition = threading.Condition()
        self._running = workers
        self._wakeups: list[list[float | bool]] = []
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._condition:
            entry: list[float | bool] = [self.now + max(seconds, 0.0), False]
            self._wakeups.append(entry)
            self._running -= 1
            self._advance_if_idle()
            while not entry[1]:
                self._condition.wait()

    def done(self) -> None:
        with self._condition:
            self._running -= 1
            self._advance_if_idle()

    def _advance_if_idle(self) -> None:
        if self._running or not self._wakeups:
            return
        self.now = max(self.now, min(float(wake) for wake, _ in self._wakeups))
        for entry in [e for e in self._wakeups if float(e[0]) <= self.now + 1e-12]:
            entry[1] = True
            self._wakeups.remove(entry)
            self._running += 1
        self._condition.notify_all()


def _send_all(limiter, time, routes, expecting):
    sent: dict[str, list[float]] = {route: [] for route in routes}

    def send(route: str, requests: int) -> None:
        try:
            for done in range(requests):
                if route in expecting:
                    limiter.expect(route, requests - done)
                limiter.acquire(route)
                sent[route].append(time.now)
        finally:
            time.done()

    threads = [threading.Thread(target=send, args=item) for item in routes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sent


def test_the_route_with_most_work_left_never_waits_while_shorter_ones_fill_the_gaps():
    # The key allows 3 requests/s, each route 1/s. One route has 40 requests to send,
    # five others 12 each: 100 in all. The run cannot end before the long route's
    # last token (39 s after its first, past its burst of one); the aggregate bucket
    # alone would allow (100 - 3) / 3 = 32.3 s. Served first come, first served, the
    # six routes would share 3/s and the long one would end near 52 s.
    routes = {"/long/": 40, **{f"/short-{n}/": 12 for n in range(5)}}
    time = SimulatedTime(workers=len(routes))
    limiter = RateLimiter(
        BucketSpec(burst=3, per_second=3.0),
        BucketSpec(burst=1, per_second=1.0),
        clock=time.monotonic,
        sleep=time.sleep,
    )
    sent = _send_all(limiter, time, routes, expecting=set(routes))
    assert all(len(sent[route]) == count for route, count in routes.items())
    assert sent["/long/"][-1] <= 39.0 + 1e-6
    # One token a second for the long route, from its first to its last.
    gaps = [b - a for a, b in zip(sent["/long/"], sent["/long/"][1:], strict=False)]
    assert max(gaps) <= 1.0 + 1e-6
    # The short routes used what was left and finished before it.
    assert max(times[-1] for route, times in sent.items() if route != "/long/") < 39.0


def test_a_route_that_has_not_said_how_much_it_has_goes_first():
    # Its first page tells its size: until then it may be the longest of all.
    routes = {**{f"/known-{n}/": 20 for n in range(4)}, "/new/": 2}
    time = SimulatedTime(workers=len(routes))
    limiter = RateLimiter(
        BucketSpec(burst=1, per_second=2.0),
        BucketSpec(burst=1, per_second=1.0),
        clock=time.monotonic,
        sleep=time.sleep,
    )
    sent = _send_all(limiter, time, routes, expecting=set(routes) - {"/new/"})
    assert all(len(sent[route]) == count for route, count in routes.items())
    assert sent["/new/"][0] <= 1.0


def test_every_selected_stream_is_in_flight_with_default_settings(emulator):
    streams = ["customers", "vendors", "items", "invoices", "bills", "journal_entries", "accounts"]
    emu = emulator(rows=dict.fromkeys(streams, 300), faults=FaultPlan(latency_seconds=0.05))
    run = run_tap(base_config(emu, page_size=20), streams=streams)
    assert run.exit_code == 0
    first = {}
    last = {}
    for request in emu.requests:
        first.setdefault(request.endpoint, request.monotonic)
        last[request.endpoint] = request.monotonic
    assert set(first) == set(streams)
    # Each stream needs 16 pages at 50 ms or more: none has finished before the last
    # one started (a fixed pool of five workers starts the sixth after one finishes).
    assert max(first.values()) < min(last.values())


def test_a_capped_run_starts_with_the_streams_that_cost_most_last_time(emulator):
    emu = emulator(rows={"invoices": 50, "customers": 900, "items": 400})
    config = base_config(emu, max_parallel_streams=1)
    streams = ["invoices", "customers", "items"]
    first = run_tap(config, streams=streams)
    assert first.exit_code == 0
    cost = {name: first.bookmark(name)["last_run"] for name in streams}
    assert cost["customers"] == {"rows": 900, "requests": len(list_requests(emu, "customers"))}
    assert cost["customers"]["requests"] > cost["items"]["requests"] > cost["invoices"]["requests"]
    emu.clear_requests()
    second = run_tap(config, streams=streams, state=first.state)
    assert second.exit_code == 0
    order = list(dict.fromkeys(request.endpoint for request in emu.requests))
    assert order == ["customers", "items", "invoices"]


class _RecordingPacer:
    def __init__(self) -> None:
        self.expected: list[tuple[str, float]] = []

    def expect(self, route: str, requests: float) -> None:
        self.expected.append((route, requests))

    def acquire(self, route: str) -> None:
        del route

    def settle(self) -> None:
        pass

    def throttled(self, route: str, retry_after: float | None) -> None:
        del route, retry_after

    def expected_interval(self) -> float:
        return 0.0


def test_each_page_tells_the_pacer_how_many_requests_its_list_still_needs(emulator):
    emu = emulator(rows={"customers": 250})
    pacer = _RecordingPacer()
    client = DualEntryClient(
        api_url=emu.url,
        api_key=API_KEY,
        user_agent="test",
        timeout=10,
        pacer=pacer,  # type: ignore[arg-type]
        policy=RetryPolicy(max_tries=1, max_rate_limit_wait=0),
        logger=logging.getLogger("test"),
        stream_name="customers",
        sleep=lambda _: None,
    )
    path = "/public/v2/customers/"
    pages = PageSource(client, path)
    every = [("record_status", status) for status in ("draft", "posted", "archived")]
    pages.fetch(every, 0, 1)  # a probe says nothing
    for offset in (0, 99, 198):
        pages.fetch(every, offset, 100)
    # 250 rows, 99 new rows a page after the first: 150 left, then 51, then none.
    assert pacer.expected == [(path, 150 / 99), (path, 51 / 99), (path, 0.0)]
