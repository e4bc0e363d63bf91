"""Phone duration model for the TTS recipe (the paper used natural durations).

The paper's front end has a duration model that its experiments bypass with
oracle durations; ``sptk-cli synthesize`` needs one. This follows the LSTM
duration model of Zen & Sak (2015), with the MLMS factorisation kept simple:
phone-level linguistic features plus a learned language embedding and speaker
embedding, a ReLU projection, LSTM layers and a linear output predicting the
normalised ``log(1 + frames)`` of each label item (pause slots included, whose
duration may be 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from toolkit.errors import UserError
from toolkit.models.layers import FeatureNorm
from toolkit.models.tts_blocks import NamedSlots, phone_dim, set_trainable
from toolkit.registry import register_model


@register_model("tts", "tts_duration")
class DurationLSTM(nn.Module):
    """Phone-level LSTM predicting log durations, conditioned on language and speaker."""

    target = "duration"

    @dataclass
    class Conf:
        """Hyperparameters.

        Attributes:
            phone_slots: phone-identity slots of the front end.
            languages, speakers: names known to the model.
            proj_dim, cells, layers: ReLU projection and LSTM sizes.
            embed_dim: language and speaker embedding size.
            bidirectional: read the phone sequence both ways (the whole text is
                known before synthesis; False: left to right, as the first models).
            dropout: dropout on the projection, between LSTM layers and before the
                output (training only).
            trainable: parameter groups to update (empty: all): ``embedding`` (the
                language and speaker embeddings), ``network`` (everything else).
        """

        phone_slots: int = 128
        languages: list[str] = field(default_factory=lambda: ["en"])
        speakers: list[str] = field(default_factory=lambda: ["spk"])
        proj_dim: int = 128
        cells: int = 128
        layers: int = 2
        embed_dim: int = 16
        bidirectional: bool = False
        dropout: float = 0.0
        trainable: list[str] = field(default_factory=list)

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        self.languages = NamedSlots(conf.languages, "language")
        self.speakers = NamedSlots(conf.speakers, "speaker")
        self.in_dim = phone_dim(conf.phone_slots)
        self.in_norm, self.out_norm = FeatureNorm(self.in_dim), FeatureNorm(1)
        self.lang_emb = nn.Embedding(len(conf.languages), conf.embed_dim)
        self.spk_emb = nn.Embedding(len(conf.speakers), conf.embed_dim)
        self.proj = nn.Linear(self.in_dim + 2 * conf.embed_dim, conf.proj_dim)
        self.lstm = nn.LSTM(conf.proj_dim, conf.cells, num_layers=conf.layers, batch_first=True,
                            bidirectional=conf.bidirectional,
                            dropout=conf.dropout if conf.layers > 1 else 0.0)
        self.drop = nn.Dropout(conf.dropout)
        self.out = nn.Linear(conf.cells * (2 if conf.bidirectional else 1), 1)
        unknown = set(conf.trainable) - {"embedding", "network"}
        if unknown:
            raise UserError(f"model.conf.trainable: unknown group(s) {sorted(unknown)} "
                            "(groups: embedding, network)")
        if conf.trainable:
            for name, module in (("embedding", (self.lang_emb, self.spk_emb)),
                                 ("network", (self.proj, self.lstm, self.out))):
                for m in module:
                    set_trainable(m, name in conf.trainable)

    def forward(self, x: torch.Tensor, lang: torch.Tensor, spk: torch.Tensor) -> torch.Tensor:
        """``(batch, phones, in_dim)`` raw -> ``(batch, phones, 1)`` normalised log durations."""
        e = torch.cat([self.lang_emb(lang), self.spk_emb(spk)], -1)[:, None].expand(
            -1, x.shape[1], -1)
        h = self.drop(torch.relu(self.proj(torch.cat([self.in_norm(x), e], -1))))
        return self.out(self.drop(self.lstm(h)[0]))

    @torch.no_grad()
    def generate(self, x: torch.Tensor, lang: str, speaker: str) -> torch.Tensor:
        """Durations in frames ``(phones,)`` (float, >= 0) for ``(phones, in_dim)``."""
        li = torch.tensor([self.languages(lang)], device=x.device)
        si = torch.tensor([self.speakers(speaker)], device=x.device)
        y = self.forward(x[None].float(), li, si)[0, :, 0]
        return torch.expm1(y * self.out_norm.std + self.out_norm.mean).clamp_min(0)
