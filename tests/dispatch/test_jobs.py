"""Job ranges, substitution and the job script text."""

import subprocess
from pathlib import Path

import pytest

from toolkit.dispatch.jobs import JobArray, command_string, parse_job_range
from toolkit.dispatch.script import write_job_script
from toolkit.errors import UserError


def test_parse_job_range():
    assert parse_job_range("JOB=1:4") == ("JOB", 1, 4)
    assert parse_job_range("SPLIT=0:0") == ("SPLIT", 0, 0)
    assert parse_job_range("JOB=7") == ("JOB", 7, 7)


@pytest.mark.parametrize("text, words", [
    ("JOB=3:1", "end (1) is before the start (3)"),
    ("JOB=a:b", "expected NAME=START:END"),
    ("JOB=1:", "expected NAME=START:END"),
    ("JOB=-1:2", "expected NAME=START:END"),
    ("1JOB=1:2", "expected NAME=START:END"),
])
def test_parse_job_range_rejects(text, words):
    with pytest.raises(UserError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_job_range(text)


def test_substitution_in_log_and_every_argument():
    jobs = JobArray.from_args("JOB=2:3", "exp/log/feats.JOB.log",
                              ["cmd", "--shard", "JOB/3", "out JOB.txt"])
    assert jobs.ids == [2, 3]
    assert jobs.log_path(2) == "exp/log/feats.2.log"
    assert jobs.command(3) == "cmd --shard 3/3 'out 3.txt'"
    assert jobs.name == "feats"
    assert jobs.queue_dir == Path("exp/log/q")


def test_any_variable_name_and_single_string_command():
    jobs = JobArray.from_args("N=1:2", "logs/N/run.log", ["echo N | tr 1 x"])
    assert jobs.command(1) == "echo 1 | tr 1 x"
    assert jobs.log_path(2) == "logs/2/run.log"
    assert jobs.queue_dir == Path("logs/q")  # the first folder without the variable


def test_single_job_form():
    jobs = JobArray.from_args(None, "log.txt", ["echo", "JOB"])
    assert jobs.ids == [1]
    assert jobs.command(1) == "echo JOB"  # no variable: nothing replaced
    assert jobs.log_path(1) == "log.txt"


def test_log_without_variable_is_an_error_for_several_jobs():
    with pytest.raises(UserError, match="would overwrite each other"):
        JobArray.from_args("JOB=1:2", "logs/x.log", ["true"])
    JobArray.from_args("JOB=1:1", "logs/x.log", ["true"])  # one job: fine


def test_empty_command_is_an_error():
    with pytest.raises(UserError, match="no command"):
        command_string([])
    with pytest.raises(UserError, match="no command"):
        JobArray.from_args("JOB=1:2", "x.JOB.log", [" "])


def test_job_script_runs_one_job_by_hand(tmp_path):
    jobs = JobArray.from_args("JOB=1:3", "logs/x.JOB.log", ["echo", "job JOB", "it's"])
    script = write_job_script(jobs, tmp_path)
    assert script == tmp_path / "logs" / "q" / "x.sh"
    proc = subprocess.run(["bash", str(script), "2"], cwd="/", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "logs" / "x.2.log").read_text().splitlines()
    assert lines[0] == "# echo 'job 2' 'it'\"'\"'s'"
    assert lines[1].startswith("# Started at ")
    assert lines[2] == "job 2 it's"
    assert lines[3].startswith("# Ended (code 0) at ")
    assert not (tmp_path / "logs" / "x.1.log").exists()


def test_job_script_takes_slurm_array_task_id_and_rejects_unknown_jobs(tmp_path):
    jobs = JobArray.from_args("JOB=1:2", "x.JOB.log", ["exit JOB"])
    script = write_job_script(jobs, tmp_path)
    env = {"SLURM_ARRAY_TASK_ID": "2", "PATH": "/usr/bin:/bin"}
    assert subprocess.run(["bash", str(script)], env=env).returncode == 2
    assert "# Ended (code 2)" in (tmp_path / "x.2.log").read_text()
    bad = subprocess.run(["bash", str(script), "9"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no job number '9'" in bad.stderr
