"""`Emulator`: the tables, the clock, the request log and an HTTP server on loopback."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import TracebackType

from .behaviour import Behaviour
from .clock import Clock
from .endpoints import CATALOGUE, HEALTH
from .faults import FaultPlan
from .query import parse_list_query
from .ratelimit import RateLimiter, RateLimits
from .refs import References
from .requestlog import RequestLog, RequestRecord
from .server import ApiServer, ApiService, BeforeList
from .spec import EndpointSpec
from .tables import Table
from .world import make_world


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Emulator:
    """A DualEntry Public API on 127.0.0.1, with seeded data and switchable behaviour.

    Tables are generated at construction (so they can be inspected and mutated before the
    server starts); `start()` binds a free port and serves from a background thread.
    """

    def __init__(
        self,
        api_key: str,
        *,
        seed: int = 0,
        rows: Mapping[str, int] | None = None,
        behaviour: Behaviour | None = None,
        rate_limits: RateLimits | None = None,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        catalogue: Mapping[str, EndpointSpec] | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        if not is_loopback(host):
            raise ValueError(f"refusing to listen on non-loopback host {host!r}")
        self.catalogue = dict(catalogue if catalogue is not None else CATALOGUE)
        unknown = set(rows or {}) - set(self.catalogue)
        if unknown:
            known = ", ".join(sorted(self.catalogue))
            raise ValueError(f"unknown endpoint(s) {sorted(unknown)}; known: {known}")
        self.seed = seed
        self.behaviour = behaviour if behaviour is not None else Behaviour()
        self.rate_limits = rate_limits
        self.faults = faults
        self.clock = Clock()
        self._sizes = {
            name: (rows or {}).get(name, spec.default_rows) for name, spec in self.catalogue.items()
        }
        self.world = replace(make_world(seed), refs=References(self._referenced))
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._log = RequestLog()
        self._tables: dict[str, Table] = {}
        # Tables sized explicitly are built now (a big one must not make its first request
        # wait); the others on first use, so an emulator of 46 endpoints starts at once.
        for name in rows or {}:
            self.table(name)
        self._service = ApiService(
            api_key=api_key,
            catalogue=self.catalogue,
            tables=_LazyTables(self),
            behaviour=self.behaviour,
            limiter=RateLimiter(rate_limits) if rate_limits is not None else None,
            faults=faults,
            clock_now=self.clock.now,
            data_lock=self._lock,
            request_log=self._log,
        )
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = ApiServer((self._host, self._port), self._service)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="dualentry-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. "http://127.0.0.1:41234"."""
        host = self._host if self._host != "localhost" else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def url_for(self, endpoint: str, version: str = "v1") -> str:
        """Full URL of a served path, e.g. url_for("customers") → ".../public/v1/customers/"."""
        if endpoint == HEALTH:
            return f"{self.url}/public/{version}/health/"
        spec = self.catalogue[endpoint]
        if version not in spec.versions:
            raise ValueError(f"{endpoint} is not served on {version}")
        return f"{self.url}/public/{version}/{spec.path}"

    # ------------------------------------------------------------------ data and log

    def table(self, name: str) -> Table:
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                table = self._build(name)
            return table

    def _build(self, name: str) -> Table:
        spec = self.catalogue[name]  # KeyError for unknown endpoints, as before
        table = Table(
            spec,
            seed=self.seed,
            size=self._sizes[name],
            behaviour=self.behaviour,
            world=self.world,
            clock=self.clock,
            lock=self._lock,
        )
        self._tables[name] = table
        # The first page of the default listing, and of the all-statuses listing a careful
        # client asks for, should not pay for sorting the table.
        table.warm(parse_list_query(spec, self.behaviour, {}))
        if spec.record_statuses is not None and spec.record_status_param:
            everything = {"record_status": list(spec.record_statuses)}
            table.warm(parse_list_query(spec, self.behaviour, everything))
        return table

    def prerender(self) -> None:
        """Render every row of the tables built so far (those sized with `rows=`) ahead of
        the first request: pages are then served from bytes."""
        with self._lock:
            for table in list(self._tables.values()):
                table.prerender()

    def _referenced(self, name: str) -> Table | None:
        return self.table(name) if name in self.catalogue else None

    @property
    def tables(self) -> Mapping[str, Table]:
        return {name: self.table(name) for name in self.catalogue}

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, in arrival order."""
        return self._log.snapshot()

    def clear_requests(self) -> None:
        self._log.clear()

    def before_list(self, callback: BeforeList | None) -> None:
        """Register `callback(endpoint, query, index)`, run under the data lock before every
        list page is computed (not for faulted requests). None removes all callbacks."""
        with self._lock:
            if callback is None:
                self._service.before_list.clear()
            else:
                self._service.before_list.append(callback)

    def reset_rate_limits(self) -> None:
        """Refill every bucket (e.g. between test phases)."""
        if self._service.limiter is not None:
            self._service.limiter.reset()


class _LazyTables(Mapping[str, Table]):
    """The emulator's tables as the HTTP service sees them: built on first request."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def __getitem__(self, name: str) -> Table:
        return self._emulator.table(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._emulator.catalogue)

    def __len__(self) -> int:
        return len(self._emulator.catalogue)
