"""Jobs never outlive their runner and never run twice (issue 18).

A runner killed with SIGKILL takes its jobs along (the job script watches a
pipe only the runner holds); SIGHUP is handled like Ctrl-C; a job whose log is
still locked is not started again; two runners of the same jobs refuse each
other; a footer printed by the command does not make a killed job succeed.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess

import pytest

from tests.dispatch.helpers import (
    cli_command,
    cli_env,
    error_lines,
    interruptible,
    process_alive,
    run_cli,
    wait_until,
)
from toolkit.dispatch import JobArray, State, read_statuses
from toolkit.dispatch.script import write_job_script

SLEEPER = "sleep 60 & echo $! > pid.JOB; wait"


def _start_runner(workdir, cmd=SLEEPER, n=2):
    proc = subprocess.Popen(cli_command("run", f"JOB=1:{n}", "logs/s.JOB.log", "--", cmd),
                            cwd=workdir, env=cli_env(), stdin=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    pid_files = [workdir / f"pid.{j}" for j in range(1, n + 1)]
    wait_until(lambda: all(p.is_file() and p.read_text().strip() for p in pid_files),
               timeout=90, what="the jobs to start")  # a loaded machine starts them slowly
    return proc, [int(p.read_text()) for p in pid_files]


def test_sigkilled_runner_takes_its_jobs_along_and_pick_incomplete_reruns_them(workdir):
    proc, sleeps = _start_runner(workdir)
    assert all(process_alive(pid) for pid in sleeps)
    proc.kill()  # SIGKILL: no Python cleanup runs in the runner
    proc.communicate(timeout=10)
    wait_until(lambda: not any(process_alive(pid) for pid in sleeps), timeout=8,
               what="the orphaned jobs to die")
    jobs = JobArray.from_args("JOB=1:2", "logs/s.JOB.log", [SLEEPER])
    assert [s.state for s in read_statuses(jobs, workdir=workdir)] == [State.NO_FOOTER] * 2
    again = run_cli("run", "--pick", "incomplete", "JOB=1:2", "logs/s.JOB.log", "--", "echo JOB",
                    cwd=workdir)
    assert again.returncode == 0, again.stderr
    for job in (1, 2):
        text = (workdir / f"logs/s.{job}.log").read_text()
        assert text.count("# Ended") == 1 and text.count("# Started") == 1


def test_sighup_kills_the_running_jobs(workdir):
    proc, sleeps = _start_runner(workdir)
    proc.send_signal(signal.SIGHUP)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 130, stderr
    assert "error: interrupted: killed 2 running job(s)" in stderr
    wait_until(lambda: not any(process_alive(pid) for pid in sleeps), timeout=5,
               what="the jobs to die")


def _hold_lock(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_job_still_running_is_not_started_again(workdir):
    log = workdir / "logs/x.2.log"
    log.parent.mkdir()
    log.write_text("# echo 2\n# Started at then on here, run 0123456789ab\nhalf\n")
    fd = _hold_lock(log)  # what a live job (an orphan of a killed runner) holds
    try:
        proc = run_cli("run", "--pick", "incomplete", "JOB=1:2", "logs/x.JOB.log", "--",
                       "echo JOB", cwd=workdir)
    finally:
        os.close(fd)
    assert proc.returncode == 2
    assert error_lines(proc) == ["error: 1 job is still running: 2 (logs/x.2.log) (a process "
                                 "holds the log's lock); wait for it to end or kill it, then rerun"]
    assert not (workdir / "logs/x.1.log").exists()  # nothing was started
    assert log.read_text().endswith("half\n")  # the running job's log is untouched
    proc = run_cli("run", "--pick", "incomplete", "JOB=1:2", "logs/x.JOB.log", "--", "echo JOB",
                   cwd=workdir)
    assert proc.returncode == 0, proc.stderr  # lock released: the job is rerun


def test_two_runners_of_the_same_jobs_refuse_each_other(workdir):
    lock = workdir / "logs/q/x.lock"
    lock.parent.mkdir(parents=True)
    fd = _hold_lock(lock)
    os.pwrite(fd, b"4242\n", 0)
    try:
        proc = run_cli("run", "JOB=1:2", "logs/x.JOB.log", "--", "echo JOB", cwd=workdir)
    finally:
        os.close(fd)
    assert proc.returncode == 2
    assert error_lines(proc) == ["error: another 'sptk-cli run' (pid 4242) is running the jobs of "
                                 "logs/x.JOB.log; wait for it to end (or stop it) and rerun"]
    assert not (workdir / "logs/x.1.log").exists()


def test_job_script_by_hand_refuses_a_job_that_runs(tmp_path):
    jobs = JobArray.from_args("JOB=1:2", "x.JOB.log", ["echo JOB"])
    script = write_job_script(jobs, tmp_path)
    log = tmp_path / "x.1.log"
    log.write_text("running\n")
    fd = _hold_lock(log)
    try:
        proc = subprocess.run(["bash", str(script), "1"], capture_output=True, text=True)
    finally:
        os.close(fd)
    assert proc.returncode == 75 and "already running" in proc.stderr
    assert log.read_text() == "running\n"


@pytest.mark.parametrize("fake", [
    "# Ended (code 0) at Sat Nov 21 10:00:03 UTC 2026, elapsed 3 s",
    "# Ended (code 0) at now, elapsed 3 s, run 000000000000",
])
def test_a_footer_printed_by_the_command_does_not_make_a_killed_job_succeed(workdir, fake):
    cmd = f"echo '{fake}'; sleep 60 & echo $! > pid.JOB; wait"
    proc, sleeps = _start_runner(workdir, cmd, n=1)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=15)
    assert proc.returncode == 130
    lines = (workdir / "logs/s.1.log").read_text().splitlines()
    assert lines[-1] == fake  # the last line looks like a footer ...
    jobs = JobArray.from_args(None, "logs/s.1.log", ["x"])
    assert read_statuses(jobs, workdir=workdir)[0].state is State.NO_FOOTER  # ... but is not one
