"""``sptk-cli run --backend slurm`` through a real one-node Slurm (tools/slurm/local_cluster.sh).

Runs when ``CI=true`` or ``SPTK_TEST_SLURM=1`` (it starts daemons and, as root,
may apt-get install slurm-wlm and munge); skipped otherwise. The session
fixture brings the cluster up and, if it was not already running, down again.
"""

from __future__ import annotations

import re
import signal
import subprocess

import pytest

from tests.conftest import SLURM_SKIP
from tests.dispatch.helpers import (
    cli_command,
    error_lines,
    interruptible,
    process_alive,
    run_cli,
    wait_until,
)

pytestmark = [pytest.mark.slurm, SLURM_SKIP]


@pytest.fixture
def env(slurm_env) -> dict[str, str]:
    return slurm_env


def _squeue(job_id: str, env: dict[str, str], *extra: str) -> str:
    """squeue's ``<id> <STATE>`` lines for the tasks of ``job_id``."""
    return subprocess.run(["squeue", "--noheader", "--array", f"--jobs={job_id}",
                           "--format=%i %T", *extra], capture_output=True, text=True,
                          env=env).stdout


def test_array_failure_and_pick_failed(workdir, env):
    args = ["run", "--backend", "slurm", "--mem", "50M", "JOB=1:4", "logs/x.JOB.log", "--"]
    proc = run_cli(*args, "echo job JOB on $(hostname); [ JOB != 3 ]", cwd=workdir, env=env,
                   timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert error_lines(proc) == [
        "error: 1 of 4 jobs failed: 3 (logs/x.3.log); rerun them with --pick failed"]
    for job in range(1, 5):
        lines = (workdir / f"logs/x.{job}.log").read_text().splitlines()
        assert lines[0].startswith(f"# echo job {job} on")
        assert lines[2].startswith(f"job {job} on ")
        assert re.match(rf"# Ended \(code {int(job == 3)}\) at .*, elapsed \d+ s, run [0-9a-f]+$",
                        lines[-1])

    before = {j: (workdir / f"logs/x.{j}.log").stat().st_mtime_ns for j in (1, 2, 4)}
    proc = run_cli(*args[:3], "--pick", "failed", *args[3:], "echo rerun JOB", cwd=workdir,
                   env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--array=3 " in proc.stderr  # the submission line logged by the backend
    assert "rerun 3" in (workdir / "logs/x.3.log").read_text()
    assert {j: (workdir / f"logs/x.{j}.log").stat().st_mtime_ns for j in before} == before


def test_sigint_cancels_the_array(workdir, env):
    cmd = "sleep 120 & echo $! > pid.JOB; wait"
    proc = subprocess.Popen(
        cli_command("run", "--backend", "slurm", "JOB=1:3", "logs/s.JOB.log", "--", cmd),
        cwd=workdir, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible)
    pid_file = workdir / "pid.1"
    wait_until(lambda: pid_file.is_file() and pid_file.read_text().strip(), timeout=60,
               what="job 1 to start")
    sleep_pid = int(pid_file.read_text())
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    job_id = re.search(r"cancelled Slurm job (\d+) \(scancel\)", stderr).group(1)
    assert _squeue(job_id, env) == ""  # nothing pending or running
    # no accounting database here (sacct is disabled): squeue keeps finished tasks a while
    states = _squeue(job_id, env, "--states=all").split()
    assert states and set(states[1::2]) == {"CANCELLED"}, states
    wait_until(lambda: not process_alive(sleep_pid), timeout=15, what="the job's sleep to die")
    assert "# Ended" not in (workdir / "logs/s.1.log").read_text()


def test_partition_that_does_not_exist(workdir, env):
    proc = run_cli("run", "--backend", "slurm", "--opt", "partition=nosuch", "JOB=1:2",
                   "logs/p.JOB.log", "--", "true", cwd=workdir, env=env, timeout=60)
    assert proc.returncode == 2
    [error] = error_lines(proc)
    assert error.startswith("error: sbatch failed"), error
    assert "invalid partition" in error.lower(), error
