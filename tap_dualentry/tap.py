"""TapDualEntry: the command line, stream discovery from the catalogue, and the run."""

from __future__ import annotations

import copy
import signal
import sys
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any, ClassVar

import click
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from singer_sdk.singerlib.encoding.simple import StateMessage

from tap_dualentry.api import ApiAccess
from tap_dualentry.catalogue import CATALOGUE, load_schema
from tap_dualentry.clock import SYSTEM_CLOCK, Clock
from tap_dualentry.declared import Declared
from tap_dualentry.errors import (
    ConfigurationError,
    DualEntryError,
    InputFileError,
    Interrupted,
    OutputClosed,
)
from tap_dualentry.inputs import parse_json_object, parse_state, read_json_object
from tap_dualentry.lines import LineStream
from tap_dualentry.output import SingerOutput
from tap_dualentry.probe import render_json, render_text, run_probe
from tap_dualentry.scheduler import Failure, sync_streams
from tap_dualentry.sdk_bridge import BridgedStream, BridgedTap, ConfigInput
from tap_dualentry.settings import (
    CONFIG_SCHEMA,
    Settings,
    discovery_api_version,
    field_aliases,
    redact_secrets,
    unknown_settings,
)
from tap_dualentry.settings import organisation as settings_organisation
from tap_dualentry.stream import DualEntryStream, SharedRun
from tap_dualentry.summary import log_summary

# A target that stops reading ends the run as a closed pipe ends a shell pipeline
# (128 + SIGPIPE), distinct from 1 (a stream failed) and 130/143 (interrupted).
EXIT_OUTPUT_CLOSED = 141

if TYPE_CHECKING:
    from singer_sdk import Stream
    from singer_sdk.helpers.capabilities import CapabilitiesEnum
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
        errors = [*unknown_settings(self.config, self.config_jsonschema["properties"]), *errors]
        if not errors:
            try:
                Settings.from_config(self.config)
            except ConfigurationError as error:
                errors = [*errors, str(error)]
        return redact_secrets(self.config, errors)

    # Streams

    def discover_streams(self) -> list[Stream]:
        """Every catalogue entry served by the configured API version, and its line streams,
        each with what the tap adds to its schema file (see declared.py)."""
        version = discovery_api_version(self.config)
        aliases, organisation = field_aliases(self.config), settings_organisation(self.config)

        def declare(stream: BridgedStream) -> None:
            stream.primary_keys = stream.declared.keys(stream.primary_keys or ())
            stream.decimal_text = lambda: self.settings.decimal_format == "string"

        streams: list[Stream] = []
        for endpoint in CATALOGUE:
            if version == "v1" and not endpoint.v1:
                continue
            declared = Declared(aliases.get(endpoint.name, {}), organisation)
            parent = DualEntryStream(
                self,
                endpoint,
                declared.schema(load_schema(endpoint.name)),
                lambda: self.shared,
            )
            parent.declared = declared
            declare(parent)
            streams.append(parent)
            for lines in endpoint.lines:
                child_name = endpoint.child_name(lines)
                declared = Declared(aliases.get(child_name, {}), organisation)
                child = LineStream(
                    self,
                    name=child_name,
                    parent_type=DualEntryStream,
                    parent_keys=endpoint.primary_keys,
                    lines=lines,
                    schema=declared.schema(load_schema(child_name)),
                )
                child.declared = declared
                declare(child)
                parent.add_lines(child)
                streams.append(child)
        return streams

    def load_state(self, state: dict[str, Any]) -> None:
        """Load state, then bring each stream's part to this run's settings."""
        super().load_state(state)
        try:
            self.settings  # noqa: B018 - the streams' parts read them
        except ConfigurationError:
            return  # nothing runs under settings that fail; they are reported elsewhere
        for stream in self.streams.values():
            if isinstance(stream, DualEntryStream) and stream.stream_state:
                stream.adopt_state()

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
        try:
            failures = sync_streams(
                streams,
                output,
                pacer=self.shared.api.pacer,
                max_parallel=self.settings.max_parallel_streams,
            )
        except Interrupted:
            output.flush()  # records held since the last STATE: no bookmark moves with them
            raise
        output.flush()
        reports = []
        for stream in streams:
            reports.append(stream.report())
            reports += [lines.report() for lines in stream.lines if lines.selected]
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
        config: ConfigInput | None = None,
        state: Any = None,  # noqa: ANN401 - click passes an open file
        catalog: Any = None,  # noqa: ANN401
        probe: bool = False,
    ) -> None:
        """Run a sync (or ``--probe``) from the command line; exit non-zero on failure."""
        if about:
            cls.print_about(about_format)
            sys.exit(0)
        cls.print_version(print_fn=cls.logger.info)
        try:
            tap = cls(
                config=config.config if config else {},
                state=None if probe else _read_state(state),
                catalog=_read_catalog(catalog),
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
            )
            code = tap.probe(about_format) if probe else tap.run()
        except ConfigValidationError as error:
            cls.logger.error("Invalid configuration: %s", "; ".join(error.errors))
            sys.exit(1)
        except DualEntryError as error:
            cls.logger.error("%s", error)
            sys.exit(1)
        except OutputClosed:
            cls.logger.error(
                "%s Nothing was written after that point, so no state the target may "
                "have saved covers rows it did not receive.",
                OutputClosed.message,
            )
            sys.exit(EXIT_OUTPUT_CLOSED)
        except Interrupted as interrupted:
            sys.stdout.flush()
            cls.logger.error(
                "Interrupted by %s: stopped before the sync completed. Bookmarks cover only "
                "completed passes, so the next run picks up everything not yet delivered.",
                interrupted.name,
            )
            sys.exit(128 + interrupted.signum)
        sys.exit(code)

    def probe(self, output_format: str | None) -> int:
        """``--probe``: ask the API which of the tap's assumptions hold; print the report."""
        report = run_probe(self.settings, self.shared.api, self.logger)
        render = render_json if output_format == "json" else render_text
        sys.stdout.write(render(report))
        sys.stdout.flush()
        return 0

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command line, and ``--probe`` (with ``--format json`` for JSON)."""
        command = super().get_singer_command()
        command.params.append(
            click.Option(
                ["--probe"],
                is_flag=True,
                help=(
                    "Ask the API, in at most 3 paced requests per endpoint, which of the "
                    "tap's assumptions hold for this organisation, and print a report with "
                    "no key and no data values (--format json for JSON)."
                ),
            )
        )
        return command

    @classmethod
    def cb_config(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: tuple[str, ...],
    ) -> ConfigInput:
        """``--config``: each file must exist and hold a JSON object; else one line."""
        try:
            for path in value:
                if path != "ENV":
                    read_json_object(path, "--config")
        except InputFileError as error:
            cls.logger.error("%s", error)
            ctx.exit(1)
        return super().cb_config(ctx, param, value)

    @classmethod
    def cb_discover(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: bool,
    ) -> None:
        """``--discover``: a setting that shapes the catalog and is wrong is one line."""
        try:
            super().cb_discover(ctx, param, value)
        except DualEntryError as error:
            cls.logger.error("%s", error)
            ctx.exit(1)

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


def _read_state(state: IO[str] | None) -> dict[str, Any] | None:
    """``--state``: a state, a STATE message or Meltano's state, or one line why not."""
    if state is None:
        return None
    return parse_state(state.read(), f"--state {state.name}")


def _read_catalog(catalog: IO[str] | None) -> dict[str, Any] | None:
    if catalog is None:
        return None
    return parse_json_object(catalog.read(), f"--catalog {catalog.name}")
