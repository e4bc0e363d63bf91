"""The torch Kaldi fbank against kaldi-native-fbank (an independent C++ implementation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolkit.dsp.kaldi_fbank import FbankOptions, kaldi_fbank, num_frames


def _knf(x: np.ndarray, sr: int, window: str, snip: bool, bins: int, shift_ms: float = 10.0):
    knf = pytest.importorskip("kaldi_native_fbank", reason="pip install kaldi-native-fbank")
    o = knf.FbankOptions()
    o.frame_opts.samp_freq = sr
    o.frame_opts.dither = 0.0
    o.frame_opts.window_type = window
    o.frame_opts.snip_edges = snip
    o.frame_opts.frame_shift_ms = shift_ms
    o.mel_opts.num_bins = bins
    o.mel_opts.high_freq = 0.0
    f = knf.OnlineFbank(o)
    f.accept_waveform(sr, x.tolist())
    f.input_finished()
    return np.stack([f.get_frame(i) for i in range(f.num_frames_ready)])


@pytest.mark.parametrize("window", ["hanning", "povey", "hamming"])
@pytest.mark.parametrize("snip", [True, False])
def test_matches_kaldi_native_fbank(window, snip):
    rng = np.random.default_rng(1)
    t = np.arange(24000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    ref = _knf(x, 16000, window, snip, 128)
    ours = kaldi_fbank(torch.from_numpy(x), FbankOptions(window_type=window, snip_edges=snip))
    assert ours.shape == ref.shape
    # log energies; float32 FFTs in two implementations differ in the last bits
    np.testing.assert_allclose(ours.numpy(), ref, atol=2e-3, rtol=0)


def test_other_rate_and_shift():
    x = np.random.default_rng(2).standard_normal(44100).astype(np.float32) * 0.1
    ref = _knf(x, 44100, "hanning", True, 64, shift_ms=20.0)
    opts = FbankOptions(sample_rate=44100, num_mel_bins=64, frame_shift_ms=20.0)
    np.testing.assert_allclose(kaldi_fbank(torch.from_numpy(x), opts).numpy(), ref, atol=2e-3)


def test_batch_equals_single_and_frame_count():
    x = torch.randn(3, 8000)
    batch = kaldi_fbank(x)
    assert batch.shape == (3, num_frames(8000, FbankOptions()), 128) == (3, 48, 128)
    torch.testing.assert_close(batch[1], kaldi_fbank(x[1]))


def test_shorter_than_a_window_gives_no_frames():
    assert kaldi_fbank(torch.randn(300)).shape == (0, 128)


def test_silence_is_the_log_floor():
    out = kaldi_fbank(torch.zeros(1600))
    assert torch.allclose(out, torch.full_like(out, float(np.log(np.finfo(np.float32).eps))))


def test_feature_kind_kaldi_fbank_is_ast_front_end():
    from toolkit.dsp.features import FeatureConfig, extract
    from toolkit.dsp.kaldi_fbank import ast_fbank

    x = np.random.default_rng(3).standard_normal(16000).astype(np.float32) * 0.1 + 0.2
    got = extract(x, FeatureConfig(kind="kaldi_fbank", n_mels=128, hop_length=160))
    want = ast_fbank(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert got.shape == (98, 128)
