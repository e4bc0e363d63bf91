"""Two-process training (torchrun, gloo on CPU) matches one process with the same global batch."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import SLURM_SKIP, run_cli

CONFIG = """
features: {n_mels: 24}
model: {name: tone_linear, conf: {n_mels: 24}}
optim: {lr: 1.0e-2}
trainer: {epochs: 3, batch_size: 8, metric: valid/loss, log_every_steps: 100}
data: {crop_frames: 24}
"""


def prepare(tmp_path) -> list:
    """Data and config; returns the common train arguments."""
    conf = tmp_path / "c.yaml"
    conf.write_text(CONFIG)
    run_cli("corpus", "tones", "--out", tmp_path / "train", "--n", "48", "--duration", "0.3",
            check=True)
    run_cli("corpus", "tones", "--out", tmp_path / "dev", "--n", "10", "--seed", "1",
            "--duration", "0.3", check=True)
    return ["train", "--task", "tone", "--config", conf, "--train", tmp_path / "train",
            "--valid", tmp_path / "dev", "--device", "cpu"]


def assert_same_training(exp_one, exp_two) -> None:
    assert "2 process(es)" in (exp_two / "train.log").read_text()
    one = torch.load(exp_one / "last.pt", weights_only=True)
    two = torch.load(exp_two / "last.pt", weights_only=True)
    assert one["global_step"] == two["global_step"] == 18
    for k, v in one["model"].items():
        assert torch.allclose(v, two["model"][k], atol=1e-4), k
    log_one = (exp_one / "scalars.log").read_text().splitlines()[-1]
    log_two = (exp_two / "scalars.log").read_text().splitlines()[-1]
    loss = [float(x.split("valid/loss=")[1].split()[0]) for x in (log_one, log_two)]
    assert abs(loss[0] - loss[1]) < 1e-3 * max(1.0, loss[0])


def test_two_processes_match_one(tmp_path):
    common = prepare(tmp_path)
    run_cli(*common, "--exp", tmp_path / "one", check=True)
    run_cli(*common, "--exp", tmp_path / "two", "--nproc", "2", check=True)
    assert_same_training(tmp_path / "one", tmp_path / "two")


@pytest.mark.slurm
@SLURM_SKIP
def test_srun_launch_matches_one_process(tmp_path, slurm_env):
    """--backend slurm --nproc 2 starts 2 ranks through srun on the local cluster."""
    common = prepare(tmp_path)
    run_cli(*common, "--exp", tmp_path / "one", check=True)
    proc = run_cli(*common, "--exp", tmp_path / "srun", "--backend", "slurm", "--nproc", "2",
                   env=slurm_env, check=True)
    assert "srun --nodes=1 --ntasks-per-node=2" in proc.stderr
    assert_same_training(tmp_path / "one", tmp_path / "srun")


def test_bad_launch_options(tmp_path):
    proc = run_cli("train", "--task", "tone", "--train", tmp_path, "--exp", tmp_path / "e",
                   "--nodes", "2")
    assert proc.returncode == 2 and "--backend slurm" in proc.stderr
