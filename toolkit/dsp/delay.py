"""Delay estimation between a microphone and its far-end reference (GCC-PHAT), and alignment.

Generalised cross-correlation with phase transform (Knapp and Carter 1976):
the cross-power spectrum ``M(f) F*(f)`` is whitened to unit magnitude, so the
inverse transform peaks at the lag where the echo in the microphone repeats
the far end, whatever their spectra. The two estimators are the alignment
front ends of the paper's baselines:

- :func:`estimate_delay_gcc_phat` (global, CRUSE‡‡): one delay from the whole
  clip; not causal, so unusable in a call but a strong oracle-like baseline;
- :func:`estimate_delay_gcc_phat_online` (online, CRUSE‡): a delay per 10-ms
  frame from past samples only. Every ``update_every`` frames the last
  ``window`` samples of both signals give a whitened cross spectrum, averaged
  recursively (``alpha``) over updates while the far end is active; the lag
  of its inverse transform's peak in ``[0, max_delay]`` is the estimate until
  the next update. Before the far end has been active the estimate is 0.

:func:`align_far_end` shifts the far end by a delay per frame (a constant delay
is a single frame value). Signals are float ``(samples,)``; delays are in
samples unless the name says seconds.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-12


def _next_pow2(n: int) -> int:
    return 1 << max(int(n - 1).bit_length(), 1)


def gcc_phat(mic: np.ndarray, far: np.ndarray, n_fft: int) -> np.ndarray:
    """Whitened cross-correlation ``(n_fft,)``; index ``k`` is the lag of the mic behind
    the far end by ``k`` samples (negative lags wrap to the end)."""
    m = np.fft.rfft(mic, n_fft)
    f = np.fft.rfft(far, n_fft)
    cross = m * np.conj(f)
    return np.fft.irfft(cross / (np.abs(cross) + EPS), n_fft)


def estimate_delay_gcc_phat(mic: np.ndarray, far: np.ndarray, max_delay: int) -> int:
    """Global GCC-PHAT delay in samples, searched in ``[0, max_delay]``.

    Args:
        mic: ``(samples,)`` microphone.
        far: ``(samples,)`` far end.
        max_delay: largest delay considered (mic behind far end).
    """
    n = len(mic) + len(far)
    r = gcc_phat(mic, far, _next_pow2(n))
    return int(np.argmax(r[: max_delay + 1]))


class OnlineGccPhat:
    """Causal GCC-PHAT fed one ``hop`` block at a time (constant memory; arguments as in
    :func:`estimate_delay_gcc_phat_online`). :meth:`push` returns the block's delay."""

    def __init__(self, max_delay: int, hop: int = 160, update_every: int = 5,
                 window: int | None = None, alpha: float = 0.8, active_db: float = -60.0):
        self.max_delay, self.hop, self.update_every = max_delay, hop, update_every
        self.window = window or _next_pow2(2 * max_delay + 4096)
        self.alpha, self.active_db = alpha, active_db
        self.mic = np.zeros(0)
        self.far = np.zeros(0)
        self.avg: np.ndarray | None = None
        self.current = 0
        self.blocks = 0

    def push(self, mic: np.ndarray, far: np.ndarray) -> int:
        """Add ``mic, far (hop,)`` (the last block may be shorter); return its delay."""
        far = np.pad(far[: len(mic)], (0, max(0, len(mic) - len(far))))  # same span as mic
        self.mic = np.concatenate([self.mic, mic])[-self.window:]
        self.far = np.concatenate([self.far, far])[-self.window:]
        self.blocks += 1
        f = self.far
        if self.blocks % self.update_every == 0 and len(f) \
                and 10 * np.log10(np.mean(f * f) + EPS) > self.active_db:
            n_fft = 2 * self.window
            cross = np.fft.rfft(self.mic, n_fft) * np.conj(np.fft.rfft(f, n_fft))
            cross /= np.abs(cross) + EPS
            a = self.alpha
            self.avg = cross if self.avg is None else a * self.avg + (1 - a) * cross
            r = np.fft.irfft(self.avg, n_fft)
            self.current = int(np.argmax(r[: self.max_delay + 1]))
        return self.current


def estimate_delay_gcc_phat_online(mic: np.ndarray, far: np.ndarray, max_delay: int,
                                   hop: int = 160, update_every: int = 5,
                                   window: int | None = None, alpha: float = 0.8,
                                   active_db: float = -60.0) -> np.ndarray:
    """Causal GCC-PHAT: one delay (samples) per ``hop`` block, from past samples only.

    Args:
        mic, far: ``(samples,)`` signals.
        max_delay: largest delay considered.
        hop: block length (10 ms at 16 kHz).
        update_every: blocks between updates of the estimate.
        window: past samples used per update (default: the power of two >= 2 max_delay + 4096).
        alpha: recursive averaging of the whitened cross spectrum over updates.
        active_db: far-end level (dBFS over the window) below which no update happens.

    Returns:
        ``(ceil(samples / hop),)`` integer delays; entry ``k`` uses samples ``< (k + 1) hop``.
    """
    est = OnlineGccPhat(max_delay, hop, update_every, window, alpha, active_db)
    far = np.asarray(far)[: len(mic)]
    return np.array([est.push(mic[i:i + hop], far[i:i + hop]) for i in range(0, len(mic), hop)],
                    dtype=np.int64)


def align_far_end(far: np.ndarray, delays: np.ndarray | int, hop: int = 160) -> np.ndarray:
    """Delay the far end by ``delays`` (one per ``hop`` block, or one for all), zero filled."""
    far = np.asarray(far)
    if np.ndim(delays) == 0:
        d = int(delays)
        out = np.zeros_like(far)
        if d < len(far):
            out[d:] = far[: len(far) - d]
        return out
    n = np.arange(len(far))
    per_sample = np.repeat(np.asarray(delays), hop)[: len(far)]
    src = n - per_sample
    out = np.zeros_like(far)
    ok = src >= 0
    out[ok] = far[src[ok]]
    return out


def align(mic: np.ndarray, far: np.ndarray, method: str, max_delay: int,
          true_delay: int | None = None, hop: int = 160,
          margin: int = 48, window: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Align ``far`` to ``mic`` by ``method``: none | gcc_online | gcc_global | oracle.

    The far end is delayed by the estimate minus ``margin`` samples (3 ms), so
    that the echo path's taps before its peak stay causal for what follows.
    ``window``: the online estimator's history in samples (None: its default).

    Returns:
        ``(aligned far end (samples,), delay per block (blocks,))``.
    """
    blocks = -(-len(mic) // hop)
    if method == "none":
        return np.asarray(far).copy(), np.zeros(blocks, dtype=np.int64)
    if method == "oracle":
        if true_delay is None:
            raise ValueError("oracle alignment needs the true delay")
        d = np.full(blocks, int(true_delay))
    elif method == "gcc_global":
        d = np.full(blocks, estimate_delay_gcc_phat(mic, far, max_delay))
    elif method == "gcc_online":
        d = estimate_delay_gcc_phat_online(mic, far, max_delay, hop, window=window)
    else:
        raise ValueError(f"unknown alignment {method!r}; use none, gcc_online, gcc_global, "
                         "oracle")
    return align_far_end(far, np.maximum(d - margin, 0), hop), d
