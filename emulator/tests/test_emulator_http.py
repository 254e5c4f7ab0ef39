"""Routing, authentication, error bodies and the health endpoint."""

from __future__ import annotations

from datetime import datetime

AUTH_BODY = {"success": False, "errors": {"__all__": ["API key authentication failed"]}}


def test_missing_key_is_401_and_wrong_key_is_403(shared_emulator, client):
    url = shared_emulator.url_for("customers")
    missing = client.request(url, key=None)
    wrong = client.request(url, key=client.key + "x")
    assert (missing.status, missing.json()) == (401, AUTH_BODY)
    assert (wrong.status, wrong.json()) == (403, AUTH_BODY)
    assert missing.headers["content-type"] == "application/json"
    assert client.request(url, key=client.key.upper()).status == 403  # keys are compared exactly


def test_health_checks_the_key_and_reports_an_offset_timestamp(shared_emulator, client):
    for version in ("v1", "v2"):
        url = shared_emulator.url_for("health", version)
        assert client.request(url, key=None).status == 401
        reply = client.request(url)
        assert reply.status == 200
        body = reply.json()
        assert body["status"] == "ok"
        assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None


def test_both_versions_serve_the_same_customers(shared_emulator, client):
    v1 = client.request(shared_emulator.url_for("customers", "v1"), {"limit": 5})
    v2 = client.request(shared_emulator.url_for("customers", "v2"), {"limit": 5})
    assert v1.status == v2.status == 200
    assert v1.body == v2.body


def test_unknown_paths_and_missing_trailing_slash_are_404(shared_emulator, client):
    base = shared_emulator.url
    for path in ("/public/v1/nothing/", "/public/v3/customers/", "/", "/public/v1/customers"):
        reply = client.request(base + path)
        assert reply.status == 404, path
        assert reply.json() == {"success": False, "errors": {"__all__": ["Not Found"]}}
    assert client.request(base + "/public/v1/health").status == 404


def test_trailing_slash_switch_serves_paths_without_it(make_emulator, client):
    from dualentry_emulator import Behaviour

    emu = make_emulator(behaviour=Behaviour(trailing_slash_required=False))
    with_slash = client.request(emu.url + "/public/v1/customers/", {"limit": 3})
    without = client.request(emu.url + "/public/v1/customers", {"limit": 3})
    assert without.status == 200
    assert without.body == with_slash.body


def test_other_methods_are_405_with_the_error_body(shared_emulator, client):
    url = shared_emulator.url_for("customers")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        reply = client.request(url, method=method)
        assert reply.status == 405
        assert reply.json()["success"] is False
        assert reply.headers["allow"] == "GET"
    assert client.request(url, method="HEAD").status == 405


def test_keep_alive_connections_serve_several_requests(shared_emulator, client):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", shared_emulator.port, timeout=5)
    try:
        for offset in (0, 10, 20):
            conn.request(
                "GET",
                f"/public/v1/customers/?limit=10&offset={offset}",
                headers={"X-API-KEY": client.key},
            )
            response = conn.getresponse()
            assert response.status == 200
            assert len(response.read()) > 0
    finally:
        conn.close()
