"""Job arrays in Kaldi's ``JOB=1:N`` form: the range, the log path, the command.

``sptk-cli run JOB=1:4 logs/x.JOB.log -- cmd --shard JOB/4`` describes four
jobs. The variable (``JOB`` here, any ``NAME`` in general) is replaced by the
job number in the log path and in every command argument, as Kaldi's
``run.pl`` does: a plain text replacement, no word boundaries. Without a range
(``sptk-cli run log.txt -- cmd``) there is one job, numbered 1.

The command is one shell string whatever the backend: a single argument is
taken as written (so pipes and redirections work); several arguments are
quoted with :func:`shlex.join`. Both backends run it with ``bash -c``.

Example:
    >>> jobs = JobArray.from_args("JOB=1:2", "logs/x.JOB.log", ["echo", "JOB"])
    >>> [(j, jobs.log_path(j), jobs.command(j)) for j in jobs.ids]
    [(1, 'logs/x.1.log', 'echo 1'), (2, 'logs/x.2.log', 'echo 2')]
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

from toolkit.errors import UserError

_RANGE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$")
_BOUNDS = re.compile(r"^(?P<start>\d+)(?::(?P<end>\d+))?$")
MAX_JOBS = 100_000  # one job script holds them all; more is a typo (JOB=1:1000000000)


def looks_like_range(text: str) -> bool:
    """True when ``text`` is meant as a job range (``NAME=...``), valid or not."""
    return _RANGE.match(text) is not None


def parse_job_range(text: str) -> tuple[str, int, int]:
    """Parse ``NAME=START:END`` (or ``NAME=K`` for one job) into its parts.

    Args:
        text: e.g. ``"JOB=1:4"``.

    Returns:
        ``(name, start, end)`` with ``0 <= start <= end``.

    Raises:
        UserError: the text is not a range of non-negative integers in order.
    """
    match = _RANGE.match(text)
    bounds = _BOUNDS.match(match.group("rest")) if match else None
    if not match or not bounds:
        raise UserError(
            f"bad job range {text!r}: expected NAME=START:END with integers, e.g. JOB=1:4"
        )
    start = int(bounds.group("start"))
    end = int(bounds.group("end") or start)
    if end < start:
        raise UserError(f"bad job range {text!r}: the end ({end}) is before the start ({start})")
    if end - start + 1 > MAX_JOBS:
        raise UserError(f"bad job range {text!r}: {end - start + 1} jobs, more than the "
                        f"{MAX_JOBS} one run can hold; split the work into fewer, larger jobs")
    return match.group("name"), start, end


def command_string(argv: list[str]) -> str:
    """The shell string both backends run: one argument as is, several joined and quoted."""
    if not argv or (len(argv) == 1 and not argv[0].strip()):
        raise UserError("no command to run: give it after '--', e.g. -- echo JOB")
    return argv[0] if len(argv) == 1 else shlex.join(argv)


@dataclasses.dataclass(frozen=True)
class JobArray:
    """A numbered set of jobs sharing one log path template and one command template.

    Attributes:
        var: the variable replaced by the job number (``"JOB"``); ``None`` for one job.
        start: first job number.
        end: last job number (inclusive).
        log_template: log path with the variable, e.g. ``"logs/x.JOB.log"``.
        argv: the command arguments, with the variable.
    """

    var: str | None
    start: int
    end: int
    log_template: str
    argv: tuple[str, ...]

    def __post_init__(self) -> None:
        command_string(list(self.argv))  # fail early on an empty command
        if not self.log_template:
            raise UserError("no log file given: expected [JOB=1:N] LOG -- CMD ...")
        if len(self.ids) > 1 and self.var not in self.log_template:
            raise UserError(
                f"log path {self.log_template!r} does not contain {self.var}: "
                f"the {len(self.ids)} jobs' logs would overwrite each other "
                f"(e.g. use logs/name.{self.var}.log)"
            )

    @classmethod
    def from_args(cls, job_range: str | None, log_template: str, argv: list[str]) -> JobArray:
        """Build from the command-line pieces; ``job_range`` ``None`` means one job."""
        if job_range is None:
            return cls(None, 1, 1, log_template, tuple(argv))
        var, start, end = parse_job_range(job_range)
        return cls(var, start, end, log_template, tuple(argv))

    @property
    def ids(self) -> list[int]:
        """Job numbers, in order."""
        return list(range(self.start, self.end + 1))

    def _substitute(self, text: str, job: int) -> str:
        return text.replace(self.var, str(job)) if self.var else text

    def log_path(self, job: int) -> str:
        """Log path of ``job`` as the user wrote it (relative paths stay relative)."""
        return self._substitute(self.log_template, job)

    def command(self, job: int) -> str:
        """Shell command of ``job``: the variable replaced in every argument."""
        return command_string([self._substitute(a, job) for a in self.argv])

    @property
    def name(self) -> str:
        """Short name for scripts and scheduler jobs: the log name without the variable."""
        stem = Path(self.log_template).name
        stem = stem[: -len(".log")] if stem.endswith(".log") else stem
        if self.var:
            stem = re.sub(rf"[._-]?{re.escape(self.var)}", "", stem)
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip("._-")
        return stem or "job"

    @property
    def queue_dir(self) -> Path:
        """``<logdir>/q``: where job scripts go (the first log folder without the variable)."""
        parent = Path(self.log_template).parent
        while self.var and self.var in str(parent):
            parent = parent.parent
        return parent / "q"
