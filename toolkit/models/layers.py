"""Small building blocks shared by several models."""

from __future__ import annotations

import torch
from torch import nn


class FeatureNorm(nn.Module):
    """Per-dimension mean/std normalisation with statistics stored as buffers.

    The statistics travel with the weights (checkpoints, packed bundles), so a
    model normalises its input at inference exactly as in training. Fill them
    with :meth:`set_stats` before training.

    Args:
        dim: feature dimension (the last axis of the input).
    """

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def set_stats(self, mean: torch.Tensor, std: torch.Tensor, floor: float = 1e-5) -> None:
        """Store statistics; ``std`` is floored to keep the division finite."""
        self.mean.copy_(torch.as_tensor(mean, dtype=self.mean.dtype))
        self.std.copy_(torch.as_tensor(std, dtype=self.std.dtype).clamp_min(floor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., dim)`` -> ``(..., dim)`` normalised."""
        return (x - self.mean) / self.std
