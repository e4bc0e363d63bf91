"""Checkpoints and bundles are plain data: they load with ``weights_only=True``."""

from __future__ import annotations

import os
import random
import shutil

import numpy as np
import pytest
import torch

from toolkit.errors import UserError
from toolkit.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from toolkit.train.packing import ASSETS, load_model_dir


def test_a_bundle_holding_a_pickled_callable_is_refused(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(ASSETS / "aed", bundle)  # an ensemble: one poisoned member is enough
    weights = sorted(bundle.rglob("model.pt"))[-1]
    state = torch.load(weights, weights_only=True)
    torch.save({**state, "hook": os.system}, weights)
    with pytest.raises(UserError, match=r"refused to load.*posix\.system"):
        load_model_dir(bundle)
    with pytest.raises(UserError, match=r"refused to load.*posix\.system"):
        load_model_dir(weights.parent)


@pytest.mark.parametrize("bundle", sorted(p.parent for p in ASSETS.rglob("model.pt")),
                         ids=lambda p: str(p.relative_to(ASSETS)))
def test_shipped_bundles_are_plain_fp16_tensors(bundle):
    state = torch.load(bundle / "model.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float16}


def test_rng_state_survives_a_weights_only_round_trip(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    save_checkpoint({"rng": rng_state()}, tmp_path / "last.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(9)
    np.random.seed(9)
    torch.manual_seed(9)
    set_rng_state(load_checkpoint(tmp_path / "last.pt")["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_a_checkpoint_of_the_older_numpy_rng_format_still_resumes(tmp_path):
    """Before 2026-12-05 the numpy state was saved as numpy's own tuple (an ndarray inside)."""
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    old = {**rng_state(), "numpy": np.random.get_state()}
    torch.save({"rng": old, "model": {"w": torch.ones(2)}}, tmp_path / "last.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    np.random.seed(9)
    set_rng_state(load_checkpoint(tmp_path / "last.pt")["rng"])
    assert np.random.rand() == expected[1]


def test_an_object_array_stays_refused(tmp_path):
    torch.save({"x": np.array([os.system], dtype=object)}, tmp_path / "last.pt")
    with pytest.raises(UserError, match="refused to load"):
        load_checkpoint(tmp_path / "last.pt")
