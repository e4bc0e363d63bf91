"""BSS Eval wrappers: NSDR, length-weighted GNSDR, box plots."""

from __future__ import annotations

import numpy as np

from toolkit.metrics.separation import box_plot, bss_eval_clip, clip_table, summarize


def _sources(n: int = 16000, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 8000
    vocals = 0.3 * np.sin(2 * np.pi * 330 * t * (1 + 0.1 * np.sin(2 * np.pi * t)))
    accomp = 0.2 * rng.standard_normal(n)
    return vocals, accomp


def test_nsdr_of_perfect_and_of_doing_nothing():
    v, a = _sources()
    mix = v + a
    perfect = bss_eval_clip(np.stack([v, a]), np.stack([v + 1e-4 * a, a + 1e-4 * v]), mix)
    nothing = bss_eval_clip(np.stack([v, a]), np.stack([mix, mix]), mix)
    assert perfect["vocals"]["SDR"] > 40 and perfect["vocals"]["NSDR"] > 35
    assert abs(nothing["vocals"]["NSDR"]) < 1e-6 and abs(nothing["accomp"]["NSDR"]) < 1e-6
    half = bss_eval_clip(np.stack([v, a]), np.stack([v + 0.3 * a, a + 0.3 * v]), mix)
    assert 0 < half["vocals"]["NSDR"] < perfect["vocals"]["NSDR"]
    assert half["vocals"]["SIR"] > nothing["vocals"]["SIR"]


def test_gnsdr_weights_by_length(tmp_path):
    def clip(n, nsdr):
        r = {m: nsdr for m in ("SDR", "SIR", "SAR", "NSDR")}
        return {"samples": n, "vocals": r, "accomp": r}

    s = summarize({"a": clip(3000, 10.0), "b": clip(1000, 2.0)})
    assert s["vocals/GNSDR"] == 8.0 and s["vocals/NSDR"] == 6.0
    assert s["stats"]["accomp/NSDR"]["median"] == 6.0
    out = box_plot({"one": {"a": clip(1, 1.0), "b": clip(1, 3.0)}}, tmp_path / "fig.png")
    assert out.stat().st_size > 1000 and out.read_bytes()[:4] == b"\x89PNG"


def test_clip_table():
    r = {m: 1.5 for m in ("SDR", "SIR", "SAR", "NSDR")}
    table = clip_table({"b": {"samples": 10, "vocals": r, "accomp": r},
                        "a": {"samples": 5, "skipped": "a reference stem is silent"}})
    lines = table.splitlines()
    assert lines[0].split("\t")[:3] == ["key", "samples", "vocals_SDR"]
    assert lines[1].startswith("a\t5\tnan") and lines[2].split("\t")[2] == "1.500"
