"""Ensembles of classifiers (sptk-cli aed pack-ensemble): the mean posterior, everywhere a
classifier goes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.aed.conftest import finished_exp
from tests.aed.helpers import tiny_cfg
from tests.conftest import assert_one_line_error, run_cli, write_wav
from toolkit.aed.ensemble import PosteriorMean
from toolkit.aed.infer import Classifier
from toolkit.errors import UserError
from toolkit.registry import build_model
from toolkit.train.packing import load_model_dir
from toolkit.train.task import Task


def test_the_outputs_are_logits_of_the_mean_posterior():
    torch.manual_seed(0)
    members = [build_model("aed", tiny_cfg().model).eval() for _ in range(3)]
    x = torch.randn(4, 64, 32) * 3 - 8
    with torch.no_grad():
        logits = [m(x) for m in members]
        single = PosteriorMean(members).eval()(x)
        multi = PosteriorMean(members, multilabel=True).eval()(x)
    mean_soft = torch.stack([torch.softmax(z, -1) for z in logits]).mean(0)
    mean_sig = torch.stack([torch.sigmoid(z) for z in logits]).mean(0)
    torch.testing.assert_close(torch.softmax(single, -1), mean_soft, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(torch.sigmoid(multi), mean_sig, atol=1e-6, rtol=1e-5)
    # the mean is not any one member's posterior: the members differ
    assert (torch.softmax(logits[0], -1) - mean_soft).abs().max() > 1e-3


def test_pack_classify_export_and_offset_stats_of_an_ensemble(tmp_path):
    exps = [finished_exp(tmp_path / f"exp{s}", seed=s) for s in (0, 1)]
    ens = tmp_path / "ens"
    run_cli("aed", "pack-ensemble", "--exp", exps[0], "--exp", exps[1], "-o", ens, check=True)
    assert sorted(p.name for p in ens.iterdir()) == [
        ".done", "config.yaml", "ensemble.yaml", "member0", "member1", "meta.yaml",
        "model_card.md"]
    task, _, model = load_model_dir(ens)  # what decode, classify and export-onnx load
    assert task.name == "aed" and isinstance(model, PosteriorMean) and len(model.members) == 2
    clf = Classifier.load(ens)
    members = [Classifier.load(ens / f"member{i}") for i in (0, 1)]
    x = (np.random.default_rng(0).standard_normal((3, 64, 32)) * 3 - 8).astype(np.float32)
    want = np.mean([m.posteriors(x) for m in members], 0)
    np.testing.assert_allclose(clf.posteriors(x), want, atol=1e-5)
    assert np.abs(members[0].posteriors(x) - want).max() > 1e-3

    clip = write_wav(tmp_path / "clip.wav", 1.5)
    row = json.loads(run_cli("classify", clip, "--model", ens, "--json", check=True).stdout)
    assert abs(sum(t["prob"] for t in row["top"]) - 1) < 1e-3
    report = json.loads(run_cli("aed", "export-onnx", "-o", tmp_path / "ens.onnx", "--model",
                                ens, check=True).stdout)
    assert report["max_abs_diff_probs"] < 1e-4
    rows = [json.loads(line) for line in run_cli("aed", "offset-stats", clip, "--model", ens,
                                                 check=True).stdout.splitlines()]
    assert [(r["member"], r["stage"]) for r in rows] == [(0, 3), (0, 4), (1, 3), (1, 4)]
    assert "Ensemble of 2 classifiers" in (ens / "model_card.md").read_text()


def test_bad_ensembles_are_refused_in_one_line(tmp_path):
    a = finished_exp(tmp_path / "a")
    other = finished_exp(tmp_path / "b", seed=1, classes=["dog", "rain", "bell"])
    out = tmp_path / "ens"
    assert_one_line_error(run_cli("aed", "pack-ensemble", "--exp", a, "-o", out),
                          "at least two")
    assert_one_line_error(run_cli("aed", "pack-ensemble", "--exp", a, "--exp", other, "-o", out),
                          "must agree")
    assert not out.exists()  # nothing half-written
    run_cli("aed", "pack-ensemble", "--exp", a, "--exp", a, "-o", out, check=True)
    (out / "ensemble.yaml").write_text("members: []\n")
    assert_one_line_error(run_cli("classify", write_wav(tmp_path / "c.wav", 1.0), "--model", out),
                          "lists no 'members'")
    with pytest.raises(UserError, match="does not combine"):
        Task().combine([], [], out)  # a task without ensembles refuses them
