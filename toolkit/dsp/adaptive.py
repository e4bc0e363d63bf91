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
    nfft = 2 * block
    bins = block + 1
    w = np.zeros((partitions, bins), dtype=np.complex128)
    xbuf = np.zeros((partitions, bins), dtype=np.complex128)  # newest first
    power = np.zeros(bins)
    long_term = 0.0
    floor = nfft * partitions * 10 ** (floor_dbfs / 10)  # |X|^2 of white noise at that level
    prev = np.zeros(block)
    out = np.zeros(blocks * block)
    for k in range(blocks):
        cur = far[k * block:(k + 1) * block]
        x = np.fft.rfft(np.concatenate([prev, cur]), nfft)
        prev = cur
        xbuf = np.roll(xbuf, 1, axis=0)
        xbuf[0] = x
        y = np.fft.irfft((w * xbuf).sum(0), nfft)[block:]
        e = mic[k * block:(k + 1) * block] - y
        out[k * block:(k + 1) * block] = e
        # Far-end power per bin over the filter span: smoothed, but never below the
        # instantaneous value, so an onset after silence cannot take a 10x step.
        inst = (np.abs(xbuf) ** 2).sum(0)
        power = np.maximum(smooth * power + (1 - smooth) * inst, inst)
        long_term = max(float(power.mean()), 0.995 * long_term)  # decaying peak of the level
        ef = np.fft.rfft(np.concatenate([np.zeros(block), e]), nfft)
        grad = np.conj(xbuf) * ef / (power + reg * long_term + floor)
        g = np.fft.irfft(grad, nfft, axis=-1)
        g[:, block:] = 0.0  # gradient constraint: keep the filter causal and linear
        w += mu * np.fft.rfft(g, nfft, axis=-1)
    return out[:n]
