"""Closed-form reference rows: constant speaker mean and ridge regression on a stage-2 set."""

from __future__ import annotations

import numpy as np

from tests.conftest import assert_one_line_error
from toolkit.tts.frontend import PhoneSet, Phrase, format_phrases, frame_features, phone_features

SPEAKERS = {"en": "a", "fr": "b"}


def stage2_set(path, n: int = 12):
    """A stage-2 directory whose features are a linear function of the inputs + speaker."""
    from toolkit.data.datadir import write_datadir

    ps = PhoneSet(16)
    ps.add(["h", "a", "b", "i", "o"], "en")
    ps.add(["h", "a", "b", "i", "o"], "fr")
    rng = np.random.default_rng(0)
    proj = rng.normal(size=(frame_dim_of(ps), 49)) * 0.3
    files = {k: {} for k in ("phones", "durations", "utt2lang", "utt2spk", "feats.scp")}
    (path / "feats").mkdir(parents=True)
    for i in range(n):
        lang = "en" if i % 2 else "fr"
        words = [list(rng.choice(["h", "a", "b", "i", "o"], 2)) for _ in range(3)]
        phrases = [Phrase(words, ".")]
        pf = phone_features(phrases, ps)
        dur = rng.integers(3, 9, len(pf))
        y = frame_features(pf, dur) @ proj + (5.0 if lang == "en" else -5.0)
        key = f"u{i:02d}"
        np.save(path / "feats" / f"{key}.npy", y.astype(np.float32))
        files["phones"][key] = format_phrases(phrases)
        files["durations"][key] = " ".join(map(str, dur))
        files["utt2lang"][key], files["utt2spk"][key] = lang, SPEAKERS[lang]
        files["feats.scp"][key] = str((path / "feats" / f"{key}.npy").resolve())
    write_datadir(path, files, {"task": "tts"}, in_place=True)
    ps.save(path / "phone_set.json")
    return path


def frame_dim_of(ps: PhoneSet) -> int:
    from toolkit.models.tts_blocks import frame_dim

    return frame_dim(ps.slots)


def config():
    from toolkit.config import from_dict
    from toolkit.tts.config import TtsConfig

    return from_dict(TtsConfig, {"model": {"name": "mlms", "conf": {
        "phone_slots": 16, "languages": ["en", "fr"], "speakers": ["a", "b"]}},
        "data": {"stats_utts": 12}})


def test_ridge_beats_the_constant_mean_and_decodes(tmp_path):
    import torch

    from toolkit.train.packing import load_model_dir
    from toolkit.tts.reference import fit_reference

    data = stage2_set(tmp_path / "train")
    mean = fit_reference(config(), data, tmp_path / "mean", "mean")
    ridge = fit_reference(config(), data, tmp_path / "ridge", "ridge", l2=1e-6)
    assert mean["utterances"] == ridge["utterances"] == 12
    assert ridge["train_mse"] < 0.01 < mean["train_mse"]  # the targets are linear in x
    task, cfg, model = load_model_dir(tmp_path / "ridge")
    assert task.name == "tts" and cfg.model.name == "tts_linear"
    from toolkit.tts.data import TtsDataset, load_phone_set

    ds = TtsDataset(data, cfg, model, False, load_phone_set(data))
    x, y = ds.arrays(0)
    pred = model.generate(torch.from_numpy(x).float(), "fr", "b").numpy()
    assert pred.shape == y.shape and np.abs(pred - y).max() < 0.1
    _, _, const = load_model_dir(tmp_path / "mean")
    flat = const.generate(torch.from_numpy(x).float(), "fr", "b").numpy()
    assert np.ptp(flat, axis=0).max() < 1e-5  # one vector for every frame
    assert fit_reference(config(), data, tmp_path / "mean", "mean") == {"skipped": True}


def test_reference_command_refuses_an_unknown_kind(cli, tmp_path):
    res = cli("tts", "reference", "--train", str(tmp_path), "--exp", str(tmp_path / "e"),
              "--kind", "lasso")
    assert res.returncode == 2
    assert_one_line_error(res, "--kind lasso: use mean or ridge")
