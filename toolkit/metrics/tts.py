"""Objective TTS scores on vocoder features: MCD, F0 RMSE in cents, V/UV error.

Both sequences are ``(frames, 49)`` WORLD features (:mod:`toolkit.dsp.world`)
on the same time axis (natural durations), so frames correspond one to one; a
length difference of a few frames (analysis padding) is trimmed.

- Mel-cepstral distortion: ``10 / ln 10 * sqrt(2 * sum_{m=1}^{39} (c_m - c'_m)^2)``
  averaged over all frames, c0 (energy) excluded, as in most SPSS papers.
- F0 RMSE in cents: ``1200 * log2(f / f')`` over frames voiced in both.
- V/UV error: the share of frames whose voicing decision differs.

Per-utterance sums are returned so that corpus scores are frame-weighted and
sharded scoring aggregates exactly (:func:`aggregate_acoustic`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

N_MCEP, LF0, VUV = 40, 40, 41
MCD_CONST = 10.0 / math.log(10.0) * math.sqrt(2.0)


def acoustic_sums(ref: np.ndarray, hyp: np.ndarray) -> dict[str, float]:
    """Frame sums of one utterance: ``frames, mcd_sum, f0_frames, f0_sq_cents, vuv_err``."""
    n = min(len(ref), len(hyp))
    ref, hyp = np.asarray(ref[:n], np.float64), np.asarray(hyp[:n], np.float64)
    diff = ref[:, 1:N_MCEP] - hyp[:, 1:N_MCEP]
    mcd = MCD_CONST * np.sqrt((diff ** 2).sum(1))
    rv, hv = ref[:, VUV] > 0.5, hyp[:, VUV] > 0.5
    both = rv & hv
    cents = 1200.0 / math.log(2.0) * (ref[both, LF0] - hyp[both, LF0])
    return {"frames": float(n), "mcd_sum": float(mcd.sum()), "f0_frames": float(both.sum()),
            "f0_sq_cents": float((cents ** 2).sum()), "vuv_err": float((rv != hv).sum())}


def aggregate_acoustic(sums: list[dict[str, float]]) -> dict[str, float]:
    """Corpus scores (frame-weighted) from per-utterance :func:`acoustic_sums`."""
    tot = {k: sum(s[k] for s in sums) for k in ("frames", "mcd_sum", "f0_frames",
                                                 "f0_sq_cents", "vuv_err")}
    frames = max(tot["frames"], 1.0)
    return {"mcd_db": tot["mcd_sum"] / frames,
            "f0_rmse_cents": math.sqrt(tot["f0_sq_cents"] / max(tot["f0_frames"], 1.0)),
            "vuv_error": tot["vuv_err"] / frames, "frames": int(tot["frames"])}


def acoustic_scores(ref: np.ndarray, hyp: np.ndarray) -> dict[str, Any]:
    """MCD (dB), F0 RMSE (cents) and V/UV error of one utterance."""
    return aggregate_acoustic([acoustic_sums(ref, hyp)])
