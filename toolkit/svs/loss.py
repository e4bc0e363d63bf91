"""The svs training loss: L1 between mask x mixture and the target magnitudes."""

from __future__ import annotations

import torch


def separation_loss(masks: torch.Tensor, mix: torch.Tensor, target: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """L1 between mask x mixture and the targets, summed over the two sources.

    The mean over bins rather than the paper's sum: a constant factor.

    Args:
        masks: (batch, 2, freq, time); mix: (batch, freq, time); target: (batch, 2, freq, time).

    Returns:
        (summed loss, per-source L1 (2,)).
    """
    per_source = (masks * mix.unsqueeze(1) - target).abs().mean(dim=(0, 2, 3))
    return per_source.sum(), per_source
