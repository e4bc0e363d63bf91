"""Signal-level metrics: SI-SDR, SDR/SNR, ERLE. Arrays are ``(samples,)`` float.

``si_sdr`` follows Le Roux et al. (2019), "SDR - half-baked or well done?":
the estimate is projected on the (zero-mean) reference and the energy of that
projection is compared with the residual.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-10


def _trim(*xs: np.ndarray) -> list[np.ndarray]:
    n = min(len(x) for x in xs)
    return [np.asarray(x[:n], dtype=np.float64) for x in xs]


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (higher is better)."""
    est, ref = _trim(estimate, reference)
    est, ref = est - est.mean(), ref - ref.mean()
    alpha = np.dot(est, ref) / (np.dot(ref, ref) + EPS)
    target = alpha * ref
    return float(10 * np.log10((np.sum(target**2) + EPS) / (np.sum((est - target) ** 2) + EPS)))


def snr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Plain SNR of ``estimate`` against ``reference`` in dB (scale-dependent)."""
    est, ref = _trim(estimate, reference)
    return float(10 * np.log10((np.sum(ref**2) + EPS) / (np.sum((est - ref) ** 2) + EPS)))


def erle(mic: np.ndarray, enhanced: np.ndarray) -> float:
    """Echo return loss enhancement in dB: 10 log10(E[mic^2] / E[enhanced^2]).

    Meaningful on far-end single talk, where the microphone holds echo (and
    noise) only.
    """
    m, e = _trim(mic, enhanced)
    return float(10 * np.log10((np.mean(m**2) + EPS) / (np.mean(e**2) + EPS)))
