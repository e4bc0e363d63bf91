"""``sptk-cli --help``: panels in order, flags without types, no log lines, -q/-v anywhere."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, cli_env
from toolkit.cli.app import hoist_global_flags
from toolkit.cli.main import app


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolkit", *map(str, args)], cwd=ROOT,
                          env=cli_env(COLUMNS="100"), capture_output=True, text=True, timeout=60)


def test_help_groups_commands_in_panels_in_order():
    out = _cli("--help").stdout
    panels = ["Inference", "Recipe steps", "Data", "Task tools"]
    where = [out.find(p) for p in panels]
    assert all(w > 0 for w in where) and where == sorted(where), out
    inference = out[where[0]:where[1]]
    for name in ("separate", "enhance", "cancel-echo", "classify", "synthesize"):
        assert name in inference


def test_help_shows_flags_as_flags_and_logs_nothing():
    for args in (["--help"], ["corpus", "prepare", "--help"], ["data", "validate", "-h"]):
        proc = _cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert "<bool>" not in proc.stdout and "[default: 0]" not in proc.stdout
        assert proc.stderr == "", proc.stderr


def test_quiet_and_verbose_after_the_subcommand(tmp_path):
    loud = _cli("data", "validate", tmp_path / "none")
    quiet = _cli("data", "validate", tmp_path / "none", "-q")
    assert "INFO" in loud.stderr and "INFO" not in quiet.stderr
    assert quiet.stderr.startswith("error:") or "error:" in quiet.stderr


def test_hoist_keeps_flags_of_run_commands_and_after_double_dash():
    root = __import__("typer").main.get_command(app)
    assert hoist_global_flags(root, ["data", "validate", "d", "-q"]) == ["-q", "data", "validate",
                                                                         "d"]
    assert hoist_global_flags(root, ["-v", "data", "validate", "-vv"]) == ["-vv", "-v", "data",
                                                                          "validate"]
    assert hoist_global_flags(root, ["run", "JOB=1:2", "l", "echo", "-q"])[-1] == "-q"
    assert hoist_global_flags(root, ["data", "validate", "--", "-q"])[-1] == "-q"
