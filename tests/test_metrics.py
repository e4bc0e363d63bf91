"""Signal and speech metrics on signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.metrics.classification import accuracy_report
from toolkit.metrics.signal import erle, si_sdr, snr
from toolkit.metrics.speech import pesq_wb, stoi


def test_si_sdr_known_values():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(16000)
    noise = rng.standard_normal(16000)
    noise -= noise @ ref / (ref @ ref) * ref  # orthogonal to the reference
    noise *= np.linalg.norm(ref) / np.linalg.norm(noise) / 10  # -20 dB
    assert si_sdr(ref + noise, ref) == pytest.approx(20.0, abs=0.05)
    assert si_sdr(3.0 * (ref + noise), ref) == pytest.approx(20.0, abs=0.05)  # scale-invariant
    assert snr(3.0 * ref, ref) < 0  # plain SNR is not


def test_erle():
    x = np.ones(100)
    assert erle(x, 0.1 * x) == pytest.approx(20.0)


def test_pesq_and_stoi_rank_clean_above_noisy():
    sr = 16000
    t = np.arange(3 * sr) / sr
    speechlike = (np.sin(2 * np.pi * 200 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))) * 0.3
    noisy = speechlike + 0.1 * np.random.default_rng(0).standard_normal(len(t))
    assert pesq_wb(speechlike, speechlike, sr) > pesq_wb(noisy, speechlike, sr)
    assert stoi(speechlike, speechlike, sr) > stoi(noisy, speechlike, sr)
    assert np.isnan(pesq_wb(np.zeros(100), np.zeros(100), sr))


def test_accuracy_report():
    r = accuracy_report({"a": "x", "b": "y", "c": "y"}, {"a": "x", "b": "x", "c": "y"})
    assert r["acc"] == pytest.approx(2 / 3) and r["per_class"] == {"x": 1.0, "y": 0.5}
    assert r["confusion"]["y"] == {"x": 1, "y": 1}
