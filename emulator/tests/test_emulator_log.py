"""The request log: what it records, and that it never holds the key."""

from __future__ import annotations

import logging
import time

from dualentry_emulator import Emulator


def test_records_describe_each_request(make_emulator, client):
    emu = make_emulator()
    before = time.monotonic()
    client.customers(emu, [("limit", "5"), ("company_id", "1"), ("company_id", "2")])
    client.request(emu.url_for("customers"), key=None)
    client.request(emu.url_for("customers"), key="nope")
    client.request(emu.url + "/public/v1/elsewhere/")
    first, missing, wrong, unknown = emu.requests
    assert first.index == 0 and first.method == "GET" and first.path == "/public/v1/customers/"
    assert first.query == [("limit", "5"), ("company_id", "1"), ("company_id", "2")]
    assert (first.key_matched, first.status, first.endpoint, first.fault) == (
        True,
        200,
        "customers",
        None,
    )
    assert first.monotonic >= before and first.wall > 1e9
    assert (missing.key_matched, missing.status) == (None, 401)
    assert (wrong.key_matched, wrong.status) == (False, 403)
    assert (unknown.endpoint, unknown.status) == (None, 404)
    emu.clear_requests()
    assert emu.requests == []
    client.customers(emu)
    assert emu.requests[0].index == 4  # indices keep counting


def test_the_key_appears_in_no_record_and_no_log_line(make_emulator, client, caplog):
    emu = make_emulator()
    with caplog.at_level(logging.INFO, logger="dualentry_emulator"):
        client.customers(emu, {"api_key": client.key, "limit": 1})
        client.request(emu.url_for("health"), key=client.key + "-typo")
        client.request(emu.url_for("health"))
    text = repr(emu.requests) + "\n".join(caplog.messages)
    assert client.key not in text
    assert len(caplog.messages) == 3 and "key=yes" in caplog.messages[0]
    assert ("api_key", "***") in emu.requests[0].query


def test_non_loopback_hosts_are_refused_by_the_library(client):
    import pytest

    for host in ("0.0.0.0", "10.0.0.1", "example.com"):
        with pytest.raises(ValueError, match="loopback"):
            Emulator(client.key, host=host)
    with Emulator(client.key, host="localhost", rows={"customers": 10}) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
