"""A tiny aed config shared by the aed tests."""

from __future__ import annotations

from toolkit.aed.config import AedConfig
from toolkit.config import from_dict

CLASSES = ["dog", "rain", "siren"]
CONF = {"n_mels": 32, "target_frames": 64, "n_classes": 3, "dims": [8, 16, 16, 32],
        "heads": [1, 2, 2, 4], "stage_spec": [["L"], ["L"], ["D"], ["D"]],
        "groups": [1, 1, 1, 2]}


def tiny_cfg(**data) -> AedConfig:
    """A 3-class DATAR config on 32-bin fbank, 64-frame (0.64 s) windows."""
    return from_dict(AedConfig, {
        "features": {"kind": "kaldi_fbank", "n_mels": 32, "hop_length": 160},
        "model": {"name": "datar", "conf": CONF},
        "data": {"classes": CLASSES, "target_frames": 64, "freqm": 8, "timem": 16, **data}})
