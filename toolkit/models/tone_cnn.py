"""A tiny CNN classifier for the template recipe's tone-vs-noise task."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from toolkit.models.layers import FeatureNorm
from toolkit.registry import register_model


@register_model("tone", "tone_cnn")
class ToneCNN(nn.Module):
    """Two conv blocks over a log-mel spectrogram, mean pooling, a linear classifier.

    Input features are normalised with stored per-band statistics (:class:`FeatureNorm`).
    """

    @dataclass
    class Conf:
        """Hyperparameters.

        Attributes:
            n_mels: input feature dimension.
            n_classes: output classes.
            channels: convolution channels.
            dropout: dropout before the classifier.
        """

        n_mels: int = 40
        n_classes: int = 3
        channels: int = 16
        dropout: float = 0.1

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        c = conf.channels
        self.norm = FeatureNorm(conf.n_mels)
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
        )
        self.dropout = nn.Dropout(conf.dropout)
        self.out = nn.Linear(2 * c, conf.n_classes)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Class logits.

        Args:
            feats: ``(batch, frames, n_mels)`` log-mel features.

        Returns:
            ``(batch, n_classes)`` logits.
        """
        x = self.norm(feats)
        x = self.body(x.unsqueeze(1))  # (batch, 2c, frames/2, n_mels/2)
        return self.out(self.dropout(x.mean(dim=(2, 3))))
