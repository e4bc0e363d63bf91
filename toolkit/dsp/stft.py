"""The centred short-time Fourier transform used by the spectral models.

One pair of functions for every task that masks or maps a spectrogram (svs, se;
aec keeps its causal, streamable framing in :mod:`toolkit.models.aec_blocks`).
Both work on any leading batch shape and on any device.
"""

from __future__ import annotations

import torch


def window(n_fft: int, kind: str = "hann", device=None, dtype=torch.float32) -> torch.Tensor:
    """Analysis/synthesis window ``(n_fft,)``: ``hann`` or ``sqrt_hann`` (periodic)."""
    w = torch.hann_window(n_fft, periodic=True, device=device, dtype=dtype)
    if kind == "sqrt_hann":
        return w.sqrt()
    if kind != "hann":
        raise ValueError(f"window {kind!r}: use hann or sqrt_hann")
    return w


def stft(x: torch.Tensor, n_fft: int, hop: int, kind: str = "hann",
         center: bool = True) -> torch.Tensor:
    """Complex STFT.

    Args:
        x: ``(..., samples)`` real signal.
        n_fft: frame length (also the FFT size).
        hop: frame shift in samples.
        kind: window, see :func:`window`.
        center: pad ``n_fft // 2`` on both sides (reflect) so frame ``t`` is centred on ``t * hop``.

    Returns:
        ``(..., n_fft // 2 + 1, frames)`` complex tensor.
    """
    shape = x.shape
    flat = x.reshape(-1, shape[-1])
    w = window(n_fft, kind, x.device, x.dtype)
    z = torch.stft(flat, n_fft, hop, window=w, center=center, return_complex=True)
    return z.reshape(*shape[:-1], *z.shape[-2:])


def istft(spec: torch.Tensor, n_fft: int, hop: int, length: int, kind: str = "hann",
          center: bool = True) -> torch.Tensor:
    """Inverse of :func:`stft`, cut or zero-padded to ``length`` samples.

    Samples past the last frame's reach (where the overlap-add envelope falls to
    zero) are zero rather than the huge values a division by that envelope gives.

    Args:
        spec: ``(..., n_fft // 2 + 1, frames)`` complex.
        length: output length in samples.

    Returns:
        ``(..., length)`` real signal.
    """
    shape = spec.shape
    flat = spec.reshape(-1, *shape[-2:])
    w = window(n_fft, kind, spec.device, spec.real.dtype)
    reach = hop * (shape[-1] - 1) if center else hop * (shape[-1] - 1) + n_fft
    y = torch.istft(flat, n_fft, hop, window=w, center=center, length=min(length, reach))
    y = torch.nn.functional.pad(y, (0, length - y.shape[-1]))
    return y.reshape(*shape[:-2], length)
