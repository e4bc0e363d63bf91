"""Mixing at SNR/SER, levels, loudness, clipping guard."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.dsp import mix

SR = 16000


def speechlike(rng, seconds=2.0, pause=0.0):
    n = int(seconds * SR)
    t = np.arange(n) / SR
    x = np.sin(2 * np.pi * 150 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) ** 2
    x = x + 0.05 * rng.standard_normal(n)
    return np.concatenate([x, np.zeros(int(pause * SR))])


@pytest.mark.parametrize("method", ["rms", "active"])
@pytest.mark.parametrize("noise_seconds", [0.7, 2.0, 5.0])  # looped, equal, cut
@pytest.mark.parametrize("snr", [-5.0, 0.0, 12.5])
def test_snr_is_reached_within_half_a_db(method, noise_seconds, snr):
    rng = np.random.default_rng(1)
    speech = speechlike(rng, pause=0.8)
    noise = rng.standard_normal(int(noise_seconds * SR)) * 0.3
    mixture, scaled = mix.mix_at_snr(speech, noise, snr, rng=np.random.default_rng(2),
                                     method=method)
    assert len(mixture) == len(speech)
    np.testing.assert_allclose(mixture - scaled, speech)
    assert abs(mix.achieved_ratio_db(speech, scaled, method) - snr) < 0.5


def test_ser_is_the_same_contract():
    rng = np.random.default_rng(3)
    near, echo = speechlike(rng), speechlike(rng, 3.0)
    mixture, scaled = mix.mix_at_ser(near, echo, -10.0, rng=rng)
    assert abs(mix.achieved_ratio_db(near, scaled) + 10.0) < 0.5


def test_mixing_is_deterministic_from_the_generator():
    rng = np.random.default_rng(4)
    speech, noise = speechlike(rng), rng.standard_normal(5 * SR)
    a = mix.mix_at_snr(speech, noise, 5.0, rng=np.random.default_rng(7))[0]
    b = mix.mix_at_snr(speech, noise, 5.0, rng=np.random.default_rng(7))[0]
    c = mix.mix_at_snr(speech, noise, 5.0, rng=np.random.default_rng(8))[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_lengths_must_match_without_a_generator():
    with pytest.raises(ValueError):
        mix.mix_at_snr(np.ones(10), np.ones(20), 0.0)


def test_active_level_ignores_pauses_but_rms_does_not():
    rng = np.random.default_rng(5)
    x = speechlike(rng)
    padded = np.concatenate([x, np.zeros(len(x))])
    assert abs(mix.db(mix.active_rms(padded)) - mix.db(mix.active_rms(x))) < 0.1
    assert abs(mix.db(mix.rms(padded)) - mix.db(mix.rms(x)) + 3.01) < 0.05


def test_rms_normalisation():
    x = np.random.default_rng(6).standard_normal(SR)
    assert abs(mix.rms_dbfs(mix.normalize_rms(x, -30.0)) + 30.0) < 1e-6


def test_k_weighting_matches_bs1770_at_48k():
    (b1, a1), (b2, a2) = mix._biquad_k_weighting(48000)
    np.testing.assert_allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285],
                               atol=1e-8)
    np.testing.assert_allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-8)
    np.testing.assert_allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-8)


@pytest.mark.parametrize("sr", [16000, 48000])
def test_full_scale_1khz_sine_reads_minus_3_lufs(sr):
    t = np.arange(3 * sr) / sr
    assert abs(mix.loudness_lufs(np.sin(2 * np.pi * 1000 * t), sr) + 3.01) < 0.1
    y = mix.normalize_lufs(0.1 * np.sin(2 * np.pi * 1000 * t), sr, -23.0)
    assert abs(mix.loudness_lufs(y, sr) + 23.0) < 0.05


def test_clip_guard_scales_all_components_and_keeps_the_ratio():
    rng = np.random.default_rng(9)
    speech = speechlike(rng) * 3.0
    mixture, noise = mix.mix_at_snr(speech, rng.standard_normal(len(speech)), 3.0)
    (m, s, n), gain = mix.clip_guard([mixture, speech, noise], limit=0.9)
    assert gain < 1 and np.abs(m).max() <= 0.9 + 1e-12
    np.testing.assert_allclose(m, s + n)
    assert abs(mix.achieved_ratio_db(s, n) - 3.0) < 1e-6
    (m2,), g2 = mix.clip_guard([mixture * 0.01], limit=0.9)
    assert g2 == 1.0


def test_clip_guard_keeps_a_component_louder_than_its_mixture_within_the_limit():
    speech = np.array([0.8, -0.5, 0.2])
    noise = np.array([-0.7, 0.9, 0.1])  # opposite phase: the mixture peaks lower
    (m, s, n), gain = mix.clip_guard([speech + noise, speech, noise], limit=0.5)
    assert max(np.abs(x).max() for x in (m, s, n)) <= 0.5 + 1e-12
    np.testing.assert_allclose(m, s + n)
    (m, s), _ = mix.clip_guard([speech + noise, speech], limit=0.3, reference=speech + noise)
    assert np.abs(m).max() == pytest.approx(0.3) and np.abs(s).max() > 0.3  # as asked
