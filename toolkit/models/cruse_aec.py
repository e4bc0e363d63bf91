"""CRUSE for echo cancellation: the mic and the (pre-aligned) far end as two input channels.

The baseline of Indenbom et al. (2023), "Deep model with built-in cross-attention
alignment for acoustic echo cancellation", derived from CRUSE (Braun et al.,
ICASSP 2021): log power spectra of the microphone and of the far end, stacked as
two channels, four causal conv blocks (16, 40, 72, 32 filters, kernel 4x3, stride
1x2), a GRU over channels x frequency, skip blocks (1x1 conv, added), three
transposed conv blocks (32, 48, 48 filters, 1x3) and the mask block. The mask
multiplies the microphone magnitude (the mic phase is kept).

The far end must be aligned before the model (none, online or global GCC-PHAT:
:mod:`toolkit.dsp.delay`, ``sptk-cli aec align``): that is what the paper's
CRUSE, CRUSE‡ and CRUSE‡‡ rows compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from toolkit.models.aec_blocks import NET_BINS, CausalConvBlock, CruseDecoder, full_mask
from toolkit.registry import register_model


@register_model("aec", "cruse")
class CruseAec(nn.Module):
    """Two-channel CRUSE predicting a magnitude suppression mask."""

    @dataclass
    class Conf:
        """Hyperparameters (defaults: the paper's).

        Attributes:
            enc_channels: filters of the four encoder conv blocks.
            dec_channels: filters of the three transposed conv blocks.
        """

        enc_channels: list[int] = field(default_factory=lambda: [16, 40, 72, 32])
        dec_channels: list[int] = field(default_factory=lambda: [32, 48, 48])

    has_alignment = False

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        ch = [2, *conf.enc_channels]
        self.enc = nn.ModuleList(CausalConvBlock(ch[i], ch[i + 1]) for i in range(4))
        self.dec = CruseDecoder(conf.enc_channels, conf.dec_channels, NET_BINS // 16)

    def forward(self, mic: torch.Tensor, far: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Offline pass over whole clips.

        Args:
            mic, far: log power spectra ``(B, T, 160)``.

        Returns:
            ``(mask (B, T, 161), None)`` (no delay distribution).
        """
        x = torch.stack([mic, far], dim=1)
        skips = []
        for block in self.enc:
            x = block(x)
            skips.append(x)
        return full_mask(self.dec(skips)), None

    def init_state(self, batch: int = 1) -> list[torch.Tensor]:
        """Zero streaming state: the conv input buffers, then the GRU state."""
        p = next(self.parameters())
        ch, bins = [2, *self.conf.enc_channels], [NET_BINS // 2**i for i in range(4)]
        state = [p.new_zeros(batch, ch[i], 3, bins[i]) for i in range(4)]
        return state + [p.new_zeros(1, batch, self.dec.gru.hidden_size)]

    def step(self, mic: torch.Tensor, far: torch.Tensor, state: list[torch.Tensor]
             ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
        """One 10-ms frame: ``mic, far (B, 160)`` -> ``(mask (B, 161), None, new state)``."""
        x = torch.stack([mic, far], dim=1)[:, :, None]
        skips, new = [], []
        for block, buf in zip(self.enc, state[:4], strict=True):
            x, buf = block.step(x, buf)
            skips.append(x)
            new.append(buf)
        mask, h = self.dec.step(skips, state[4])
        return full_mask(mask[:, 0]), None, new + [h]
