"""DATAR: deformable audio transformer for audio event recognition (Zhu, 2024).

The spectrogram ``X`` (``h`` mel bins x ``T`` frames, as one input plane) goes through

1. the input adaptor (Eq. 5, :class:`~toolkit.models.aed_layers.InputAdaptor`):
   ``X + lambda * (b + W * X)``; the Table 4 ablations swap it for Gaussian or Laplacian
   input noise, or remove it;
2. a DAT-style pyramid (Xia et al. 2022, the backbone the paper follows): a 4 x 4
   stride-4 convolutional patch embedding, then four stages separated by 2 x 2 stride-2
   convolutions that halve the map and double the channels. Each stage stacks pre-LN
   transformer blocks whose attention is local window attention ("L") or deformable
   attention ("D", :class:`~toolkit.models.deformable_attention.DeformableAttention`:
   reference grid downsampled by ``r``, the audio offset generator, ``s * tanh`` bounded
   offsets, bilinearly sampled keys and values, deformable relative position bias);
   DAT places deformable blocks in the last two stages, alternating with local ones;
3. LayerNorm, global average pooling, a linear classifier (cross-entropy).

``deformable: false`` keeps every "D" block but fixes its keys on the reference grid
(Table 4, "without deformable").

Self-supervised pretraining (:meth:`DATAR.reconstruct`, SimMIM-style): a 1 x 1
convolution maps the last stage's features to the ``stride x stride`` input values
each position covers, rearranged back to the spectrogram (pixel shuffle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from toolkit.models.aed_layers import InputAdaptor, TransformerBlock, masked_forward
from toolkit.models.deformable_attention import DeformableAttention, WindowAttention
from toolkit.models.layers import FeatureNorm
from toolkit.registry import register_model


class ConvDown(nn.Module):
    """Strided convolution + LayerNorm: ``(b, c_in, H, W) -> (b, c_out, H/k, W/k)``."""

    def __init__(self, c_in: int, c_out: int, k: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride=k)
        self.norm = nn.LayerNorm(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@register_model("aed", "datar")
class DATAR(nn.Module):
    """Deformable audio transformer: ``(batch, frames, n_mels) -> (batch, n_classes)``."""

    @dataclass
    class Conf:
        """Hyperparameters (defaults: a DAT-T-shaped model, the paper's setting).

        Attributes:
            n_mels: fbank bins h.
            target_frames: frames T the relative position tables are sized for.
            n_classes: output classes.
            patch: stride of the patch embedding (DAT: 4).
            downs: stride of each stage's entry convolution (default ``[patch, 2, 2, 2]``);
                1 keeps the previous stage's map, so the deformable stages can see maps
                with enough rows and columns for an offset to move a key inside them.
            dims: channels per stage.
            heads: attention heads per stage.
            stage_spec: block types per stage, "L" (local window) or "D" (deformable);
                the length of each list is the stage depth.
            groups: offset groups per stage (used by "D" blocks).
            strides: reference-grid downsampling r per stage.
            offset_range: s per stage, the largest offset in reference cells.
            offset_kernel: depth-wise kernel of the offset generator (5 in the paper).
            window: window side of the "L" blocks.
            deformable: False fixes the keys at the reference points (ablation).
            adaptor: learnable | gaussian | laplacian | none (Table 4).
            adaptor_lambda: lambda of Eq. (5) (0.005 or 0.2).
            adaptor_kernel: size of W in Eq. (5).
            noise_scale: std / scale of the gaussian / laplacian perturbation (0.005).
            mlp_ratio: MLP hidden size / dim.
            dropout: dropout in the blocks.
            drop_path: stochastic depth (linearly increasing to this value).
        """

        n_mels: int = 128
        target_frames: int = 512
        n_classes: int = 10
        patch: int = 4
        downs: list[int] = field(default_factory=list)
        dims: list[int] = field(default_factory=lambda: [96, 192, 384, 768])
        heads: list[int] = field(default_factory=lambda: [3, 6, 12, 24])
        stage_spec: list[list[str]] = field(default_factory=lambda: [
            ["L", "L"], ["L", "L"], ["L", "D", "L", "D", "L", "D"], ["L", "D"]])
        groups: list[int] = field(default_factory=lambda: [1, 2, 3, 6])
        strides: list[int] = field(default_factory=lambda: [8, 4, 2, 1])
        offset_range: list[float] = field(default_factory=lambda: [1.0, 2.0, 3.0, 4.0])
        offset_kernel: int = 5
        window: int = 7
        deformable: bool = True
        adaptor: str = "learnable"
        adaptor_lambda: float = 0.005
        adaptor_kernel: int = 3
        noise_scale: float = 0.005
        mlp_ratio: float = 4.0
        dropout: float = 0.0
        drop_path: float = 0.2

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = c = conf
        n = len(c.dims)
        downs = list(c.downs) or [c.patch] + [2] * (n - 1)
        for name, value in (("heads", c.heads), ("stage_spec", c.stage_spec),
                            ("groups", c.groups), ("strides", c.strides),
                            ("offset_range", c.offset_range), ("downs", downs)):
            if len(value) != n:
                raise ValueError(f"model.conf.{name} needs {n} entries (one per stage)")
        if any(k < 1 for k in downs):
            raise ValueError(f"model.conf.downs {downs}: strides must be >= 1")
        self.norm = FeatureNorm(c.n_mels)
        self.adaptor = InputAdaptor(c.adaptor, c.adaptor_lambda, c.noise_scale,
                                    kernel=c.adaptor_kernel)
        self.downs = nn.ModuleList()
        self.stages = nn.ModuleList()
        depth = sum(len(s) for s in c.stage_spec)
        dpr = torch.linspace(0, c.drop_path, depth).tolist()
        size = (c.n_mels, c.target_frames)
        k = 0
        for i in range(n):
            self.downs.append(ConvDown(1 if i == 0 else c.dims[i - 1], c.dims[i], downs[i]))
            size = (max(1, size[0] // downs[i]), max(1, size[1] // downs[i]))
            blocks = nn.ModuleList()
            for kind in c.stage_spec[i]:
                if kind == "L":
                    attn = WindowAttention(c.dims[i], c.heads[i], c.window)
                elif kind == "D":
                    attn = DeformableAttention(c.dims[i], c.heads[i], size, c.groups[i],
                                               c.strides[i], c.offset_range[i],
                                               c.offset_kernel, c.deformable)
                else:
                    raise ValueError(f"model.conf.stage_spec: block type '{kind}' (L or D)")
                blocks.append(TransformerBlock(c.dims[i], c.heads[i], c.mlp_ratio, c.dropout,
                                               dpr[k], attn=attn))
                k += 1
            self.stages.append(blocks)
        self.final_norm = nn.LayerNorm(c.dims[-1])
        self.head = nn.Linear(c.dims[-1], c.n_classes)
        self.stride = math.prod(downs)
        self.recon_head = nn.Conv2d(c.dims[-1], self.stride ** 2, 1)  # pretraining only

    def spectrogram(self, feats: torch.Tensor) -> torch.Tensor:
        """Normalised input ``(batch, frames, n_mels) -> (batch, 1, n_mels, frames)``;
        padded (with the normalised mean, 0) to a whole multiple of the total stride."""
        x = self.norm(feats).transpose(1, 2).unsqueeze(1)
        s = self.stride
        return F.pad(x, (0, (-x.shape[-1]) % s, 0, (-x.shape[-2]) % s))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Spectrogram ``(batch, 1, F, T)`` -> last-stage map ``(batch, C, F/s, T/s)``
        (``s``: the total stride, the product of ``downs``)."""
        x = self.adaptor(x)
        for down, blocks in zip(self.downs, self.stages, strict=True):
            x = down(x)
            b, c, h, w = x.shape
            t = x.flatten(2).transpose(1, 2)
            for blk in blocks:
                t = blk(t, hw=(h, w))
            x = t.transpose(1, 2).reshape(b, c, h, w)
        return x

    def forward(self, feats: torch.Tensor, mask: torch.Tensor | None = None):
        """``(batch, frames, n_mels)`` fbank -> ``(batch, n_classes)`` logits.

        With a ``(batch, frames, n_mels)`` bool ``mask``: the pretraining outputs of
        :func:`~toolkit.models.aed_layers.masked_forward` instead.
        """
        if mask is not None:
            return masked_forward(self, feats, mask)
        x = self.encode(self.spectrogram(feats))
        return self.head(self.final_norm(x.flatten(2).mean(-1)))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Masked-patch pretraining: spectrogram ``(batch, 1, F, T)`` (F, T multiples of
        the total stride) -> reconstruction ``(batch, 1, F, T)``."""
        return F.pixel_shuffle(self.recon_head(self.encode(x)), self.stride)
