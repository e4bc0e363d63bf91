"""Building blocks of the audio event models (AST, DATAR).

- :class:`Mlp` and :class:`TransformerBlock`: the pre-LN ViT block of AST and of the
  paper's Eq. (1), ``z' = MHSA(LN(z)) + z; z = MLP(LN(z')) + z'``.
- :class:`InputAdaptor`: DATAR's learnable input adaptor (Eq. 5),
  ``out = in + lambda * (b + W * in)``, and the Table 4 alternatives that add Gaussian or
  Laplacian noise to the input instead (training only).
- :func:`masked_forward`: the self-supervised masked-patch objective (mask given).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Mlp(nn.Module):
    """Two linear layers with GELU: ``(..., dim) -> (..., dim)``."""

    def __init__(self, dim: int, ratio: float = 4.0, dropout: float = 0.0):
        super().__init__()
        hidden = int(dim * ratio)
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


class MultiHeadSelfAttention(nn.Module):
    """Global multi-head self-attention over tokens ``(batch, n, dim)``."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by {heads} heads")
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        z = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training
                                           else 0.0)
        return self.proj(z.transpose(1, 2).reshape(b, n, c))


class TransformerBlock(nn.Module):
    """Pre-LN transformer block; ``attn`` defaults to global MHSA.

    Args:
        dim: token dimension.
        heads: attention heads.
        mlp_ratio: hidden size of the MLP relative to ``dim``.
        dropout: dropout in attention and MLP.
        drop_path: stochastic depth probability of both residual branches.
        attn: another attention module taking ``(batch, n, dim)`` plus keyword
            arguments (the pyramid's window or deformable attention).
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, dropout: float = 0.0,
                 drop_path: float = 0.0, attn: nn.Module | None = None):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = attn if attn is not None else MultiHeadSelfAttention(dim, heads, dropout)
        self.mlp = Mlp(dim, mlp_ratio, dropout)
        self.drop_path = drop_path

    def _drop(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_path == 0.0:
            return x
        keep = 1.0 - self.drop_path
        mask = x.new_empty(x.shape[0], *([1] * (x.dim() - 1))).bernoulli_(keep)
        return x * mask / keep

    def forward(self, x: torch.Tensor, **kw) -> torch.Tensor:
        """``(batch, n, dim) -> (batch, n, dim)``; ``kw`` goes to the attention."""
        x = x + self._drop(self.attn(self.norm1(x), **kw))
        return x + self._drop(self.mlp(self.norm2(x)))


class InputAdaptor(nn.Module):
    """What DATAR does to the spectrogram before the backbone (Table 4 rows).

    ``mode``:
      - ``learnable``: Eq. (5), ``out = in + lambda * (b + W * in)`` with ``W`` a
        ``kernel x kernel`` 2-D convolution over the input planes;
      - ``gaussian`` / ``laplacian``: ``in + noise`` with noise ``N(0, scale)`` /
        ``Laplace(0, scale)``, in training only (the perturbation baselines);
      - ``none``: identity.

    Args:
        mode: none | learnable | gaussian | laplacian.
        lam: lambda of Eq. (5) (the paper uses 0.005 and 0.2).
        scale: standard deviation (Gaussian) or scale (Laplacian) of the perturbation.
        channels: input planes (1 for a spectrogram).
        kernel: convolution size of ``W``.
    """

    MODES = ("none", "learnable", "gaussian", "laplacian")

    def __init__(self, mode: str = "learnable", lam: float = 0.005, scale: float = 0.005,
                 channels: int = 1, kernel: int = 3):
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f"input adaptor mode '{mode}' (known: {', '.join(self.MODES)})")
        self.mode, self.lam, self.scale = mode, lam, scale
        self.conv = nn.Conv2d(channels, channels, kernel, padding=kernel // 2) \
            if mode == "learnable" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, channels, freq, time)`` -> same shape."""
        if self.mode == "learnable":
            return x + self.lam * self.conv(x)  # the conv's bias is b of Eq. (5)
        if not self.training or self.mode == "none":
            return x
        if self.mode == "gaussian":
            return x + self.scale * torch.randn_like(x)
        # Laplace(0, b) by inverse transform sampling; u stays inside (-0.5, 0.5): rand can
        # return exactly 0, and log1p(-1) = -inf turned a training run into NaN
        eps = torch.finfo(x.dtype).eps
        u = torch.rand_like(x).clamp_(min=eps) - 0.5
        return x - self.scale * u.sign() * torch.log1p(-2 * u.abs())


def masked_forward(model: nn.Module, feats: torch.Tensor, mask: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The masked-spectrogram-patch objective of a model with ``spectrogram`` and
    ``reconstruct``: masked cells of the normalised input are set to 0 (the dataset
    mean) and the whole input is reconstructed.

    Args:
        feats: ``(batch, frames, n_mels)``.
        mask: ``(batch, frames, n_mels)`` bool, True where masked (the dataset draws it).

    Returns:
        (reconstruction, normalised input, mask), each ``(batch, 1, F, T)`` (the
        model's padded spectrogram layout; padding is never masked); the loss is taken
        where the mask is True.
    """
    x = model.spectrogram(feats)
    m = torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    f, t = min(mask.shape[2], x.shape[2]), min(mask.shape[1], x.shape[3])
    m[:, 0, :f, :t] = mask.transpose(1, 2)[:, :f, :t]
    return model.reconstruct(x.masked_fill(m, 0.0)), x, m
