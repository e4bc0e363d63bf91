"""``sptk-cli run`` on the local backend, end to end through ``python -m toolkit``."""

from __future__ import annotations

import re
import signal
import subprocess
import time

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
from toolkit.dispatch import JobArray, JobsFailed, State, read_statuses, run_jobs

FAIL_3 = "echo job JOB; [ JOB -ne 3 ]"


def test_four_jobs_job_3_fails(workdir):
    proc = run_cli("run", "JOB=1:4", "logs/x.JOB.log", "--", FAIL_3, cwd=workdir)
    assert proc.returncode == 1
    assert error_lines(proc) == [
        "error: 1 of 4 jobs failed: 3 (logs/x.3.log); rerun them with --pick failed"]
    assert "Traceback" not in proc.stderr
    for job in (1, 2, 3, 4):
        lines = (workdir / f"logs/x.{job}.log").read_text().splitlines()
        assert lines[0] == f"# echo job {job}; [ {job} -ne 3 ]"
        token = re.match(r"# Started at .+ on \S+, run ([0-9a-f]{12})$", lines[1]).group(1)
        assert lines[2] == f"job {job}"
        code = 1 if job == 3 else 0
        assert re.match(rf"# Ended \(code {code}\) at .+, elapsed \d+ s, run {token}$", lines[3])
    assert (workdir / "logs/q/x.sh").is_file()


def test_pick_failed_reruns_only_the_failed_job(workdir):
    run_cli("run", "JOB=1:4", "logs/x.JOB.log", "--", FAIL_3, cwd=workdir)
    before = {j: (workdir / f"logs/x.{j}.log").stat().st_mtime_ns for j in (1, 2, 4)}
    # the rerun succeeds because the command changed: job 3 must be its only job
    proc = run_cli("run", "--pick", "failed", "JOB=1:4", "logs/x.JOB.log", "--",
                   "echo rerun JOB", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "rerun 3" in (workdir / "logs/x.3.log").read_text()
    for job, mtime in before.items():
        log = (workdir / f"logs/x.{job}.log")
        assert log.stat().st_mtime_ns == mtime
        assert "rerun" not in log.read_text()
    assert not list((workdir / "logs").glob("*.prev"))


def test_pick_incomplete_picks_killed_and_missing_jobs(workdir):
    run_cli("run", "JOB=1:4", "logs/x.JOB.log", "--", FAIL_3, cwd=workdir)
    (workdir / "logs/x.2.log").write_text("# echo job 2\n# Started at then on here\njob 2\n")
    (workdir / "logs/x.4.log").unlink()
    jobs = JobArray.from_args("JOB=1:4", "logs/x.JOB.log", [FAIL_3])
    states = [s.state for s in read_statuses(jobs, workdir=workdir)]
    assert states == [State.SUCCEEDED, State.NO_FOOTER, State.FAILED, State.NO_LOG]

    proc = run_cli("run", "--pick", "failed", "JOB=1:4", "logs/x.JOB.log", "--", "echo again JOB",
                   cwd=workdir)
    assert proc.returncode == 1  # 3 reran fine, but 2 and 4 are still incomplete
    assert error_lines(proc) == ["error: 2 of 4 jobs failed: 2 (logs/x.2.log, no footer), "
                                 "4 (logs/x.4.log, no log); rerun them with --pick incomplete"]
    mtime_1 = (workdir / "logs/x.1.log").stat().st_mtime_ns
    proc = run_cli("run", "--pick", "incomplete", "JOB=1:4", "logs/x.JOB.log", "--",
                   "echo again JOB", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "again 2" in (workdir / "logs/x.2.log").read_text()
    assert "again 4" in (workdir / "logs/x.4.log").read_text()
    assert (workdir / "logs/x.1.log").stat().st_mtime_ns == mtime_1


def test_max_jobs_is_honoured(workdir):
    cmd = "echo start $(date +%s%N); sleep 0.3; echo end $(date +%s%N)"
    proc = run_cli("run", "--max-jobs", "2", "JOB=1:5", "logs/t.JOB.log", "--", cmd, cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    events = []
    for job in range(1, 6):
        text = (workdir / f"logs/t.{job}.log").read_text()
        events.append((int(re.search(r"start (\d+)", text).group(1)), +1))
        events.append((int(re.search(r"end (\d+)", text).group(1)), -1))
    running = peak = 0
    for _, step in sorted(events):
        running += step
        peak = max(peak, running)
    assert peak == 2


def test_pipes_and_arguments_with_spaces(workdir):
    proc = run_cli("run", "JOB=1:2", "logs/p.JOB.log", "--", "echo a-JOB b | tr a-z A-Z",
                   cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "A-2 B\n" in (workdir / "logs/p.2.log").read_text()
    proc = run_cli("run", "JOB=1:2", "logs/s.JOB.log", "--", "printf", "<%s>\\n",
                   "two words JOB", "a|b", "$HOME", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "<two words 1>\n<a|b>\n<$HOME>\n" in (workdir / "logs/s.1.log").read_text()


def test_single_job_form_and_kaldi_form_without_dashes(workdir):
    proc = run_cli("run", "one/log.txt", "--", "echo", "JOB", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "JOB\n" in (workdir / "one/log.txt").read_text()
    proc = run_cli("run", "JOB=1:2", "k.JOB.log", "echo", "--flag=JOB", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "--flag=2\n" in (workdir / "k.2.log").read_text()


@pytest.mark.parametrize("args, message", [
    (["JOB=3:1", "l.JOB", "--", "true"], "bad job range 'JOB=3:1'"),
    (["JOB=a:b", "l.JOB", "--", "true"], "bad job range 'JOB=a:b'"),
    (["JOB=1:2", "l.log", "--", "true"], "logs would overwrite each other"),
    (["JOB=1:2", "l.JOB", "--"], "no command to run"),
    (["--backend", "pbs", "l", "--", "true"], "unknown backend 'pbs'"),
    (["--pick", "some", "l", "--", "true"], "unknown --pick value 'some'"),
    (["--max-jobs", "0", "l", "--", "true"], "--max-jobs must be at least 1"),
])
def test_bad_input_gives_one_error_line(workdir, args, message):
    proc = run_cli("run", *args, cwd=workdir)
    assert proc.returncode == 2
    errors = error_lines(proc)
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_kills_running_jobs(workdir, signum):
    cmd = "sleep 60 & echo $! > pid.JOB; wait"
    proc = subprocess.Popen(cli_command("run", "JOB=1:2", "logs/s.JOB.log", "--", cmd),
                            cwd=workdir, env=cli_env(), stdin=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)
    pid_files = [workdir / "pid.1", workdir / "pid.2"]
    wait_until(lambda: all(p.is_file() and p.read_text().strip() for p in pid_files),
               what="both jobs to start")
    sleeps = [int(p.read_text()) for p in pid_files]
    assert all(process_alive(pid) for pid in sleeps)
    started = time.monotonic()
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert time.monotonic() - started < 5
    assert "error: interrupted: killed 2 running job(s) (1, 2)" in stderr
    wait_until(lambda: not any(process_alive(pid) for pid in sleeps), timeout=5,
               what="the jobs' sleeps to die")
    jobs = JobArray.from_args("JOB=1:2", "logs/s.JOB.log", [cmd])
    assert [s.state for s in read_statuses(jobs, workdir=workdir)] == [State.NO_FOOTER] * 2


def test_library_api_without_the_cli(workdir):
    jobs = JobArray.from_args("JOB=1:3", "logs/l.JOB.log", ["exit $((JOB % 2))"])
    with pytest.raises(JobsFailed) as failed:
        run_jobs(jobs, max_jobs=3, workdir=workdir)
    assert [s.job for s in failed.value.failed] == [1, 3]
    assert [s.code for s in failed.value.failed] == [1, 1]


def test_jobs_share_the_cpus_out_in_threads(workdir):
    from toolkit.dispatch.local import default_max_jobs

    env = {k: v for k, v in cli_env().items() if not k.endswith("_NUM_THREADS")}
    cmd = "echo threads $OMP_NUM_THREADS $MKL_NUM_THREADS"
    proc = subprocess.run(cli_command("run", "--max-jobs", "2", "JOB=1:3", "logs/n.JOB.log",
                                      "--", cmd), cwd=workdir, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    want = max(1, default_max_jobs() // 2)
    assert f"threads {want} {want}\n" in (workdir / "logs/n.3.log").read_text()
    env["OMP_NUM_THREADS"] = "7"                       # the user's choice wins
    proc = subprocess.run(cli_command("run", "JOB=1:2", "logs/u.JOB.log", "--", cmd),
                          cwd=workdir, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "threads 7 " in (workdir / "logs/u.1.log").read_text()
