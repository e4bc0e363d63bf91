"""The Slurm backend against fake sbatch/squeue/sacct/scancel (see fake_slurm.py)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from tests.dispatch.fake_slurm import JOB_ID, calls, install_fake_slurm
from tests.dispatch.helpers import (
    REPO,
    cli_command,
    cli_env,
    error_lines,
    interruptible,
    process_alive,
    run_cli,
    wait_until,
)
from toolkit.dispatch.slurm import compress_ids, parse_task_states
from toolkit.dispatch.slurm_conf import DEFAULT_PATH, SlurmConf, load_slurm_conf
from toolkit.errors import ConfigError

FAST_CONF = """\
options:
  gpu: "--gres=gpu:{}"
  mem: "--mem={}"
  time: "--time={}"
  threads: "--cpus-per-task={}"
  partition: ["--partition={}", "--comment=via-{}"]
default_flags: ["--export=ALL"]
poll_interval: 0.1
"""


@pytest.fixture
def slurm_env(tmp_path):
    """Env with the fake Slurm tools first on PATH and a fast-polling site file."""
    conf = tmp_path / "slurm.yaml"
    conf.write_text(FAST_CONF)
    return cli_env(SPTK_SLURM_CONF=str(conf), **install_fake_slurm(tmp_path))


def test_compress_ids_and_parse_states():
    assert compress_ids([5, 1, 2, 3, 7, 8]) == "1-3,5,7-8"
    text = "42_1|COMPLETED\n42_1.batch|COMPLETED\n42_2|CANCELLED by 0\n42_[3-4%2]|PENDING\n7_1|X\n"
    assert parse_task_states(text, "42") == {
        1: "COMPLETED", 2: "CANCELLED", 3: "PENDING", 4: "PENDING"}


def test_default_site_file_maps_generic_options():
    conf = load_slurm_conf(DEFAULT_PATH)
    flags = conf.flags({"gpu": 2, "mem": "4G", "time": "1:00:00", "threads": 4, "qos": None})
    assert flags == ["--gres=gpu:2", "--mem=4G", "--time=1:00:00", "--cpus-per-task=4"]
    assert conf.flags({"gpu": 0, "threads": "0"}) == []  # 0 adds no flag


def test_option_without_mapping_is_an_error():
    with pytest.raises(ConfigError, match="option 'licenses' has no sbatch flag in <built-in>"):
        SlurmConf(options={"gpu": "--gres=gpu:{}"}).flags({"licenses": "matlab"})


def test_array_flags_and_footers(workdir, slurm_env):
    proc = run_cli("run", "--backend", "slurm", "--max-jobs", "2", "--mem", "4G", "--gpu", "1",
                   "--time", "0:10:00", "--threads", "3", "--opt", "partition=short",
                   "JOB=1:4", "logs/x.JOB.log", "--", "echo job JOB | tr a-z A-Z",
                   cwd=workdir, env=slurm_env)
    assert proc.returncode == 0, proc.stderr
    [argv] = calls(slurm_env["FAKE_SLURM_DIR"], "sbatch")
    script = workdir / "logs" / "q" / "x.sh"
    assert argv[0] == "--parsable" and argv[-1] == str(script)
    assert "--array=1-4%2" in argv
    assert argv.index("--export=ALL") < argv.index("--mem=4G")  # options override defaults
    for flag in ("--mem=4G", "--gres=gpu:1", "--time=0:10:00", "--cpus-per-task=3",
                 "--partition=short", "--comment=via-short", "--job-name=x"):
        assert flag in argv
    squeue = calls(slurm_env["FAKE_SLURM_DIR"], "squeue")
    assert squeue and f"--jobs={JOB_ID}" in squeue[0]
    for job in range(1, 5):
        text = (workdir / f"logs/x.{job}.log").read_text()
        assert f"JOB {job}\n" in text and "# Ended (code 0)" in text


def test_failed_job_and_pick_failed(workdir, slurm_env):
    args = ["run", "--backend", "slurm", "JOB=1:4", "logs/x.JOB.log", "--"]
    proc = run_cli(*args, "echo JOB; [ JOB != 2 ]", cwd=workdir, env=slurm_env)
    assert proc.returncode == 1
    assert error_lines(proc) == [
        "error: 1 of 4 jobs failed: 2 (logs/x.2.log); rerun them with --pick failed"]
    assert "--array=1-4" in calls(slurm_env["FAKE_SLURM_DIR"], "sbatch")[0]

    proc = run_cli("run", "--backend", "slurm", "--pick", "failed", *args[3:], "echo fixed JOB",
                   cwd=workdir, env=slurm_env)
    assert proc.returncode == 0, proc.stderr
    assert "--array=2" in calls(slurm_env["FAKE_SLURM_DIR"], "sbatch")[1]
    assert "fixed 2" in (workdir / "logs/x.2.log").read_text()
    assert "fixed" not in (workdir / "logs/x.1.log").read_text()


def test_job_killed_without_footer_reports_sacct_state(workdir, slurm_env):
    (workdir.parent / "fake-slurm" / "sacct.out").write_text(
        f"{JOB_ID}_1|COMPLETED\n{JOB_ID}_3|TIMEOUT\n{JOB_ID}_3.batch|CANCELLED\n")
    # job 3 kills its own job script, as a time limit would: no footer
    cmd = "if [ JOB = 3 ]; then kill -9 $PPID; fi; echo JOB"
    proc = run_cli("run", "--backend", "slurm", "JOB=1:3", "logs/x.JOB.log", "--", cmd,
                   cwd=workdir, env=slurm_env)
    assert proc.returncode == 1
    assert error_lines(proc) == ["error: 1 of 3 jobs failed: 3 (logs/x.3.log, no footer, "
                                 "TIMEOUT); rerun them with --pick incomplete"]


def test_sigint_cancels_the_array(workdir, slurm_env):
    cmd = "sleep 60 & echo $! > pid.JOB; wait"
    proc = subprocess.Popen(
        cli_command("run", "--backend", "slurm", "JOB=1:2", "logs/s.JOB.log", "--", cmd),
        cwd=workdir, env=slurm_env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible)
    pid_files = [workdir / "pid.1", workdir / "pid.2"]
    wait_until(lambda: all(p.is_file() and p.read_text().strip() for p in pid_files),
               what="both tasks to start")
    sleeps = [int(p.read_text()) for p in pid_files]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert f"error: interrupted: cancelled Slurm job {JOB_ID} (scancel)" in stderr
    assert calls(slurm_env["FAKE_SLURM_DIR"], "scancel") == [[JOB_ID]]
    wait_until(lambda: not any(process_alive(pid) for pid in sleeps), timeout=5,
               what="the tasks to die")


def test_sbatch_refusal_is_one_line_and_keeps_old_logs(workdir, slurm_env):
    run_cli("run", "--backend", "slurm", "JOB=1:2", "logs/x.JOB.log", "--", "exit JOB",
            cwd=workdir, env=slurm_env)
    old = (workdir / "logs/x.1.log").read_text()
    env = dict(slurm_env, FAKE_SBATCH_ERROR="sbatch: error: invalid partition specified: nope\n"
               "sbatch: error: Batch job submission failed: Invalid partition name specified")
    proc = run_cli("run", "--backend", "slurm", "--opt", "partition=nope", "JOB=1:2",
                   "logs/x.JOB.log", "--", "true", cwd=workdir, env=env)
    assert proc.returncode == 2
    assert error_lines(proc) == [
        "error: sbatch failed (exit 1): invalid partition specified: nope; "
        "Batch job submission failed: Invalid partition name specified"]
    assert (workdir / "logs/x.1.log").read_text() == old  # put back, not lost
    assert not list((workdir / "logs").glob("*.prev"))


def test_unknown_yaml_key_names_key_and_file(workdir, slurm_env, tmp_path):
    conf = tmp_path / "bad.yaml"
    conf.write_text("options: {}\npoll_intervall: 3\n")
    proc = run_cli("run", "--backend", "slurm", "JOB=1:2", "logs/x.JOB.log", "--", "true",
                   cwd=workdir, env=dict(slurm_env, SPTK_SLURM_CONF=str(conf)))
    assert proc.returncode == 2
    [error] = error_lines(proc)
    assert str(conf) in error and "'poll_intervall'" in error, error
    assert not (workdir / "logs").exists()  # failed before touching anything


def test_generic_option_missing_from_yaml(workdir, slurm_env):
    proc = run_cli("run", "--backend", "slurm", "--opt", "licenses=matlab", "JOB=1:2",
                   "logs/x.JOB.log", "--", "true", cwd=workdir, env=slurm_env)
    assert proc.returncode == 2
    [error] = error_lines(proc)
    assert "option 'licenses' has no sbatch flag in" in error
    assert slurm_env["SPTK_SLURM_CONF"] in error


def test_sbatch_missing_is_one_line(workdir, tmp_path):
    bin_dir = tmp_path / "empty-bin"
    bin_dir.mkdir()
    env = cli_env(PATH=str(bin_dir), SPTK_SLURM_CONF=str(REPO / "tools/backends/slurm.yaml"))
    proc = subprocess.run(cli_command("run", "--backend", "slurm", "l", "--", "true"),
                          cwd=workdir, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert error_lines(proc) == [
        "error: sbatch not found on PATH: the slurm backend needs the Slurm client commands "
        "(use --backend local, or start tools/slurm/local_cluster.sh)"]
    assert os.listdir(workdir) == []


def test_tasks_left_by_a_killed_runner_are_not_submitted_again(workdir, slurm_env):
    """SIGKILL leaves the array with the scheduler: the next run refuses while it is live."""
    args = ["run", "--backend", "slurm", "JOB=1:2", "logs/k.JOB.log", "--",
            "sleep 60 & echo $! > pid.JOB; wait"]
    proc = subprocess.Popen(cli_command(*args), cwd=workdir, env=slurm_env,
                            stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_files = [workdir / "pid.1", workdir / "pid.2"]
    record = workdir / "logs/q/k.slurm"  # written by the runner after sbatch returns: under
    # load the fake scheduler's tasks can start before it, so wait for both
    wait_until(lambda: all(p.is_file() and p.read_text().strip() for p in pid_files)
               and record.is_file() and record.read_text().strip(),
               timeout=60, what="both tasks to start and the runner to record the job")
    proc.kill()
    proc.wait()
    assert (workdir / "logs/q/k.slurm").read_text().strip() == JOB_ID
    again = run_cli("run", "--backend", "slurm", "--pick", "incomplete", *args[3:],
                    cwd=workdir, env=slurm_env)
    assert again.returncode == 2
    assert error_lines(again) == [
        f"error: Slurm job {JOB_ID} of an earlier 'sptk-cli run' still has tasks pending or "
        f"running (1-2); wait for them or 'scancel {JOB_ID}', then rerun"]
    assert len(calls(slurm_env["FAKE_SLURM_DIR"], "sbatch")) == 1
    for pid in (int(p.read_text()) for p in pid_files):
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: "RUNNING" not in subprocess.run(
        ["squeue"], env=slurm_env, capture_output=True, text=True).stdout, timeout=30,
        what="the tasks to end")
    (workdir / "pid.1").unlink()
    again = run_cli("run", "--backend", "slurm", "--pick", "incomplete", "JOB=1:2",
                    "logs/k.JOB.log", "--", "echo JOB", cwd=workdir, env=slurm_env)
    assert again.returncode == 0, again.stderr
    assert not (workdir / "logs/q/k.slurm").exists()
