"""MLMS: multi-language multi-speaker LSTM acoustic model (Li & Zen, Interspeech 2016).

Figure 1 and Equations 1-2 of the paper::

    h_t^(u)   = M_mean(x_1..x_t) + sum_l lambda_l^(u) M_l^lang(x_1..x_t)
    y_t^(u,s) = M_s^spkr(h_t^(u), y_{t-1}^(u,s))

- a mean tower and ``n_basis`` language basis towers (cluster adaptive training),
  each a ReLU projection to 256 and 3 LSTM layers of 256 cells with a 128 projection;
- one language code vector ``lambda^(u)`` (length ``n_basis``) per language,
  initialised at random (``rand``), as 1-hot vectors (``onehot``) or 1-hot and
  kept fixed (``onehot_fixed``);
- one speaker-dependent recurrent output layer per speaker (128 -> 49 with a
  49 x 49 recurrence).

Inputs and outputs are normalised inside the model (:class:`FeatureNorm`
buffers filled before training), so the loss is the MSE on normalised 49-dim
vocoder features and :meth:`generate` returns them in natural units.

``trainable`` restricts which parameter groups are updated (adaptation v1..v4:
``code``, ``mean``, ``basis``, ``speaker``); it is applied at construction, so a
resumed run freezes the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from toolkit.errors import UserError
from toolkit.models.layers import FeatureNorm
from toolkit.models.tts_blocks import (
    NamedSlots,
    RecurrentOutput,
    Tower,
    frame_dim,
    generate_acoustic,
    set_trainable,
)
from toolkit.registry import register_model

GROUPS = ("mean", "basis", "code", "speaker")


@register_model("tts", "mlms")
class MLMS(nn.Module):
    """Mean tower + language basis towers + language codes + speaker output layers."""

    target = "acoustic"

    @dataclass
    class Conf:
        """Hyperparameters (paper values as defaults).

        Attributes:
            phone_slots: phone-identity slots of the front end (input size follows).
            languages: language names, in code-vector order.
            speakers: speaker names, one output layer each.
            n_basis: language basis towers L.
            proj_dim, cells, lstm_proj, layers: tower structure.
            proj_mode: recurrent (LSTMP, the paper) | output (faster on CPU; see Tower).
            out_dim: vocoder features (49).
            code_init: rand | onehot | onehot_fixed.
            code_std: standard deviation of the random code initialisation.
            trainable: parameter groups to update (empty: all).
            dropout: dropout in the towers during training (0: none, the paper).
        """

        phone_slots: int = 128
        languages: list[str] = field(default_factory=lambda: ["en"])
        speakers: list[str] = field(default_factory=lambda: ["spk"])
        n_basis: int = 6
        proj_dim: int = 256
        cells: int = 256
        lstm_proj: int = 128
        layers: int = 3
        proj_mode: str = "recurrent"
        out_dim: int = 49
        code_init: Literal["rand", "onehot", "onehot_fixed"] = "rand"
        code_std: float = 0.5
        trainable: list[str] = field(default_factory=list)
        dropout: float = 0.0

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        self.languages = NamedSlots(conf.languages, "language")
        self.speakers = NamedSlots(conf.speakers, "speaker")
        self.in_dim = frame_dim(conf.phone_slots)
        self.in_norm, self.out_norm = FeatureNorm(self.in_dim), FeatureNorm(conf.out_dim)
        tower = (self.in_dim, conf.proj_dim, conf.cells, conf.lstm_proj, conf.layers,
                 conf.proj_mode, conf.dropout)
        self.mean = Tower(*tower)
        self.basis = nn.ModuleList(Tower(*tower) for _ in range(conf.n_basis))
        n_lang = len(conf.languages)
        if conf.code_init == "rand":
            code = torch.randn(n_lang, conf.n_basis) * conf.code_std
        else:
            if n_lang > conf.n_basis:
                raise UserError(f"code_init {conf.code_init} needs n_basis >= the {n_lang} "
                                f"languages (n_basis is {conf.n_basis})")
            code = torch.eye(n_lang, conf.n_basis)
        self.code = nn.Parameter(code, requires_grad=conf.code_init != "onehot_fixed")
        self.spk_out = nn.ModuleList(RecurrentOutput(self.mean.out_dim, conf.out_dim)
                                     for _ in conf.speakers)
        unknown = set(conf.trainable) - set(GROUPS)
        if unknown:
            raise UserError(f"model.conf.trainable: unknown group(s) {sorted(unknown)} "
                            f"(groups: {', '.join(GROUPS)})")
        if conf.trainable:
            for name, module in (("mean", self.mean), ("basis", self.basis),
                                 ("speaker", self.spk_out)):
                set_trainable(module, name in conf.trainable)
            if "code" not in conf.trainable:
                self.code.requires_grad_(False)

    def hidden(self, x: torch.Tensor, lang: torch.Tensor) -> torch.Tensor:
        """Equation 1: ``(batch, frames, in_dim)``, ``(batch,)`` -> ``(batch, frames, 128)``."""
        h = self.mean(x)
        if len(self.basis):
            towers = torch.stack([t(x) for t in self.basis], -1)  # (B, T, H, L)
            h = h + (towers * self.code[lang][:, None, None, :]).sum(-1)
        return h

    def forward(self, x: torch.Tensor, lang: torch.Tensor, spk: torch.Tensor) -> torch.Tensor:
        """Normalised ``(batch, frames, out_dim)`` from raw inputs ``(batch, frames, in_dim)``.

        Args:
            x: frame-level linguistic features (not normalised).
            lang: ``(batch,)`` language indices; spk: ``(batch,)`` speaker indices.
        """
        h = self.hidden(self.in_norm(x), lang)
        out = h.new_zeros(*h.shape[:2], self.conf.out_dim)
        for s in spk.unique().tolist():
            rows = (spk == s).nonzero().squeeze(1)
            out[rows] = self.spk_out[s](h[rows])
        return out

    @torch.no_grad()
    def generate(self, x: torch.Tensor, lang: str, speaker: str) -> torch.Tensor:
        """Vocoder features ``(frames, out_dim)`` in natural units for ``(frames, in_dim)``."""
        return generate_acoustic(self, x, lang, speaker)
