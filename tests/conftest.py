"""Shared fixtures: run the CLI in a subprocess, build tiny data directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("WORLD_SIZE", None)
    return env


def run_cli(*args: str, cwd: str | Path | None = None, check: bool = False,
            timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m toolkit ARGS`` on this tree; returns the completed process."""
    proc = subprocess.run([sys.executable, "-m", "toolkit", *map(str, args)], cwd=cwd,
                          env=env or cli_env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"sptk-cli {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """A bad-input answer: non-zero exit, no traceback, an 'error:' line naming the problem."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def cli():
    return run_cli


def write_wav(path: Path, seconds: float = 0.5, sr: int = 16000, channels: int = 1,
              seed: int = 0) -> Path:
    import soundfile as sf

    rng = np.random.default_rng(seed)
    x = (0.1 * rng.standard_normal((int(seconds * sr), channels))).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, sr)
    return path


@pytest.fixture
def tiny_datadir(tmp_path: Path):
    """A factory: tiny_datadir(n=5, name="d") -> path of a valid tone-task data dir."""
    from toolkit.data.datadir import write_datadir

    def make(n: int = 5, name: str = "d", spaces: bool = True) -> Path:
        wav, label, spk = {}, {}, {}
        for i in range(n):
            p = write_wav(tmp_path / "audio" / (f"clip é {i}.wav" if spaces else f"c{i}.wav"),
                          seed=i)
            key = f"utt{i:02d}"
            wav[key], label[key], spk[key] = str(p), ("noise", "tone")[i % 2], f"s{i % 2}"
        return write_datadir(tmp_path / name, {"wav.scp": wav, "label": label, "utt2spk": spk},
                             {"sample_rate": 16000, "task": "tone"})

    return make
