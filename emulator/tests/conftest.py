"""Fixtures for the emulator's own tests: real emulators on loopback, a plain HTTP client.

Tests get everything through fixtures (never `import conftest`: the project has other
conftest modules, and the name would be ambiguous).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from dualentry_emulator import Emulator

KEY = "test-key-3f9c"
Params = Sequence[tuple[str, Any]] | dict[str, Any] | None
_DEFAULT = object()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """A minimal HTTP client: one fresh connection per request, always closed."""

    key = KEY
    all_statuses = (
        ("record_status", "draft"),
        ("record_status", "posted"),
        ("record_status", "archived"),
    )

    def request(
        self,
        url: str,
        params: Params = None,
        *,
        key: Any = _DEFAULT,
        method: str = "GET",
        timeout: float = 10,
    ) -> Reply:
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params, doseq=True)
        key = self.key if key is _DEFAULT else key
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(method, target, headers={"X-API-KEY": key} if key is not None else {})
            response = conn.getresponse()
            body = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, headers, body)
        finally:
            conn.close()

    def customers(self, emu: Emulator, params: Params = None, *, version: str = "v1") -> Reply:
        return self.request(emu.url_for("customers", version), params)

    def page(self, emu: Emulator, params: Params = None) -> dict[str, Any]:
        reply = self.customers(emu, params)
        assert reply.status == 200, reply.body
        return reply.json()

    def fetch_all(
        self, emu: Emulator, params: Sequence[tuple[str, Any]] = (), limit: int = 100
    ) -> list[dict[str, Any]]:
        """Page through the customers list until an empty page."""
        out: list[dict[str, Any]] = []
        while True:
            items = self.page(emu, [*params, ("limit", limit), ("offset", len(out))])["items"]
            if not items:
                return out
            out.extend(items)


@pytest.fixture(scope="session")
def client() -> Client:
    return Client()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with the test key; all are stopped at teardown."""
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        kwargs.setdefault("seed", 7)
        kwargs.setdefault("rows", {"customers": 120})
        emulator = Emulator(KEY, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    """A read-only emulator for tests that neither mutate data nor read the request log."""
    with Emulator(KEY, seed=11, rows={"customers": 400}) as emulator:
        yield emulator
