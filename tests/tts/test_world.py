"""WORLD features: layout, continuous log F0, band aperiodicities, postfilter, copy synthesis."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.dsp.world import (
    BAP,
    DIM,
    LF0,
    VUV,
    VocoderConfig,
    analyze,
    band_matrix,
    copy_synthesis_mcd,
    interpolate_lf0,
    mc2sp,
    postfilter,
    synthesize,
)
from toolkit.errors import UserError


def voiced_signal(sr: int = 16000, seconds: float = 1.0) -> np.ndarray:
    """A harmonic tone at 150 Hz, silent in the middle third (a V/UV change)."""
    t = np.arange(int(sr * seconds)) / sr
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20)) * 0.1
    x[len(x) // 3: 2 * len(x) // 3] = 0.0
    return x.astype(np.float32)


def test_analyze_layout_and_rate():
    conf = VocoderConfig()
    y = analyze(voiced_signal(), conf)
    assert y.shape == (1 + 16000 // 80, DIM)
    assert set(np.unique(y[:, VUV])) <= {0.0, 1.0}
    voiced = y[:, VUV] > 0.5
    assert voiced[:50].mean() > 0.8 and voiced[80:120].mean() < 0.2
    assert np.all(np.isfinite(y[:, LF0]))
    assert abs(np.exp(np.median(y[voiced, LF0])) - 150) < 5
    assert np.all(y[:, BAP] <= 0.0)


def test_interpolate_lf0_is_continuous():
    lf0, vuv = interpolate_lf0(np.array([0, 100.0, 0, 0, 200.0, 0]))
    assert vuv.tolist() == [0, 1, 0, 0, 1, 0]
    assert np.allclose(np.exp(lf0[[0, 1, 4, 5]]), [100, 100, 200, 200])
    assert np.log(100) < lf0[2] < lf0[3] < np.log(200)


def test_bands_cover_the_spectrum_once():
    w = band_matrix(16000, 1024)
    assert w.shape == (7, 513)
    assert np.allclose(w.sum(1), 1.0)
    assert np.all((w > 0).sum(0) == 1)
    with pytest.raises(UserError, match="too low"):
        band_matrix(8000, 1024)


def test_postfilter_keeps_energy_and_sharpens():
    rng = np.random.default_rng(0)
    mc = rng.standard_normal((10, 40)) * 0.1
    out = postfilter(mc, 0.41, 0.4)
    assert np.allclose(mc2sp(mc, 0.41, 1024).mean(1), mc2sp(out, 0.41, 1024).mean(1))
    assert np.allclose(out[:, 2:], mc[:, 2:] * 1.4) and np.allclose(out[:, 1], mc[:, 1])


def test_mc2sp_matches_pysptk():
    pysptk = pytest.importorskip("pysptk")
    mc = np.random.default_rng(1).standard_normal((3, 40)) * 0.2
    assert np.allclose(mc2sp(mc, 0.41, 512), pysptk.mc2sp(mc, 0.41, 512))


def test_copy_synthesis_ceiling_on_speech():
    pysptk = pytest.importorskip("pysptk")
    from toolkit.data.audio import load_mono

    x, _ = load_mono(pysptk.util.example_audio_file(), 16000)
    scores = copy_synthesis_mcd(x, VocoderConfig())
    assert 1.0 < scores["mcd_db"] < 5.0
    assert scores["vuv_error"] < 0.1


def test_synthesize_shapes_and_bad_input():
    conf = VocoderConfig()
    y = analyze(voiced_signal(), conf)
    wave = synthesize(y, conf)
    assert abs(len(wave) - 16000) <= 160 and np.abs(wave).max() <= 1.0
    with pytest.raises(UserError, match="49"):
        synthesize(y[:, :40], conf)
    with pytest.raises(UserError, match="too short"):
        analyze(np.zeros(50, np.float32), conf)


def test_vuv_threshold_decides_which_frames_are_voiced():
    conf = VocoderConfig()
    y = analyze(voiced_signal(), conf)
    voiced = y[:, VUV] > 0.5
    y[voiced, VUV] = 0.6  # what a model might predict: voiced, but not surely
    def voicing(wave):  # share of the originally voiced frames voiced again
        again = analyze(wave, conf)
        m = min(len(again), len(y))
        return again[:m][voiced[:m], VUV].mean()

    assert voicing(synthesize(y, conf)) > 0.8  # 0.6 > 0.5: the harmonic frames stay voiced
    assert voicing(synthesize(y, VocoderConfig(vuv_threshold=0.7))) < 0.2  # noise excitation
    # the argument overrides the config
    assert voicing(synthesize(y, VocoderConfig(vuv_threshold=0.7), vuv_threshold=0.5)) > 0.8
