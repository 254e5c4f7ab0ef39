"""Server-side token buckets and the 429 answer in each Retry-After variant."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from dualentry_emulator import RateLimits


def _statuses(client, url, n):
    return [client.request(url).status for _ in range(n)]


def test_documented_limits():
    limits = RateLimits.documented()
    assert (limits.aggregate_burst, limits.aggregate_per_second) == (50, 5.0)
    assert (limits.route_burst, limits.route_per_second) == (10, 1.0)
    assert RateLimits.documented(scale=10).scale == 10


def test_route_bucket_then_429_with_retry_after_seconds(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(route_burst=3))
    url = emu.url_for("customers")
    assert _statuses(client, url, 3) == [200, 200, 200]
    reply = client.request(url)
    assert reply.status == 429
    assert reply.headers["retry-after"] == "1"
    assert reply.json()["success"] is False and list(reply.json()["errors"]) == ["__all__"]
    record = emu.requests[-1]
    assert (record.status, record.retry_after, record.fault) == (429, "1", None)


def test_retry_after_http_date(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(route_burst=1, retry_after="http_date"))
    url = emu.url_for("customers")
    assert client.request(url).status == 200
    reply = client.request(url)
    assert reply.status == 429
    when = parsedate_to_datetime(reply.headers["retry-after"])
    now = datetime.now(UTC)
    assert now - timedelta(seconds=1) <= when <= now + timedelta(seconds=3)
    assert emu.requests[-1].retry_after == reply.headers["retry-after"]


def test_retry_after_none_sends_no_header(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(route_burst=1, retry_after="none"))
    url = emu.url_for("customers")
    client.request(url)
    reply = client.request(url)
    assert reply.status == 429 and "retry-after" not in reply.headers
    assert emu.requests[-1].retry_after is None


def test_rejected_requests_consume_no_token(make_emulator, client):
    # 2 tokens, one more every 2 s: slow enough that a loaded machine cannot refill the
    # bucket while the rejected requests are made.
    emu = make_emulator(rate_limits=RateLimits(route_burst=2, route_per_second=0.5))
    url = emu.url_for("customers")
    assert _statuses(client, url, 2) == [200, 200]
    started = time.monotonic()
    assert set(_statuses(client, url, 5)) == {429}
    # Had the rejections taken tokens, the bucket would still be empty 2 s from now.
    time.sleep(max(0.0, 2.2 - (time.monotonic() - started)))
    assert client.request(url).status == 200


def test_v1_and_v2_are_separate_routes_and_health_is_limited(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(route_burst=2))
    v1, v2 = emu.url_for("customers", "v1"), emu.url_for("customers", "v2")
    assert _statuses(client, v1, 3) == [200, 200, 429]
    assert _statuses(client, v2, 2) == [200, 200]
    health = emu.url_for("health")
    assert _statuses(client, health, 3) == [200, 200, 429]


def test_aggregate_bucket_spans_routes(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(aggregate_burst=3, route_burst=10))
    assert _statuses(client, emu.url_for("customers", "v1"), 2) == [200, 200]
    assert client.request(emu.url_for("customers", "v2")).status == 200
    assert client.request(emu.url_for("health")).status == 429
    emu.reset_rate_limits()
    assert client.request(emu.url_for("health")).status == 200


def test_every_429_is_logged(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(route_burst=1))
    _statuses(client, emu.url_for("customers"), 4)
    assert [r.status for r in emu.requests] == [200, 429, 429, 429]


def test_unauthenticated_requests_do_not_touch_the_buckets(make_emulator, client):
    emu = make_emulator(rate_limits=RateLimits(route_burst=1))
    url = emu.url_for("customers")
    assert {client.request(url, key=None).status for _ in range(3)} == {401}
    assert client.request(url).status == 200


@pytest.mark.parametrize("bad", [{"route_burst": 0}, {"scale": 0}, {"retry_after": "never"}])
def test_invalid_limits_are_refused(bad):
    with pytest.raises(ValueError):
        RateLimits(**bad)
