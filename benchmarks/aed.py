"""Audio event classification: classify throughput, per-model clips per second, MACs.

``--classify`` (the issue-15 measure): ``sptk-cli classify``'s library path
(:func:`toolkit.aed.infer.classify_files`: the model loaded once, a reader thread
computing fbank beside the model, batches of 16 windows) on 200 five-second 16-kHz wav
files with the shipped classifier; prints clips per second (wall), CPU seconds per
clip and the load average (the 2-core machine is shared).

For AST and DATAR in three settings: the paper's (128 mel bins, 1024 frames: AST-base vs
a DAT-T-shaped DATAR), the ESC-10 configs of recipes/aed (64 bins, 256 frames) and the
shipped default classifier. Each model classifies batches of one 5-s clip (fbank
included) for a few seconds; MACs per clip are counted with and without the attention
products (toolkit.models.complexity). Usage: python benchmarks/aed.py [--quick] [--classify]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from toolkit.aed.config import AedConfig
from toolkit.aed.infer import Classifier, classify_files
from toolkit.config import load_config
from toolkit.dsp.features import extract
from toolkit.models.complexity import count_macs
from toolkit.registry import build_model

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


def classify_throughput(n: int = 200, batch_size: int = 16) -> dict[str, float]:
    """Clips per second of classify_files on ``n`` 5-s files (shipped model, 1 model thread)."""
    torch.set_num_threads(1)
    clf = Classifier.load(None, "cpu")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n):
            paths.append(Path(tmp) / f"clip{i:03d}.wav")
            sf.write(paths[-1], (0.1 * rng.standard_normal(80000)).astype(np.float32), 16000)
        list(classify_files(paths[:16], clf, batch_size=batch_size))  # warm up
        t0, c0 = time.perf_counter(), time.process_time()
        results = list(classify_files(paths, clf, batch_size=batch_size))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(results) == n
    return {"clips_per_s": n / wall, "cpu_ms_per_clip": 1e3 * cpu / n,
            "load_avg_1min": os.getloadavg()[0]}


def main() -> None:
    quick = "--quick" in sys.argv
    if "--classify" in sys.argv:
        r = classify_throughput(64 if quick else 200)
        print(f"classify: {r['clips_per_s']:.1f} five-second clips/s, "
              f"{r['cpu_ms_per_clip']:.2f} ms CPU per clip, load average "
              f"{r['load_avg_1min']:.1f} (shipped model, batch 16, 1 model thread + reader)")
        return
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
