"""A training run killed with SIGKILL and restarted ends with the same weights.

Runs ``sptk-cli train`` on the template's tone task in a subprocess, kills it
right after its first mid-epoch checkpoint, restarts it, and compares every
tensor with an uninterrupted run (dropout is on, so the RNG state matters).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import torch

from tests.conftest import ROOT, cli_env, run_cli

CONFIG = """
features: {n_mels: 32}
model: {name: tone_cnn, conf: {n_mels: 32, channels: 8, dropout: 0.3}}
optim: {lr: 3.0e-3, scheduler: cosine}
trainer: {epochs: 4, batch_size: 4, save_every_steps: 3, log_every_steps: 100, metric: valid/acc,
          mode: max}
data: {crop_frames: 32}
"""


def train_args(conf, data, exp):
    return ["train", "--task", "tone", "--config", conf, "--train", data / "train",
            "--valid", data / "dev", "--exp", exp, "--device", "cpu"]


def make_data(tmp_path, n: int, parts: str):
    conf = tmp_path / "c.yaml"
    conf.write_text(CONFIG)
    run_cli("corpus", "tones", "--out", tmp_path / "corpus", "--n", str(n), "--duration", "0.5",
            check=True)
    run_cli("data", "split", tmp_path / "corpus", "-o", tmp_path / "data", "--parts", parts,
            check=True)
    return conf


def test_sigkill_and_resume_gives_identical_weights(tmp_path):
    conf = make_data(tmp_path, 48, "train:0.75,dev:0.25")
    run_cli(*train_args(conf, tmp_path / "data", tmp_path / "a"), check=True)

    exp = tmp_path / "b"
    cmd = [sys.executable, "-m", "toolkit", *map(str, train_args(conf, tmp_path / "data", exp))]
    proc = subprocess.Popen(cmd, env=cli_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (exp / "last.pt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (exp / ".done").exists(), "the run finished before it could be killed"
    killed_at = torch.load(exp / "last.pt", weights_only=True)
    assert killed_at["epoch"] < 4
    run_cli(*train_args(conf, tmp_path / "data", exp), check=True)

    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    b = torch.load(exp / "last.pt", weights_only=True)
    assert a["global_step"] == b["global_step"] and b["epoch"] == 4
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), f"{k} differs after resume"
    for k in ("state",):
        for pid, s in a["optimizer"][k].items():
            assert torch.equal(s["exp_avg"], b["optimizer"][k][pid]["exp_avg"])


def test_resume_refuses_a_changed_config(tmp_path):
    conf = make_data(tmp_path, 12, "train:0.5,dev:0.5")
    exp = tmp_path / "e"
    run_cli(*train_args(conf, tmp_path / "data", exp), "--set", "trainer.epochs=1", check=True)
    (exp / ".done").unlink()  # pretend it was interrupted
    proc = run_cli(*train_args(conf, tmp_path / "data", exp), "--set", "optim.lr=0.1")
    assert proc.returncode == 2 and "another config" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_more_epochs_extend_a_finished_run_exactly(tmp_path):
    conf = make_data(tmp_path, 12, "train:0.5,dev:0.5")
    flat = ["--set", "optim.scheduler=none"]
    args = train_args(conf, tmp_path / "data", tmp_path / "x")
    run_cli(*args, *flat, "--set", "trainer.epochs=1", check=True)
    assert (tmp_path / "x" / ".done").exists()
    proc = run_cli(*args, *flat, "--set", "trainer.epochs=2", check=True)
    assert "extending" in proc.stderr
    run_cli(*train_args(conf, tmp_path / "data", tmp_path / "y"), *flat,
            "--set", "trainer.epochs=2", check=True)
    x = torch.load(tmp_path / "x" / "last.pt", weights_only=True)
    y = torch.load(tmp_path / "y" / "last.pt", weights_only=True)
    assert x["epoch"] == y["epoch"] == 2 and (tmp_path / "x" / ".done").exists()
    for k, v in y["model"].items():
        assert torch.equal(v, x["model"][k]), f"{k} differs from an uninterrupted run"
    # fewer epochs for a finished run leave it as it is (skipped) ...
    proc = run_cli(*args, *flat, "--set", "trainer.epochs=1", check=True)
    assert "skipping" in proc.stderr
    assert torch.load(tmp_path / "x" / "last.pt", weights_only=True)["epoch"] == 2
    # ... any other change is refused, for a finished run too (a skip would ignore it) ...
    proc = run_cli(*args, *flat, "--set", "optim.lr=0.1")
    assert proc.returncode == 2 and "another config" in proc.stderr
    # ... and for an unfinished one, more epochs under a cosine schedule too
    cos = train_args(conf, tmp_path / "data", tmp_path / "z")
    run_cli(*cos, "--set", "trainer.epochs=1", check=True)
    (tmp_path / "z" / ".done").unlink()  # pretend it was interrupted
    proc = run_cli(*cos, "--set", "trainer.epochs=2")
    assert proc.returncode == 2 and "only trainer.epochs may grow" in proc.stderr


def test_epochs_of_a_nested_step_section_extend_and_added_fields_do_not_count():
    import yaml

    from toolkit.config import dump_yaml, from_dict
    from toolkit.registry import get_task
    from toolkit.train.run import _normalised, extended_from

    saved = ("trainer: {epochs: 8, seed: 0}\noptim: {lr: 0.001}\n"
             "steps: {dann: {trainer: {epochs: 8}}}\n")
    more = saved.replace("epochs: 8", "epochs: 24")
    assert extended_from(saved, more) == 8
    assert extended_from(saved, more.replace("lr: 0.001", "lr: 0.01")) is None
    # a config saved before a field existed reads as this code writes it
    se = get_task("se")
    full = yaml.safe_load(dump_yaml(from_dict(se.config_class, {})))
    del full["optim"]["lr_scale"]
    assert _normalised(se, yaml.safe_dump(full)) == dump_yaml(from_dict(se.config_class, {}))
