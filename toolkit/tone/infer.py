"""Inference of the tone task: class posteriors of one clip."""

from __future__ import annotations

import numpy as np
import torch

from toolkit.dsp.features import extract
from toolkit.tone.config import ToneConfig
from toolkit.tone.data import crop


@torch.no_grad()
def posteriors(model: torch.nn.Module, cfg: ToneConfig, feats: np.ndarray,
               device: str = "cpu") -> np.ndarray:
    """Class probabilities ``(n_classes,)`` of ``(frames, n_mels)`` features (clips
    shorter than ``data.crop_frames`` are edge-padded as in training)."""
    if feats.shape[0] < cfg.data.crop_frames:
        feats = crop(feats, cfg.data.crop_frames, None)
    x = torch.from_numpy(np.ascontiguousarray(feats, np.float32))[None].to(device)
    return torch.softmax(model(x), -1)[0].cpu().numpy()


def classify_array(model: torch.nn.Module, cfg: ToneConfig, wave: np.ndarray,
                   device: str = "cpu") -> dict[str, float]:
    """``{class: probability}`` of a mono waveform at ``cfg.features.sample_rate``."""
    prob = posteriors(model, cfg, extract(wave, cfg.features), device)
    return dict(zip(cfg.data.classes, map(float, prob), strict=True))
