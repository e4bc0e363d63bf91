"""The domain probe: a fresh classifier on a frozen bottleneck separates domains that
differ and stays near chance on domains that do not; bad input is one line, exit 2."""

from __future__ import annotations

import numpy as np
import soundfile as sf
import torch

from tests.conftest import assert_one_line_error, run_cli
from tests.models.test_unet_se import SMALL, small_model
from tests.se.test_task import _model_dir
from toolkit.data.datadir import write_datadir
from toolkit.se.probe import probe_domains, train_probe


def _noise_dir(root, name, n, kind, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000
    wav = {}
    for i in range(n):
        if kind == "tone":
            x = 0.1 * np.sin(2 * np.pi * rng.uniform(300, 3000) * t)
        else:
            x = 0.1 * rng.standard_normal(16000)
        path = root / "audio" / f"{name}{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, x.astype(np.float32), 16000)
        wav[f"{name}{i:02d}"] = str(path)
    return write_datadir(root / name, {"wav.scp": wav}, {"sample_rate": 16000, "task": "se"})


def _corpus(root, target_kind):
    for i, (split, n) in enumerate((("train", 40), ("dev", 20))):
        _noise_dir(root, f"source_{split}", n, "white", seed=10 + i)
        _noise_dir(root, f"target_{split}", n, target_kind, seed=20 + i)
    return root


def test_train_probe_learns_a_difference_in_the_features():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(200, 6, 10, generator=g)
    y = torch.cat([torch.zeros(100), torch.ones(100)])
    z[100:, 0] += 2.0  # the target items differ in one feature
    clf, epoch = train_probe(z, y, hidden=8, epochs=20, lr=1e-2, seed=0)
    with torch.no_grad():
        acc = float(((clf(z) > 0).float() == y).float().mean())
    assert acc > 0.95 and 1 <= epoch <= 20


def test_probe_separates_differing_domains_and_not_identical_ones(tmp_path):
    model = _model_dir(tmp_path / "m", small_model(),
                       [f"model.conf.{k}={v}" for k, v in SMALL.items()])
    apart = probe_domains(model, _corpus(tmp_path / "apart", "tone"), n_train=40,
                          n_dev=20, seconds=0.5, epochs=15, lr=1e-2)
    same = probe_domains(model, _corpus(tmp_path / "same", "white"), n_train=40,
                         n_dev=20, seconds=0.5, epochs=15, lr=1e-2)
    assert apart["accuracy"] >= 0.9 and apart["n_dev"] == 40
    assert same["accuracy"] <= 0.75, same
    assert 0 < apart["ci95"] <= 0.1 or apart["accuracy"] == 1.0
    deep = probe_domains(model, tmp_path / "apart", n_train=40, n_dev=20, seconds=0.5,
                         epochs=15, lr=1e-2, layer="tcn")  # the temporal layer's features
    assert deep["layer"] == "tcn" and apart["layer"] == "encoder" and deep["accuracy"] >= 0.9


def test_probe_command_answers_bad_input_with_one_line(tmp_path):
    proc = run_cli("se", "probe", "--model", tmp_path / "nope", "--data", tmp_path)
    assert proc.returncode == 2
    assert_one_line_error(proc, "no such experiment")
    model = _model_dir(tmp_path / "m", small_model(),
                       [f"model.conf.{k}={v}" for k, v in SMALL.items()])
    proc = run_cli("se", "probe", "--model", model, "--data", tmp_path)
    assert proc.returncode == 2
    assert_one_line_error(proc, "source_train/wav.scp is missing")
    proc = run_cli("se", "probe", "--model", model, "--data", tmp_path, "--layer", "dec")
    assert proc.returncode == 2
    assert_one_line_error(proc, "--layer 'dec'")
    # a checkpoint file names its experiment, at EXP/ or at EXP/ckpt/
    proc = run_cli("se", "probe", "--model", model / "last.pt", "--data", tmp_path)
    assert_one_line_error(proc, "source_train/wav.scp is missing")


def test_a_rescaled_bottleneck_does_not_hide_the_domains(tmp_path):
    model = _model_dir(tmp_path / "m", small_model(),
                       [f"model.conf.{k}={v}" for k, v in SMALL.items()])
    state = torch.load(model / "last.pt")
    for k in ("enc.1.1.weight", "enc.1.1.bias"):  # the last GroupNorm: the bottleneck x 1e-4
        state["model"][k] = state["model"][k] * 1e-4
    torch.save(state, model / "last.pt")
    apart = probe_domains(model, _corpus(tmp_path / "apart", "tone"), n_train=40,
                          n_dev=20, seconds=0.5, epochs=15, lr=1e-2)
    assert apart["accuracy"] >= 0.9, apart
