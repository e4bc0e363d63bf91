"""The aed task: datasets and augmentation, scoring, pretraining, bad input."""

from __future__ import annotations

import json

import pytest
import torch

from tests.aed.helpers import tiny_cfg as _cfg
from tests.conftest import assert_one_line_error, run_cli, write_wav


def _datadir(tmp_path, labels, name="d"):
    from toolkit.data.datadir import write_datadir

    wav = {f"u{i}": str(write_wav(tmp_path / "audio" / f"u{i}.wav", 0.8, seed=i))
           for i in range(len(labels))}
    return write_datadir(tmp_path / name, {"wav.scp": wav,
                                           "label": dict(zip(sorted(wav), labels, strict=True))},
                         {"sample_rate": 16000, "task": "aed"})


def test_dataset_items_specaugment_and_mixup(tmp_path):
    from toolkit.aed.data import AedDataset

    d = _datadir(tmp_path, ["dog", "rain", "siren", "dog"])
    plain = AedDataset(d, _cfg(), train=False)[1]
    assert plain["feats"].shape == (64, 32) and plain["target"].tolist() == [0, 1, 0]
    aug = AedDataset(d, _cfg(mixup=1.0), train=True)
    items = [aug[i] for i in range(4)]
    for it in items:
        assert it["feats"].shape == (64, 32)
        assert abs(float(it["target"].sum()) - 1.0) < 1e-5
    assert any((it["target"] > 0).sum() == 2 for it in items)  # mixed targets
    masked = AedDataset(d, _cfg(freqm=8, timem=16), train=True)[0]["feats"]
    assert (masked == 0).all(0).any() or (masked == 0).all(1).any()  # a whole band or frame


def test_waveform_augmentation_roll_gain_smoothing_and_cache(tmp_path):
    import numpy as np

    from toolkit.aed.data import AedDataset, spec_augment
    from toolkit.aed.task import TASK
    from toolkit.errors import ConfigError

    d = _datadir(tmp_path, ["dog", "rain", "siren", "dog"])
    quiet = {"freqm": 0, "timem": 0}
    plain = AedDataset(d, _cfg(**quiet), train=True)
    aug = AedDataset(d, _cfg(time_roll=True, gain_db=[-6.0, 6.0], label_smoothing=0.3,
                             cache_audio=True, **quiet), train=True)
    a = aug[0]
    assert a["target"].tolist() == pytest.approx([0.8, 0.1, 0.1])
    assert plain[0]["target"].tolist() == [1.0, 0.0, 0.0]
    assert set(aug._cache) == {"u0"}  # decoded once, kept
    assert not torch.allclose(a["feats"], plain[0]["feats"], atol=1e-3)
    aug.set_epoch(1)
    assert not torch.allclose(aug[0]["feats"], a["feats"], atol=1e-3)  # a new draw per epoch
    assert AedDataset(d, _cfg(**quiet), train=False)[0]["target"].tolist() == [1.0, 0.0, 0.0]
    # five masks of up to 4 bins can zero more bins than one mask ever can
    rng = np.random.default_rng(0)
    zeroed = [int((spec_augment(np.ones((8, 32)), 4, 0, rng, masks=5) == 0).all(0).sum())
              for _ in range(20)]
    assert max(zeroed) > 4
    with pytest.raises(ConfigError, match="gain_db"):
        TASK.build_datasets(_cfg(gain_db=[6.0, -6.0]), d, None)


def test_unknown_class_names_file_and_line(tmp_path):
    d = _datadir(tmp_path, ["dog", "rain", "whale"])
    cfg = tmp_path / "c.yaml"
    import yaml

    from toolkit.config import to_dict

    cfg.write_text(yaml.safe_dump(to_dict(_cfg())))
    proc = run_cli("train", "--task", "aed", "--config", cfg, "--train", d, "--exp",
                   tmp_path / "exp", cwd=tmp_path)
    assert_one_line_error(proc, "label line 3", "unknown class 'whale'")


def test_scores_top5_per_class_and_map():
    from toolkit.aed.score import aggregate_scores

    post = {"dog": 0.5, "rain": 0.3, "siren": 0.2}
    single = {"a": {"ref": "dog", "hyp": "dog", "post": post},
              "b": {"ref": "rain", "hyp": "dog", "post": post}}
    s = aggregate_scores(single)
    assert s["acc"] == 0.5 and s["top5"] == 1.0 and s["per_class"] == {"dog": 1.0, "rain": 0.0}
    assert s["confusion"]["rain"] == {"dog": 1}
    multi = {"a": {"ref": "dog,rain", "hyp": "dog", "post": post},
             "b": {"ref": "siren", "hyp": "dog", "post": {"dog": 0.6, "rain": 0.1, "siren": 0.3}}}
    m = aggregate_scores(multi)
    # AP(dog) = 0.5: the negative b outranks the positive a; rain and siren rank perfectly
    assert m["acc"] == 0.5 and m["mAP"] == pytest.approx((0.5 + 1.0 + 1.0) / 3)


def test_confusion_plot(tmp_path):
    scores = tmp_path / "s.json"
    scores.write_text(json.dumps({"acc": 0.5, "n": 2, "confusion": {"dog": {"dog": 1},
                                                                   "rain": {"dog": 1}}}))
    run_cli("aed", "plot-confusion", scores, "--out", tmp_path / "c.png", check=True)
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    scores.write_text("{not json")
    assert_one_line_error(run_cli("aed", "plot-confusion", scores, "--out", tmp_path / "x.png"),
                          "not JSON")


def test_pretraining_objective_ignores_labels_and_fine_tuning_loads_the_encoder(tmp_path):
    from toolkit.aed.task import TASK, load_init
    from toolkit.registry import build_model

    d = _datadir(tmp_path, ["whale", "dog"])  # labels are not read when pretraining
    cfg = _cfg(pretrain=True, mask_ratio=0.5, mask_patch=8)
    train, _ = TASK.build_datasets(cfg, d, None)
    batch = TASK.collate([train[0], train[1]])
    torch.manual_seed(0)
    model = build_model("aed", cfg.model)
    loss, _ = TASK.train_step(model, batch)
    assert torch.isfinite(loss) and loss > 0
    torch.save({"model": model.state_dict()}, tmp_path / "pre.pt")
    fresh = build_model("aed", _cfg().model)
    n = load_init(fresh, str(tmp_path / "pre.pt"))
    assert n > 10
    torch.testing.assert_close(fresh.stages[2][0].attn.proj_q.weight,
                               model.stages[2][0].attn.proj_q.weight)
