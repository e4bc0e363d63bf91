"""The two attentions of DATAR's pyramid: local window attention and deformable attention.

Both take tokens ``(batch, H * W, dim)`` of an ``H x W`` feature map (``H``: mel
frequency, ``W``: time) and return the same shape.

:class:`DeformableAttention` follows the DATAR paper (Sec. 3.1) and the code of its
backbone, DAT (Xia et al., CVPR 2022):

- reference points: a uniform grid of ``H/r x W/r`` cell centres in [-1, 1];
- audio offset generator on the queries of each offset group: a 5 x 5 depth-wise
  convolution with stride ``r``, GELU, a 1 x 1 convolution to 2 offsets **without bias**;
  offsets bounded as ``s * tanh(.)`` in units of reference-grid cells;
- keys and values: the input features sampled bilinearly at ``p + dp``
  (``F.grid_sample``, Eq. 3), then projected (Eq. 2);
- deformable relative position bias: a ``(2H-1) x (2W-1)`` table per head, read by
  bilinear interpolation at the continuous query-key displacements (Eq. 4).

With ``deformable=False`` the offset generator is absent and keys and values are
sampled at the reference points themselves: the "without deformable" row of Table 4
(the same block and cost, minus the data-dependent shift).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _ref_points(h: int, w: int, device, dtype) -> torch.Tensor:
    """Cell centres of an ``h x w`` grid in [-1, 1], ``(h, w, 2)`` as (y, x)."""
    ys = (torch.arange(h, device=device, dtype=dtype) + 0.5) / h * 2 - 1
    xs = (torch.arange(w, device=device, dtype=dtype) + 0.5) / w * 2 - 1
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1)


class DeformableAttention(nn.Module):
    """Deformable multi-head attention (DAT/DATAR).

    Args:
        dim: channels.
        heads: attention heads (M).
        feat_size: ``(H, W)`` the relative-position table is made for (its size is
            ``(2H-1) x (2W-1)``; other maps read it at the same normalised offsets).
        groups: offset groups (each shares one set of offsets over its heads).
        stride: the reference grid's downsampling factor r.
        offset_range: s, the largest offset in reference-grid cells.
        kernel: the offset generator's depth-wise kernel (5 in the paper).
        deformable: False keeps the keys at the reference points (ablation).
    """

    def __init__(self, dim: int, heads: int, feat_size: tuple[int, int], groups: int = 1,
                 stride: int = 1, offset_range: float = 2.0, kernel: int = 5,
                 deformable: bool = True):
        super().__init__()
        if dim % heads or heads % groups:
            raise ValueError(f"dim {dim}, heads {heads}, groups {groups}: dim must divide by "
                             "heads and heads by groups")
        self.dim, self.heads, self.groups = dim, heads, groups
        self.head_dim, self.group_dim = dim // heads, dim // groups
        self.stride, self.offset_range, self.deformable = stride, offset_range, deformable
        self.scale = self.head_dim ** -0.5
        self.proj_q, self.proj_k = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj_v, self.proj_out = nn.Linear(dim, dim), nn.Linear(dim, dim)
        if deformable:
            gd = self.group_dim
            self.offset_net = nn.Sequential(
                nn.Conv2d(gd, gd, kernel, stride, kernel // 2, groups=gd),
                nn.GELU(),
                nn.Conv2d(gd, 2, 1, bias=False))  # no bias: no compulsive global shift
        h, w = feat_size
        self.rpe_table = nn.Parameter(torch.zeros(heads, 2 * h - 1, 2 * w - 1))
        nn.init.trunc_normal_(self.rpe_table, std=0.01)

    def key_grid(self, h: int, w: int) -> tuple[int, int]:
        """Size of the reference grid for an ``h x w`` map."""
        return max(1, -(-h // self.stride)), max(1, -(-w // self.stride))

    def sample_points(self, q: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """Deformed key positions ``(batch * groups, Hk, Wk, 2)`` as (y, x) in [-1, 1].

        Args:
            q: queries ``(batch, h * w, dim)``.
        """
        b = q.shape[0]
        hk, wk = self.key_grid(h, w)
        ref = _ref_points(hk, wk, q.device, q.dtype).expand(b * self.groups, hk, wk, 2)
        if not self.deformable:
            return ref
        qg = q.transpose(1, 2).reshape(b * self.groups, self.group_dim, h, w)
        off = self.offset_net(qg)  # (b*g, 2, hk', wk')
        if off.shape[-2:] != (hk, wk):
            off = F.interpolate(off, size=(hk, wk), mode="bilinear", align_corners=False)
        cell = torch.tensor([2.0 / hk, 2.0 / wk], device=q.device, dtype=q.dtype)
        off = self.offset_range * torch.tanh(off).permute(0, 2, 3, 1) * cell
        return ref + off

    def forward(self, x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        """``(batch, H * W, dim)`` -> ``(batch, H * W, dim)``."""
        b, n, c = x.shape
        h, w = hw
        q = self.proj_q(x)
        pos = self.sample_points(q, h, w)  # (b*g, hk, wk, 2) in (y, x)
        hk, wk = pos.shape[1:3]
        xg = x.transpose(1, 2).reshape(b * self.groups, self.group_dim, h, w)
        sampled = F.grid_sample(xg, pos.flip(-1), mode="bilinear", align_corners=False)
        sampled = sampled.reshape(b, c, hk * wk).transpose(1, 2)  # (b, ns, c)
        k, v = self.proj_k(sampled), self.proj_v(sampled)
        m, d = self.heads, self.head_dim
        q = q.view(b, n, m, d).transpose(1, 2)
        k = k.view(b, -1, m, d).transpose(1, 2)
        v = v.view(b, -1, m, d).transpose(1, 2)
        bias = self._position_bias(pos, b, h, w)
        z = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj_out(z.transpose(1, 2).reshape(b, n, c))

    def _position_bias(self, pos: torch.Tensor, b: int, h: int, w: int) -> torch.Tensor:
        """Deformable relative position bias ``(batch, heads, H*W, Hk*Wk)``."""
        g, m = self.groups, self.heads
        q_grid = _ref_points(h, w, pos.device, pos.dtype).reshape(1, h * w, 1, 2)
        disp = (q_grid - pos.reshape(b * g, 1, -1, 2)) * 0.5  # in [-1, 1]
        table = self.rpe_table[None].expand(b, -1, -1, -1).reshape(b * g, m // g,
                                                                    *self.rpe_table.shape[1:])
        bias = F.grid_sample(table, disp.flip(-1), mode="bilinear", align_corners=True)
        return bias.reshape(b, m, h * w, -1)


class WindowAttention(nn.Module):
    """Local multi-head attention in non-overlapping windows with Swin's relative
    position bias (the "L" blocks of DAT's pyramid).

    Args:
        dim: channels.
        heads: attention heads.
        window: window side (clipped to the map size; maps are zero-padded to whole windows).
    """

    def __init__(self, dim: int, heads: int, window: int = 7):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.rpe_table = nn.Parameter(torch.zeros(heads, 2 * window - 1, 2 * window - 1))
        nn.init.trunc_normal_(self.rpe_table, std=0.02)

    def _bias(self, wh: int, ww: int) -> torch.Tensor:
        ys, xs = torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
        ys, xs = ys.flatten(), xs.flatten()
        dy = ys[:, None] - ys[None] + self.window - 1
        dx = xs[:, None] - xs[None] + self.window - 1
        return self.rpe_table[:, dy.to(self.rpe_table.device), dx.to(self.rpe_table.device)]

    def forward(self, x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        """``(batch, H * W, dim)`` -> ``(batch, H * W, dim)``."""
        b, n, c = x.shape
        h, w = hw
        wh, ww = min(self.window, h), min(self.window, w)
        ph, pw = (-h) % wh, (-w) % ww
        x = F.pad(x.view(b, h, w, c), (0, 0, 0, pw, 0, ph))
        hp, wp = h + ph, w + pw
        win = x.view(b, hp // wh, wh, wp // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
        win = win.reshape(-1, wh * ww, c)
        m = self.heads
        q, k, v = self.qkv(win).view(win.shape[0], wh * ww, 3, m, c // m).permute(2, 0, 3, 1, 4)
        z = F.scaled_dot_product_attention(q, k, v, attn_mask=self._bias(wh, ww)[None])
        z = self.proj(z.transpose(1, 2).reshape(-1, wh * ww, c))
        z = z.view(b, hp // wh, wp // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
        return z.reshape(b, hp, wp, c)[:, :h, :w].reshape(b, n, c)
