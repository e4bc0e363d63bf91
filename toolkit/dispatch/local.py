"""Local backend: run the job script for each job, at most ``max_jobs`` at a time.

Each job is ``bash <script> <job>`` in its own session (so its own process
group): Ctrl-C in the terminal reaches only ``sptk-cli run``, which then kills
every running job's whole process group (SIGTERM, then SIGKILL after a grace
period) and raises :class:`~toolkit.dispatch.status.JobsInterrupted`. The jobs
it killed have no footer and are picked again by ``--pick incomplete``.

A runner that dies without cleaning up (SIGKILL, an out-of-memory kill) still
takes its jobs along: each job's stdin is a pipe whose write end only the
runner holds, and the job script kills its own process group when that pipe
reaches end of file (see :mod:`toolkit.dispatch.script`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

from toolkit.dispatch.status import JobsInterrupted

log = logging.getLogger(__name__)
POLL_SECONDS = 0.05
KILL_GRACE_SECONDS = 3.0


def default_max_jobs() -> int:
    """Number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _kill_groups(running: dict[int, subprocess.Popen]) -> None:
    """SIGTERM every running job's process group, SIGKILL what is left after the grace."""
    for proc in running.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    for proc in running.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    for proc in running.values():
        # the group may outlive its leader (background children): kill it regardless
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        _close_lifeline(proc)


def _close_lifeline(proc: subprocess.Popen) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def job_env(concurrent: int) -> dict[str, str]:
    """Environment of a local job: the CPUs shared out among the jobs running at once.

    Without it, N jobs of a torch or numpy command would each start one thread per
    CPU, N times too many: on 2 cores two jobs of 2 threads run several times slower
    than two of 1. A value the user exported is kept.
    """
    env = dict(os.environ)
    env["SPTK_WATCH_RUNNER"] = "1"
    threads = str(max(1, default_max_jobs() // max(1, concurrent)))
    for var in THREAD_VARS:
        env.setdefault(var, threads)
    return env


def run_local(script: str | Path, jobs: list[int], max_jobs: int | None = None) -> dict[int, int]:
    """Run ``bash script J`` for each ``J`` in ``jobs`` with at most ``max_jobs`` at once.

    Each job gets ``OMP_NUM_THREADS`` (and the MKL / OpenBLAS equivalents) set to the
    CPUs divided by the jobs running at once, unless the environment already sets them.

    Args:
        script: the job script (see :mod:`toolkit.dispatch.script`).
        jobs: job numbers to run, in order of start.
        max_jobs: concurrency limit (default: the number of CPUs).

    Returns:
        Exit status of the script per job (the command's code, or negative for a signal).

    Raises:
        JobsInterrupted: on KeyboardInterrupt, after killing the running jobs.
    """
    max_jobs = max_jobs or default_max_jobs()
    pending = list(jobs)
    running: dict[int, subprocess.Popen] = {}
    codes: dict[int, int] = {}
    env = job_env(min(max_jobs, len(jobs)))
    log.info("running %d job(s) locally, at most %d at once, %s thread(s) each", len(jobs),
             max_jobs, env["OMP_NUM_THREADS"])
    try:
        while pending or running:
            while pending and len(running) < max_jobs:
                job = pending.pop(0)
                # stdin=PIPE: the job's lifeline to this process (closed when we die)
                running[job] = subprocess.Popen(
                    ["bash", str(script), str(job)], stdin=subprocess.PIPE,
                    start_new_session=True, env=env,
                )
            for job, proc in list(running.items()):
                if proc.poll() is not None:
                    codes[job] = proc.returncode
                    _close_lifeline(proc)
                    del running[job]
            if running:
                time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        killed = sorted(running)
        _kill_groups(running)
        listed = ", ".join(map(str, killed)) or "none"
        raise JobsInterrupted(
            f"interrupted: killed {len(killed)} running job(s) ({listed}); "
            "rerun the rest with --pick incomplete"
        ) from None
    return codes
