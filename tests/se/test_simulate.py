"""Dynamic mixing: held-out talkers and noise recordings, clean items, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import write_wav
from toolkit.data.datadir import write_datadir
from toolkit.errors import DataDirError
from toolkit.se.simulate import (
    DynamicMixDataset,
    MixConfig,
    MixSimulator,
    MixSources,
    holdout_split,
)


def _pools(root):
    wav, spk = {}, {}
    for s in ("a", "b", "c"):
        for i in range(3):
            k = f"{s}-{i}"
            wav[k] = str(write_wav(root / "sp" / f"{k}.wav", 0.4 + 0.3 * i, seed=i))
            spk[k] = s
    speech = write_datadir(root / "speech", {"wav.scp": wav, "utt2spk": spk},
                           {"sample_rate": 16000})
    nw, origin, label = {}, {}, {}
    for i in range(44):
        k = f"n{i:02d}"
        nw[k] = str(write_wav(root / "nz" / f"{k}.wav", 0.3, seed=100 + i))
        origin[k] = f"0 0.3 /rec/file{i}.ogg"
        label[k] = "voice" if i >= 40 else "machine"
    noise = write_datadir(root / "noise", {"wav.scp": nw, "utt2origin": origin,
                                           "label": label}, {"sample_rate": 16000})
    return speech, noise


def test_held_out_talkers_and_recordings_never_reach_training(tmp_path):
    speech, noise = _pools(tmp_path)
    cfg = MixConfig(noise=[str(noise)], valid_speakers=["b"], test_speakers=["c"],
                    noise_holdout=0.5)
    parts = {s: MixSources(speech, cfg, s) for s in ("train", "valid", "test")}
    assert all("/a-" in p for p in parts["train"].speech)
    assert all("/b-" in p for p in parts["valid"].speech)
    assert all("/c-" in p for p in parts["test"].speech)
    sets = [set(parts[s].noise) for s in ("train", "valid", "test")]
    assert sum(map(len, sets)) == 40 and all(sets)  # the 4 spoken-phrase clips excluded
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert holdout_split("/rec/file3.ogg", 0.5) == holdout_split("/rec/file3.ogg", 0.5)
    with pytest.raises(DataDirError):
        MixSources(speech, MixConfig(noise=[str(noise)], valid_speakers=["a", "b", "c"]),
                   "train")


def test_items_are_consistent_deterministic_and_some_are_clean(tmp_path):
    speech, noise = _pools(tmp_path)
    cfg = MixConfig(noise=[str(noise)], p_clean=0.3, level_dbfs=[-30.0, -20.0])
    sim = MixSimulator(MixSources(speech, cfg, "train"), cfg, 8000)
    ds = DynamicMixDataset(sim, 40, seed=3, train=True)
    items = [ds[i] for i in range(40)]
    clean = 0
    for it in items:
        noisy, s, n = (it[k].numpy() for k in ("noisy", "speech", "noise"))
        assert noisy.shape == (8000,) and np.abs(noisy).max() <= 0.99 + 1e-6
        np.testing.assert_allclose(noisy, s + n, atol=1e-6)
        level = 20 * np.log10(np.sqrt(np.mean(noisy ** 2)))
        assert -30.5 < level < -19.5 or np.abs(noisy).max() > 0.98
        clean += int(np.abs(n).max() == 0)
    assert 4 <= clean <= 22
    np.testing.assert_array_equal(ds[5]["noisy"].numpy(), items[5]["noisy"].numpy())
    ds.set_epoch(1)
    assert not np.array_equal(ds[5]["noisy"].numpy(), items[5]["noisy"].numpy())


def test_speech_eq_shapes_input_and_target_alike_and_leaves_the_default_stream(tmp_path):
    from toolkit.se.simulate import random_eq

    x = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    band = [np.fft.rfftfreq(16000, 1 / 16000) < b for b in (1000, 8001)]
    ratios = []
    for seed in range(20):
        y = random_eq(x, np.random.default_rng(seed), 10.0)
        assert y.shape == x.shape and np.isfinite(y).all()
        assert abs(np.sqrt(np.mean(y ** 2)) / np.sqrt(np.mean(x ** 2)) - 1) < 1e-3
        spec = np.abs(np.fft.rfft(y)) ** 2 / (np.abs(np.fft.rfft(x)) ** 2 + 1e-9)
        assert spec.max() < 10 ** (3.05 * 10 / 10)          # tilt + two peaks <= 30 dB
        ratios.append(spec[band[0]].mean() / spec[band[1]].mean())
    assert np.ptp(10 * np.log10(ratios)) > 6       # low/high balance varies between items

    speech, noise = _pools(tmp_path)
    base = MixConfig(noise=[str(noise)], p_clean=0.3)
    plain = [MixSimulator(MixSources(speech, base, "train"), base, 8000).draw(
        np.random.default_rng(i)) for i in range(6)]
    off = MixConfig(noise=[str(noise)], p_clean=0.3, p_eq=0.0, eq_db=20.0)
    same = [MixSimulator(MixSources(speech, off, "train"), off, 8000).draw(
        np.random.default_rng(i)) for i in range(6)]
    for a, b in zip(plain, same, strict=True):      # p_eq 0 draws nothing: same items
        np.testing.assert_array_equal(a["noisy"], b["noisy"])
    sims = [MixSimulator(MixSources(speech, c, "train"), c, 8000)   # same draws; flat or not
            for c in (MixConfig(noise=[str(noise)], p_eq=1.0, eq_db=db) for db in (0.0, 10.0))]
    for i in range(6):
        flat, shaped = (sim.draw(np.random.default_rng(i)) for sim in sims)
        np.testing.assert_allclose(shaped["noisy"], shaped["speech"] + shaped["noise"],
                                   atol=1e-6)
        a, b = (np.abs(np.fft.rfft(it["speech"])) for it in (flat, shaped))
        assert np.ptp(20 * np.log10((b[40:3000] + 1e-9) / (a[40:3000] + 1e-9))) > 3


def test_fixed_mixture_sets_hold_every_snr_and_clean_inputs(tmp_path):
    from tests.conftest import assert_one_line_error, run_cli
    from toolkit.data.datadir import DataDir
    from toolkit.se.mixset import write_mixture_set

    speech, noise = _pools(tmp_path)
    cfg = MixConfig(noise=[str(noise)], test_speakers=["c"], noise_holdout=0.5)
    out = write_mixture_set(tmp_path / "test", speech, cfg, "test", [0.0, float("inf")], 2)
    d = DataDir(out)
    assert sorted(d.read("utt2snr").values()) == ["0", "0", "inf", "inf"]
    assert set(d.read("utt2spk").values()) == {"c"}
    assert all(v.startswith("/") for v in d.read("wav.scp").values())
    for k, snr in d.read("utt2snr").items():
        x = sf.read(d.read("wav.scp")[k])[0]
        s = sf.read(d.read("speech.scp")[k])[0]
        if snr == "inf":
            np.testing.assert_allclose(x, s, atol=1e-7)
        else:
            assert abs(10 * np.log10(np.sum(s ** 2) / np.sum((x - s) ** 2))) < 3
    conf = tmp_path / "c.yaml"
    conf.write_text(f"mix: {{noise: [{noise}], test_speakers: [c]}}\n")
    proc = run_cli("se", "mix-set", "-c", conf, "--speech", speech, "-o", tmp_path / "x",
                   "--split", "train")
    assert_one_line_error(proc, "--split")
    proc = run_cli("se", "mix-set", "-c", conf, "--speech", speech, "-o", tmp_path / "x",
                   "--min-seconds", "-1")
    assert_one_line_error(proc, "--min-seconds")


def test_talker_runs_join_one_talkers_utterances_into_long_items():
    from toolkit.se.mixset import talker_runs

    talkers = ["a", "a", "a", "a", "b", "b", "c"]
    lengths = [5, 5, 5, 2, 9, 1, 3]
    assert talker_runs(talkers, lengths, 0) == [[i] for i in range(7)]
    # a: 5+5 reaches 10, then 5+2 is short and joins; b: 9+1; c alone, shorter than 10
    assert talker_runs(talkers, lengths, 10) == [[0, 1, 2, 3], [4, 5], [6]]
    # b: 9 is long enough alone; its last utterance (1) is a short run and joins it
    assert talker_runs(talkers, lengths, 6) == [[0, 1], [2, 3], [4, 5], [6]]


def test_mixture_sets_of_joined_utterances_are_long_and_keep_their_parts(tmp_path):
    from toolkit.data.datadir import DataDir
    from toolkit.se.mixset import PAUSE_SECONDS, write_mixture_set

    speech, noise = _pools(tmp_path)  # talker c: 0.4, 0.7 and 1.0 s
    cfg = MixConfig(noise=[str(noise)], test_speakers=["c"], noise_holdout=0.5)
    out = write_mixture_set(tmp_path / "long", speech, cfg, "test", [5.0, float("inf")], 5,
                            min_seconds=1.0)
    d = DataDir(out)
    parts = d.read("utt2parts")
    assert sorted(parts.values()) == ["c-0 c-1", "c-0 c-1", "c-2", "c-2"]
    pool = DataDir(speech).read("wav.scp")
    for k, keys in parts.items():
        s = sf.read(d.read("speech.scp")[k])[0]
        assert len(s) / 16000 >= 1.0
        if k.endswith("-clean") and " " in keys:
            a, b = (sf.read(pool[q])[0] for q in keys.split())
            joined = np.concatenate([a, np.zeros(round(PAUSE_SECONDS * 16000)), b])
            assert len(s) == len(joined)
            gain = np.dot(s, joined) / np.dot(joined, joined)
            np.testing.assert_allclose(s, gain * joined, atol=1e-5)
