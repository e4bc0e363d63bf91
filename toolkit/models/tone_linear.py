"""A linear classifier on mean log-mel features: the template task's simplest baseline."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from toolkit.models.layers import FeatureNorm
from toolkit.registry import register_model


@register_model("tone", "tone_linear")
class ToneLinear(nn.Module):
    """Logistic regression on the time-averaged, normalised log-mel spectrum.

    Having neither batch norm nor dropout, its gradient is a plain mean over the
    batch, which makes it the model of the multi-process equivalence test.
    """

    @dataclass
    class Conf:
        """Hyperparameters.

        Attributes:
            n_mels: input feature dimension.
            n_classes: output classes.
        """

        n_mels: int = 40
        n_classes: int = 3

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        self.norm = FeatureNorm(conf.n_mels)
        self.out = nn.Linear(2 * conf.n_mels, conf.n_classes)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Class logits.

        Args:
            feats: ``(batch, frames, n_mels)`` log-mel features.

        Returns:
            ``(batch, n_classes)`` logits.
        """
        x = self.norm(feats)
        return self.out(torch.cat([x.mean(1), x.std(1)], dim=-1))
