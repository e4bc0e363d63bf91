"""Single-language single-speaker LSTM acoustic model: the paper's baseline.

The same structure as one tower of :mod:`toolkit.models.mlms` with its output
layer (Zen & Sak 2015): a ReLU projection to 256, 3 LSTM layers of 256 cells
with a 128 projection and a recurrent output layer (128 -> 49, 49 x 49
recurrence). It also serves as the model built from scratch on an adaptation
language's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from toolkit.models.layers import FeatureNorm
from toolkit.models.tts_blocks import NamedSlots, RecurrentOutput, Tower, frame_dim
from toolkit.registry import register_model


@register_model("tts", "lstm_sss")
class SingleSpeakerLSTM(nn.Module):
    """ReLU projection + LSTMs + recurrent output layer, for one language and one speaker."""

    target = "acoustic"

    @dataclass
    class Conf:
        """Hyperparameters (paper values as defaults); ``languages``/``speakers`` hold one name."""

        phone_slots: int = 128
        languages: list[str] = field(default_factory=lambda: ["en"])
        speakers: list[str] = field(default_factory=lambda: ["spk"])
        proj_dim: int = 256
        cells: int = 256
        lstm_proj: int = 128
        layers: int = 3
        proj_mode: str = "recurrent"
        out_dim: int = 49

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        self.languages = NamedSlots(conf.languages, "language")
        self.speakers = NamedSlots(conf.speakers, "speaker")
        self.in_dim = frame_dim(conf.phone_slots)
        self.in_norm, self.out_norm = FeatureNorm(self.in_dim), FeatureNorm(conf.out_dim)
        self.tower = Tower(self.in_dim, conf.proj_dim, conf.cells, conf.lstm_proj, conf.layers,
                           conf.proj_mode)
        self.out = RecurrentOutput(self.tower.out_dim, conf.out_dim)

    def forward(self, x: torch.Tensor, lang: torch.Tensor, spk: torch.Tensor) -> torch.Tensor:
        """Raw inputs ``(batch, frames, in_dim)`` -> normalised ``(batch, frames, out_dim)``."""
        return self.out(self.tower(self.in_norm(x)))

    @torch.no_grad()
    def generate(self, x: torch.Tensor, lang: str, speaker: str) -> torch.Tensor:
        """Vocoder features in natural units ``(frames, out_dim)`` for ``(frames, in_dim)``."""
        self.languages(lang), self.speakers(speaker)
        y = self.forward(x[None].float(), None, None)[0]
        return y * self.out_norm.std + self.out_norm.mean
