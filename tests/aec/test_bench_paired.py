"""benchmarks/aec.py: per-clip rows, their summary and the paired differences."""

import importlib.util
import math
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "bench_aec", Path(__file__).parents[2] / "benchmarks" / "aec.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def test_paired_differences_are_clip_by_clip():
    rows = {"a": {"dt_aecmos_echo": [4.0, 3.0, 2.0, 4.5],
                  "fest_erle": [40.0, math.inf, 30.0, 35.0]},
            "b": {"dt_aecmos_echo": [4.1, 3.1, 2.1, 4.6],
                  "fest_erle": [41.0, 50.0, math.inf, 36.0]}}
    out = bench.paired(rows, "a", ["b"])
    mean, half = out["b"]["dt_aecmos_echo"]
    # a constant improvement: a wide spread across clips, none in the differences
    assert mean == pytest.approx(0.1) and half == pytest.approx(0.0, abs=1e-9)
    assert bench.summary(rows)["b"]["dt_aecmos_echo"][1] > 1.0
    # a clip unbounded in either system is left out of that metric only
    assert out["b"]["n"] == {"dt_aecmos_echo": 4, "fest_erle": 2}
    assert out["b"]["fest_erle"][0] == pytest.approx(1.0)


def test_paired_refuses_lists_of_other_lengths():
    rows = {"a": {"dt_aecmos_echo": [4.0, 3.0]}, "b": {"dt_aecmos_echo": [4.0]}}
    with pytest.raises(ValueError):
        bench.paired(rows, "a", ["b"])
