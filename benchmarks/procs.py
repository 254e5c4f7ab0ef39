"""Child processes of the benchmark: the emulator (its own CLI process) and measured runs.

The emulator runs as ``python -m dualentry_emulator`` so its CPU is never the tap's. Its
stderr log (one line per request, with the time the answer was ready and how long it took)
is the witness of what the tap asked for: request counts, 429s and the time span.
Measured children are reaped with ``os.wait4``, which gives each one's own CPU time
(user + sys) and peak RSS.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

KEY_ENV = "DUALENTRY_EMULATOR_KEY"

# "2026-11-25 13:59:20,810 GET /public/v1/customers/?a=b -> 200 key=yes 10.5ms"
_LOG_LINE = re.compile(
    r"^(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(?P<ms>\d{3}) (?P<method>[A-Z]+) "
    r"(?P<target>\S+) -> (?P<status>\S+) key=\w+(?: fault=\S+)? (?P<took>[\d.]+)ms$"
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the emulator saw it."""

    arrival: float  # epoch seconds (millisecond resolution)
    done: float
    path: str
    status: int | None  # None: connection reset
    query: tuple[tuple[str, str], ...] = ()


def parse_log(text: str) -> list[LoggedRequest]:
    """The requests of an emulator log, in order of arrival."""
    out: list[LoggedRequest] = []
    for line in text.splitlines():
        match = _LOG_LINE.match(line.strip())
        if match is None:
            continue
        done = time.mktime(time.strptime(match["stamp"], "%Y-%m-%d %H:%M:%S"))
        done += int(match["ms"]) / 1000
        took = float(match["took"]) / 1000
        status = match["status"]
        target = urlsplit(match["target"])
        out.append(
            LoggedRequest(
                arrival=done - took,
                done=done,
                path=target.path,
                status=int(status) if status.isdigit() else None,
                query=tuple(parse_qsl(target.query, keep_blank_values=True)),
            )
        )
    out.sort(key=lambda request: request.arrival)
    return out


class EmulatorProcess:
    """``python -m dualentry_emulator`` on a free loopback port, stopped on exit."""

    def __init__(
        self,
        python: str,
        workdir: Path,
        *,
        key: str,
        rows: Mapping[str, int],
        rate_limits: bool,
        scale: float = 1.0,
        seed: int = 1,
        quiet: bool = False,
        prerender: bool = False,
    ) -> None:
        self._command = [python, "-m", "dualentry_emulator", "--seed", str(seed)]
        for name, count in rows.items():
            self._command += ["--rows", f"{name}={count}"]
        self._command += ["--rate-limits", "documented" if rate_limits else "off"]
        self._command += ["--scale", str(scale)]
        if quiet:
            self._command.append("--quiet")
        if prerender:
            self._command.append("--prerender")
        self._key = key
        self._log_path = workdir / f"emulator-{os.getpid()}-{time.monotonic_ns()}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> EmulatorProcess:
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._command,
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, KEY_ENV: self._key},
            )
        assert self._process.stdout is not None
        # The first stdout line comes once the server accepts connections; a large table
        # takes seconds to build, so wait for it with a generous bound.
        line = _readline_with_timeout(self._process, 300.0)
        if not line.startswith("DUALENTRY_EMULATOR_URL="):
            self.__exit__(None, None, None)
            detail = self._log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"emulator did not start: {line!r}\n{detail}")
        self.url = line.strip().split("=", 1)[1]
        return self

    def __exit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._process = None

    def cpu_seconds(self) -> float:
        """CPU time (user + sys) the emulator process has used so far (Linux /proc)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return ticks / os.sysconf("SC_CLK_TCK")

    def requests(self) -> list[LoggedRequest]:
        """Every request logged so far."""
        return parse_log(self._log_path.read_text(encoding="utf-8", errors="replace"))

    def mark(self) -> int:
        """A position in the log; ``requests_since(mark)`` gives what came after it."""
        return len(self.requests())

    def requests_since(self, mark: int) -> list[LoggedRequest]:
        return self.requests()[mark:]


def _readline_with_timeout(process: subprocess.Popen[bytes], timeout: float) -> str:
    result: list[bytes] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    return result[0].decode() if result else ""


@dataclass(frozen=True)
class ChildResult:
    """What one measured child process cost."""

    returncode: int
    wall: float  # seconds, from spawn to exit
    user: float  # CPU seconds
    sys: float
    maxrss_kib: int  # ru_maxrss: on Linux it keeps the forking parent's size, see peak_kib
    peak_kib: int  # VmHWM of the child's own address space, polled until it exits
    stderr: str

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def run_child(
    command: Sequence[str],
    *,
    stdout: Path | None,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800.0,
) -> ChildResult:
    """Run a command to its end; stdout to a file (or /dev/null), stderr kept."""
    err_path = Path(str(stdout or "/tmp/bench-devnull") + f".{time.monotonic_ns()}.err")
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(stdout or os.devnull, "wb"))  # noqa: PTH123
        err = stack.enter_context(err_path.open("wb"))
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=out, stderr=err, env={**os.environ, **(env or {})}
        )
        # A bounded run: a stuck child is killed rather than hanging the benchmark.
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        peak = _PeakWatcher(process.pid)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
            peak.stop()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    err_path.unlink()
    return ChildResult(
        returncode=process.returncode,
        wall=wall,
        user=usage.ru_utime,
        sys=usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
        peak_kib=peak.kib,
        stderr=stderr,
    )


class _PeakWatcher:
    """Polls a child's VmHWM (peak resident set of its own address space).

    ``ru_maxrss`` from ``wait4`` is no use for a child forked from a large parent: Linux
    carries the parent's high-water mark over the fork and the exec. VmHWM is reset by
    the exec and only grows, so its last reading is the peak (to within one poll).
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self._path = Path(f"/proc/{pid}/status")
        self._interval = interval
        self._stopped = threading.Event()
        self.kib = 0
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stopped.is_set():
            try:
                for line in self._path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                pass  # not started yet, or already gone
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence prints of imported libraries (the SDK logs to stderr only, but be sure)."""
    saved = sys.stdout
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: PTH123, SIM115
        yield
    finally:
        sys.stdout.close()
        sys.stdout = saved
