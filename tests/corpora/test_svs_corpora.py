"""svs corpus layouts (MIR-1K, iKala, MUSDB18), layout detection, splits, stage-2 dumps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SHARED, assert_one_line_error, run_cli
from toolkit.corpora.external import ikala, mir1k, musdb
from toolkit.corpora.svs_prepare import detect_layout, dump_stems, prepare_and_split, split_keys
from toolkit.data.datadir import DataDir
from toolkit.errors import UserError
from toolkit.tasks.svs import SVSSplitConfig
from toolkit.tasks.svs_separate import SpecConfig


def _stereo(path: Path, sr: int = 16000, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (0.3 * rng.standard_normal((int(sr * seconds), 2))).clip(-0.9, 0.9).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, sr)
    return x


def _fake_mir1k(root: Path) -> dict[str, np.ndarray]:
    clips = {}
    for i, name in enumerate(["abjones_1_01", "abjones_1_02", "abjones_2_01", "amy_1_01",
                              "amy_3_01", "amy_3_02", "bobon_1_01", "bobon_2_01"]):
        clips[name] = _stereo(root / "Wavfile" / f"{name}.wav", seed=i)
    return clips


def test_mir1k_layout_channels_and_gain(tmp_path):
    clips = _fake_mir1k(tmp_path / "MIR-1K")
    assert detect_layout(tmp_path / "MIR-1K") == "mir1k"
    d = DataDir(mir1k.prepare(tmp_path / "MIR-1K", tmp_path / "data"))
    assert d.keys() == sorted(clips) and d.sample_rate == 16000
    key = "amy_3_01"
    gain = float(d.read("utt2gain")[key])
    assert 0 < gain <= 1
    vocals = sf.read(d.read("vocals.scp")[key])[0]
    accomp = sf.read(d.read("accomp.scp")[key])[0]
    mix = sf.read(d.read("wav.scp")[key])[0]
    np.testing.assert_allclose(vocals, gain * clips[key][:, 1], atol=1e-4)  # right = vocals
    np.testing.assert_allclose(accomp, gain * clips[key][:, 0], atol=1e-4)  # left = accomp
    np.testing.assert_allclose(mix, vocals + accomp, atol=2e-4)
    assert d.read("utt2spk")[key] == "amy" and d.read("utt2song")[key] == "amy_3"


def test_splits_by_speaker_and_by_song(tmp_path):
    _fake_mir1k(tmp_path / "MIR-1K")
    d = DataDir(mir1k.prepare(tmp_path / "MIR-1K", tmp_path / "all"))
    usual = split_keys(d, SVSSplitConfig(train_speakers=["abjones", "amy"], dev_fraction=0.2))
    assert set(usual["test"]) == {"bobon_1_01", "bobon_2_01"}
    assert {k.split("_")[0] for k in usual["train"] + usual["dev"]} == {"abjones", "amy"}
    dev_songs = {k.rsplit("_", 1)[0] for k in usual["dev"]}
    assert not dev_songs & {k.rsplit("_", 1)[0] for k in usual["train"]}  # songs stay whole
    ours = split_keys(d, SVSSplitConfig(test_speakers=["abjones"]))
    assert {k.split("_")[0] for k in ours["test"]} == {"abjones"}
    with pytest.raises(UserError, match="nobody"):
        split_keys(d, SVSSplitConfig(test_speakers=["nobody"]))
    parts = prepare_and_split(tmp_path / "MIR-1K", tmp_path / "split",
                              SVSSplitConfig(test_speakers=["bobon"]))
    assert sorted(parts) == ["dev", "test", "train"]
    assert DataDir(parts["test"]).keys() == ["bobon_1_01", "bobon_2_01"]
    _fake_mir1k(tmp_path / "other")
    with pytest.raises(UserError, match="was prepared from"):  # another corpus, same folder
        prepare_and_split(tmp_path / "other", tmp_path / "split", SVSSplitConfig())


def test_ikala_layout(tmp_path):
    for i, name in enumerate(["10161_chorus", "10161_verse", "10164_chorus"]):
        _stereo(tmp_path / "iKala" / "Wavfile" / f"{name}.wav", sr=44100, seconds=0.5, seed=i)
    assert detect_layout(tmp_path / "iKala") == "ikala"
    d = DataDir(ikala.prepare(tmp_path / "iKala", tmp_path / "data"))
    assert d.sample_rate == 44100 and d.read("utt2spk")["10161_verse"] == "10161"


def test_musdb_layout(tmp_path):
    rng = np.random.default_rng(0)
    for subset, track in (("train", "A Band - Song One"), ("test", "B & C - Other")):
        t = tmp_path / "musdb" / subset / track
        t.mkdir(parents=True)
        stems = {s: 0.1 * rng.standard_normal((22050, 2)) for s in ("vocals", "bass", "drums",
                                                                   "other")}
        for s, x in stems.items():
            sf.write(t / f"{s}.wav", x, 44100)
        sf.write(t / "mixture.wav", sum(stems.values()), 44100)
    assert detect_layout(tmp_path / "musdb") == "musdb"
    d = DataDir(musdb.prepare(tmp_path / "musdb", tmp_path / "data"))
    assert d.keys() == ["A_Band_Song_One", "B_C_Other"]
    assert d.read("utt2set") == {"A_Band_Song_One": "train", "B_C_Other": "test"}
    key = "B_C_Other"
    accomp = sf.read(d.read("accomp.scp")[key])[0]
    mix, vocals = sf.read(d.read("wav.scp")[key])[0], sf.read(d.read("vocals.scp")[key])[0]
    np.testing.assert_allclose(accomp, mix - vocals, atol=1e-3)
    parts = split_keys(d, SVSSplitConfig())
    assert parts["test"] == ["B_C_Other"]  # the official split wins


def test_dump_stems_and_unknown_layout(tmp_path):
    _fake_mir1k(tmp_path / "MIR-1K")
    d = mir1k.prepare(tmp_path / "MIR-1K", tmp_path / "all")
    out = dump_stems(d, tmp_path / "dump", SpecConfig(), shard="2/2")
    dd = DataDir(out)
    assert len(dd) == 4
    stems = np.load(dd.read("stems.scp")[dd.keys()[0]])
    assert stems.shape == (2, 8192) and stems.dtype == np.float32
    (tmp_path / "empty").mkdir()
    proc = run_cli("svs", "prepare", "--src", tmp_path / "empty", "--out-dir", tmp_path / "x",
                   "--config", Path(__file__).parents[2] / "recipes/svs/conf/tiny.yaml")
    assert_one_line_error(proc, "not a known svs corpus layout")


@pytest.mark.skipif(not (SHARED / "data/mir1k_train").is_dir(),
                    reason="needs ../shared/data/mir1k_train (MIR-1K development data)")
def test_real_mir1k_clips(tmp_path):
    src = tmp_path / "three"
    src.mkdir()
    for name in ("abjones_1_01", "amy_1_01", "amy_1_02"):
        (src / f"{name}.flac").symlink_to(SHARED / f"data/mir1k_train/{name}.flac")
    d = DataDir(mir1k.prepare(src, tmp_path / "data"))
    assert d.sample_rate == 16000 and len(d) == 3
    x = sf.read(str(SHARED / "data/mir1k_train/amy_1_01.flac"))[0]
    v = sf.read(d.read("vocals.scp")["amy_1_01"])[0] / float(d.read("utt2gain")["amy_1_01"])
    np.testing.assert_allclose(v, x[:, 1], atol=2e-4)
