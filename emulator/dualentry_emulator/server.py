"""HTTP: routing, auth, rate limiting, faults, errors and the request log.

The order of checks follows a Django Ninja deployment: unknown path → 404, wrong method →
405, then authentication (401 missing / 403 wrong key), then throttling (429), then the
endpoint. Injected faults sit after authentication, as a flaky backend would.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import math
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from .behaviour import Behaviour
from .endpoints import HEALTH
from .faults import PERSISTENT_MESSAGES, FaultPlan
from .filters import ParamError
from .query import parse_list_query
from .ratelimit import RateLimiter, retry_after_header
from .rendering import dumps, page_body
from .requestlog import RequestLog, RequestRecord
from .spec import EndpointSpec
from .tables import Table

log = logging.getLogger("dualentry_emulator")

BeforeList = Callable[[str, dict[str, list[str]], int], None]

AUTH_FAILED = "API key authentication failed"
_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>\n"
)


def error_body(errors: Mapping[str, list[str]]) -> bytes:
    return dumps({"success": False, "errors": dict(errors)})


@dataclass
class Outcome:
    status: int | None
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    fault: str | None = None
    retry_after: str | None = None
    endpoint: str | None = None
    action: Literal["send", "reset", "truncate"] = "send"


def _error(status: int, message: str, key: str = "__all__", **kwargs: Any) -> Outcome:
    return Outcome(status, error_body({key: [message]}), **kwargs)


class Router:
    """Exact path templates, `/public/{v}/<fragment>`; no trailing slash → 404 by default."""

    def __init__(self, catalogue: Mapping[str, EndpointSpec], trailing_slash_required: bool):
        self.trailing_slash_required = trailing_slash_required
        self.routes: dict[str, str] = {}
        for version in ("v1", "v2"):
            self.routes[f"/public/{version}/health/"] = HEALTH
        for spec in catalogue.values():
            for version in spec.versions:
                self.routes[f"/public/{version}/{spec.path}"] = spec.name

    def match(self, path: str) -> tuple[str, str] | None:
        """(route template, endpoint name), or None."""
        name = self.routes.get(path)
        if name is not None:
            return path, name
        if not self.trailing_slash_required and not path.endswith("/"):
            name = self.routes.get(path + "/")
            if name is not None:
                return path + "/", name
        return None


class ApiService:
    """Everything about answering one request, independent of the socket plumbing."""

    def __init__(
        self,
        *,
        api_key: str,
        catalogue: Mapping[str, EndpointSpec],
        tables: Mapping[str, Table],
        behaviour: Behaviour,
        limiter: RateLimiter | None,
        faults: FaultPlan | None,
        clock_now: Callable[[], Any],
        data_lock: threading.RLock,
        request_log: RequestLog,
    ) -> None:
        self._key = api_key.encode("utf-8")
        self._raw_key = api_key
        self.catalogue = catalogue
        self.tables = tables
        self.behaviour = behaviour
        self.limiter = limiter
        self.faults = faults
        self._now = clock_now
        self._lock = data_lock
        self.log = request_log
        self.router = Router(catalogue, behaviour.trailing_slash_required)
        self.before_list: list[BeforeList] = []

    # -------------------------------------------------------------- the request pipeline

    def handle(
        self, method: str, target: str, api_key: str | None
    ) -> tuple[Outcome, RequestRecord]:
        arrival, wall = time.monotonic(), time.time()
        index = self.log.next_index()
        split = urlsplit(target)
        pairs = [
            (name, "***" if value == self._raw_key else value)  # a key pasted into a URL
            for name, value in parse_qsl(split.query, keep_blank_values=True)
        ]
        key_matched = (
            None if api_key is None else hmac.compare_digest(api_key.encode("utf-8"), self._key)
        )
        try:
            outcome = self._process(method, split.path, pairs, key_matched, index)
        except Exception:  # a bug must still produce a well-formed answer and a record
            log.exception("error while handling %s %s", method, split.path)
            outcome = _error(500, "Internal server error.")
        if self.faults is not None and self.faults.latency_seconds > 0:
            time.sleep(self.faults.latency_seconds)
        record = RequestRecord(
            index=index,
            monotonic=arrival,
            wall=wall,
            method=method,
            path=split.path,
            query=pairs,
            key_matched=key_matched,
            status=outcome.status,
            fault=outcome.fault,
            retry_after=outcome.retry_after,
            endpoint=outcome.endpoint,
        )
        self.log.add(record)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s%s -> %s key=%s%s %.1fms",
                method,
                split.path,
                "?" + urlencode(pairs) if pairs else "",
                outcome.status if outcome.status is not None else "reset",
                {True: "yes", False: "no", None: "missing"}[key_matched],
                f" fault={outcome.fault}" if outcome.fault else "",
                (time.monotonic() - arrival) * 1000,
            )
        return outcome, record

    def _process(
        self,
        method: str,
        path: str,
        pairs: list[tuple[str, str]],
        key_matched: bool | None,
        index: int,
    ) -> Outcome:
        matched = self.router.match(path)
        if matched is None:
            return _error(404, "Not Found")
        route, name = matched
        if method != "GET":
            outcome = _error(405, "Method not allowed", endpoint=name)
            outcome.headers.append(("Allow", "GET"))
            return outcome
        if key_matched is None:
            return _error(401, AUTH_FAILED, endpoint=name)
        if not key_matched:
            return _error(403, AUTH_FAILED, endpoint=name)

        faults = self.faults
        fault = None
        if faults is not None and faults.applies_to(name, name != HEALTH):
            fault = faults.choose(index)
        if fault == "rate_limited":
            assert faults is not None
            return self._throttled(faults.retry_after, faults.retry_after_seconds, name, fault)
        if self.limiter is not None:
            wait = self.limiter.acquire("key", method, route)
            if wait is not None:
                return self._throttled(self.limiter.limits.retry_after, wait, name, None)
        if faults is not None and name in faults.persistent:
            status = int(faults.persistent[name])
            message = PERSISTENT_MESSAGES.get(status, "Request failed.")
            return _error(status, message, endpoint=name, fault=f"persistent_{status}")
        if fault is not None and fault.startswith("http_"):
            status = int(fault.removeprefix("http_"))
            return _error(status, PERSISTENT_MESSAGES[status], endpoint=name, fault=fault)
        if fault == "reset":
            return Outcome(None, endpoint=name, fault=fault, action="reset")
        if fault == "not_json":
            return Outcome(200, _HTML, "text/html; charset=utf-8", endpoint=name, fault=fault)
        if fault == "missing_keys":
            return Outcome(200, dumps({"success": True, "data": []}), endpoint=name, fault=fault)
        if fault == "slow":
            assert faults is not None
            time.sleep(faults.slow_seconds)

        params: dict[str, list[str]] = {}
        for key, value in pairs:
            params.setdefault(key, []).append(value)
        if name == HEALTH:
            outcome = Outcome(200, dumps({"status": "ok", "timestamp": self._now().isoformat()}))
        else:
            outcome = self._list(name, params, index, run_callbacks=fault is None)
        outcome.endpoint, outcome.fault = name, fault
        if fault == "truncated" and outcome.status == 200:
            outcome.action = "truncate"
        return outcome

    def _throttled(self, style: Any, wait: float, name: str, fault: str | None) -> Outcome:
        header = retry_after_header(style, wait)
        outcome = _error(
            429,
            f"Request was throttled. Expected available in {max(1, math.ceil(wait))} seconds.",
            endpoint=name,
            fault=fault,
            retry_after=header,
        )
        if header is not None:
            outcome.headers.append(("Retry-After", header))
        return outcome

    def _list(
        self, name: str, params: dict[str, list[str]], index: int, run_callbacks: bool
    ) -> Outcome:
        spec = self.catalogue[name]
        try:
            query = parse_list_query(spec, self.behaviour, params)
        except ParamError as exc:
            return _error(400, exc.message, key=exc.param)
        with self._lock:
            if run_callbacks:
                for callback in list(self.before_list):
                    callback(name, {k: list(v) for k, v in params.items()}, index)
            items, count = self.tables[name].rendered_page(query)
        count = max(0, count + self.behaviour.count_skew)
        return Outcome(200, page_body(items, count))


# ------------------------------------------------------------------ sockets


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API behind a proxy offers
    server_version = "DualEntryEmulator/0.1"
    timeout = 30  # idle keep-alive connections are closed after this
    # Headers and body leave in one segment, without Nagle: otherwise a keep-alive client's
    # delayed ACK adds ~40 ms to every response on loopback.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: ApiServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the service logs one line per request itself

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self.close_connection = True
        elif length > 0:
            self.rfile.read(length)

    def _serve(self) -> None:
        self._discard_body()
        outcome, _ = self.server.service.handle(
            self.command, self.path, self.headers.get("X-API-KEY")
        )
        try:
            self._write(outcome)
        except OSError:  # the client went away (e.g. it timed out on a slow response)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def _write(self, outcome: Outcome) -> None:
        if outcome.action == "reset":
            # SO_LINGER 0: closing sends RST instead of FIN, a hard connection reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        assert outcome.status is not None
        body = outcome.body
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in outcome.headers:
            self.send_header(name, value)
        if outcome.action == "truncate":
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if outcome.action == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], service: ApiService) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.service = service
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Resets and timeouts are routine here (faults, impatient clients): no tracebacks.
        log.debug("connection error from %s", client_address, exc_info=True)
