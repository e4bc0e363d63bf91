"""``sptk-cli svs revoice``: a vocal resung at another pitch and formant scale (WORLD)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.dsp.singing import world_f0
from toolkit.svs.revoice import revoice, revoice_datadir, warp_frequency

SR = 16000


def _voice(f0: float = 220.0, seconds: float = 1.0) -> np.ndarray:
    """A buzzy harmonic tone with a formant-like envelope peak near 800 Hz."""
    t = np.arange(int(SR * seconds)) / SR
    x = sum(np.exp(-((h * f0 - 800.0) / 600.0) ** 2) * np.sin(2 * np.pi * h * f0 * t)
            for h in range(1, 30) if h * f0 < SR / 2)
    return (0.2 * x / np.max(np.abs(x))).astype(np.float32)


def test_warp_frequency_moves_content_by_the_factor():
    frames = np.zeros((1, 101))
    frames[0, 50] = 1.0
    assert np.argmax(warp_frequency(frames, 0.8)[0]) == 40
    assert np.argmax(warp_frequency(frames, 1.25)[0]) in (62, 63)
    np.testing.assert_allclose(warp_frequency(frames, 1.0), frames)


def test_revoice_shifts_pitch_keeps_level_and_length():
    x = _voice()
    y = revoice(x, SR, -5.0, 0.9)
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(np.sqrt(np.mean(x ** 2)), rel=1e-3)
    fx, fy = world_f0(x, SR), world_f0(y, SR)
    both = (fx > 0) & (fy > 0)
    assert both.mean() > 0.5
    shift = np.median(12 * np.log2(fy[both] / fx[both]))
    assert shift == pytest.approx(-5.0, abs=0.3)
    assert not np.any(revoice(np.zeros(SR, np.float32), SR, -5.0, 0.9))  # silence stays


def _svs_dir(tmp_path: Path, n: int = 2) -> Path:
    files: dict[str, dict[str, str]] = {k: {} for k in ("wav.scp", "vocals.scp", "accomp.scp",
                                                         "utt2spk", "utt2song")}
    rng = np.random.default_rng(0)
    for i in range(n):
        key = f"amy_{i + 1}_01"
        v = _voice(200.0 + 20 * i, 0.5)
        a = (0.05 * rng.standard_normal(len(v))).astype(np.float32)
        for role, y in (("wav.scp", v + a), ("vocals.scp", v), ("accomp.scp", a)):
            path = tmp_path / "src" / "audio" / f"{key}.{role.split('.')[0]}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, y, SR)
            files[role][key] = str(path)
        files["utt2spk"][key] = "amy"
        files["utt2song"][key] = f"amy_{i + 1}"
    return write_datadir(tmp_path / "src", files, {"sample_rate": SR, "task": "svs"},
                         in_place=True)


def test_revoice_datadir_copies_keys_and_mixture(tmp_path):
    src = _svs_dir(tmp_path)
    out = DataDir(revoice_datadir(src, tmp_path / "rv", copies=2, seed=3))
    assert out.keys() == ["amy_1_01-rv0", "amy_1_01-rv1", "amy_2_01-rv0", "amy_2_01-rv1"]
    assert set(out.read("utt2spk").values()) == {"amy-rv"}
    assert out.read("utt2song")["amy_2_01-rv1"] == "amy_2"
    for key, value in out.read("utt2revoice").items():
        s, f = (float(v) for v in value.split())
        assert -8 <= s <= -3 and 0.85 <= f <= 0.95, key
    k = "amy_1_01-rv1"
    v, a, mix = (sf.read(out.read(r)[k])[0] for r in ("vocals.scp", "accomp.scp", "wav.scp"))
    np.testing.assert_allclose(mix, v + a, atol=2e-4)
    np.testing.assert_allclose(a, sf.read(DataDir(src).read("accomp.scp")["amy_1_01"])[0],
                               atol=1e-4)
    again = DataDir(revoice_datadir(src, tmp_path / "rv2", copies=2, seed=3))
    assert again.read("utt2revoice") == out.read("utt2revoice")  # the seed decides the draws


def test_revoice_bad_inputs(cli, tmp_path):
    src = _svs_dir(tmp_path, 1)
    base = ["svs", "revoice", "--data", src, "--out", tmp_path / "rv"]
    assert_one_line_error(cli(*base, "--semitones", "-3:-8"), "--semitones -3.0:-8.0")
    assert_one_line_error(cli(*base, "--formant", "0:0.9"), "0 < LOW <= HIGH")
    assert_one_line_error(cli(*base, "--formant", "low"), "give LOW:HIGH")
    assert_one_line_error(cli(*base, "--copies", "0"), "--copies 0")
    (tmp_path / "src" / "vocals.scp").unlink()
    assert_one_line_error(cli(*base), "has no vocals.scp")
    assert not (tmp_path / "rv").exists()
