"""Stage-1 conditioning: trimming, loudness, Spanish accents, and the splits that use them."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from toolkit.data.datadir import DataDir, write_datadir
from toolkit.dsp.mix import loudness_lufs
from toolkit.errors import ConfigError
from toolkit.text.es_accents import restore_accents
from toolkit.tts.conditioning import condition, normalize_loudness, trim_silence
from toolkit.tts.config import TtsCorpusConfig
from toolkit.tts.prepare import prepare_splits

SR = 16000


def tone(seconds: float, amp: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    return (amp * np.sin(2 * np.pi * 220 * t) + 1e-4 * rng.standard_normal(len(t))).astype(
        np.float32)


def test_trim_keeps_speech_and_a_margin():
    x = np.concatenate([np.zeros(SR), tone(0.5, 0.3), np.zeros(SR)]).astype(np.float32)
    y = trim_silence(x, SR, top_db=40, margin=0.05)
    assert abs(len(y) / SR - 0.6) < 0.03
    assert np.array_equal(trim_silence(np.zeros(SR, np.float32), SR), np.zeros(SR))


def test_loudness_reaches_target_without_clipping():
    quiet = tone(2.0, 0.003)  # about 20 dB below a studio prompt
    y = normalize_loudness(quiet, SR, -23.0)
    assert abs(loudness_lufs(y, SR) + 23.0) < 0.1
    loud = normalize_loudness(np.sign(tone(1.0, 1.0)) * 0.5, SR, -3.0)
    assert np.abs(loud).max() <= 0.99 + 1e-6
    assert abs(loudness_lufs(condition(tone(1.0, 0.5), SR), SR) + 23) < 0.1


def test_spanish_accents_restored():
    assert restore_accents("Por favor ingrese su numero y su contrasena.") == \
        "Por favor ingrese su número y su contraseña."
    assert restore_accents("Opcion invalida. Extension del buzon") == \
        "Opción inválida. Extensión del buzón"
    assert restore_accents("Las opciones de esta conferencia") == \
        "Las opciones de esta conferencia"  # plural and ambiguous words untouched
    assert restore_accents("número válido") == "número válido"


def test_prepare_splits_conditions_audio(tmp_path):
    files = {n: {} for n in ("wav.scp", "text", "utt2spk", "utt2lang", "utt2dur")}
    for spk, lang, amp in (("a", "es", 0.3), ("b", "ro", 0.003)):  # b is 40 dB quieter
        for i in range(8):
            key = f"{spk}-{i:02d}"
            path = tmp_path / "wav" / f"{key}.wav"
            path.parent.mkdir(exist_ok=True)
            x = np.concatenate([np.zeros(SR // 2), tone(1.0, amp, i), np.zeros(SR // 2)])
            sf.write(path, x, SR)
            files["wav.scp"][key], files["utt2spk"][key] = str(path), spk
            files["text"][key], files["utt2lang"][key] = "ingrese su numero", lang
            files["utt2dur"][key] = "2.0"
    write_datadir(tmp_path / "pool", files, {"sample_rate": SR})
    conf = TtsCorpusConfig(train_langs=["es"], adapt_langs=["ro"], dev_per_speaker=1,
                           test_per_speaker=1, adapt_train_utts=4, adapt_sizes=[1, 3])
    counts = prepare_splits(tmp_path / "pool", tmp_path / "data", conf)
    assert counts["train"] == 6 and counts["adapt_train"] == 4
    assert counts["adapt_train_1"] == 1 and counts["adapt_train_3"] == 3
    nested = [DataDir(tmp_path / "data" / f"adapt_train{n}").keys() for n in ("_1", "_3", "")]
    assert set(nested[0]) <= set(nested[1])
    assert set(nested[1]) <= set(nested[2]) and set(nested[2]) <= set(
        DataDir(tmp_path / "data" / "aligner_train").keys())
    with pytest.raises(ConfigError, match="adapt_sizes: 4"):
        TtsCorpusConfig(adapt_train_utts=4, adapt_sizes=[4])
    d = DataDir(tmp_path / "data" / "aligner_train")
    levels = []
    for key in d.keys():
        x, sr = sf.read(d.read("wav.scp")[key])
        levels.append(loudness_lufs(x, sr))
        assert len(x) / sr < 1.2 and float(d.read("utt2dur")[key]) < 1.2  # silence trimmed
    assert max(levels) - min(levels) < 0.5 and abs(np.mean(levels) + 23) < 0.5
    texts = DataDir(tmp_path / "data" / "train").read("text")
    assert set(texts.values()) == {"ingrese su número"}
