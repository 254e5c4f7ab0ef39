"""TapDualEntry: settings, stream discovery from the catalogue, and the run itself."""

from __future__ import annotations

import copy
import json
import signal
import sys
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from singer_sdk.singerlib.encoding.simple import StateMessage

from tap_dualentry.api import DualEntryClient
from tap_dualentry.client import DualEntryStream, RunContext
from tap_dualentry.errors import ConfigurationError, DualEntryError, Interrupted
from tap_dualentry.lines import LineStream
from tap_dualentry.output import SingerOutput
from tap_dualentry.ratelimit import BucketSpec, Pacer, RateLimiter, Unlimited
from tap_dualentry.retry import RetryPolicy
from tap_dualentry.runner import Failure, sync_streams
from tap_dualentry.settings import CONFIG_SCHEMA, DEFAULT_API_VERSION, Settings
from tap_dualentry.streams import CATALOGUE, load_schema
from tap_dualentry.summary import log_summary

if TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk import Stream
    from singer_sdk.helpers.capabilities import CapabilitiesEnum
    from singer_sdk.plugin_base import _ConfigInput


class TapDualEntry(Tap):
    """Singer tap for the DualEntry accounting API."""

    name = "tap-dualentry"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = SingerOutput
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        TapCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    # Settings and shared run parts

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self.config)

    @cached_property
    def run_context(self) -> RunContext:
        settings = self.settings
        pacer: Pacer
        if settings.rate_limit_pacing:
            pacer = RateLimiter(
                BucketSpec(settings.request_burst, settings.requests_per_second),
                BucketSpec(settings.endpoint_burst, settings.endpoint_requests_per_second),
            )
        else:
            pacer = Unlimited()
        policy = RetryPolicy(
            max_tries=settings.max_tries, max_rate_limit_wait=settings.max_rate_limit_wait
        )
        return RunContext(settings=settings, pacer=pacer, policy=policy)

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's JSON Schema checks, then ours; messages never show the API key."""
        errors = super()._validate_config(raise_errors=False)
        if not errors:
            try:
                Settings.from_config(self.config)
            except ConfigurationError as error:
                errors.append(str(error))
        secret = str(self.config.get("api_key") or "")
        if secret.strip():
            errors = [error.replace(secret, "***") for error in errors]
        if errors and raise_errors:
            raise ConfigValidationError("Invalid configuration", errors=errors)
        return errors

    # Streams

    def discover_streams(self) -> list[Stream]:
        """Every catalogue entry served by the configured API version, and its line streams."""
        version = str(self.config.get("api_version") or DEFAULT_API_VERSION)
        streams: list[Stream] = []
        for endpoint in CATALOGUE:
            if version == "v1" and not endpoint.v1:
                continue
            parent = DualEntryStream(
                self, endpoint, load_schema(endpoint.name), lambda: self.run_context
            )
            streams.append(parent)
            for lines in endpoint.lines:
                child_name = endpoint.child_name(lines)
                child = LineStream(self, parent, lines, load_schema(child_name))
                parent.lines.append(child)
                parent.child_streams.append(child)
                streams.append(child)
        return streams

    def load_state(self, state: dict[str, Any]) -> None:
        """Load state, then drop bookmarks whose stream filters have changed since."""
        super().load_state(state)
        for stream in self.streams.values():
            if not isinstance(stream, DualEntryStream) or not stream.replication_key:
                continue
            stored = stream.stream_state.get("filters")
            current = stream.filter_signature()
            if stored is None or stored == current:
                continue
            self.logger.warning(
                "Stream '%s': its filters changed since the last run (%s, was %s); the "
                "bookmark is reset so the rows they now include are read in full",
                stream.name,
                current,
                stored,
            )
            for part in [stream.stream_state, *stream.stream_state.get("partitions", [])]:
                part.pop("replication_key_value", None)
                part.pop("replication_key", None)
            stream.stream_state.pop("filters", None)

    # The run

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Unwind the sync: the bookmarks already written cover only completed passes."""
        del frame
        raise Interrupted(signum, signal.Signals(signum).name)

    def run(self) -> int:
        """Sync every selected stream; return the process exit code."""
        streams = [
            stream
            for stream in self.streams.values()
            if (stream.selected or stream.has_selected_descendents)
            and not stream.parent_stream_type
        ]
        output = self.message_writer
        assert isinstance(output, SingerOutput)
        started = time.monotonic()
        # Start from the full incoming state, so every later STATE carries every stream.
        output.write_message(StateMessage(value=copy.deepcopy(self.state)))
        failures = sync_streams(streams, output, self.settings.max_parallel_streams)
        output.flush()
        log_summary(self.logger, streams, time.monotonic() - started)
        return self._report(failures)

    def _report(self, failures: list[Failure]) -> int:
        if not failures:
            return 0
        fatal = [failure for failure in failures if failure.fatal]
        if fatal:
            self.logger.error("%s", fatal[0].message)
            return 1
        names = ", ".join(failure.stream for failure in failures)
        self.logger.error(
            "%d stream(s) did not complete: %s. The others finished and kept their "
            "bookmarks; see the messages above.",
            len(failures),
            names,
        )
        return 1

    def check_connection(self) -> str:
        """Call the health endpoint; return a line describing the answer."""
        settings = self.settings
        client = DualEntryClient(
            api_url=settings.api_url,
            api_key=str(self.config["api_key"]),
            user_agent=f"tap-dualentry/{self.plugin_version}",
            timeout=settings.request_timeout,
            pacer=self.run_context.pacer,
            policy=self.run_context.policy,
            logger=self.logger,
            stream_name="health",
        )
        body = client.get_json(f"/public/{settings.api_version}/health/", [], expect_page=False)
        return (
            f"Connected to {settings.api_url} ({settings.api_version}): "
            f"status {body.get('status')!r} at {body.get('timestamp')}"
        )

    # Command line

    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: Any = None,  # noqa: ANN401 - click passes an open file
        catalog: Any = None,  # noqa: ANN401
    ) -> None:
        """Run a sync from the command line; exit non-zero on any failure."""
        if about:
            cls.print_about(about_format)
            sys.exit(0)
        cls.print_version(print_fn=cls.logger.info)
        try:
            tap = cls(
                config=config.config if config else {},
                state=json.loads(state.read()) if state is not None else None,
                catalog=json.loads(catalog.read()) if catalog is not None else None,
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
            )
            code = tap.run()
        except ConfigValidationError as error:
            cls.logger.error("Invalid configuration: %s", "; ".join(error.errors))
            sys.exit(1)
        except DualEntryError as error:
            cls.logger.error("%s", error)
            sys.exit(1)
        except Interrupted as interrupted:
            sys.stdout.flush()
            cls.logger.error(
                "Interrupted by %s: stopped before the sync completed. Bookmarks cover only "
                "completed passes, so the next run picks up everything not yet delivered.",
                interrupted.name,
            )
            sys.exit(128 + interrupted.signum)
        sys.exit(code)

    @classmethod
    def cb_test(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: str,
    ) -> None:
        """``--test``: call the health endpoint and report the outcome in one line."""
        if value != "all":
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        try:
            tap = cls(
                config=config.config if config else {},
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
            )
            cls.logger.info("%s", tap.check_connection())
        except ConfigValidationError as error:
            cls.logger.error("Invalid configuration: %s", "; ".join(error.errors))
            ctx.exit(1)
        except DualEntryError as error:
            cls.logger.error("Connection test failed: %s", error)
            ctx.exit(1)
        ctx.exit(0)
