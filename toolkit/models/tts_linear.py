"""Reference acoustic models of the tts task, fitted in closed form (no gradient training).

They answer "how much of the MCD does the LSTM earn?" in the recipe's score table:

- ``mean``: every frame of a speaker gets that speaker's mean vocoder feature vector
  (a constant per speaker; what a model that ignores its input converges to);
- ``ridge``: a linear map of the normalised frame-level input (the same vectors the
  LSTMs read, one frame at a time, no context beyond what the features encode) plus a
  bias per speaker, fitted by ridge regression.

Both predict normalised outputs through the same :class:`FeatureNorm` buffers as
:class:`toolkit.models.mlms.MLMS`, so decoding, scoring and ``generate`` treat them like
the trained models. :func:`toolkit.tts.reference.fit_reference` fits them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from toolkit.errors import UserError
from toolkit.models.layers import FeatureNorm
from toolkit.models.tts_blocks import NamedSlots, frame_dim, generate_acoustic
from toolkit.registry import register_model


@register_model("tts", "tts_linear")
class LinearTts(nn.Module):
    """``y_t = W x_t + b_s`` on normalised features (``W = 0`` for ``kind: mean``)."""

    target = "acoustic"

    @dataclass
    class Conf:
        """Hyperparameters.

        Attributes:
            phone_slots: phone-identity slots of the front end (input size follows).
            languages: language names (inputs of these languages are accepted).
            speakers: speaker names, one bias vector each.
            kind: mean | ridge.
            l2: ridge penalty per frame (the normal equations get ``l2 * frames * I``).
            out_dim: vocoder features (49).
        """

        phone_slots: int = 128
        languages: list[str] = field(default_factory=lambda: ["en"])
        speakers: list[str] = field(default_factory=lambda: ["spk"])
        kind: Literal["mean", "ridge"] = "ridge"
        l2: float = 1e-3
        out_dim: int = 49

    def __init__(self, conf: Conf):
        super().__init__()
        if conf.kind not in ("mean", "ridge"):
            raise UserError(f"model.conf.kind '{conf.kind}': use mean or ridge")
        self.conf = conf
        self.languages = NamedSlots(conf.languages, "language")
        self.speakers = NamedSlots(conf.speakers, "speaker")
        self.in_dim = frame_dim(conf.phone_slots)
        self.in_norm, self.out_norm = FeatureNorm(self.in_dim), FeatureNorm(conf.out_dim)
        self.register_buffer("weight", torch.zeros(self.in_dim, conf.out_dim))
        self.register_buffer("bias", torch.zeros(len(conf.speakers), conf.out_dim))

    def forward(self, x: torch.Tensor, lang: torch.Tensor, spk: torch.Tensor) -> torch.Tensor:
        """Normalised ``(batch, frames, out_dim)`` from raw ``(batch, frames, in_dim)``.

        Args:
            x: frame-level linguistic features (not normalised).
            lang: ``(batch,)`` language indices (unused: the input encodes the phones).
            spk: ``(batch,)`` speaker indices.
        """
        return self.in_norm(x) @ self.weight + self.bias[spk][:, None, :]

    @torch.no_grad()
    def generate(self, x: torch.Tensor, lang: str, speaker: str) -> torch.Tensor:
        """Vocoder features ``(frames, out_dim)`` in natural units for ``(frames, in_dim)``."""
        return generate_acoustic(self, x, lang, speaker)

    def set_solution(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Install a fitted ``(in_dim, out_dim)`` map and ``(speakers, out_dim)`` biases."""
        self.weight.copy_(weight)
        self.bias.copy_(bias)
