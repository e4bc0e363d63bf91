"""Echo paths: delays, nonlinearities, echo-path change."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.dsp import echo

SR = 16000


def multisine(t, seed=0, top=0.4):
    rng = np.random.default_rng(seed)
    freqs, phases = rng.uniform(50, top * SR, 20), rng.uniform(0, 2 * np.pi, 20)
    return sum(np.sin(2 * np.pi * f * t / SR + p) for f, p in zip(freqs, phases, strict=True))


@pytest.mark.parametrize("method,limit_db", [("sinc", -60.0), ("fft", -60.0)])
@pytest.mark.parametrize("delay", [0.25, 3.37, 10.5, -2.7])
def test_fractional_delay_accuracy(method, limit_db, delay):
    t = np.arange(8000)
    y = echo.fractional_delay(multisine(t), delay, method)
    ref = multisine(t - delay)
    mid = slice(200, -200)  # away from the zero-filled edges
    err = 10 * np.log10(np.mean((y[mid] - ref[mid]) ** 2) / np.mean(ref[mid] ** 2))
    assert err < limit_db


def test_integer_delay_is_exact_and_keeps_length():
    x = np.arange(10.0)
    np.testing.assert_array_equal(echo.integer_delay(x, 3), [0, 0, 0, 0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(echo.integer_delay(x, -2)[:8], x[2:])
    assert not echo.integer_delay(x, 20).any()
    np.testing.assert_allclose(echo.fractional_delay(x, 3.0), echo.integer_delay(x, 3),
                               atol=1e-9)


def test_hard_clip_and_tanh_shapes():
    x = np.linspace(-1, 1, 201)
    y = echo.hard_clip(x, 0.4)
    assert y.max() == pytest.approx(0.4) and y.min() == pytest.approx(-0.4)
    np.testing.assert_array_equal(y[np.abs(x) < 0.4], x[np.abs(x) < 0.4])
    z = echo.tanh_saturation(x, 3.0)
    np.testing.assert_allclose(z, -z[::-1])  # odd
    assert np.all(np.diff(z) > 0)  # monotonic
    assert z[101] / x[101] == pytest.approx(1.0, rel=1e-3)  # unit small-signal gain
    assert np.abs(z).max() < np.abs(x).max()


def harmonic_db(y, k, f0=200.0):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    f = np.fft.rfftfreq(len(y), 1 / SR)
    return 20 * np.log10(spec[np.argmin(np.abs(f - k * f0))] / spec[np.argmin(np.abs(f - f0))])


def test_asymmetric_sigmoid_is_asymmetric_and_makes_even_harmonics():
    x = np.linspace(-1, 1, 201)
    y = echo.asymmetric_sigmoid(x)
    assert y[100] == pytest.approx(0.0)
    assert np.all(np.diff(y) > 0)
    assert abs(y[-1]) != pytest.approx(abs(y[0]), rel=0.05)
    tone = 0.8 * np.sin(2 * np.pi * 200 * np.arange(SR) / SR)
    assert harmonic_db(echo.asymmetric_sigmoid(tone), 2) > -40  # even: asymmetric
    assert harmonic_db(echo.tanh_saturation(tone, 3.0), 2) < -80  # odd-symmetric curve
    assert harmonic_db(echo.tanh_saturation(tone, 3.0), 3) > -40


def test_echo_path_change_switches_rirs_with_a_crossfade():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SR)
    a = rng.standard_normal(256) * np.exp(-np.arange(256) / 40)
    b = rng.standard_normal(256) * np.exp(-np.arange(256) / 60)
    at, fade = 7000, 160
    y = echo.echo_path_change(x, a, b, at, fade)
    ya, yb = echo.convolve(x, a), echo.convolve(x, b)
    np.testing.assert_allclose(y[:at], ya[:at], atol=1e-9)
    np.testing.assert_allclose(y[at + fade:], yb[at + fade:], atol=1e-9)
    w = echo.crossfade_weights(len(x), at, fade)
    assert np.all(np.diff(w) >= 0) and w[at - 1] == 0 and w[at + fade] == 1


def test_simulate_echo_chains_the_stages():
    rng = np.random.default_rng(1)
    far = 0.5 * rng.standard_normal(SR)
    rir = np.zeros(64)
    rir[0] = 1.0
    y = echo.simulate_echo(far, rir, delay=100, nonlinearity="hard_clip", threshold=0.3)
    np.testing.assert_allclose(y, echo.integer_delay(np.clip(far, -0.3, 0.3), 100), atol=1e-9)
    y2 = echo.simulate_echo(far, rir, delay=10.5, rir_after=0.5 * rir, change_at=8000)
    assert len(y2) == SR and np.abs(y2[9000:]).max() < np.abs(y2[:7000]).max()
    with pytest.raises(ValueError):
        echo.apply_nonlinearity(far, "cubic")
