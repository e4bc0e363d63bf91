"""Helpers for the dispatch tests: run ``python -m toolkit`` on this source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for a child ``python -m toolkit`` that tests this tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", *args]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``sptk-cli ARGS`` in ``cwd`` and capture its output."""
    return subprocess.run(cli_command(*args), cwd=cwd, env=env or cli_env(), text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


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
