"""The numpy STFT (torch-free inference) against the torch one the models were trained on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolkit.dsp import stft as torch_stft
from toolkit.dsp import stft_np


@pytest.mark.parametrize("n_fft,hop,n", [(1024, 768, 20000), (5400, 2700, 3 * 44100),
                                         (512, 128, 70000)])
def test_numpy_stft_and_inverse_match_torch(n_fft, hop, n):
    x = np.random.default_rng(0).standard_normal((2, n)).astype(np.float32)
    zt = torch_stft.stft(torch.from_numpy(x), n_fft, hop).numpy()
    zn = stft_np.stft(x, n_fft, hop)
    assert zn.dtype == np.complex64 and zn.shape == zt.shape
    assert np.abs(zn - zt).max() < 1e-5 * np.abs(zt).max()
    for length in (n, n + n_fft, n - 100):  # cut, and zero past the last frame's centre
        yt = torch_stft.istft(torch.from_numpy(zt), n_fft, hop, length).numpy()
        yn = stft_np.istft(zn, n_fft, hop, length)
        assert yn.dtype == np.float32 and yn.shape == yt.shape == (2, length)
        assert np.abs(yn - yt).max() < 1e-4
    assert np.abs(stft_np.istft(zn, n_fft, hop, n)[:, : n - n_fft] - x[:, : n - n_fft]).max() \
        < 1e-4  # a round trip gives the signal back
