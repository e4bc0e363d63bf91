"""Loss of the tts task: MSE on outputs normalised by the model's own statistics."""

from __future__ import annotations

from typing import Any

import torch


def _inner(model: Any) -> Any:
    return getattr(model, "module", model)


def masked_mse(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """MSE between the model's normalised outputs and the normalised targets."""
    pred = model(batch["x"], batch["lang"], batch["spk"])
    norm = _inner(model).out_norm
    err = (pred - norm(batch["y"])) ** 2 * batch["mask"][..., None]
    return err.sum() / (batch["mask"].sum() * pred.shape[-1]).clamp_min(1)
