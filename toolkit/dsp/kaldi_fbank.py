"""Kaldi-compatible log mel filterbank in torch (what AST computes with torchaudio).

AST (Gong et al. 2021) and DATAR feed ``torchaudio.compliance.kaldi.fbank(wave,
htk_compat=True, sample_frequency=16000, use_energy=False, window_type='hanning',
num_mel_bins=128, dither=0.0, frame_shift=10)`` to the model, after removing the
waveform's mean. torchaudio does not exist for the torch build used here, so this
module re-implements Kaldi's ``compute-fbank-feats`` pipeline with torch only:

1. frames of ``frame_length_ms`` every ``frame_shift_ms`` (``snip_edges``: only whole
   frames, ``1 + (n - win) // shift`` of them);
2. per frame: remove the DC offset, pre-emphasis ``x[i] -= 0.97 x[i-1]`` (``x[0]``
   against itself), window (povey, hanning, hamming, rectangular, blackman);
3. zero-pad to the next power of two, power spectrum;
4. triangular filters equally spaced on Kaldi's mel scale ``1127 ln(1 + f / 700)``
   between ``low_freq`` and ``high_freq`` (<= 0: relative to Nyquist);
5. ``log(max(energy, float32 eps))``.

The result agrees with kaldi-native-fbank (an independent C++ implementation) to
float32 rounding (tests/dsp/test_kaldi_fbank.py). The waveform is taken in the
scale given (AST uses floats in [-1, 1], Kaldi's own tools int16 values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

FLOAT_EPS = float(torch.finfo(torch.float32).eps)


@dataclass
class FbankOptions:
    """Options of :func:`kaldi_fbank` (Kaldi's names; AST's values as defaults).

    Attributes:
        sample_rate: Hz of the input.
        frame_length_ms, frame_shift_ms: analysis window and hop.
        num_mel_bins: filters (AST: 128).
        low_freq, high_freq: filter range in Hz; high_freq <= 0 is an offset from Nyquist.
        window_type: povey | hanning | hamming | rectangular | blackman (AST: hanning).
        preemph_coeff: pre-emphasis coefficient.
        remove_dc_offset: subtract each frame's mean first.
        round_to_power_of_two: zero-pad frames to a power-of-two FFT size.
        snip_edges: only frames that fit entirely in the signal (Kaldi default).
    """

    sample_rate: int = 16000
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    num_mel_bins: int = 128
    low_freq: float = 20.0
    high_freq: float = 0.0
    window_type: str = "hanning"
    preemph_coeff: float = 0.97
    remove_dc_offset: bool = True
    round_to_power_of_two: bool = True
    snip_edges: bool = True

    @property
    def window_size(self) -> int:
        return int(self.sample_rate * self.frame_length_ms * 0.001)

    @property
    def window_shift(self) -> int:
        return int(self.sample_rate * self.frame_shift_ms * 0.001)

    @property
    def fft_size(self) -> int:
        w = self.window_size
        return 1 << (w - 1).bit_length() if self.round_to_power_of_two else w


def mel_scale(freq: torch.Tensor | float) -> torch.Tensor | float:
    """Kaldi's mel scale: ``1127 ln(1 + f / 700)``."""
    if isinstance(freq, torch.Tensor):
        return 1127.0 * torch.log1p(freq / 700.0)
    return 1127.0 * math.log1p(freq / 700.0)


@lru_cache(maxsize=16)
def _mel_banks(num_bins: int, fft_size: int, sample_rate: float, low_freq: float,
               high_freq: float) -> torch.Tensor:
    """Triangular filters ``(num_bins, fft_size // 2 + 1)`` (the Nyquist column is zero)."""
    nyquist = 0.5 * sample_rate
    if high_freq <= 0.0:
        high_freq += nyquist
    if not 0.0 <= low_freq < high_freq <= nyquist:
        raise ValueError(f"bad mel range low_freq={low_freq} high_freq={high_freq} "
                         f"for sample rate {sample_rate}")
    n_fft_bins = fft_size // 2
    mel_low, mel_high = mel_scale(low_freq), mel_scale(high_freq)
    delta = (mel_high - mel_low) / (num_bins + 1)
    b = torch.arange(num_bins, dtype=torch.float64)[:, None]
    left = mel_low + b * delta
    center, right = left + delta, left + 2 * delta
    mel = mel_scale(sample_rate / fft_size * torch.arange(n_fft_bins, dtype=torch.float64))[None]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    return torch.nn.functional.pad(banks, (0, 1)).float()


def _window(kind: str, size: int) -> torch.Tensor:
    n = torch.arange(size, dtype=torch.float64)
    a = 2 * math.pi / (size - 1)
    if kind == "hanning":
        w = 0.5 - 0.5 * torch.cos(a * n)
    elif kind == "povey":
        w = (0.5 - 0.5 * torch.cos(a * n)) ** 0.85
    elif kind == "hamming":
        w = 0.54 - 0.46 * torch.cos(a * n)
    elif kind == "rectangular":
        w = torch.ones(size, dtype=torch.float64)
    elif kind == "blackman":
        w = 0.42 - 0.5 * torch.cos(a * n) + 0.08 * torch.cos(2 * a * n)
    else:
        raise ValueError(f"unknown window_type '{kind}' "
                         "(povey, hanning, hamming, rectangular, blackman)")
    return w.float()


def num_frames(num_samples: int, opts: FbankOptions) -> int:
    """Frames Kaldi produces for ``num_samples`` samples."""
    win, shift = opts.window_size, opts.window_shift
    if opts.snip_edges:
        return 0 if num_samples < win else 1 + (num_samples - win) // shift
    return (num_samples + shift // 2) // shift


def _frames(wave: torch.Tensor, opts: FbankOptions) -> torch.Tensor:
    """``(..., samples)`` -> ``(..., frames, window_size)``."""
    win, shift = opts.window_size, opts.window_shift
    n = wave.shape[-1]
    m = num_frames(n, opts)
    if not opts.snip_edges:  # Kaldi reflects the signal at both ends
        pad_left = win // 2 - shift // 2
        need = (m - 1) * shift + win
        left = wave[..., :pad_left].flip(-1)
        right = wave.flip(-1)
        wave = torch.cat([left, wave, right], -1)[..., :need]
    if m == 0:
        return wave.new_zeros(*wave.shape[:-1], 0, win)
    return wave.unfold(-1, win, shift)[..., :m, :]


def kaldi_fbank(wave: torch.Tensor, opts: FbankOptions | None = None) -> torch.Tensor:
    """Log mel filterbank energies, as Kaldi / torchaudio.compliance.kaldi.fbank.

    Args:
        wave: ``(samples,)`` or ``(batch, samples)`` float waveform.
        opts: options (default: AST's 128-bin, 25 ms / 10 ms, hanning setting).

    Returns:
        ``(frames, num_mel_bins)`` or ``(batch, frames, num_mel_bins)`` float32; zero
        frames when the signal is shorter than one window.
    """
    opts = opts or FbankOptions()
    x = _frames(wave.float(), opts)
    if x.shape[-2] == 0:
        return x.new_zeros(*x.shape[:-1], opts.num_mel_bins)
    if opts.remove_dc_offset:
        x = x - x.mean(-1, keepdim=True)
    if opts.preemph_coeff:
        prev = torch.cat([x[..., :1], x[..., :-1]], -1)
        x = x - opts.preemph_coeff * prev
    x = x * _window(opts.window_type, opts.window_size).to(x.device)
    power = torch.fft.rfft(x, n=opts.fft_size).abs().pow(2)
    banks = _mel_banks(opts.num_mel_bins, opts.fft_size, float(opts.sample_rate),
                       opts.low_freq, opts.high_freq).to(x.device)
    return torch.clamp(power @ banks.T, min=FLOAT_EPS).log()


def ast_fbank(wave: torch.Tensor, opts: FbankOptions | None = None) -> torch.Tensor:
    """AST's front end: remove the clip's mean, then :func:`kaldi_fbank`.

    Args:
        wave: ``(samples,)`` float waveform in [-1, 1] at ``opts.sample_rate``.

    Returns:
        ``(frames, num_mel_bins)``.
    """
    return kaldi_fbank(wave - wave.mean(), opts)
