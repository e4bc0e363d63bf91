"""Run a job array on a backend and judge it by its log footers.

:func:`run_jobs` is the library form of ``sptk-cli run``: read the current
footers, pick the jobs to run (``--pick``), set their old logs aside (so a job
that never starts cannot pass for finished; they come back if the scheduler
refuses the submission), write the job script, run it on the backend, and read
the footers again. It returns when every job of the
range ended with code 0 and raises :class:`~toolkit.dispatch.status.JobsFailed`
(one summary line naming each failed job and its log) otherwise.

Example:
    >>> jobs = JobArray.from_args("JOB=1:4", "logs/x.JOB.log", ["echo JOB | wc -c"])
    >>> run_jobs(jobs, backend="local", max_jobs=2)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from toolkit.dispatch.jobs import JobArray
from toolkit.dispatch.script import write_job_script
from toolkit.dispatch.status import (
    JobsFailed,
    JobStatus,
    SubmitError,
    check_not_running,
    check_pick,
    failure_summary,
    job_status,
    pick_jobs,
)
from toolkit.errors import UserError
from toolkit.fsutil import exclusive_lock

log = logging.getLogger(__name__)
BACKENDS = ("local", "slurm")


def check_backend(backend: str) -> str:
    """Validate a ``--backend`` value."""
    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r} (choose one of: {', '.join(BACKENDS)})")
    return backend


def read_statuses(jobs: JobArray, scheduler_states: dict[int, str] | None = None,
                  workdir: str | Path | None = None) -> list[JobStatus]:
    """Status of every job of ``jobs`` from its log (logs relative to ``workdir``)."""
    scheduler_states = scheduler_states or {}
    workdir = Path(workdir or os.getcwd())
    return [
        job_status(job, jobs.log_path(job), scheduler_states.get(job), workdir / jobs.log_path(job))
        for job in jobs.ids
    ]


@contextlib.contextmanager
def logs_set_aside(logs: list[Path]) -> Iterator[None]:
    """Rename existing ``logs`` to ``*.prev``; put them back if submission fails, else drop them.

    Old logs must not be where the new ones go: a job cancelled before it
    starts would otherwise leave last run's footer to be read as this run's.
    """
    moved = []
    for path in logs:
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, path.with_name(path.name + ".prev"))
            moved.append(path)
    try:
        yield
    except SubmitError:
        for path in moved:
            os.replace(path.with_name(path.name + ".prev"), path)
        raise
    finally:
        for path in moved:
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + ".prev").unlink()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM and SIGHUP (a closed terminal) like Ctrl-C while running jobs.

    All three raise KeyboardInterrupt, so the backend kills (or cancels) the
    running jobs before the runner exits.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def runner_lock(jobs: JobArray, workdir: Path) -> contextlib.AbstractContextManager:
    """Hold ``<logdir>/q/<name>.lock`` while running: one runner per job array at a time.

    Raises:
        UserError: another ``sptk-cli run`` of the same jobs is running (its pid named).
    """
    return exclusive_lock(
        workdir / jobs.queue_dir / f"{jobs.name}.lock",
        f"another 'sptk-cli run' (pid {{pid}}) is running the jobs of {jobs.log_template}; "
        "wait for it to end (or stop it) and rerun")


def run_jobs(jobs: JobArray, backend: str = "local", pick: str = "all",
             max_jobs: int | None = None, options: dict[str, str | int | None] | None = None,
             workdir: str | Path | None = None) -> list[JobStatus]:
    """Run the picked jobs of ``jobs`` on ``backend``; succeed only if all jobs of the range did.

    Args:
        jobs: the job array.
        backend: ``"local"`` or ``"slurm"``.
        pick: ``"all"``, ``"failed"`` or ``"incomplete"`` (see :mod:`toolkit.dispatch.status`).
        max_jobs: at most this many jobs at once (local default: CPUs; slurm: no limit).
        options: generic scheduler options (gpu, mem, time, threads, ...); the local
            backend ignores them.
        workdir: folder the commands run in and logs are relative to (default: cwd).

    Returns:
        The status of every job of the range (all succeeded).

    Raises:
        JobsFailed: some job of the range did not end with code 0 (exit status 1).
        JobsInterrupted: Ctrl-C, SIGTERM or SIGHUP; running jobs were killed (exit status 130).
        UserError: bad backend, pick, options or scheduler refusal; a picked job still
            running (its log is locked); another runner of the same jobs.
    """
    check_backend(backend)
    check_pick(pick)
    if max_jobs is not None and max_jobs < 1:
        raise UserError(f"--max-jobs must be at least 1, got {max_jobs}")
    workdir = Path(workdir or os.getcwd())
    if backend == "slurm":
        from toolkit.dispatch.slurm import check_slurm

        check_slurm(options)  # fail before any log is touched
    for job in jobs.ids:
        if (workdir / jobs.log_path(job)).is_dir():
            raise UserError(f"log {jobs.log_path(job)} is a directory; give a file path for the "
                            "log (e.g. logs/name.JOB.log)")
    with runner_lock(jobs, workdir):
        if backend == "slurm":
            from toolkit.dispatch.slurm import check_previous_array

            check_previous_array((workdir / jobs.queue_dir / f"{jobs.name}.slurm").resolve())
        statuses = read_statuses(jobs, workdir=workdir)
        picked = pick_jobs(statuses, pick)
        paths = {job: workdir / jobs.log_path(job) for job in jobs.ids}
        check_not_running(statuses, picked, paths)  # orphans of a killed runner, a 2nd shell
        scheduler_states: dict[int, str] = {}
        if not picked:
            log.info("--pick %s: no job to run", pick)
        else:
            if pick != "all":
                log.info("--pick %s: running job(s) %s", pick, ", ".join(map(str, picked)))
            script = write_job_script(jobs, workdir)
            with logs_set_aside([paths[job] for job in picked]):
                scheduler_states = _run_backend(backend, script, jobs, picked, max_jobs, options)
    statuses = read_statuses(jobs, scheduler_states, workdir)
    summary = failure_summary(statuses)
    if summary:
        raise JobsFailed(summary, [s for s in statuses if not s.ok])
    log.info("all %d job(s) succeeded (logs: %s)", len(statuses), jobs.log_template)
    return statuses


def _run_backend(backend: str, script: Path, jobs: JobArray, picked: list[int],
                 max_jobs: int | None, options: dict | None) -> dict[int, str]:
    with sigterm_as_interrupt():
        if backend == "local":
            from toolkit.dispatch.local import run_local

            if any(v not in (None, "", 0, "0") for v in (options or {}).values()):
                log.debug("local backend: ignoring scheduler options %s", options)
            run_local(script, picked, max_jobs)
            return {}
        from toolkit.dispatch.slurm import run_slurm

        return run_slurm(script, picked, jobs.name, max_jobs, options)
