"""svs scoring: BSS Eval v3 beside museval's BSSv4 (framewise, medians), and the aggregate."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.svs.score import bss_v4_clip, score_clip, summarize_v4
from toolkit.svs.task import TASK


def _clip(noise: float, seed: int, sr: int = 8000, seconds: float = 4.0):
    rng = np.random.default_rng(seed)
    refs = rng.standard_normal((2, int(sr * seconds))).astype(np.float32)
    ests = refs + noise * rng.standard_normal(refs.shape).astype(np.float32)
    return refs, ests, refs.sum(axis=0)


def test_bss_v4_matches_the_known_distortion():
    refs, ests, _ = _clip(0.3, 0)
    v4 = bss_v4_clip(refs, ests, 8000)
    expected = 10 * np.log10(1 / 0.09)  # white noise at -10.5 dB on each source
    for s in ("vocals", "accomp"):
        assert v4[s]["SDR"] == pytest.approx(expected, abs=0.5)
        assert v4[s]["SIR"] > v4[s]["SDR"] + 15  # no leakage between the sources
    silent = refs.copy()
    silent[0, : 8000 * 2] = 0  # silent frames of a reference are left out of the median
    assert np.isfinite(bss_v4_clip(silent, ests, 8000)["vocals"]["SDR"])


def test_scores_hold_v3_and_v4_and_aggregate_medians():
    per_clip = {}
    for k, noise in enumerate((0.1, 0.3, 1.0)):
        refs, ests, mix = _clip(noise, k)
        per_clip[f"c{k}"] = score_clip(refs, {"": ests, "lowrate": ests * 0.5}, mix, 8000)
    c1 = per_clip["c1"]
    assert set(c1) >= {"samples", "vocals", "accomp", "v4", "lowrate/vocals", "lowrate/v4"}
    med = summarize_v4(per_clip)
    assert med["vocals/SDR"] == pytest.approx(per_clip["c1"]["v4"]["vocals"]["SDR"])  # median
    result = TASK.aggregate(per_clip)
    assert result["bss_v4"] == med and "bss_v4" in result["lowrate"]
    assert result["n"] == 3 and "vocals/GNSDR" in result
