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


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for a child ``python -m toolkit`` (or run.sh) that tests this tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("WORLD_SIZE", None)
    env.update(extra)
    return env


def run_cli(*args: str, cwd: str | Path | None = None, check: bool = False,
            timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m toolkit ARGS`` on this tree; returns the completed process."""
    proc = subprocess.run([sys.executable, "-m", "toolkit", *map(str, args)], cwd=cwd,
                          env=env or cli_env(), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
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


SLURM_ENABLED = os.environ.get("CI") == "true" or os.environ.get("SPTK_TEST_SLURM") == "1"
SLURM_SKIP = pytest.mark.skipif(not SLURM_ENABLED, reason="starts a local Slurm cluster: set "
                                "SPTK_TEST_SLURM=1 (or CI=true) to run it")


def _cluster(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "tools/slurm/local_cluster.sh"), command],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def slurm_conf_env() -> str:
    """Bring the local one-node Slurm up for the session; yield its SLURM_CONF."""
    import re

    was_running = "slurmctld: running" in _cluster("status").stdout
    up = _cluster("up")
    assert up.returncode == 0, f"local_cluster.sh up failed:\n{up.stderr}"
    conf = re.search(r"SLURM_CONF=(\S+)", _cluster("env").stdout).group(1)
    yield conf
    if not was_running:
        _cluster("down")


@pytest.fixture
def slurm_env(slurm_conf_env, tmp_path) -> dict[str, str]:
    """Child env for the local cluster: its SLURM_CONF and a site file that polls fast."""
    import yaml

    site = yaml.safe_load((ROOT / "tools/backends/slurm.yaml").read_text())
    site["poll_interval"] = 0.3
    path = tmp_path / "slurm-site.yaml"
    path.write_text(yaml.safe_dump(site))
    return cli_env(SLURM_CONF=slurm_conf_env, SPTK_SLURM_CONF=str(path))
