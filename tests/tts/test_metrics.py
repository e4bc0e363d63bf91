"""MCD, F0 RMSE in cents and V/UV error; sharded sums aggregate exactly."""

from __future__ import annotations

import math

import numpy as np

from toolkit.metrics.tts import acoustic_scores, acoustic_sums, aggregate_acoustic


def feats(n: int, f0: float, voiced: float = 1.0) -> np.ndarray:
    y = np.zeros((n, 49), np.float32)
    y[:, 40], y[:, 41] = math.log(f0), voiced
    return y


def test_identical_is_zero_and_known_values():
    a = feats(10, 100.0)
    assert acoustic_scores(a, a)["mcd_db"] == 0.0
    b = a.copy()
    b[:, 1] += 0.1  # one coefficient off by 0.1
    b[:, 0] += 5.0  # c0 is excluded
    s = acoustic_scores(a, feats(10, 200.0) + (b - a))
    assert math.isclose(s["mcd_db"], 10 / math.log(10) * math.sqrt(2) * 0.1, rel_tol=1e-5)
    assert math.isclose(s["f0_rmse_cents"], 1200.0, rel_tol=1e-5)
    assert s["vuv_error"] == 0.0
    assert acoustic_scores(a, feats(10, 100.0, voiced=0.0))["vuv_error"] == 1.0


def test_aggregation_is_frame_weighted():
    rng = np.random.default_rng(0)
    pairs = [(rng.standard_normal((n, 49)), rng.standard_normal((n, 49))) for n in (5, 50)]
    for r, h in pairs:
        r[:, 41] = h[:, 41] = 1.0
    whole = acoustic_scores(np.concatenate([p[0] for p in pairs]),
                            np.concatenate([p[1] for p in pairs]))
    parts = aggregate_acoustic([acoustic_sums(r, h) for r, h in pairs])
    assert math.isclose(whole["mcd_db"], parts["mcd_db"], rel_tol=1e-9)
    assert math.isclose(whole["f0_rmse_cents"], parts["f0_rmse_cents"], rel_tol=1e-9)
