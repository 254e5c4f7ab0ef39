"""Failures the tap reports to the person running it.

Each carries a one-line message that says what went wrong and what to do.
None of them ever includes the API key.
"""

from __future__ import annotations


class DualEntryError(Exception):
    """Base class: an error with a message meant for the user, not a traceback."""


class ConfigurationError(DualEntryError):
    """A setting is missing or invalid."""


class RunStoppingError(DualEntryError):
    """A failure every stream would meet the same way: it stops the whole run."""


class AuthenticationError(RunStoppingError):
    """The API key was rejected (401/403 on authentication). Stops the whole run."""


class UnreachableError(RunStoppingError):
    """The API's host could not be reached at all (refused, unknown, silent)."""


class InputFileError(DualEntryError):
    """A file named on the command line (config, state, catalog) cannot be used."""


class StreamUnavailableError(DualEntryError):
    """One endpoint refused us (a permission or a module the organisation lacks)."""


class BadRequestError(DualEntryError):
    """The API rejected a request's parameters (400/422)."""

    def __init__(self, message: str, parameters: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.parameters = parameters  # the query parameters DualEntry named, if any


class PersistentFaultError(DualEntryError):
    """A transient fault (5xx, timeout, malformed page) that outlasted every retry."""


class IncompleteStreamError(DualEntryError):
    """A full pass delivered fewer unique rows than the API says exist."""


class RecordTypeError(DualEntryError):
    """A value whose type disagrees with the schema and cannot be converted losslessly."""

    def __init__(self, message: str, path: str = "", expected: str = "", sent: str = "") -> None:
        super().__init__(message)
        self.path, self.expected, self.sent = path, expected, sent


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived; raised from the signal handler to unwind the sync.

    Derived from BaseException so that no ``except Exception`` on the way up can
    swallow it.
    """

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name


class OutputClosed(BaseException):
    """The target stopped reading the tap's output (a closed pipe).

    Derived from BaseException, as Interrupted: nothing on the way up may swallow it,
    and nothing more can be written.
    """

    message = "The target stopped reading its input: see the target's log."
