"""AST: Audio Spectrogram Transformer (Gong, Chung and Glass, Interspeech 2021).

The baseline of the DATAR paper. The ``(frames, mel)`` fbank, normalised with the
dataset statistics, is cut into 16 x 16 patches that overlap (frequency and time
stride 10, as AST), linearly embedded by a strided convolution, prefixed with a class
token, given learned position embeddings and passed through a ViT encoder of pre-LN
blocks; the class token's output (after LayerNorm) feeds a linear classifier. AST
averages a class and a distillation token because it starts from DeiT weights; we
start from scratch or from our own masked-patch pretraining, so one class token
suffices (the issue's specification).

Sizes (``size``): tiny (192-dim, 12 layers, 3 heads), small (384, 12, 6), base (768, 12,
12) as in DeiT/AST, or ``custom`` with ``embed_dim`` / ``depth`` / ``heads``.

Self-supervised pretraining (:meth:`AST.reconstruct`): a linear head maps every patch
token back to its 16 x 16 values and overlapping patches are averaged (``F.fold``),
giving a reconstruction of the whole spectrogram (the loss is taken on masked squares).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from toolkit.models.aed_layers import TransformerBlock, masked_forward
from toolkit.models.layers import FeatureNorm
from toolkit.registry import register_model

SIZES = {"tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12)}


@register_model("aed", "ast")
class AST(nn.Module):
    """Audio spectrogram transformer classifier: ``(batch, frames, n_mels) -> logits``."""

    @dataclass
    class Conf:
        """Hyperparameters.

        Attributes:
            n_mels: fbank bins (AST: 128).
            target_frames: frames the position embeddings are made for (AST: 1024 for
                10-s AudioSet clips, 512 for 5-s ESC-50 clips); other lengths interpolate.
            n_classes: output classes.
            size: tiny | small | base | custom.
            embed_dim, depth, heads: the encoder when ``size`` is custom.
            patch: patch side.
            fstride, tstride: patch stride in frequency and time (AST: 10, overlap 6).
            mlp_ratio: MLP hidden size / embed_dim.
            dropout: dropout in the encoder.
            drop_path: stochastic depth (linearly increasing to this value).
        """

        n_mels: int = 128
        target_frames: int = 512
        n_classes: int = 10
        size: str = "tiny"
        embed_dim: int = 192
        depth: int = 12
        heads: int = 3
        patch: int = 16
        fstride: int = 10
        tstride: int = 10
        mlp_ratio: float = 4.0
        dropout: float = 0.0
        drop_path: float = 0.0

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        if conf.size != "custom":
            if conf.size not in SIZES:
                raise ValueError(f"model.conf.size '{conf.size}' (tiny, small, base, custom)")
            conf.embed_dim, conf.depth, conf.heads = SIZES[conf.size]
        d, p = conf.embed_dim, conf.patch
        if conf.n_mels < p:
            raise ValueError(f"n_mels {conf.n_mels} is smaller than the patch ({p})")
        self.norm = FeatureNorm(conf.n_mels)
        self.patch_embed = nn.Conv2d(1, d, p, stride=(conf.fstride, conf.tstride))
        self.grid = self._grid(conf.target_frames)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid[0] * self.grid[1], d))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        dpr = torch.linspace(0, conf.drop_path, conf.depth).tolist()
        self.blocks = nn.ModuleList(TransformerBlock(d, conf.heads, conf.mlp_ratio, conf.dropout,
                                                     dpr[i]) for i in range(conf.depth))
        self.final_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, conf.n_classes)
        self.recon_head = nn.Linear(d, p * p)  # used by the masked-patch pretraining only
        self.apply(_init)

    def _grid(self, frames: int) -> tuple[int, int]:
        c = self.conf
        frames = max(frames, c.patch)
        return (c.n_mels - c.patch) // c.fstride + 1, (frames - c.patch) // c.tstride + 1

    def _pos(self, grid: tuple[int, int]) -> torch.Tensor:
        if grid == self.grid:
            return self.pos_embed
        cls, pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        pos = pos.reshape(1, *self.grid, -1).permute(0, 3, 1, 2)
        pos = F.interpolate(pos, size=grid, mode="bilinear", align_corners=False)
        return torch.cat([cls, pos.flatten(2).transpose(1, 2)], 1)

    def spectrogram(self, feats: torch.Tensor) -> torch.Tensor:
        """Normalised input ``(batch, frames, n_mels) -> (batch, 1, n_mels, frames)``;
        clips shorter than one patch are zero-padded (the normalised mean) to one patch."""
        x = self.norm(feats).transpose(1, 2).unsqueeze(1)
        if x.shape[-1] < self.conf.patch:
            x = F.pad(x, (0, self.conf.patch - x.shape[-1]))
        return x

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """Spectrogram ``(batch, 1, n_mels, frames)`` -> tokens ``(batch, 1 + n, dim)``."""
        t = self.patch_embed(x)
        grid = (t.shape[2], t.shape[3])
        t = t.flatten(2).transpose(1, 2)
        t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], 1) + self._pos(grid)
        for blk in self.blocks:
            t = blk(t)
        return self.final_norm(t), grid

    def forward(self, feats: torch.Tensor, mask: torch.Tensor | None = None):
        """``(batch, frames, n_mels)`` fbank -> ``(batch, n_classes)`` logits.

        With a ``(batch, frames, n_mels)`` bool ``mask``: the pretraining outputs of
        :func:`~toolkit.models.aed_layers.masked_forward` instead.
        """
        if mask is not None:
            return masked_forward(self, feats, mask)
        tokens, _ = self.encode(self.spectrogram(feats))
        return self.head(tokens[:, 0])

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Masked-patch pretraining: spectrogram ``(batch, 1, F, T)`` -> its
        reconstruction ``(batch, 1, F, T)`` from the patch tokens."""
        c = self.conf
        tokens, grid = self.encode(x)
        patches = self.recon_head(tokens[:, 1:]).transpose(1, 2)  # (b, p*p, n)
        size = ((grid[0] - 1) * c.fstride + c.patch, (grid[1] - 1) * c.tstride + c.patch)
        kw = {"kernel_size": c.patch, "stride": (c.fstride, c.tstride)}
        out = F.fold(patches, size, **kw)
        count = F.fold(torch.ones_like(patches[:1]), size, **kw)
        out = out / count
        return F.pad(out, (0, x.shape[-1] - size[1], 0, x.shape[-2] - size[0]))


def _init(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
