"""TapDualEntry: the command line, stream discovery from the catalogue, and the run."""

from __future__ import annotations

import copy
import json
import signal
import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from singer_sdk.singerlib.encoding.simple import StateMessage

from tap_dualentry.api import ApiAccess
from tap_dualentry.catalogue import CATALOGUE, load_schema
from tap_dualentry.clock import SYSTEM_CLOCK, Clock
from tap_dualentry.errors import ConfigurationError, DualEntryError, Interrupted
from tap_dualentry.lines import LineStream
from tap_dualentry.output import SingerOutput
from tap_dualentry.scheduler import Failure, sync_streams
from tap_dualentry.sdk_bridge import BridgedTap
from tap_dualentry.settings import (
    CONFIG_SCHEMA,
    Settings,
    discovery_api_version,
    redact_secrets,
)
from tap_dualentry.stream import DualEntryStream, SharedRun
from tap_dualentry.summary import log_summary

if TYPE_CHECKING:
    import click
    from singer_sdk import Stream
    from singer_sdk.helpers.capabilities import CapabilitiesEnum
    from singer_sdk.plugin_base import _ConfigInput
    from singer_sdk.singerlib.encoding.base import GenericSingerWriter


class TapDualEntry(BridgedTap):
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

    def __init__(
        self,
        *,
        config: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
        message_writer: GenericSingerWriter[Any, Any] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """The SDK's tap; ``clock`` lets a test make time pass without waiting."""
        self.clock = clock
        super().__init__(
            config=config,
            catalog=catalog,
            state=state,
            parse_env_config=parse_env_config,
            validate_config=validate_config,
            setup_mapper=setup_mapper,
            message_writer=message_writer,
        )

    # Settings and what every stream of a run shares

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self.config)

    @cached_property
    def shared(self) -> SharedRun:
        api = ApiAccess.from_settings(
            self.settings, user_agent=f"tap-dualentry/{self.plugin_version}", clock=self.clock
        )
        return SharedRun(settings=self.settings, api=api, clock=self.clock)

    def review_config_errors(self, errors: list[str]) -> list[str]:
        """The SDK's JSON Schema checks, then ours; messages never show the API key."""
        if not errors:
            try:
                Settings.from_config(self.config)
            except ConfigurationError as error:
                errors = [*errors, str(error)]
        return redact_secrets(self.config, errors)

    # Streams

    def discover_streams(self) -> list[Stream]:
        """Every catalogue entry served by the configured API version, and its line streams."""
        version = discovery_api_version(self.config)
        streams: list[Stream] = []
        for endpoint in CATALOGUE:
            if version == "v1" and not endpoint.v1:
                continue
            parent = DualEntryStream(
                self, endpoint, load_schema(endpoint.name), lambda: self.shared
            )
            streams.append(parent)
            for lines in endpoint.lines:
                child_name = endpoint.child_name(lines)
                child = LineStream(
                    self,
                    name=child_name,
                    parent_type=DualEntryStream,
                    parent_keys=endpoint.primary_keys,
                    lines=lines,
                    schema=load_schema(child_name),
                )
                parent.add_lines(child)
                streams.append(child)
        return streams

    def load_state(self, state: dict[str, Any]) -> None:
        """Load state, then drop bookmarks whose stream filters have changed since."""
        super().load_state(state)
        for stream in self.streams.values():
            if not isinstance(stream, DualEntryStream) or not stream.replication_key:
                continue
            stored = stream.stream_state.get("filters")
            if stored is None:
                continue
            current = stream.query.signature()
            if stored == current:
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

    def on_termination(self, signum: int) -> None:
        """Unwind the sync: the bookmarks already written cover only completed passes."""
        raise Interrupted(signum, signal.Signals(signum).name)

    def run(self) -> int:
        """Sync every selected stream; return the process exit code."""
        streams = [
            stream
            for stream in self.streams.values()
            if isinstance(stream, DualEntryStream)
            and (stream.selected or stream.has_selected_descendents)
        ]
        output = self.message_writer
        assert isinstance(output, SingerOutput)
        started = self.clock.monotonic()
        # Start from the full incoming state, so every later STATE carries every stream.
        output.write_message(StateMessage(value=copy.deepcopy(self.state)))
        failures = sync_streams(
            streams,
            output,
            pacer=self.shared.api.pacer,
            max_parallel=self.settings.max_parallel_streams,
        )
        output.flush()
        reports = [stream.report() for stream in streams]
        log_summary(self.logger, reports, self.clock.monotonic() - started)
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
        api = self.shared.api
        client = api.client("health", self.logger)
        body = client.get_json(api.path("health/"), [], expect_page=False)
        return (
            f"Connected to {api.api_url} ({api.api_version}): "
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
