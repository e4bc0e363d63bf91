"""Losses of the aed task, chosen by what a batch holds (never by task state).

- ``target`` (a class distribution; one-hot, or mixed by mixup): cross-entropy with
  soft targets;
- ``labels`` (multi-hot, multi-label corpora): binary cross-entropy;
- ``mask`` (masked-patch pretraining): mean squared error on the masked cells.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against a target distribution.

    Args:
        logits: ``(batch, n_classes)``.
        target: ``(batch, n_classes)``, rows summing to 1.
    """
    return torch.sum(-target * F.log_softmax(logits, -1), -1).mean()


def masked_mse(rec: torch.Tensor, spec: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared reconstruction error where ``mask`` is True (all ``(batch, 1, F, T)``)."""
    return ((rec - spec) ** 2)[mask].mean()


def batch_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]
               ) -> tuple[torch.Tensor, dict[str, float]]:
    """The loss of one batch and its metrics (``acc`` for classification batches)."""
    x = batch["feats"]
    if "mask" in batch:
        return masked_mse(*model(x, mask=batch["mask"])), {}
    logits = model(x)
    if "labels" in batch:
        target = batch["labels"]
        loss = F.binary_cross_entropy_with_logits(logits, target)
    else:
        target = batch["target"]
        loss = soft_cross_entropy(logits, target)
    acc = (logits.argmax(-1) == target.argmax(-1)).float().mean()
    return loss, {"acc": float(acc)}
