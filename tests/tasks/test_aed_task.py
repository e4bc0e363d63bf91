"""The aed task: datasets and augmentation, scoring, classify command, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.conftest import assert_one_line_error, run_cli, write_wav

CLASSES = ["dog", "rain", "siren"]
CONF = {"n_mels": 32, "target_frames": 64, "n_classes": 3, "dims": [8, 16, 16, 32],
        "heads": [1, 2, 2, 4], "stage_spec": [["L"], ["L"], ["D"], ["D"]],
        "groups": [1, 1, 1, 2]}


def _cfg(**data):
    from toolkit.config import from_dict
    from toolkit.tasks.aed import AedConfig

    return from_dict(AedConfig, {
        "features": {"kind": "kaldi_fbank", "n_mels": 32, "hop_length": 160},
        "model": {"name": "datar", "conf": CONF},
        "data": {"classes": CLASSES, "target_frames": 64, "freqm": 8, "timem": 16, **data}})


def _datadir(tmp_path, labels, name="d"):
    from toolkit.data.datadir import write_datadir

    wav = {f"u{i}": str(write_wav(tmp_path / "audio" / f"u{i}.wav", 0.8, seed=i))
           for i in range(len(labels))}
    return write_datadir(tmp_path / name, {"wav.scp": wav,
                                           "label": dict(zip(sorted(wav), labels, strict=True))},
                         {"sample_rate": 16000, "task": "aed"})


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """An (untrained) packed DATAR classifier: classify works the same on any weights."""
    import yaml

    from toolkit.config import dump_yaml
    from toolkit.registry import build_model
    from toolkit.train.packing import pack

    tmp = tmp_path_factory.mktemp("aed_model")
    cfg = _cfg()
    torch.manual_seed(0)
    model = build_model("aed", cfg.model)
    exp = tmp / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text(dump_yaml(cfg))
    (exp / "meta.yaml").write_text(yaml.safe_dump({"task": "aed", "model": "datar"}))
    (exp / "norm_stats.json").write_text('{"mean": 0, "std": 1}')
    torch.save({"model": model.state_dict()}, exp / "best.pt")
    (exp / ".done").write_text("test fixture: a finished run\n")  # pack refuses unfinished runs
    return pack(exp, tmp / "pack")


def test_dataset_items_specaugment_and_mixup(tmp_path):
    from toolkit.tasks.aed import AedDataset

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
    from toolkit.tasks.aed_infer import aggregate_scores

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


def test_classify_json_top_and_notes(tmp_path, bundle):
    import soundfile as sf

    clip = write_wav(tmp_path / "clip.wav", 1.5)
    short = tmp_path / "short.wav"
    sf.write(short, np.full(800, 0.1, np.float32), 16000)  # 50 ms: shorter than one patch
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, np.float32), 16000)
    proc = run_cli("classify", clip, short, silent, "--model", bundle, "--json", "--top", "2",
                   check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [len(r["top"]) for r in rows] == [2, 2, 2]
    assert all(r["top"][0]["prob"] >= r["top"][1]["prob"] for r in rows)
    assert {t["label"] for r in rows for t in r["top"]} <= set(CLASSES)
    assert rows[0]["notes"] == [] and "shorter than one patch" in rows[1]["notes"][0]
    assert "silent" in rows[2]["notes"][0]
    text = run_cli("classify", clip, "--model", bundle, check=True).stdout
    assert text.startswith(f"{clip}: ") and len(text.split()) == 1 + 2 * 3


def test_classify_bad_input(tmp_path, bundle):
    assert_one_line_error(run_cli("classify", tmp_path / "none.wav", "--model", bundle),
                          "does not exist")
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    assert_one_line_error(run_cli("classify", tmp_path / "junk.wav", "--model", bundle),
                          "junk.wav")
    clip = write_wav(tmp_path / "c.wav", 0.5)
    assert_one_line_error(run_cli("classify", clip, "--model", bundle, "--top", "0"), "--top")
    assert_one_line_error(run_cli("classify", clip, "--model", tmp_path), "model directory")


def test_classify_with_the_shipped_default_model(tmp_path):
    from tests.conftest import ROOT

    assets = ROOT / "toolkit/assets/aed"
    if not (assets / "model.pt").is_file():
        pytest.skip("no default aed model packed yet (recipes/aed/local/default_model.sh)")
    assert "folds 1-3" in (assets / "model_card.md").read_text()
    assert (assets / "model.pt").stat().st_size < 15e6
    clip = write_wav(tmp_path / "c.wav", 5.0)
    row = json.loads(run_cli("classify", clip, "--json", check=True).stdout)
    assert len(row["top"]) == 5 and "dog_bark" in (assets / "config.yaml").read_text()
    assert 0.5 <= sum(t["prob"] for t in row["top"]) <= 1.0 + 1e-4  # top 5 of 10 classes


def test_pretraining_objective_ignores_labels_and_fine_tuning_loads_the_encoder(tmp_path):
    from toolkit.registry import build_model
    from toolkit.tasks.aed import TASK, load_init

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
