"""Checkpoint files: atomic save, load, and RNG state capture.

Layout of an experiment directory::

    exp/x/config.yaml      resolved config (written before training)
    exp/x/last.pt          latest state (resume point; mid-epoch or epoch end)
    exp/x/best.pt          best validation metric so far
    exp/x/ckpt/epoch-N.pt  the last K epoch checkpoints
    exp/x/train.log, scalars.log, tb/   logs
    exp/x/.done            training finished

Everything saved is plain data (tensors, dicts, lists, strings, numbers), so
every file loads with ``torch.load(weights_only=True)``: a checkpoint or a
bundle received from someone else cannot run code when it is opened. Checkpoints
written before 2026-12-05 hold the numpy RNG state as a plain numeric array; numpy's
array reconstruction is allowed for them (numeric dtypes only: an object array would
need a further global, which stays refused).
"""

from __future__ import annotations

import pickle
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file


def _numpy_array_globals() -> list[Any]:
    """The globals a pickled numeric numpy array needs (numpy 1.x and 2.x names)."""
    core = getattr(np, "_core", None) or np.core
    return [core.multiarray._reconstruct, np.ndarray, np.dtype,
            *(type(np.dtype(t)) for t in ("u1", "u4", "i4", "i8", "f4", "f8"))]


_NUMPY_ARRAYS = _numpy_array_globals()


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch RNG states (to resume bit-exactly)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    numpy_state = {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos,
                   "has_gauss": has_gauss, "cached_gaussian": cached}
    state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    n = state["numpy"]
    if isinstance(n, (tuple, list)):        # the numpy tuple of older checkpoints
        np.random.set_state(tuple(n))
    else:
        np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"],
                             n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """``torch.save`` through a temporary file and an atomic rename."""
    with atomic_file(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path, map_location: str = "cpu") -> dict[str, Any]:
    """Load a checkpoint or bundle weights as plain data only (one-line errors).

    Raises:
        UserError: the file is missing, truncated, or holds anything but plain data
            (a pickled function or class would run code: it is refused, not loaded).
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist")
    try:
        with torch.serialization.safe_globals(_NUMPY_ARRAYS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        what = f" ({found[1]})" if found else ""
        raise UserError(f"{path}: refused to load: it holds a Python object that could run "
                        f"code{what}; only plain data (tensors, dicts, lists, numbers, strings) "
                        "is accepted -- re-save the state_dict alone") from None
    except Exception as e:
        raise UserError(f"{path}: not a readable checkpoint ({type(e).__name__}); "
                        "it may be truncated — delete it to restart from an earlier one") from None
