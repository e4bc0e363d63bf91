"""Two-process training (torchrun, gloo on CPU) matches one process with the same global batch."""

from __future__ import annotations

import torch

from tests.conftest import run_cli

CONFIG = """
features: {n_mels: 24}
model: {name: tone_linear, conf: {n_mels: 24}}
optim: {lr: 1.0e-2}
trainer: {epochs: 3, batch_size: 8, metric: valid/loss, log_every_steps: 100}
data: {crop_frames: 24}
"""


def test_two_processes_match_one(tmp_path):
    conf = tmp_path / "c.yaml"
    conf.write_text(CONFIG)
    run_cli("corpus", "tones", "--out", tmp_path / "train", "--n", "48", "--duration", "0.3",
            check=True)
    run_cli("corpus", "tones", "--out", tmp_path / "dev", "--n", "10", "--seed", "1",
            "--duration", "0.3", check=True)
    common = ["train", "--task", "tone", "--config", conf, "--train", tmp_path / "train",
              "--valid", tmp_path / "dev", "--device", "cpu"]
    run_cli(*common, "--exp", tmp_path / "one", check=True)
    proc = run_cli(*common, "--exp", tmp_path / "two", "--nproc", "2", check=True)
    assert "2 process(es)" in (tmp_path / "two" / "train.log").read_text(), proc.stderr
    one = torch.load(tmp_path / "one" / "last.pt", weights_only=False)
    two = torch.load(tmp_path / "two" / "last.pt", weights_only=False)
    assert one["global_step"] == two["global_step"] == 18
    for k, v in one["model"].items():
        assert torch.allclose(v, two["model"][k], atol=1e-4), k
    log_one = (tmp_path / "one" / "scalars.log").read_text().splitlines()[-1]
    log_two = (tmp_path / "two" / "scalars.log").read_text().splitlines()[-1]
    loss = [float(x.split("valid/loss=")[1].split()[0]) for x in (log_one, log_two)]
    assert abs(loss[0] - loss[1]) < 1e-3 * max(1.0, loss[0])


def test_bad_launch_options(tmp_path):
    proc = run_cli("train", "--task", "tone", "--train", tmp_path, "--exp", tmp_path / "e",
                   "--nodes", "2")
    assert proc.returncode == 2 and "--backend slurm" in proc.stderr
