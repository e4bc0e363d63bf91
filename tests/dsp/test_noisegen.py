"""Procedural noises: spectral slopes, hum frequency, levels, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.dsp import noisegen

SR = 16000


def slope_db_per_octave(x, lo=100.0, hi=6000.0):
    from scipy.signal import welch

    f, p = welch(x, SR, nperseg=4096)
    band = (f >= lo) & (f <= hi)
    return np.polyfit(np.log2(f[band]), 10 * np.log10(p[band]), 1)[0]


@pytest.mark.parametrize("name,expected", [("white", 0.0), ("pink", -3.01), ("brown", -6.02)])
def test_spectral_slopes(name, expected):
    x = noisegen.GENERATORS[name](20 * SR, np.random.default_rng(0), SR)
    assert abs(slope_db_per_octave(x) - expected) < 0.5


@pytest.mark.parametrize("name", sorted(noisegen.GENERATORS))
def test_level_length_and_determinism(name):
    gen = noisegen.GENERATORS[name]
    a = gen(3 * SR, np.random.default_rng(1), SR)
    b = gen(3 * SR, np.random.default_rng(1), SR)
    assert a.shape == (3 * SR,) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert abs(20 * np.log10(np.sqrt(np.mean(a.astype(float) ** 2))) + 25.0) < 0.1
    assert np.abs(a).max() <= 0.99


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_hum_fundamental_and_harmonics(mains):
    x = noisegen.hum(10 * SR, np.random.default_rng(2), SR, mains_hz=mains)
    spec = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(len(x), 1 / SR)
    peaks = f[np.argsort(spec)[-5:]]
    for p in peaks:  # the strongest bins are harmonics of the mains frequency
        assert abs(p / mains - round(p / mains)) * mains < 0.5


def test_fan_has_a_blade_pass_tone_over_a_low_pass_bed():
    x = noisegen.fan(10 * SR, np.random.default_rng(3), SR)
    assert slope_db_per_octave(x, 200, 6000) < -1.5


def test_babble_sums_talkers_at_equal_level():
    rng = np.random.default_rng(4)
    talkers = [[rng.standard_normal(SR) * (k + 1)] for k in range(4)]
    x = noisegen.babble(talkers, 3 * SR, np.random.default_rng(5), SR)
    assert x.shape == (3 * SR,) and np.isfinite(x).all()
