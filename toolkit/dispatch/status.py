"""Job status read from log footers; which jobs ``--pick`` reruns; the failure summary.

Every job log starts with a header and ends with a footer, both written by the
job script (not by the command) and both carrying the same random run token::

    # Started at Sat Nov 21 10:00:00 UTC 2026 on node1, run 3f9a01c2be47
    ...
    # Ended (code 0) at Sat Nov 21 10:00:03 UTC 2026, elapsed 3 s, run 3f9a01c2be47

A job succeeded when the last non-empty line of its log is a footer with code 0
and, when the header has a run token, the same token: a command that prints a
footer-like line and is then killed does not pass for finished (it cannot know
the token). Logs without a token (Kaldi's ``queue.pl`` footer, ``..., elapsed
time 3 seconds``, or older logs) are judged by their last line alone. A log
whose last line is not a footer belongs to a job that was killed or is still
running: the job script keeps its log locked (``flock``) while it runs, which
:func:`log_locked` tells; a missing log belongs to a job that never started.

``--pick`` chooses the jobs to (re)run:

- ``all``: every job of the range.
- ``failed``: only jobs whose log ends with a non-zero footer.
- ``incomplete``: every job that did not end with code 0: non-zero footer, no
  footer (killed, timed out) or no log at all.

A picked job that is still running (log locked, no footer) is never started a
second time: :func:`check_not_running` refuses the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import fcntl
import os
import re
from pathlib import Path

from toolkit.errors import UserError

PICKS = ("all", "failed", "incomplete")
MAX_LISTED = 10
_FOOTER = re.compile(
    r"^# Ended \(code (?P<code>-?\d+)\) at (?P<date>.*?)"
    r"(?:, elapsed (?:time )?(?P<elapsed>\d+(?:\.\d+)?) ?(?:s|sec|seconds?))?"
    r"(?:, run (?P<token>[0-9a-f]+))?\s*$"
)
_HEADER = re.compile(r"^# Started at .*, run (?P<token>[0-9a-f]+)\s*$")
_TAIL_BYTES = 4096
_HEAD_LINES = 2  # '# <command>' (one line) and '# Started at ...'


class JobsFailed(UserError):
    """Some jobs did not end with code 0; ``failed`` holds their :class:`JobStatus`."""

    exit_code = 1

    def __init__(self, message: str, failed: list[JobStatus]):
        super().__init__(message)
        self.failed = failed


class SubmitError(UserError):
    """The scheduler refused the jobs (nothing was started)."""


class JobsInterrupted(UserError):
    """Ctrl-C or SIGTERM stopped the run after the running jobs were killed."""

    exit_code = 130


class State(enum.Enum):
    """What a job's log says about it."""

    SUCCEEDED = "succeeded"  # footer with code 0
    FAILED = "failed"  # footer with a non-zero code
    NO_FOOTER = "no footer"  # log without footer: killed, timed out, or still running
    NO_LOG = "no log"  # never started


@dataclasses.dataclass(frozen=True)
class Footer:
    """The parsed last line of a job log."""

    code: int
    date: str
    elapsed: float | None
    token: str | None = None


@dataclasses.dataclass(frozen=True)
class JobStatus:
    """One job's state, its log, and (when known) what the scheduler said."""

    job: int
    log: str
    state: State
    code: int | None = None
    scheduler_state: str | None = None

    @property
    def ok(self) -> bool:
        return self.state is State.SUCCEEDED

    def describe(self) -> str:
        """``3 (logs/x.3.log)``, with the reason when the log has no footer."""
        details = [self.log]
        if self.state in (State.NO_FOOTER, State.NO_LOG):
            details.append(self.state.value)
        if self.scheduler_state and (self.state is not State.FAILED
                                     or self.scheduler_state not in ("COMPLETED", "FAILED")):
            details.append(self.scheduler_state)  # e.g. OUT_OF_MEMORY after code 137
        return f"{self.job} ({', '.join(details)})"


def parse_footer(line: str) -> Footer | None:
    """Parse one footer line; ``None`` when the line is not a footer."""
    match = _FOOTER.match(line.strip())
    if not match:
        return None
    elapsed = float(match.group("elapsed")) if match.group("elapsed") else None
    return Footer(int(match.group("code")), match.group("date"), elapsed, match.group("token"))


def _header_token(f) -> str | None:
    """The run token of the header (the ``# Started at`` line among the first lines)."""
    f.seek(0)
    for _ in range(_HEAD_LINES):
        line = f.readline().decode("utf-8", errors="replace")
        match = _HEADER.match(line.strip())
        if match:
            return match.group("token")
    return None


def read_footer(log: str | Path) -> Footer | None:
    """The footer ending ``log`` (``None`` if the log's last non-empty line is not one).

    When the header carries a run token, only a footer with the same token counts.

    Raises:
        FileNotFoundError: no such log.
    """
    with open(log, "rb") as f:
        token = _header_token(f)
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - _TAIL_BYTES))
        tail = f.read().decode("utf-8", errors="replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    footer = parse_footer(lines[-1]) if lines else None
    if footer is not None and token is not None and footer.token != token:
        return None  # printed by the command, not by the job script
    return footer


def log_locked(log: str | Path) -> bool:
    """True when a live process holds the job script's lock on ``log`` (the job runs)."""
    try:
        fd = os.open(log, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # a file system without locks: assume nothing runs
        return False
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing releases the lock we may have taken
    return False


def job_status(job: int, log: str, scheduler_state: str | None = None,
               path: str | Path | None = None) -> JobStatus:
    """Read the status of ``job`` from its log.

    Args:
        job: job number.
        log: the log path as shown to the user.
        scheduler_state: what the scheduler said about the job, if anything.
        path: where to read the log (default: ``log``).
    """
    try:
        footer = read_footer(path or log)
    except FileNotFoundError:
        return JobStatus(job, log, State.NO_LOG, scheduler_state=scheduler_state)
    if footer is None:
        return JobStatus(job, log, State.NO_FOOTER, scheduler_state=scheduler_state)
    state = State.SUCCEEDED if footer.code == 0 else State.FAILED
    return JobStatus(job, log, state, footer.code, scheduler_state)


def check_not_running(statuses: list[JobStatus], picked: list[int],
                      paths: dict[int, Path]) -> None:
    """Refuse to start a picked job whose log is locked and has no footer: it still runs.

    Raises:
        UserError: naming the running jobs and their logs.
    """
    by_job = {s.job: s for s in statuses}
    live = [by_job[j] for j in picked
            if by_job[j].state is State.NO_FOOTER and log_locked(paths[j])]
    if live:
        listed = ", ".join(f"{s.job} ({s.log})" for s in live[:MAX_LISTED])
        noun = "job is" if len(live) == 1 else "jobs are"
        raise UserError(f"{len(live)} {noun} still running: {listed} (a process holds the "
                        "log's lock); wait for it to end or kill it, then rerun")


def check_pick(pick: str) -> str:
    """Validate a ``--pick`` value."""
    if pick not in PICKS:
        raise UserError(f"unknown --pick value {pick!r} (choose one of: {', '.join(PICKS)})")
    return pick


def pick_jobs(statuses: list[JobStatus], pick: str) -> list[int]:
    """Job numbers to run for ``pick`` given the current statuses (see module doc)."""
    check_pick(pick)
    if pick == "all":
        return [s.job for s in statuses]
    if pick == "failed":
        return [s.job for s in statuses if s.state is State.FAILED]
    return [s.job for s in statuses if not s.ok]


def failure_summary(statuses: list[JobStatus]) -> str | None:
    """One line naming the jobs that did not succeed, or ``None`` when all did.

    Example: ``2 of 4 jobs failed: 2 (logs/x.2.log), 4 (logs/x.4.log); rerun
    them with --pick failed``. At most :data:`MAX_LISTED` jobs are named.
    """
    bad = [s for s in statuses if not s.ok]
    if not bad:
        return None
    listed = ", ".join(s.describe() for s in bad[:MAX_LISTED])
    if len(bad) > MAX_LISTED:
        listed += f" and {len(bad) - MAX_LISTED} more"
    all_footers = all(s.state is State.FAILED for s in bad)
    pick = "failed" if all_footers else "incomplete"
    noun = "job" if len(statuses) == 1 else "jobs"
    return f"{len(bad)} of {len(statuses)} {noun} failed: {listed}; rerun them with --pick {pick}"
