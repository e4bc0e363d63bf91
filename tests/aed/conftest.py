"""Fixtures of the aed tests: an untrained packed classifier."""

from __future__ import annotations

import pytest
import torch
import yaml

from tests.aed.helpers import tiny_cfg
from toolkit.config import dump_yaml
from toolkit.registry import build_model
from toolkit.train.packing import pack


def finished_exp(exp, seed: int = 0, **data):
    """An (untrained) finished aed experiment directory of :func:`tiny_cfg` (``data``
    overrides its data section), weights drawn with ``seed``."""
    cfg = tiny_cfg(**data)
    torch.manual_seed(seed)
    model = build_model("aed", cfg.model)
    exp.mkdir(parents=True)
    (exp / "config.yaml").write_text(dump_yaml(cfg))
    (exp / "meta.yaml").write_text(yaml.safe_dump({"task": "aed", "model": "datar"}))
    (exp / "norm_stats.json").write_text('{"mean": 0, "std": 1}')
    torch.save({"model": model.state_dict()}, exp / "best.pt")
    (exp / ".done").write_text("test fixture: a finished run\n")  # pack refuses unfinished runs
    return exp


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    """An (untrained) packed DATAR classifier: classify works the same on any weights."""
    tmp = tmp_path_factory.mktemp("aed_model")
    return pack(finished_exp(tmp / "exp"), tmp / "pack")
