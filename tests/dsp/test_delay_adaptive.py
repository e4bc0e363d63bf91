"""GCC-PHAT delay estimation (global, online), far-end alignment, and the PBFDAF canceller."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.dsp.adaptive import pbfdaf
from toolkit.dsp.delay import (
    align,
    align_far_end,
    estimate_delay_gcc_phat,
    estimate_delay_gcc_phat_online,
)

SR = 16000


def echo_pair(delay: int, seconds: float = 4.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    far = 0.1 * rng.standard_normal(int(seconds * SR))
    h = np.exp(-np.arange(400) / 60) * rng.standard_normal(400) * 0.3
    h[0] = 1.0  # the direct sound: the strongest tap, at the device delay
    echo = np.convolve(align_far_end(far, delay), h)[: len(far)]
    return echo + 1e-3 * rng.standard_normal(len(far)), far


@pytest.mark.parametrize("delay", [0, 1234, 9000, 15500])
def test_global_gcc_phat_finds_the_delay(delay):
    mic, far = echo_pair(delay)
    assert estimate_delay_gcc_phat(mic, far, SR) == delay


def test_online_gcc_phat_is_causal_and_converges():
    mic, far = echo_pair(7000, seconds=5.0)
    d = estimate_delay_gcc_phat_online(mic, far, SR)
    assert d.shape == (500,)
    assert np.all(d[:4] == 0)  # no update before the first update_every blocks
    assert np.all(d[250:] == 7000)
    # Causality: changing the future does not change past estimates.
    mic2 = mic.copy()
    mic2[SR * 3:] = 0.0
    d2 = estimate_delay_gcc_phat_online(mic2, far, SR)
    assert np.array_equal(d[:299], d2[:299])


def test_align_far_end_per_block_and_constant():
    far = np.arange(1, 801, dtype=float)
    assert np.array_equal(align_far_end(far, 3)[:5], [0, 0, 0, 1, 2])
    per_block = align_far_end(far, np.array([0, 0, 10, 10, 10]), hop=160)
    assert per_block[0] == 1 and per_block[320] == far[310]
    with pytest.raises(ValueError, match="unknown alignment"):
        align(far, far, "magic", 100)


def test_pbfdaf_cancels_a_linear_echo():
    mic, far = echo_pair(6000, seconds=6.0)
    aligned, _ = align(mic, far, "gcc_global", SR)
    out = pbfdaf(mic, aligned)
    tail = slice(4 * SR, None)
    erle = 10 * np.log10(np.mean(mic[tail] ** 2) / np.mean(out[tail] ** 2))
    assert erle > 25
    unaligned = pbfdaf(mic, far)  # a 375-ms delay is beyond the 160-ms filter
    assert 10 * np.log10(np.mean(mic[tail] ** 2) / np.mean(unaligned[tail] ** 2)) < 3
