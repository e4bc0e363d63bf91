"""The simulated AEC corpus and the AEC Challenge folder layouts."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import write_wav
from toolkit.errors import UserError


@pytest.fixture
def pools(tmp_path):
    from toolkit.data.datadir import write_datadir

    wav, spk = {}, {}
    for s in range(3):
        for i in range(2):
            key = f"s{s}_{i}"
            wav[key] = str(write_wav(tmp_path / "sp" / f"{key}.wav", 1.0, seed=10 * s + i))
            spk[key] = f"spk{s}"
    write_datadir(tmp_path / "speech", {"wav.scp": wav, "utt2spk": spk}, {"sample_rate": 16000})
    rng = np.random.default_rng(0)
    rirs = {}
    for i in range(2):
        import soundfile as sf

        h = np.zeros(1600)
        h[30 + i * 7] = 0.8
        h[40:] += 0.01 * rng.standard_normal(1560) * np.exp(-np.arange(1560) / 300)
        p = tmp_path / "rir" / f"r{i}.wav"
        p.parent.mkdir(exist_ok=True)
        sf.write(p, h, 16000, subtype="FLOAT")
        rirs[f"r{i}"] = str(p)
    write_datadir(tmp_path / "rirs", {"wav.scp": rirs}, {"sample_rate": 16000})
    noise = {"n0": str(write_wav(tmp_path / "no" / "n0.wav", 2.0, seed=99))}
    write_datadir(tmp_path / "noise", {"wav.scp": noise}, {"sample_rate": 16000})
    return tmp_path


def test_simulated_examples_are_consistent(pools):
    from toolkit.corpora.aec_sim import AecPools, AecSimConfig, simulate

    p = AecPools(pools / "speech", pools / "noise", pools / "rirs")
    conf = AecSimConfig(duration=2.0, delay=[0.1, 0.2], scenarios={"dt": 1.0}, noise_prob=1.0)
    ex = simulate(np.random.default_rng(3), p, conf)
    assert ex["mic"].shape == ex["far"].shape == (32000,)
    assert np.allclose(ex["mic"], ex["near"] + ex["echo"] + ex["noise"], atol=1e-5)
    assert 0.1 + 30 / 16000 <= ex["delay"] <= 0.2 + 37 / 16000 + 1e-6
    again = simulate(np.random.default_rng(3), p, conf)
    assert np.array_equal(again["mic"], ex["mic"])
    fest = simulate(np.random.default_rng(4), p, AecSimConfig(duration=2.0,
                                                              scenarios={"fest": 1.0}))
    assert not fest["near"].any() and fest["echo"].any()


def test_build_fixed_set(pools):
    from toolkit.corpora.aec_sim import AecPools, AecSimConfig, build_aec_set
    from toolkit.data.validate import validate_datadir

    p = AecPools(pools / "speech", pools / "noise", pools / "rirs")
    out = build_aec_set(pools / "set", p, AecSimConfig(duration=1.5), 3, seed=1)
    report = validate_datadir(out, task="aec")
    assert report.ok, report
    delays = (out / "utt2delay").read_text().split()
    assert len(delays) == 6


def test_too_few_speakers_is_an_error(pools):
    from toolkit.corpora.aec_sim import AecPools

    with pytest.raises(UserError, match="at least 2"):
        AecPools(pools / "speech", None, pools / "rirs", held_out=["spk0"], part="test")


def test_challenge_real_layout(tmp_path):
    from toolkit.corpora.external.aec_challenge import prepare
    from toolkit.data.datadir import DataDir

    src = tmp_path / "blind"
    for clip, scen in (("abc", "farend-singletalk"), ("abd", "doubletalk-with-movement"),
                       ("abe", "nearend-singletalk")):
        for role in ("lpb", "mic"):
            write_wav(src / f"{clip}_{scen}_{role}.wav", 0.2)
    write_wav(src / "orphan_doubletalk_mic.wav", 0.2)
    d = DataDir(prepare(src, tmp_path / "out"))
    assert d.keys() == ["abc_farend-singletalk", "abd_doubletalk-with-movement",
                        "abe_nearend-singletalk"]
    assert list(d.read("utt2scenario").values()) == ["fest", "dt", "nest"]


def test_challenge_synthetic_layout(tmp_path):
    from toolkit.corpora.external.aec_challenge import prepare
    from toolkit.data.datadir import DataDir

    src = tmp_path / "synthetic"
    for i in (0, 12):
        write_wav(src / "farend_speech" / f"farend_speech_fileid_{i}.wav", 0.2)
        write_wav(src / "nearend_mic_signal" / f"nearend_mic_fileid_{i}.wav", 0.2)
        write_wav(src / "nearend_speech" / f"nearend_speech_fileid_{i}.wav", 0.2)
        write_wav(src / "echo_signal" / f"echo_fileid_{i}.wav", 0.2)
    d = DataDir(prepare(src, tmp_path / "out"))
    assert d.keys() == ["fileid000000", "fileid000012"]
    assert d.has("speech.scp") and d.has("echo.scp")
    with pytest.raises(UserError, match="holds no AEC Challenge"):
        prepare(tmp_path / "synthetic" / "echo_signal", tmp_path / "o2", "real")
