"""Footers, --pick selection and the failure summary."""

import pytest

from toolkit.dispatch.status import (
    JobStatus,
    State,
    check_pick,
    failure_summary,
    job_status,
    parse_footer,
    pick_jobs,
    read_footer,
)
from toolkit.errors import UserError


def test_parse_footer_formats():
    ours = parse_footer("# Ended (code 3) at Sat Nov 21 10:00:03 UTC 2026, elapsed 12 s")
    assert (ours.code, ours.elapsed) == (3, 12.0)
    assert ours.date == "Sat Nov 21 10:00:03 UTC 2026"
    kaldi = parse_footer("# Ended (code 0) at Sat Nov 21 10:00:03 UTC 2026, elapsed time 3 seconds")
    assert (kaldi.code, kaldi.elapsed) == (0, 3.0)
    bare = parse_footer("# Ended (code 137) at Sat Nov 21 10:00:03 UTC 2026\r\n")
    assert (bare.code, bare.elapsed) == (137, None)
    assert parse_footer("# Started at Sat Nov 21 10:00:03 UTC 2026 on vm") is None
    assert parse_footer("Ended (code 0)") is None


def _log(path, *lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_read_footer_uses_the_last_non_empty_line(tmp_path):
    ok = _log(tmp_path / "ok.log", "# cmd", "out", "# Ended (code 0) at d, elapsed 1 s", "", "  ")
    assert read_footer(ok).code == 0
    killed = _log(tmp_path / "k.log", "# cmd", "# Ended (code 0) at d, elapsed 1 s", "more output")
    assert read_footer(killed) is None  # output after a footer: that footer is not the end
    assert read_footer(_log(tmp_path / "empty.log")) is None


def test_job_status_states(tmp_path):
    assert job_status(1, _log(tmp_path / "a", "# Ended (code 0) at d")).state is State.SUCCEEDED
    failed = job_status(2, _log(tmp_path / "b", "# Ended (code 2) at d"))
    assert (failed.state, failed.code) == (State.FAILED, 2)
    assert job_status(3, _log(tmp_path / "c", "# cmd", "partial")).state is State.NO_FOOTER
    assert job_status(4, str(tmp_path / "missing")).state is State.NO_LOG


STATUSES = [
    JobStatus(1, "l.1", State.SUCCEEDED, 0),
    JobStatus(2, "l.2", State.FAILED, 1),
    JobStatus(3, "l.3", State.NO_FOOTER, scheduler_state="TIMEOUT"),
    JobStatus(4, "l.4", State.NO_LOG),
]


def test_pick_jobs():
    assert pick_jobs(STATUSES, "all") == [1, 2, 3, 4]
    assert pick_jobs(STATUSES, "failed") == [2]
    assert pick_jobs(STATUSES, "incomplete") == [2, 3, 4]
    with pytest.raises(UserError, match="unknown --pick value 'some'"):
        check_pick("some")


def test_failure_summary():
    assert failure_summary(STATUSES[:1]) is None
    assert failure_summary(STATUSES[:2]) == (
        "1 of 2 jobs failed: 2 (l.2); rerun them with --pick failed")
    assert failure_summary(STATUSES) == (
        "3 of 4 jobs failed: 2 (l.2), 3 (l.3, no footer, TIMEOUT), 4 (l.4, no log); "
        "rerun them with --pick incomplete")


def test_scheduler_state_shown_when_it_explains_the_failure():
    oom = JobStatus(5, "l.5", State.FAILED, 137, scheduler_state="OUT_OF_MEMORY")
    assert oom.describe() == "5 (l.5, OUT_OF_MEMORY)"
    assert JobStatus(6, "l.6", State.FAILED, 1, scheduler_state="FAILED").describe() == "6 (l.6)"


def test_failure_summary_lists_at_most_ten():
    many = [JobStatus(j, f"l.{j}", State.FAILED, 1) for j in range(1, 14)]
    summary = failure_summary(many)
    assert summary.startswith("13 of 13 jobs failed: 1 (l.1), ")
    assert "10 (l.10) and 3 more; rerun them with --pick failed" in summary
    assert "11 (l.11)" not in summary


def test_only_the_footer_with_the_header_token_counts(tmp_path):
    header = "# Started at Sat Nov 21 10:00:00 UTC 2026 on vm, run 0a1b2c3d4e5f"
    ok = _log(tmp_path / "ok.log", "# cmd", header, "out",
              "# Ended (code 0) at Sat Nov 21 10:00:03 UTC 2026, elapsed 3 s, run 0a1b2c3d4e5f")
    assert read_footer(ok).token == "0a1b2c3d4e5f"
    assert job_status(1, ok).state is State.SUCCEEDED
    for fake in ("# Ended (code 0) at Sat Nov 21 10:00:03 UTC 2026, elapsed 3 s",
                 "# Ended (code 0) at now, elapsed 3 s, run ffffffffffff"):
        killed = _log(tmp_path / "fake.log", "# cmd", header, fake)
        assert read_footer(killed) is None
        assert job_status(2, killed).state is State.NO_FOOTER
