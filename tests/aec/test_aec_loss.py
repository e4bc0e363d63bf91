"""The training loss that keeps the near end: frame weights and the over-suppression term."""

from __future__ import annotations

import torch

from toolkit.aec.loss import (
    AecLossConfig,
    complex_compressed_mse,
    frame_activity,
    frame_weights,
    keep_metrics,
)
from toolkit.models.aec_blocks import stft


def _talk(n: int, on: slice, seed: int = 0) -> torch.Tensor:
    x = torch.zeros(1, n)
    x[0, on] = 0.1 * torch.randn(on.stop - on.start, generator=torch.Generator().manual_seed(seed))
    return x


def test_frame_activity_follows_the_signal():
    x = _talk(16000, slice(8000, 16000))
    act = frame_activity(x)
    assert act.shape == (1, 101)
    assert not act[0, :49].any() and act[0, 52:100].all()
    assert not frame_activity(torch.zeros(1, 16000)).any()  # silence is never active


def test_double_talk_frames_weigh_most():
    near = _talk(16000, slice(0, 8000))
    echo = _talk(16000, slice(4000, 16000), seed=1)
    w = frame_weights(near, echo, AecLossConfig(near_weight=1.0, dt_weight=2.0))
    assert w[0, 10] == 2.0 and w[0, 40] == 4.0 and w[0, 80] == 1.0


def test_suppressing_the_near_end_costs_more_with_the_new_terms():
    near = _talk(16000, slice(0, 16000))
    echo = _talk(16000, slice(0, 16000), seed=1)
    s = stft(near)
    kept, muted = s + 0.3 * stft(echo), 0.1 * s  # leaves echo / deletes the near end
    plain = [complex_compressed_mse(e, s) for e in (kept, muted)]
    w = frame_weights(near, echo, AecLossConfig(near_weight=1.0, dt_weight=2.0))
    new = [complex_compressed_mse(e, s, weights=w, suppress=1.0) for e in (kept, muted)]
    assert new[1] / new[0] > plain[1] / plain[0]
    over = complex_compressed_mse(muted, s, suppress=1.0) - complex_compressed_mse(muted, s)
    under = complex_compressed_mse(s * 3, s, suppress=1.0) - complex_compressed_mse(s * 3, s)
    assert over > 0 and abs(under) < 1e-7  # one-sided: only a quieter output pays


def test_keep_metrics_see_suppression_and_echo_removal():
    near = _talk(16000, slice(0, 8000))
    echo = _talk(16000, slice(8000, 16000), seed=1)
    mic = near + echo
    m = keep_metrics(mic, 0.1 * near + 0.01 * echo, near, echo)
    assert abs(m["near_kept_db"] + 20) < 0.5 and abs(m["echo_removed_db"] - 40) < 0.5


def test_keep_metrics_average_clips_not_pooled_energy():
    """A loud clip with 40 dB ERLE beside a quiet one with 10 dB: the mean of the clips
    (25 dB), as the scorer reports, not the pooled energy (about 40 dB)."""
    echo = torch.cat([_talk(16000, slice(0, 16000)), 1e-2 * _talk(16000, slice(0, 16000), 1)])
    near = torch.zeros_like(echo)
    out = torch.stack([0.01 * echo[0], 10 ** (-10 / 20) * echo[1]])
    m = keep_metrics(echo, out, near, echo)
    assert abs(m["echo_removed_db"] - 25) < 0.5 and "near_kept_db" not in m
