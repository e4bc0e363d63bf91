"""Checkpoint files: atomic save, load, and RNG state capture.

Layout of an experiment directory::

    exp/x/config.yaml      resolved config (written before training)
    exp/x/last.pt          latest state (resume point; mid-epoch or epoch end)
    exp/x/best.pt          best validation metric so far
    exp/x/ckpt/epoch-N.pt  the last K epoch checkpoints
    exp/x/train.log, scalars.log, tb/   logs
    exp/x/.done            training finished
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch RNG states (to resume bit-exactly)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """``torch.save`` through a temporary file and an atomic rename."""
    with atomic_file(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path, map_location: str = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (one-line errors)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as e:
        raise UserError(f"{path}: not a readable checkpoint ({type(e).__name__}); "
                        "it may be truncated — delete it to restart from an earlier one") from None
