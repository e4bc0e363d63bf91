"""Slurm backend: one ``sbatch --array`` of the job script, polled with ``squeue``.

The job script (:mod:`toolkit.dispatch.script`) is submitted once as
``sbatch --parsable --array=<ids>[%K] <flags> script.sh``; each array task
reads its job number from ``$SLURM_ARRAY_TASK_ID``. ``ids`` may be a subset of
the range (``--pick``). The flags come from the site file
(:mod:`toolkit.dispatch.slurm_conf`). ``squeue`` is polled until no task is
pending or running; success is then read from the log footers as for the local
backend. ``sacct`` (when accounting is enabled; otherwise the states ``squeue``
last showed) tells why a job died without a footer: TIMEOUT, OUT_OF_MEMORY,
NODE_FAIL, CANCELLED. Ctrl-C or SIGTERM cancels the array with ``scancel``.

Array tasks belong to the scheduler, not to the runner: a runner killed
outright (SIGKILL) leaves them pending or running. The job id is therefore
recorded in ``<logdir>/q/<name>.slurm`` while the array is out, and the next
run of the same jobs refuses to submit while squeue still shows any of its
tasks pending or running (:func:`check_previous_array`), so no job runs twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import subprocess
import time
from pathlib import Path

from toolkit.dispatch.slurm_conf import SlurmConf, load_slurm_conf
from toolkit.dispatch.status import JobsInterrupted, SubmitError
from toolkit.errors import UserError

log = logging.getLogger(__name__)
# Array task states after which nothing will run any more.
FINAL_STATES = {
    "BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL",
    "OUT_OF_MEMORY", "PREEMPTED", "REVOKED", "TIMEOUT",
}
CANCEL_WAIT_SECONDS = 10.0
_TASK = re.compile(r"^(?P<job>\d+)_(?P<tasks>\d+|\[[^\]]*\])$")


def compress_ids(ids: list[int]) -> str:
    """``[1, 2, 3, 5, 7, 8]`` -> ``"1-3,5,7-8"`` (the ``--array`` syntax)."""
    parts: list[str] = []
    ids = sorted(set(ids))
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(parts)


def _expand_tasks(spec: str) -> list[int]:
    """``"3"`` or ``"[1-3,5%2]"`` (squeue/sacct task field) -> task numbers."""
    spec = spec.strip("[]").split("%")[0]
    out: list[int] = []
    for part in filter(None, spec.split(",")):
        low, _, high = part.partition("-")
        with contextlib.suppress(ValueError):
            out.extend(range(int(low), int(high or low) + 1))
    return out


def parse_task_states(text: str, job_id: str) -> dict[int, str]:
    """Read ``<jobid>_<task>|<STATE>`` lines (squeue ``-o %i|%T``, sacct ``-P``).

    Lines of other jobs and job steps (``123_4.batch``) are ignored; a state
    like ``CANCELLED by 0`` becomes ``CANCELLED``.
    """
    states: dict[int, str] = {}
    for line in text.splitlines():
        ident, _, state = line.strip().partition("|")
        match = _TASK.match(ident.strip())
        if not match or match.group("job") != job_id or not state.strip():
            continue
        for task in _expand_tasks(match.group("tasks")):
            states[task] = state.split()[0].rstrip("+")
    return states


def _one_line(text: str) -> str:
    lines = [re.sub(r"^\w+: error: ", "", ln).strip() for ln in text.splitlines()]
    return "; ".join(ln for ln in lines if ln) or "no message"


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise UserError(
            f"{tool} not found on PATH: the slurm backend needs the Slurm client commands "
            "(use --backend local, or start tools/slurm/local_cluster.sh)"
        )
    return path


def submit(script: Path, jobs: list[int], name: str, flags: list[str],
           max_jobs: int | None = None) -> str:
    """Submit ``script`` as an array over ``jobs``; return the Slurm job id.

    Raises:
        UserError: sbatch missing.
        SubmitError: sbatch refused the job (its message in one line).
    """
    array = compress_ids(jobs) + (f"%{max_jobs}" if max_jobs else "")
    out_pattern = script.parent / f"{script.stem}.%a.out"  # only the script's own errors land here
    cmd = [_require("sbatch"), "--parsable", f"--array={array}", f"--job-name={name}",
           f"--output={out_pattern}", *flags, str(script)]
    log.info("submitting: %s", " ".join(cmd[1:]))
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SubmitError(f"sbatch failed (exit {proc.returncode}): {_one_line(proc.stderr)}")
    job_id = proc.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SubmitError(f"sbatch printed no job id (got {proc.stdout.strip()!r})")
    return job_id


def query_squeue(job_id: str) -> dict[int, str] | None:
    """Task states of ``job_id`` as squeue shows them; ``None`` when squeue failed."""
    cmd = [_require("squeue"), "--noheader", "--array", "--states=all", f"--jobs={job_id}",
           "--format=%i|%T"]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        if "Invalid job id" in proc.stderr:  # purged from the controller: finished long ago
            return {}
        log.warning("squeue failed (will retry): %s", _one_line(proc.stderr))
        return None
    return parse_task_states(proc.stdout, job_id)


def query_sacct(job_id: str) -> dict[int, str]:
    """Final task states from accounting; empty when sacct is missing or disabled."""
    if not shutil.which("sacct"):
        return {}
    cmd = ["sacct", "--noheader", "--parsable2", "--allocations", f"--jobs={job_id}",
           "--format=JobID,State"]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        log.debug("sacct unavailable: %s", _one_line(proc.stderr))
        return {}
    return parse_task_states(proc.stdout, job_id)


def wait_for(job_id: str, jobs: list[int], poll_interval: float) -> dict[int, str]:
    """Poll squeue until no task of ``jobs`` is pending or running; return the last states."""
    states: dict[int, str] = {}
    while True:
        seen = query_squeue(job_id)
        if seen is not None:
            states.update(seen)
            if all(seen.get(j, "COMPLETED") in FINAL_STATES for j in jobs):
                return states
        time.sleep(poll_interval)


def cancel(job_id: str, jobs: list[int], poll_interval: float) -> None:
    """``scancel`` the array and wait (a few seconds at most) for its tasks to stop."""
    proc = subprocess.run([_require("scancel"), job_id], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        log.warning("scancel %s failed: %s", job_id, _one_line(proc.stderr))
        return
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while time.monotonic() < deadline:
        seen = query_squeue(job_id)
        if seen is not None and all(seen.get(j, "CANCELLED") in FINAL_STATES for j in jobs):
            return
        time.sleep(min(poll_interval, 0.5))


def check_slurm(options: dict[str, str | int | None] | None = None,
                conf: SlurmConf | None = None) -> tuple[SlurmConf, list[str]]:
    """Fail before anything is touched: client commands on PATH, site file valid, options known.

    Returns:
        The site config and the sbatch flags for ``options``.
    """
    for tool in ("sbatch", "squeue", "scancel"):
        _require(tool)
    conf = conf or load_slurm_conf()
    return conf, list(conf.default_flags) + conf.flags(options or {})


def check_previous_array(record: Path) -> None:
    """Refuse to submit while the array recorded in ``record`` still has live tasks.

    Raises:
        UserError: naming the Slurm job id and its live tasks.
    """
    try:
        job_id = record.read_text().strip()
    except FileNotFoundError:
        return
    if not job_id.isdigit():
        record.unlink(missing_ok=True)
        return
    states = query_squeue(job_id)
    if states is None:
        raise UserError(f"cannot tell whether Slurm job {job_id} of an earlier run still runs "
                        f"(squeue failed); check with squeue, then remove {record}")
    live = sorted(t for t, state in states.items() if state not in FINAL_STATES)
    if live:
        listed = compress_ids(live)
        raise UserError(f"Slurm job {job_id} of an earlier 'sptk-cli run' still has tasks "
                        f"pending or running ({listed}); wait for them or 'scancel {job_id}', "
                        "then rerun")
    record.unlink(missing_ok=True)


def run_slurm(script: str | Path, jobs: list[int], name: str, max_jobs: int | None = None,
              options: dict[str, str | int | None] | None = None,
              conf: SlurmConf | None = None) -> dict[int, str]:
    """Submit ``jobs`` of ``script`` as one array, wait, and return Slurm's final states.

    Args:
        script: the job script (see :mod:`toolkit.dispatch.script`).
        jobs: job numbers (array task ids) to run.
        name: the Slurm job name.
        max_jobs: at most this many tasks run at once (``%K``); ``None``: no limit.
        options: generic options (gpu, mem, time, threads, partition, ...).
        conf: site file (default: :func:`~toolkit.dispatch.slurm_conf.load_slurm_conf`).

    Returns:
        Task number -> Slurm state (from sacct, or squeue's last view).

    Raises:
        UserError: Slurm commands missing, unknown option.
        SubmitError: sbatch refused the job.
        JobsInterrupted: on KeyboardInterrupt, after ``scancel``.
    """
    from toolkit.fsutil import atomic_write_text

    conf, flags = check_slurm(options, conf)
    record = Path(script).with_suffix(".slurm")  # the caller ran check_previous_array
    job_id = submit(Path(script), jobs, name, flags, max_jobs)
    try:  # from here on a Ctrl-C must cancel the array, even before the first poll
        atomic_write_text(record, job_id + "\n")
        log.info("submitted Slurm job %s: %d task(s); waiting (squeue every %g s)",
                 job_id, len(jobs), conf.poll_interval)
        states = wait_for(job_id, jobs, conf.poll_interval)
    except KeyboardInterrupt:
        cancel(job_id, jobs, conf.poll_interval)
        raise JobsInterrupted(
            f"interrupted: cancelled Slurm job {job_id} (scancel); "
            "rerun the rest with --pick incomplete"
        ) from None
    record.unlink(missing_ok=True)
    states.update(query_sacct(job_id))
    return {j: s for j, s in states.items() if j in set(jobs)}
