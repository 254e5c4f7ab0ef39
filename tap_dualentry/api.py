"""The HTTP client every stream uses: pacing, retries, error mapping, parsing.

``ApiAccess`` is the run's one factory for clients (streams and the connection
check alike). A request goes through the shared rate limiter, is retried on
transient faults (``max_tries``) and on 429s (bounded by waiting time, honouring
Retry-After), and ends either as a parsed ``{items, count}`` page or as one of the
tap's errors with a message a person can act on. The API key travels only in the
request header: it is never logged, never put in a message, never in a URL.
"""

from __future__ import annotations

import decimal
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec
import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from tap_dualentry.clock import Clock
from tap_dualentry.errors import (
    AuthenticationError,
    BadRequestError,
    PersistentFaultError,
    StreamUnavailableError,
    UnreachableError,
)
from tap_dualentry.ratelimit import BucketSpec, Pacer, RateLimiter, Unlimited
from tap_dualentry.retry import RetryPolicy, retry_after_seconds
from tap_dualentry.settings import Settings

_decoder = msgspec.json.Decoder(float_hook=decimal.Decimal)
# Response headers about rate limits: only their names are kept (for --probe).
_RATE_LIMIT_HEADER = re.compile(r"retry-after|rate-?limit", re.IGNORECASE)

PRODUCTION_HOST = "api.dualentry.com"
DEVELOPMENT_HOST = "api-dev.dualentry.com"
_AUTH_FAILED = "API key authentication failed"
_READ_SIZE = 1 << 22  # bytes asked of the socket at a time while reading a body


def describe_environment(api_url: str) -> str:
    """Name the environment behind a URL, for messages about rejected keys."""
    host = urlsplit(api_url).hostname or api_url
    if host == PRODUCTION_HOST:
        return f"{api_url} (production)"
    if host == DEVELOPMENT_HOST:
        return f"{api_url} (development)"
    return api_url


class Reachability:
    """Whether the API's host has answered anything this run.

    A host that never answered is most likely a wrong ``api_url`` or a network that
    does not reach it: its first connection failure stops the run at once, naming the
    URL. Once it has answered, a failed connection is a transient fault and retried.
    """

    def __init__(self) -> None:
        self.answered = False


@dataclass
class RequestStats:
    """What one stream's requests cost, for the run summary and the tests."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0


@dataclass(frozen=True)
class ApiAccess:
    """How every request of one run reaches DualEntry: the one factory of clients."""

    api_url: str
    api_key: str = field(repr=False)
    api_version: str
    user_agent: str
    timeout: float
    pacer: Pacer
    policy: RetryPolicy
    sleep: Callable[[float], None]
    reachability: Reachability = field(default_factory=Reachability)

    @classmethod
    def from_settings(cls, settings: Settings, *, user_agent: str, clock: Clock) -> ApiAccess:
        """One pacer shared by every client of the run, one retry policy."""
        pacer: Pacer
        if settings.rate_limit_pacing:
            pacer = RateLimiter(
                BucketSpec(settings.request_burst, settings.requests_per_second),
                BucketSpec(settings.endpoint_burst, settings.endpoint_requests_per_second),
                clock=clock.monotonic,
                sleep=clock.sleep,
            )
        else:
            pacer = Unlimited()
        return cls(
            api_url=settings.api_url,
            api_key=settings.api_key,
            api_version=settings.api_version,
            user_agent=settings.user_agent or user_agent,
            timeout=settings.request_timeout,
            pacer=pacer,
            policy=RetryPolicy(
                max_tries=settings.max_tries, max_rate_limit_wait=settings.max_rate_limit_wait
            ),
            sleep=clock.sleep,
        )

    def path(self, endpoint_path: str) -> str:
        """The request path of an endpoint below ``/public/{version}/``."""
        return f"/public/{self.api_version}/{endpoint_path}"

    def client(self, name: str, logger: logging.Logger) -> DualEntryClient:
        """A client whose messages name ``name`` (a stream, or the connection check)."""
        return DualEntryClient(
            api_url=self.api_url,
            api_key=self.api_key,
            user_agent=self.user_agent,
            timeout=self.timeout,
            pacer=self.pacer,
            policy=self.policy,
            logger=logger,
            stream_name=name,
            sleep=self.sleep,
            reachability=self.reachability,
        )


class _Retry(Exception):  # noqa: N818 - internal control flow, never escapes
    """A transient fault worth another attempt."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _Throttled(Exception):  # noqa: N818 - internal control flow, never escapes
    def __init__(self, retry_after: float | None) -> None:
        super().__init__("429")
        self.retry_after = retry_after


class DualEntryClient:
    """Sends GET requests for one stream; shares the pacer and policy of the run."""

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        user_agent: str,
        timeout: float,
        pacer: Pacer,
        policy: RetryPolicy,
        logger: logging.Logger,
        stream_name: str,
        sleep: Callable[[float], None],
        reachability: Reachability | None = None,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._api_key = api_key
        self._reachability = reachability or Reachability()
        self._headers = {
            "X-API-KEY": api_key,
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._timeout = (min(10.0, timeout), timeout)
        self._pacer = pacer
        self._policy = policy
        self._logger = logger
        self._stream = stream_name
        self._sleep = sleep
        self._local = threading.local()
        self.stats = RequestStats()
        self.rate_limit_headers: set[str] = set()  # names seen on any response

    @property
    def _session(self) -> requests.Session:
        # A requests.Session is not safe to share between threads.
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _session_for(self._api_url)
        return session

    def expect(self, path: str, requests: float) -> None:
        """``path`` has about ``requests`` requests left to send (the pacer's priority)."""
        self._pacer.expect(path, requests)

    def get_json(
        self, path: str, params: Sequence[tuple[str, str]], *, expect_page: bool
    ) -> dict[str, Any]:
        """GET a JSON object, retrying what can be retried; ``expect_page``: a list page,
        ``{"items": [...], "count": n}``, validated (a malformed page is retried too)."""
        fault_waits = self._policy.fault_waits()
        throttle_waits: Iterator[float] | None = None
        attempt = 0
        throttle_budget = self._policy.max_rate_limit_wait
        while True:
            attempt += 1
            try:
                return self._attempt(path, params, expect_page=expect_page)
            except _Throttled as throttled:
                self.stats.rate_limited += 1
                attempt -= 1  # a 429 does not spend a fault retry
                if throttled.retry_after is not None:
                    wait, why = throttled.retry_after, "as Retry-After asks"
                else:
                    throttle_waits = throttle_waits or self._policy.rate_limit_waits()
                    wait, why = next(throttle_waits), "(no Retry-After; backing off)"
                self._pacer.throttled(path, throttled.retry_after)
                if wait > throttle_budget:
                    msg = (
                        f"Stream '{self._stream}': DualEntry kept answering 429 (rate limited) "
                        f"for GET {path}; gave up after waiting "
                        f"{self._policy.max_rate_limit_wait - throttle_budget:.0f} s "
                        "(max_rate_limit_wait). Another client may be using this API key's "
                        "budget; run later or raise max_rate_limit_wait."
                    )
                    raise PersistentFaultError(msg) from None
                throttle_budget -= wait
                self._logger.info(
                    "Rate limited (429) on GET %s; waiting %.1f s %s", path, wait, why
                )
                self._sleep(wait)
            except _Retry as fault:
                if attempt >= self._policy.max_tries:
                    msg = (
                        f"Stream '{self._stream}': GET {path} failed {attempt} times "
                        f"(max_tries); last error: {fault.reason}. DualEntry may be having "
                        "trouble: run again later, or raise max_tries / request_timeout."
                    )
                    raise PersistentFaultError(msg) from None
                wait = next(fault_waits)
                self.stats.retries += 1
                self._logger.info(
                    "%s on GET %s (attempt %d of %d); retrying in %.1f s",
                    fault.reason,
                    path,
                    attempt,
                    self._policy.max_tries,
                    wait,
                )
                self._sleep(wait)

    def _attempt(
        self, path: str, params: Sequence[tuple[str, str]], *, expect_page: bool
    ) -> dict[str, Any]:
        self._pacer.acquire(path)
        self.stats.requests += 1
        try:
            response = self._session.get(
                f"{self._api_url}{path}",
                params=list(params),
                headers=self._headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            )
            # Reading the body may itself time out or reset. In one read, not requests'
            # 10 KB chunks: a page is about 150 KB.
            with response:
                content = b"".join(response.iter_content(_READ_SIZE))
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            self._raise_if_unreachable(error)
            if isinstance(error, requests.exceptions.Timeout):
                raise _Retry("timed out") from None
            raise _Retry("connection failed or was reset") from None
        except requests.exceptions.ChunkedEncodingError:
            raise _Retry("connection failed or was reset") from None
        finally:
            # The server took its token between our send and now: let the pacer allow for it.
            self._pacer.settle()
        self._reachability.answered = True
        status = response.status_code
        self.rate_limit_headers.update(
            name.lower() for name in response.headers if _RATE_LIMIT_HEADER.search(name)
        )
        if status == 429:
            raise _Throttled(retry_after_seconds(response.headers))
        if status >= 500:
            raise _Retry(f"HTTP {status}", status)
        if status >= 400:
            self._raise_client_error(path, params, status, content)
        if status != 200:
            raise _Retry(f"unexpected HTTP {status}", status)
        try:
            body = _decoder.decode(content)
        except msgspec.DecodeError:
            raise _Retry("HTTP 200 with a body that is not valid JSON") from None
        if not isinstance(body, dict):
            raise _Retry("HTTP 200 with a JSON body that is not an object")
        if expect_page and not (
            isinstance(body.get("items"), list)
            and isinstance(body.get("count"), int)
            and not isinstance(body.get("count"), bool)
        ):
            raise _Retry("HTTP 200 without a list 'items' and an integer 'count'")
        return body

    def _raise_if_unreachable(self, error: requests.exceptions.RequestException) -> None:
        """A connection never made, to a host that has not answered this run: stop."""
        if self._reachability.answered:
            return
        reason = _connect_failure(error)
        if reason is None:
            return
        url = self._api_url.replace(self._api_key, "***") if self._api_key else self._api_url
        msg = (
            f"Cannot reach the DualEntry API at {url} ({reason}). Check api_url, and that "
            "this machine can reach that host."
        )
        raise UnreachableError(msg)

    def _raise_client_error(
        self, path: str, params: Sequence[tuple[str, str]], status: int, content: bytes
    ) -> None:
        errors = _error_messages(content)
        summary = "; ".join(f"{name}: {text}" for name, text in errors) or "no details given"
        if status == 401 or (status == 403 and any(_AUTH_FAILED in text for _, text in errors)):
            reason = "no API key reached it" if status == 401 else "the API key was rejected"
            msg = (
                f"DualEntry answered {status} at {describe_environment(self._api_url)}: "
                f"{reason}. Check api_key, and that it belongs to this environment "
                "(production and development keys differ)."
            )
            raise AuthenticationError(msg)
        if status in (400, 422):
            sent = {name for name, _ in params}
            named = [name for name, _ in errors if name in sent]
            about = f" parameter '{', '.join(named)}'" if named else ""
            msg = (
                f"Stream '{self._stream}': DualEntry rejected the request{about} "
                f"(HTTP {status}): {summary}. Check the stream's filter settings."
            )
            raise BadRequestError(msg, tuple(named))
        msg = (
            f"Stream '{self._stream}': DualEntry answered {status} for GET {path}: {summary}. "
            "The organisation may lack this module or the key this permission; grant access "
            "or deselect the stream."
        )
        raise StreamUnavailableError(msg)


def _connect_failure(error: requests.exceptions.RequestException) -> str | None:
    """Why a connection was never made, or None if it was (a reset or a read timeout)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "no answer to the connection attempt"
    if not isinstance(error, requests.exceptions.ConnectionError) or isinstance(
        error, requests.exceptions.ReadTimeout
    ):
        return None
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    if isinstance(reason, NameResolutionError):
        return "host name not found"
    if isinstance(reason, NewConnectionError):
        return "connection refused" if "refused" in str(reason).lower() else "no connection"
    return None


def _session_for(api_url: str) -> requests.Session:
    """A session whose settings from the environment (proxies, CA bundle, .netrc) are
    read once: requests reads them again for every request, a third of its cost."""
    session = requests.Session()
    settings = session.merge_environment_settings(api_url, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.cert = settings["cert"]
    session.auth = requests.utils.get_netrc_auth(api_url)
    session.trust_env = False
    return session


def _error_messages(content: bytes) -> list[tuple[str, str]]:
    """Pull ``(field, message)`` pairs out of DualEntry's error body, if it is one."""
    try:
        body = _decoder.decode(content)
    except msgspec.DecodeError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return []
    pairs: list[tuple[str, str]] = []
    for name, messages in errors.items():
        values = messages if isinstance(messages, list) else [messages]
        pairs.extend((str(name), str(value)[:300]) for value in values)
    return pairs
