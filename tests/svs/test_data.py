"""svs training data: pitch/tempo shift by resampling, remixing, and the warm start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from toolkit.config import dump_yaml, from_dict
from toolkit.errors import UserError
from toolkit.registry import build_model
from toolkit.svs.config import SVSConfig
from toolkit.svs.data import SVSDataset, random_segment
from toolkit.svs.task import TASK
from toolkit.train.packing import write_exp_meta

SMALL = {"name": "unet_svs", "conf": {"channels": [4, 4, 8, 8, 8, 8]}}


def _peak_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * sr / len(x))


def testrandom_segment_shifts_pitch_by_the_rate():
    sr, n = 8192, 8192
    x = np.sin(2 * np.pi * 500 * np.arange(3 * sr) / sr).astype(np.float32)
    rng = np.random.default_rng(0)
    assert _peak_hz(random_segment(x, n, rng, 1.0), sr) == pytest.approx(500, abs=2)
    up = 2 ** (2 / 12)
    assert _peak_hz(random_segment(x, n, rng, up), sr) == pytest.approx(500 * up, abs=3)
    both = random_segment(np.stack([x, x]), n, rng, 1 / up)  # stems shift together
    assert both.shape == (2, n) and np.allclose(both[0], both[1])
    assert _peak_hz(both[0], sr) == pytest.approx(500 / up, abs=3)
    short = random_segment(x[:100], n, rng, up)  # a clip shorter than the patch: zero-padded
    assert short.shape == (n,) and not np.any(short[200:])


def _stems_dir(tmp_path: Path) -> Path:
    d = tmp_path / "dump"
    (d / "npy").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for k in range(3):
        p = d / "npy" / f"c{k}.npy"
        np.save(p, (0.1 * rng.standard_normal((2, 20000))).astype(np.float32))
        lines.append(f"c{k} {p}")
    (d / "stems.scp").write_text("\n".join(lines) + "\n")
    (d / "wav.scp").write_text("".join(f"c{k} {d}/c{k}.wav\n" for k in range(3)))
    return d


def test_shift_augmentation_changes_items_deterministically(tmp_path):
    d = _stems_dir(tmp_path)
    base = {"model": SMALL, "features": {"patch_frames": 16}}
    plain = SVSDataset(d, from_dict(SVSConfig, {**base, "data": {"remix_prob": 0.0}}), True)
    cfg = from_dict(SVSConfig, {**base, "data": {"remix_prob": 0.0, "shift_prob": 1.0}})
    shifted, again = SVSDataset(d, cfg, True), SVSDataset(d, cfg, True)
    a, b, c = plain[1], shifted[1], again[1]
    assert b["mix"].shape == a["mix"].shape == (512, 16)
    assert not torch.allclose(a["mix"], b["mix"])
    assert torch.equal(b["mix"], c["mix"]) and torch.equal(b["target"], c["target"])
    with pytest.raises(UserError, match="shift_prob"):
        bad = from_dict(SVSConfig, {"model": SMALL, "data": {"shift_prob": 1.5}})
        TASK.build_datasets(bad, d, None)


def test_warm_start_loads_the_init_model(tmp_path):
    init = tmp_path / "init"
    init.mkdir()
    cfg = from_dict(SVSConfig, {"model": SMALL})
    torch.manual_seed(1)
    src = build_model("svs", cfg.model)
    torch.save({k: v.half() if v.is_floating_point() else v
                for k, v in src.state_dict().items()}, init / "model.pt")
    (init / "config.yaml").write_text(dump_yaml(cfg))
    write_exp_meta(init, "svs", "unet_svs")
    torch.manual_seed(2)
    model = build_model("svs", cfg.model)
    TASK.prepare_model(model, from_dict(SVSConfig, {"model": SMALL, "init": str(init)}),
                       None, tmp_path)
    w = model.nets["vocals"].encoder[0][0].weight
    assert torch.allclose(w, src.nets["vocals"].encoder[0][0].weight.half().float())
    other = from_dict(SVSConfig, {"model": {**SMALL, "conf": {"channels": [4] * 6}},
                                  "init": str(init)})
    with pytest.raises(UserError, match="same network"):
        TASK.prepare_model(build_model("svs", other.model), other, None, tmp_path)
