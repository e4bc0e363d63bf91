"""Offset statistics of DATAR's deformable blocks (sptk-cli aed offset-stats)."""

from __future__ import annotations

import json

import pytest
import torch

from tests.conftest import run_cli, write_wav
from toolkit.aed.offsets import offset_stats
from toolkit.registry import build_model

CONF = {"n_mels": 32, "target_frames": 64, "n_classes": 3, "dims": [8, 16, 16, 32],
        "heads": [1, 2, 2, 4], "stage_spec": [["L"], ["L"], ["D"], ["D"]],
        "groups": [1, 1, 1, 2], "strides": [1, 1, 1, 1], "offset_range": [1.0, 1.0, 2.0, 2.0],
        "drop_path": 0.0}


def _model(**conf):
    torch.manual_seed(0)
    return build_model("aed", {"name": "datar", "conf": {**CONF, **conf}}).eval()


def test_saturated_offsets_leave_a_one_row_map_and_stay_within_s():
    model = _model()  # 32 mel bins / 32 = one row at the last stage
    with torch.no_grad():
        for p in model.stages[3][0].attn.offset_net.parameters():
            p.normal_(0, 5.0)  # saturate tanh: every offset near +-s
    rows = offset_stats(model, [torch.randn(2, 64, 32)])
    assert [(r["stage"], r["block"]) for r in rows] == [(3, 1), (4, 1)]
    last = rows[1]
    assert last["map"] == [1, 2] and last["keys"] == [1, 2] and last["offset_range_cells"] == 2
    assert 1.0 < last["mean_abs_dy_cells"] <= 2.0 + 1e-5 and last["share_off_map"] > 0.9


def test_untrained_offsets_are_zero_and_downs_keep_the_map():
    model = _model(patch=2, downs=[2, 2, 1, 1], strides=[1, 1, 2, 2])
    with torch.no_grad():
        for block in (model.stages[2][0], model.stages[3][0]):
            block.attn.offset_net[-1].weight.zero_()
    rows = offset_stats(model, [torch.randn(3, 64, 32)])
    assert [r["map"] for r in rows] == [[8, 16], [8, 16]]  # not halved at stages 3 and 4
    assert [r["keys"] for r in rows] == [[4, 8], [4, 8]]
    assert all(r["mean_abs_offset_cells"] == 0 and r["share_off_map"] == 0 for r in rows)
    assert model(torch.randn(2, 64, 32)).shape == (2, 3)


def test_offset_stats_command(tmp_path, bundle):
    clip = write_wav(tmp_path / "c.wav", 2.0)
    rows = [json.loads(line) for line in run_cli("aed", "offset-stats", clip, "--model", bundle,
                                                 check=True).stdout.splitlines()]
    assert [r["stage"] for r in rows] == [3, 4]
    for r in rows:
        assert 0 <= r["share_off_map"] <= 1 and r["mean_abs_offset_cells"] >= 0
        assert r["mean_abs_offset_cells"] <= r["offset_range_cells"] * 2 ** 0.5 + 1e-6


@pytest.mark.parametrize("bad", [{"downs": [4, 2]}, {"downs": [4, 0, 1, 1]}])
def test_bad_downs(bad):
    with pytest.raises(ValueError, match="downs"):
        _model(**bad)
