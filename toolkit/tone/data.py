"""Data of the tone task: labels, features and the dataset.

Data roles: ``wav.scp`` and ``label`` (one of ``data.classes``); ``feats.scp``
when stage 2 precomputed the features.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.features import FeatureConfig, extract
from toolkit.errors import DataDirError
from toolkit.tone.config import ToneConfig


def read_labels(d: DataDir, classes: list[str]) -> dict[str, int]:
    """Class index per key; an unknown class is an error naming the line."""
    index = {c: i for i, c in enumerate(classes)}
    out = {}
    for n, (key, value) in enumerate(d.read("label").items(), 1):
        if value not in index:
            raise DataDirError(f"{d.path / 'label'} line {n}: unknown class '{value}' "
                               f"(data.classes: {', '.join(classes)})")
        out[key] = index[value]
    return out


def load_features(d: DataDir, key: str, conf: FeatureConfig) -> np.ndarray:
    """Precomputed features (feats.scp) when present, else computed from the audio."""
    if d.has("feats.scp"):
        return np.load(d.read("feats.scp")[key])
    path, offset, duration = d.audio_spec(key)
    wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
    return extract(wave, conf)


def crop(feats: np.ndarray, frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """A ``frames``-long window (random when ``rng`` is given, else centred), edge-padded."""
    n = feats.shape[0]
    if n < frames:
        return np.pad(feats, ((0, frames - n), (0, 0)), mode="edge")
    start = int(rng.integers(0, n - frames + 1)) if rng is not None else (n - frames) // 2
    return feats[start : start + frames]


class ToneDataset:
    """Items ``{"feats": (crop_frames, n_mels), "label": int}``."""

    def __init__(self, data_dir: Path, cfg: ToneConfig, train: bool):
        self.dir = DataDir(data_dir)
        self.cfg, self.train = cfg, train
        self.keys = self.dir.keys()
        self.labels = read_labels(self.dir, cfg.data.classes)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> dict[str, Any]:
        key = self.keys[i]
        feats = load_features(self.dir, key, self.cfg.features)
        rng = (np.random.default_rng([self.cfg.trainer.seed, self.epoch, i])
               if self.train else None)
        x = crop(feats, self.cfg.data.crop_frames, rng)
        return {"feats": torch.from_numpy(np.ascontiguousarray(x)), "label": self.labels[key]}
