"""The tap's settings: their JSON Schema (for the SDK, --about and Meltano) and their
parsed, checked form (for the code).

Each default and range is stated once, in ``CONFIG_SCHEMA``; ``Settings.from_config``
applies them, adds the checks a schema cannot express (a parseable URL and start
date), and is the only reader of raw config in the tap.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_dualentry.catalogue import CATALOGUE, FILTER_SETTINGS, RECORD_STATUSES, load_schema
from tap_dualentry.errors import ConfigurationError
from tap_dualentry.timestamps import format_timestamp, parse_timestamp

PRODUCTION_URL = "https://api.dualentry.com"
API_VERSIONS = ("v1", "v2")
DEFAULT_API_VERSION = "v2"
DECIMAL_FORMATS = ("number", "string")
# SQLAlchemy reserves the bind parameter name `version`: a table with such a column
# cannot retire rows after ACTIVATE_VERSION in MeltanoLabs target-postgres.
DEFAULT_FIELD_ALIASES = {"workflows": {"version": "workflow_version"}}

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType(min_length=1),
        required=True,
        secret=True,
        title="API key",
        description=(
            "DualEntry Public API key, sent in the X-API-KEY header. Keys are per "
            "environment: a production key does not work against the development URL."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType(),
        default=PRODUCTION_URL,
        title="API URL",
        description=(
            "Base URL of the DualEntry API: https://api.dualentry.com (production) or "
            "https://api-dev.dualentry.com (development)."
        ),
    ),
    th.Property(
        "api_version",
        th.StringType(),
        default=DEFAULT_API_VERSION,
        allowed_values=list(API_VERSIONS),
        title="API version",
        description="Public API version to read from: v1 or v2.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType(),
        title="Start date",
        description=(
            "Bounds what is read (ISO 8601): incremental streams read changes since then on "
            "their first run and their reconciliation passes, full tables with a date filter "
            "read rows dated since then. A pass it bounds never retires rows. Without it "
            "everything is read."
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=100),
        default=100,
        title="Page size",
        description="Rows per request, 1 to 100 (the API's maximum and the fastest).",
    ),
    th.Property(
        "company_ids",
        th.ArrayType(th.IntegerType()),
        title="Company ids",
        description=(
            "Only extract these companies. Each company is bookmarked on its own, so a "
            "company added later is read from the beginning."
        ),
    ),
    th.Property(
        "record_statuses",
        th.ArrayType(th.StringType(allowed_values=list(RECORD_STATUSES))),
        title="Record statuses",
        description=(
            "Record statuses to extract (draft, posted, archived). Default: all three, "
            "asked for explicitly."
        ),
    ),
    th.Property(
        "customer_types",
        th.ArrayType(th.StringType()),
        title="Customer types",
        description="Only extract customers of these types.",
    ),
    th.Property(
        "approval_statuses",
        th.ArrayType(th.StringType()),
        title="Approval statuses",
        description="Only extract records in these approval statuses.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType(exclusive_minimum=0),
        default=60,
        title="Request timeout",
        description="Seconds to wait for a response before retrying the request.",
    ),
    th.Property(
        "max_tries",
        th.IntegerType(minimum=1),
        default=6,
        title="Max tries",
        description=(
            "Attempts per request on transient faults (5xx, timeouts, resets, malformed "
            "pages) before the stream fails. 429 replies do not count against it."
        ),
    ),
    th.Property(
        "max_rate_limit_wait",
        th.NumberType(minimum=0),
        default=900,
        title="Max rate-limit wait",
        description=(
            "Seconds one request may spend waiting out 429 replies (honouring Retry-After) "
            "before the stream fails."
        ),
    ),
    th.Property(
        "rate_limit_pacing",
        th.BooleanType(),
        default=True,
        title="Rate-limit pacing",
        description=(
            "Pace requests to the API's token buckets instead of waiting for 429 replies."
        ),
    ),
    th.Property(
        "requests_per_second",
        th.NumberType(exclusive_minimum=0),
        default=5,
        title="Requests per second",
        description="Refill rate of the API key's aggregate bucket (organisations may have more).",
    ),
    th.Property(
        "request_burst",
        th.IntegerType(minimum=1),
        default=50,
        title="Request burst",
        description="Size of the API key's aggregate bucket.",
    ),
    th.Property(
        "endpoint_requests_per_second",
        th.NumberType(exclusive_minimum=0),
        default=1,
        title="Endpoint requests per second",
        description="Refill rate of each route's bucket.",
    ),
    th.Property(
        "endpoint_burst",
        th.IntegerType(minimum=1),
        default=10,
        title="Endpoint burst",
        description="Size of each route's bucket.",
    ),
    th.Property(
        "max_parallel_streams",
        th.IntegerType(minimum=1),
        title="Max parallel streams",
        description=(
            "An optional cap on the streams read at the same time. Default: no cap; every "
            "selected stream is in flight, the rate limits decide which sends next (the "
            "one with the most work left first), and the run takes about as long as its "
            "longest stream allows."
        ),
    ),
    th.Property(
        "full_pass_interval_days",
        th.NumberType(minimum=0),
        default=7,
        title="Full pass interval (days)",
        description=(
            "Reconciliation: every row of an incremental stream is read again at least this "
            "often, correcting values that change without a timestamp and retiring rows "
            "deleted in DualEntry (ACTIVATE_VERSION). Streams take their turn on different "
            "days. 0: every run."
        ),
    ),
    th.Property(
        "reconciliation",
        th.BooleanType(),
        default=True,
        title="Reconciliation",
        description=(
            "false turns the full passes of incremental streams off. Unsafe: amounts and "
            "statuses that change without a timestamp stay stale, and deleted rows stay, "
            "until a full resync."
        ),
    ),
    th.Property(
        "lookback_minutes",
        th.NumberType(minimum=0),
        default=5,
        title="Lookback (minutes)",
        description=(
            "Incremental passes read back this far before their bookmark, in case DualEntry "
            "commits a change with a slightly earlier timestamp than one already read."
        ),
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType(),
        default=True,
        title="Emit ACTIVATE_VERSION",
        description=(
            "After the last record of a complete full pass, send ACTIVATE_VERSION so the "
            "target can retire rows that no longer exist."
        ),
    ),
    th.Property(
        "user_agent",
        th.StringType(),
        title="User agent",
        description="User-Agent header; default tap-dualentry/<version>.",
    ),
    th.Property(
        "decimal_format",
        th.StringType(),
        default="number",
        allowed_values=list(DECIMAL_FORMATS),
        title="Decimal format",
        description=(
            "How money, quantities and rates are written: number (exact JSON numbers with "
            "the digits DualEntry sent; SQL targets that keep them make numeric columns) or "
            'string (the same digits as strings, declared {"type": "string", "format": '
            '"x-singer.decimal"}, for targets that turn JSON numbers into floats).'
        ),
    ),
    th.Property(
        "field_aliases",
        th.ObjectType(additional_properties=th.ObjectType(additional_properties=th.StringType())),
        default=DEFAULT_FIELD_ALIASES,
        title="Field aliases",
        description=(
            "Names to write top-level fields under, per stream: {stream: {field: name}}. "
            "The default writes workflows' version as workflow_version, a column name in "
            "which SQLAlchemy-based targets (MeltanoLabs target-postgres among them) cannot "
            "retire deleted rows. Set {} to keep every name as DualEntry sends it."
        ),
    ),
    th.Property(
        "organisation",
        th.StringType(min_length=1),
        title="Organisation",
        description=(
            "A name for the DualEntry organisation this key reads. When set, every record "
            "carries it in an organisation column that leads each stream's primary key, so "
            "several organisations load side by side without key collisions."
        ),
    ),
).to_dict()


_PROPERTIES: dict[str, dict[str, Any]] = CONFIG_SCHEMA["properties"]


def _default(name: str) -> Any:  # noqa: ANN401 - a setting's JSON value
    return _PROPERTIES[name].get("default")


def _given(config: Mapping[str, Any], name: str) -> Any:  # noqa: ANN401
    """A setting's value, its schema default when absent, null or empty."""
    value = config.get(name)
    return _default(name) if value is None or value == "" else value


def _checked_number(config: Mapping[str, Any], name: str) -> float:
    """A numeric setting within the range its schema states."""
    value = float(_given(config, name))
    schema = _PROPERTIES[name]
    low, high = schema.get("minimum"), schema.get("maximum")
    above = schema.get("exclusiveMinimum")
    if low is not None and high is not None and not low <= value <= high:
        msg = f"{name} is {value:g}; it must be between {low} and {high}."
    elif low is not None and value < low:
        msg = f"{name} is {value:g}; it must be at least {low}."
    elif above is not None and value <= above:
        msg = f"{name} is {value:g}; it must be greater than {above}."
    else:
        return value
    raise ConfigurationError(msg)


def redact_secrets(config: Mapping[str, Any], messages: list[str]) -> list[str]:
    """Messages about a config, with the API key replaced wherever one quotes it."""
    secret = str(config.get("api_key") or "")
    if not secret.strip():
        return messages
    return [message.replace(secret, "***") for message in messages]


def discovery_api_version(config: Mapping[str, Any]) -> str:
    """The API version whose streams discovery lists, whatever else the config says."""
    return str(_given(config, "api_version"))


@dataclass(frozen=True)
class Settings:
    """Checked settings with defaults applied."""

    api_key: str = field(repr=False)
    api_url: str
    api_version: str
    page_size: int
    start_date: str | None
    company_ids: tuple[int, ...]
    record_statuses: tuple[str, ...]
    filter_values: Mapping[str, tuple[str, ...]]  # filter setting -> values asked for
    request_timeout: float
    max_tries: int
    max_rate_limit_wait: float
    rate_limit_pacing: bool
    requests_per_second: float
    request_burst: int
    endpoint_requests_per_second: float
    endpoint_burst: int
    max_parallel_streams: int | None  # None: no cap
    full_pass_interval_days: float
    reconciliation: bool
    lookback_minutes: float
    emit_activate_version_messages: bool
    user_agent: str | None
    decimal_format: str = "number"
    field_aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    organisation: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Apply defaults and ranges from ``CONFIG_SCHEMA`` and the checks it cannot make."""
        api_key = str(config.get("api_key") or "")
        if not api_key.strip():
            msg = "api_key is missing or empty: set it to your DualEntry API key."
            raise ConfigurationError(msg)
        api_url = str(_given(config, "api_url")).rstrip("/")
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            msg = (
                f"api_url '{api_url}' is not a base URL such as {PRODUCTION_URL} "
                "(scheme and host, no path)."
            )
            raise ConfigurationError(msg)
        api_version = str(_given(config, "api_version"))
        if api_version not in API_VERSIONS:
            msg = f"api_version '{api_version}' is not one of {', '.join(API_VERSIONS)}."
            raise ConfigurationError(msg)
        start_date = config.get("start_date")
        if start_date:
            try:
                start_date = format_timestamp(parse_timestamp(str(start_date)))
            except ValueError:
                msg = f"start_date '{start_date}' is not an ISO 8601 date or date-time."
                raise ConfigurationError(msg) from None
        return cls(
            api_key=api_key,
            api_url=api_url,
            api_version=api_version,
            page_size=int(_checked_number(config, "page_size")),
            start_date=start_date or None,
            company_ids=tuple(int(company) for company in config.get("company_ids") or ()),
            record_statuses=tuple(config.get("record_statuses") or RECORD_STATUSES),
            filter_values={
                name: tuple(str(value) for value in config.get(name) or ())
                for name in FILTER_SETTINGS
            },
            request_timeout=_checked_number(config, "request_timeout"),
            max_tries=int(_checked_number(config, "max_tries")),
            max_rate_limit_wait=_checked_number(config, "max_rate_limit_wait"),
            rate_limit_pacing=bool(_given(config, "rate_limit_pacing")),
            requests_per_second=_checked_number(config, "requests_per_second"),
            request_burst=int(_checked_number(config, "request_burst")),
            endpoint_requests_per_second=_checked_number(config, "endpoint_requests_per_second"),
            endpoint_burst=int(_checked_number(config, "endpoint_burst")),
            max_parallel_streams=(
                None
                if _given(config, "max_parallel_streams") is None
                else int(_checked_number(config, "max_parallel_streams"))
            ),
            full_pass_interval_days=_checked_number(config, "full_pass_interval_days"),
            reconciliation=bool(_given(config, "reconciliation")),
            lookback_minutes=_checked_number(config, "lookback_minutes"),
            emit_activate_version_messages=bool(_given(config, "emit_activate_version_messages")),
            user_agent=str(config.get("user_agent") or "") or None,
            decimal_format=_decimal_format(config),
            field_aliases=field_aliases(config),
            organisation=organisation(config),
        )


def _decimal_format(config: Mapping[str, Any]) -> str:
    value = str(_given(config, "decimal_format"))
    if value not in DECIMAL_FORMATS:
        msg = f"decimal_format '{value}' is not one of {', '.join(DECIMAL_FORMATS)}."
        raise ConfigurationError(msg)
    return value


def field_aliases(config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``field_aliases``, checked: {stream: {field: alias}}, names non-empty and distinct."""
    value = _given(config, "field_aliases")
    usage = 'field_aliases must map streams to {field: name} objects, e.g. {"workflows": '
    usage += '{"version": "workflow_version"}}.'
    if not isinstance(value, Mapping):
        raise ConfigurationError(usage)
    aliases: dict[str, dict[str, str]] = {}
    for stream, renames in value.items():
        if not isinstance(renames, Mapping) or not all(
            isinstance(name, str) and name and isinstance(alias, str) and alias
            for name, alias in renames.items()
        ):
            raise ConfigurationError(f"{usage} The entry for '{stream}' is not one.")
        if len(set(renames.values())) < len(renames):
            msg = f"field_aliases: two fields of '{stream}' have the same alias."
            raise ConfigurationError(msg)
        _check_aliases(str(stream), renames)
        aliases[str(stream)] = dict(renames)
    return aliases


def _check_aliases(stream: str, renames: Mapping[str, str]) -> None:
    """Each renamed field exists, is not a key or the replication key, and its new
    name is free."""
    keys: dict[str, tuple[str, ...]] = {}
    for endpoint in CATALOGUE:
        keys[endpoint.name] = endpoint.primary_keys
        for lines in endpoint.lines:
            parent = tuple(f"parent_{key}" for key in endpoint.primary_keys)
            keys[endpoint.child_name(lines)] = (*parent, lines.key or "line_index")
    if stream not in keys:
        nearest = difflib.get_close_matches(stream, list(keys), n=1)
        hint = f" (did you mean '{nearest[0]}'?)" if nearest else ""
        msg = f"field_aliases: there is no stream '{stream}'{hint}."
        raise ConfigurationError(msg)
    fields = load_schema(stream).get("properties", {})
    reserved = {*keys[stream], "updated_at"}
    taken = (set(fields) - set(renames)) | {"_unknown_fields", "organisation"}
    for name, alias in renames.items():
        if name not in fields:
            msg = f"field_aliases: stream '{stream}' has no field '{name}'."
        elif name in reserved:
            msg = f"field_aliases: '{stream}.{name}' is a key or the bookmark and keeps its name."
        elif alias in taken:
            msg = f"field_aliases: '{stream}' already has a field named '{alias}'."
        else:
            continue
        raise ConfigurationError(msg)


def organisation(config: Mapping[str, Any]) -> str | None:
    """``organisation``, stripped; None when not set."""
    value = config.get("organisation")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip():
        msg = "organisation must be a non-empty name, such as the client's short name."
        raise ConfigurationError(msg)
    return value.strip()


def unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """One line per setting the tap does not know, naming the nearest known setting."""
    names = list(known)
    messages = []
    for name in sorted(set(config) - set(names)):
        nearest = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"did you mean '{nearest[0]}'? " if nearest else ""
        messages.append(
            f"unknown setting '{name}': {hint}Rename or remove it "
            "(tap-dualentry --about lists every setting)."
        )
    return messages
