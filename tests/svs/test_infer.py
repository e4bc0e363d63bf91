"""Separation library: reconstruction, mask interpolation, chunked streaming, the dataset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolkit.registry import build_model
from toolkit.svs.config import SeparateConfig, SpecConfig
from toolkit.svs.infer import (
    fullrate_masks,
    fullrate_stft_size,
    separate_array,
    separate_stream,
)

SPEC = SpecConfig(patch_frames=64)


class ConstantMask(torch.nn.Module):
    """Vocals mask ``v`` everywhere, accompaniment ``1 - v``."""

    def __init__(self, v: float):
        super().__init__()
        self.v = v

    def forward(self, x):
        m = torch.full_like(x, self.v)
        return torch.stack([m, 1 - m], dim=1)


def _music(sr: int, seconds: float, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    tones = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (220, 330, 1200, 6000))
    x = 0.1 * tones + 0.02 * rng.standard_normal((channels, len(t)))
    return x.astype(np.float32)


def _snr(ref, est):
    return 10 * np.log10(np.sum(ref**2) / np.sum((ref - est) ** 2))


@pytest.mark.parametrize("sr,channels", [(44100, 2), (16000, 1), (22050, 3)])
def test_fullrate_keeps_rate_channels_and_reconstructs(sr, channels):
    x = _music(sr, 3.0, channels)
    out = separate_array(ConstantMask(1.0), x, sr, SPEC, SeparateConfig(), ("fullrate",))
    y = out["fullrate"]
    assert y.shape == (2, channels, x.shape[1])
    assert _snr(x, y[0]) > 60  # mask 1: the input back, all bands, every channel
    assert np.abs(y[1]).max() < 1e-6
    half = separate_array(ConstantMask(0.3), x, sr, SPEC, SeparateConfig(), ("fullrate",))
    assert _snr(x, half["fullrate"].sum(axis=0)) > 60  # masks summing to one: a partition


def test_normalized_masks_partition_the_input():
    torch.manual_seed(0)
    model = build_model("svs", {"name": "unet_svs", "conf": {"channels": [4, 4, 8, 8, 8, 8]}})
    x = _music(44100, 3.0, 2)
    sep = SeparateConfig(normalize_masks=True)
    y = separate_array(model.eval(), x, 44100, SPEC, sep, ("fullrate",))["fullrate"]
    assert np.abs(y[0] + y[1] - x).max() < 1e-6  # the stems add up to the mixture
    plain = separate_array(model, x, 44100, SPEC, SeparateConfig(), ("fullrate",))["fullrate"]
    assert np.abs(plain[0] + plain[1] - x).max() > 1e-3  # two independent masks do not


def test_lowrate_is_mono_and_band_limited():
    sr = 44100
    x = _music(sr, 3.0, 2)
    y = separate_array(ConstantMask(1.0), x, sr, SPEC, SeparateConfig(), ("lowrate",))["lowrate"]
    assert y.shape == (2, 1, x.shape[1])
    spec = np.abs(np.fft.rfft(y[0, 0]))
    freqs = np.fft.rfftfreq(y.shape[-1], 1 / sr)
    assert spec[np.argmin(np.abs(freqs - 6000))] < 1e-3 * spec[np.argmin(np.abs(freqs - 1200))]
    ref = np.abs(np.fft.rfft(x.mean(0)))
    band = (freqs > 100) & (freqs < 3500)
    assert np.allclose(spec[band].sum(), ref[band].sum(), rtol=0.05)


def test_mask_interpolation_in_frequency_and_time():
    sep = SeparateConfig(high_band_bins=4)
    low = np.zeros((2, 512, 10), np.float32)
    low[0] = np.linspace(0, 1, 512)[:, None]  # rises with frequency
    low[1, :, 5:] = 1.0  # switches on in time
    sr = 16000
    n_fft, hop = fullrate_stft_size(sr, SPEC)
    assert (n_fft, hop) == (2000, 500)
    assert fullrate_stft_size(44100, SPEC, 2) == (5400, 2700)  # 5512 rounded to 2^3 3^3 5^2
    assert fullrate_stft_size(22050, SPEC, 2) == (2700, 1350)
    frames = 1 + 9 * 768 * sr // 8192 // hop
    m = fullrate_masks(low, SPEC, sep, sr, n_fft, hop, frames)
    assert m.shape == (2, n_fft // 2 + 1, frames)
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    k = int(np.argmin(np.abs(freqs - 2048)))  # 2048 Hz = model bin 256
    assert m[0, k, 0] == pytest.approx(256 / 511, abs=2e-3)
    top = low[0, -4:, 0].mean()
    np.testing.assert_allclose(m[0, freqs > 4100, :], top, rtol=1e-6)
    t = np.arange(frames) * hop / sr
    assert np.all(m[1, 10, t < 4 * 768 / 8192] == 0)
    assert np.all(m[1, 10, t > 5 * 768 / 8192] == 1)


def test_streaming_matches_one_pass_and_bounds_reads():
    torch.manual_seed(0)
    model = build_model("svs", {"name": "unet_svs", "conf": {"channels": [4, 4, 8, 8, 8, 8]}})
    model.eval()
    sr = 8000
    x = _music(sr, 40.0, 2, seed=3)
    sep = SeparateConfig(chunk_seconds=16.0, overlap_seconds=4.0, patch_hop=32)
    whole = separate_array(model, x, sr, SPEC, sep, ("fullrate", "lowrate"))
    blocks, reads = {"fullrate": [], "lowrate": []}, []

    def read(start, n):
        reads.append(n)
        return x[:, start: start + n]

    def write(ys):
        for r, y in ys.items():
            blocks[r].append(y)

    done = []
    separate_stream(read, x.shape[1], sr, model, SPEC, sep, write, ("fullrate", "lowrate"),
                    progress=done.append)
    assert max(reads) <= 16 * sr and len(reads) >= 3
    assert done[-1] == x.shape[1] and done == sorted(done)
    for r in ("fullrate", "lowrate"):
        y = np.concatenate(blocks[r], axis=-1)
        assert y.shape == whole[r].shape
        # chunks see other patch boundaries and normalisations: close, not identical
        assert _snr(whole[r][0], y[0]) > 15, r
    # a constant mask is linear: chunked and one-pass agree to rounding
    blocks = {"fullrate": []}
    separate_stream(read, x.shape[1], sr, ConstantMask(0.7), SPEC, sep,
                    lambda ys: blocks["fullrate"].append(ys["fullrate"]))
    y = np.concatenate(blocks["fullrate"], axis=-1)
    assert _snr(0.7 * x, y[0]) > 50


class FlickerMask(torch.nn.Module):
    """A mask that changes every frame (an STFT no signal has), like a real model's."""

    def forward(self, x):
        g = torch.Generator().manual_seed(0)
        m = torch.rand(x.shape, generator=g)
        return torch.stack([m, 1 - m], dim=1)


def test_lowrate_tail_stays_bounded():
    """Hop 768 with a 1024 window: the overlap-add envelope vanishes past the last frame."""
    sr = 16000
    t = np.arange(int(sr * 3.05)) / sr
    x = (0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 1210 * t))[None]
    x = x.astype(np.float32)
    y = separate_array(FlickerMask(), x, sr, SPEC, SeparateConfig(), ("lowrate",))["lowrate"]
    assert np.abs(y).max() < 1.5 * np.abs(x).max(), np.abs(y).max()
    core = slice(sr // 10, -sr // 10)
    assert _snr(x[0, core], y[:, 0].sum(axis=0)[core]) > 30  # masks summing to one: a partition


@pytest.mark.parametrize("seconds", [3.0, 3.05, 7.3])
def test_lowrate_reconstructs_a_band_limited_signal_to_the_end(seconds):
    """With hop 768 the frames can stop short of the end; the signal must not shift."""
    sr = 16000
    t = np.arange(int(sr * seconds)) / sr
    x = (0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 1210 * t))[None]
    y = separate_array(ConstantMask(1.0), x.astype(np.float32), sr, SPEC, SeparateConfig(),
                       ("lowrate",))["lowrate"]
    core = slice(sr // 10, -sr // 10)  # resampling filters ring at the very edges
    assert _snr(x[0, core], y[0, 0, core]) > 40
    assert _snr(0.5 * x[0, core], separate_array(ConstantMask(0.5), x.astype(np.float32), sr,
                                                 SPEC, SeparateConfig(), ("lowrate",))
                ["lowrate"][0, 0, core]) > 40
