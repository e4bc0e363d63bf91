"""The tone task's objective: cross-entropy over the classes."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def batch_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]
               ) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss and accuracy of a batch ``{"feats": (b, frames, n_mels), "label": (b,)}``."""
    logits = model(batch["feats"])
    loss = F.cross_entropy(logits, batch["label"])
    acc = (logits.argmax(-1) == batch["label"]).float().mean()
    return loss, {"acc": float(acc)}
