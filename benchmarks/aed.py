"""Audio event classification: inference clips per second on 2 CPU threads, and MACs.

For AST and DATAR in three settings: the paper's (128 mel bins, 1024 frames: AST-base vs
a DAT-T-shaped DATAR), the ESC-10 configs of recipes/aed (64 bins, 256 frames) and the
shipped default classifier. Each model classifies batches of one 5-s clip (fbank
included) for a few seconds; MACs per clip are counted with and without the attention
products (toolkit.models.complexity). Usage: python benchmarks/aed.py [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from toolkit.config import load_config
from toolkit.dsp.features import extract
from toolkit.models.complexity import count_macs
from toolkit.registry import build_model
from toolkit.tasks.aed import AedConfig

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "recipes/aed/conf"


def clips_per_second(model, cfg, seconds: float) -> float:
    """Clips (5 s of audio, fbank + model) classified per second, one clip per call."""
    wave = np.random.default_rng(0).standard_normal(5 * cfg.features.sample_rate) * 0.1
    n, t0 = 0, time.perf_counter()
    with torch.no_grad():
        while time.perf_counter() - t0 < seconds or n < 2:
            feats = extract(wave.astype(np.float32), cfg.features)
            x = np.zeros((cfg.data.target_frames, feats.shape[1]), np.float32)
            x[: min(len(feats), len(x))] = feats[: len(x)]
            model(torch.from_numpy(x)[None])
            n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    quick = "--quick" in sys.argv
    torch.set_num_threads(2)
    rows = [("ESC-10 DATAR (recipe)", CONF / "esc10/datar.yaml", []),
            ("ESC-10 AST (recipe)", CONF / "esc10/ast.yaml", []),
            ("paper AST-base, 1024 frames", CONF / "esc10/ast.yaml",
             ["model.conf={n_mels: 128, target_frames: 1024, n_classes: 309, size: base}",
              "features.n_mels=128", "features.hop_length=160", "data.target_frames=1024"]),
            ("paper DATAR (DAT-T shape), 1024 frames", CONF / "esc10/datar.yaml",
             ["model.conf={n_mels: 128, target_frames: 1024, n_classes: 309}",
              "features.n_mels=128", "features.hop_length=160", "data.target_frames=1024"])]
    print(f"{'model':42s} {'params M':>9s} {'GMACs':>8s} {'GMACs no attn':>14s} "
          f"{'clips/s':>8s}")
    for name, conf, sets in rows:
        cfg = load_config(AedConfig, conf, sets)
        model = build_model("aed", cfg.model).eval()
        shape = (1, cfg.data.target_frames, cfg.features.n_mels)
        macs, macs_na = count_macs(model, shape), count_macs(model, shape, attention=False)
        cps = clips_per_second(model, cfg, 1.0 if quick else 5.0)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(f"{name:42s} {params:9.2f} {macs / 1e9:8.3f} {macs_na / 1e9:14.3f} {cps:8.2f}")


if __name__ == "__main__":
    main()
