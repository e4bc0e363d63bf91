"""Perceptual speech metrics: PESQ (ITU-T P.862.2 wide band) and STOI.

Thin wrappers over the PyPI ``pesq`` and ``pystoi`` packages that resample to
the rate each metric is defined at (PESQ wide band: 16 kHz; STOI: computed at
10 kHz internally, fed at the signal's rate) and return NaN, with a warning,
instead of raising on signals the reference implementation rejects (no
utterance detected, too short).
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


def pesq_wb(estimate: np.ndarray, reference: np.ndarray, sample_rate: int) -> float:
    """Wide-band PESQ (MOS-LQO, about 1.0-4.64) of ``estimate`` against ``reference``."""
    from pesq import pesq

    from toolkit.data.audio import resample

    n = min(len(estimate), len(reference))
    est = resample(np.asarray(estimate[:n], np.float32), sample_rate, 16000)
    ref = resample(np.asarray(reference[:n], np.float32), sample_rate, 16000)
    try:
        return float(pesq(16000, ref, est, "wb"))
    except Exception as e:  # pesq raises on silence / too-short input
        log.warning("PESQ undefined for this pair (%s); scored as NaN", e)
        return float("nan")


def stoi(estimate: np.ndarray, reference: np.ndarray, sample_rate: int,
         extended: bool = False) -> float:
    """Short-time objective intelligibility (0-1; ``extended`` gives ESTOI)."""
    from pystoi import stoi as _stoi

    n = min(len(estimate), len(reference))
    try:
        return float(_stoi(reference[:n], estimate[:n], sample_rate, extended=extended))
    except Exception as e:
        log.warning("STOI undefined for this pair (%s); scored as NaN", e)
        return float("nan")
