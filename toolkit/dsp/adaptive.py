"""A classical echo canceller: partitioned-block frequency-domain NLMS (PBFDAF).

The DSP baseline of the recipe. The far end is cut into blocks of ``block``
samples; the echo path is modelled by ``partitions`` filters in the frequency
domain (overlap-save, FFT size ``2 block``), so the filter covers
``partitions x block`` samples of echo tail. Each block the error
``e = mic - y_hat`` updates every partition with a step normalised by a
recursively smoothed far-end power per bin (Soo and Pang 1990; the MDF
structure of speex and most soft phones), with the gradient constraint
(the second half of each partition's time-domain update zeroed). A
far-end delay larger than the tail must be compensated first: the recipe's
``nlms`` system pre-aligns the far end with online GCC-PHAT
(:mod:`toolkit.dsp.delay`). There is no residual echo suppressor: this is the
linear canceller alone, the part a deep model replaces.

Signals are float ``(samples,)``.
"""

from __future__ import annotations

import numpy as np


class Pbfdaf:
    """The canceller's state, fed one block at a time (see :func:`pbfdaf` for the arguments).

    :meth:`process` takes ``block`` samples of the microphone and the aligned far end
    and returns the error block, so a stream of any length runs in constant memory.
    """

    def __init__(self, block: int = 160, partitions: int = 16, mu: float = 0.5,
                 smooth: float = 0.9, reg: float = 0.05, floor_dbfs: float = -60.0):
        self.block, self.mu, self.smooth, self.reg = block, mu, smooth, reg
        self.nfft = 2 * block
        bins = block + 1
        self.w = np.zeros((partitions, bins), dtype=np.complex128)
        self.xbuf = np.zeros((partitions, bins), dtype=np.complex128)  # newest first
        self.power = np.zeros(bins)
        self.long_term = 0.0
        self.floor = self.nfft * partitions * 10 ** (floor_dbfs / 10)  # |X|^2 of white noise
        self.prev = np.zeros(block)

    def process(self, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        """``mic, far (block,)`` -> the error ``(block,)`` (float64)."""
        b, nfft = self.block, self.nfft
        cur = np.asarray(far, dtype=np.float64)
        x = np.fft.rfft(np.concatenate([self.prev, cur]), nfft)
        self.prev = cur
        self.xbuf = np.roll(self.xbuf, 1, axis=0)
        self.xbuf[0] = x
        y = np.fft.irfft((self.w * self.xbuf).sum(0), nfft)[b:]
        e = np.asarray(mic, dtype=np.float64) - y
        # Far-end power per bin over the filter span: smoothed, but never below the
        # instantaneous value, so an onset after silence cannot take a 10x step.
        inst = (np.abs(self.xbuf) ** 2).sum(0)
        self.power = np.maximum(self.smooth * self.power + (1 - self.smooth) * inst, inst)
        self.long_term = max(float(self.power.mean()), 0.995 * self.long_term)  # decaying peak
        ef = np.fft.rfft(np.concatenate([np.zeros(b), e]), nfft)
        grad = np.conj(self.xbuf) * ef / (self.power + self.reg * self.long_term + self.floor)
        g = np.fft.irfft(grad, nfft, axis=-1)
        g[:, b:] = 0.0  # gradient constraint: keep the filter causal and linear
        self.w += self.mu * np.fft.rfft(g, nfft, axis=-1)
        return e


def pbfdaf(mic: np.ndarray, far: np.ndarray, block: int = 160, partitions: int = 16,
           mu: float = 0.5, smooth: float = 0.9, reg: float = 0.05,
           floor_dbfs: float = -60.0) -> np.ndarray:
    """Cancel the linear echo of ``far`` in ``mic``; returns the error signal (same length).

    Args:
        mic, far: ``(samples,)`` microphone and (aligned) far end.
        block: block length (the hop; 10 ms at 16 kHz).
        partitions: filter partitions (tail = ``partitions x block`` samples).
        mu: NLMS step size (0 < mu < 2).
        smooth: smoothing of the far-end power per bin.
        reg: regularisation of the normalisation, relative to the decaying peak of the mean far-end
            power per bin (keeps the step bounded in far-end pauses, where noise would
            otherwise drive the filter away).
        floor_dbfs: far-end level below which a block hardly adapts the filter (a
            near-silent reference must not take a huge normalised step).
    """
    mic = np.asarray(mic, dtype=np.float64)
    far = np.asarray(far, dtype=np.float64)
    n = len(mic)
    blocks = -(-n // block)
    pad = blocks * block - n
    mic = np.pad(mic, (0, pad))
    far = np.pad(far[:n], (0, pad + max(0, n - len(far))))
    canceller = Pbfdaf(block, partitions, mu, smooth, reg, floor_dbfs)
    out = [canceller.process(mic[k * block:(k + 1) * block], far[k * block:(k + 1) * block])
           for k in range(blocks)]
    return np.concatenate(out)[:n] if out else np.zeros(0)
