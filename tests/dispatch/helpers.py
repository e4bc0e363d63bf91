"""Helpers for the dispatch tests: run ``python -m toolkit`` on this source tree."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT as REPO  # noqa: F401  (re-exported for the dispatch tests)
from tests.conftest import cli_env  # noqa: F401
from tests.conftest import run_cli as _run_cli


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", *args]


def interruptible() -> None:
    """``preexec_fn`` for a child the test will interrupt: SIGINT back to its default.

    A test run started in the background of a non-interactive shell (``pytest ... &``,
    ``nohup``) inherits SIGINT ignored, which a child keeps across exec; Python then
    never turns SIGINT into KeyboardInterrupt, and the interrupt tests would time out.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``sptk-cli ARGS`` in ``cwd`` and capture its output."""
    return _run_cli(*args, cwd=cwd, env=env, timeout=timeout)


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """The ``error: ...`` lines a command printed on stderr."""
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]


def process_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
