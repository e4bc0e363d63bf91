"""Fixtures for the bad-input table: a good data directory and an in-process CLI runner."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import write_wav


@pytest.fixture(scope="session")
def good_template(tmp_path_factory) -> Path:
    """A valid 4-utterance tone data directory (audio outside it, absolute paths)."""
    from toolkit.data.datadir import write_datadir

    root = tmp_path_factory.mktemp("reliability")
    wav = {f"u{i}": str(write_wav(root / "audio" / f"u{i}.wav", 0.2, seed=i)) for i in range(4)}
    label = {k: ("noise", "tone")[i % 2] for i, k in enumerate(sorted(wav))}
    spk = {k: f"s{i % 2}" for i, k in enumerate(sorted(wav))}
    return write_datadir(root / "good", {"wav.scp": wav, "label": label, "utt2spk": spk},
                         {"sample_rate": 16000, "task": "tone"})


@pytest.fixture
def invoke(monkeypatch, capsys):
    """invoke(args, cwd) -> (exit code, stdout, stderr) of ``sptk-cli ARGS`` run in-process."""
    from toolkit import log as toolkit_log
    from toolkit.cli.app import DEBUG
    from toolkit.cli.main import app

    root = logging.getLogger()
    handlers = root.handlers[:]

    def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["sptk-cli", *args])
        monkeypatch.setattr(toolkit_log, "_configured", False)  # log to this test's stderr
        DEBUG["enabled"] = False
        capsys.readouterr()
        with pytest.raises(SystemExit) as e:
            app(args, prog_name="sptk-cli")
        out = capsys.readouterr()
        return int(e.value.code or 0), out.out, out.err

    yield run
    root.handlers[:] = handlers


def copy_good(template: Path, dest: Path) -> Path:
    """A private copy of the good data directory at ``dest``."""
    shutil.copytree(template, dest)
    return dest
