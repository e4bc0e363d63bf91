"""Align-CRUSE: CRUSE with a built-in cross-attention delay alignment block.

Indenbom, Ristea, Saabas, Pärnamaa, Gužvin, Cutler (ICASSP 2023). The mic
branch has four causal conv blocks (16, 40, 72, 32 filters), the far-end branch
two (8, 24); after the second block the align block turns the far-end feature
maps into aligned ones, concatenated to the mic maps before the last two mic
blocks. Bottleneck GRU, skip blocks and decoder are CRUSE's
(:class:`toolkit.models.aec_blocks.CruseDecoder`).

Align block (per frame ``t``, delays ``d = 0 .. d_max - 1``, 10 ms each):

- max pooling 1x4 over frequency of the mic maps ``X_M (B, 40, T, 40)`` and the
  far-end maps ``X_F (B, 24, T, 40)``, flattened to ``(B, T, 400)`` / ``(B, T, 240)``;
- queries ``Q = W_q X_M'`` and keys ``K = W_k X_F'`` of size ``p``;
- ``s[t, d] = Q[t] . K[t - d] / sqrt(p)`` (``K`` zero-padded at the start);
- optionally (``smooth``, our addition, off in the paper's text) a causal
  ``kt x kd`` convolution over (time, delay) of ``s`` before the softmax, initialised
  to the mean over the last ``kt`` frames: one frame's dot products are noisy,
  evidence summed over a few frames is what a cross-correlation delay estimator uses;
- ``D[t] = softmax_d s[t]`` is the delay distribution;
- aligned far-end maps ``sum_d D[t, d] X_F[t - d]`` (a soft, not a hard, choice).

The sum over ``d`` (:func:`delay_weighted_sum`) is a banded matrix product per
block of frames instead of the ``(B, C, T, d_max)`` unfolded tensor, so training
memory stays that of the feature maps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from toolkit.models.aec_blocks import NET_BINS, CausalConvBlock, CruseDecoder, full_mask
from toolkit.registry import register_model


def delay_weighted_sum(x: torch.Tensor, w: torch.Tensor, block: int = 128) -> torch.Tensor:
    """``out[b, c, t] = sum_d w[b, t, d] x[b, c, t - d]`` (zero for ``t - d < 0``).

    Args:
        x: ``(B, C, T)`` feature maps; w: ``(B, T, D)`` weights per delay.
        block: frames per matrix product.

    Returns:
        ``(B, C, T)``.

    For each block of ``L`` frames the weights become a banded ``(L, L + D - 1)``
    matrix (row ``i`` holds ``w[t0 + i]`` reversed from column ``i``: a pad,
    reshape and cut skews the rows), and the block is one batched matrix product
    with the ``L + D - 1`` frames of ``x`` it reads. Autograd differentiates it as
    it stands; a loop over the delays cost 13x more on one CPU thread (training
    shapes: B 8, C 960, T 401, D 100).
    """
    b, _, t = x.shape
    d = w.shape[-1]
    xp = F.pad(x, (d - 1, 0))
    rev = w.flip(-1)
    outs = []
    for t0 in range(0, t, block):
        n = min(block, t - t0)
        band = F.pad(rev[:, t0:t0 + n], (0, n)).reshape(b, -1)[:, : n * (d + n - 1)]
        outs.append(torch.bmm(xp[..., t0:t0 + n + d - 1], band.reshape(b, n, d + n - 1).mT))
    return torch.cat(outs, -1)


class AlignBlock(nn.Module):
    """Cross-attention over delays between mic and far-end feature maps.

    Args:
        mic_dim: flattened size of the pooled mic maps (channels x bins / 4).
        far_dim: flattened size of the pooled far-end maps.
        proj: projection size ``p``.
        d_max: number of delays (frames) considered.
        pool: max-pooling kernel over frequency.
        smooth: ``(kt, kd)`` kernel of the causal smoothing of the scores over (time,
            delay); ``(1, 1)`` for none (the paper's text).
    """

    def __init__(self, mic_dim: int, far_dim: int, proj: int, d_max: int, pool: int = 4,
                 smooth: tuple[int, int] = (1, 1)):
        super().__init__()
        self.q = nn.Linear(mic_dim, proj)
        self.k = nn.Linear(far_dim, proj)
        self.d_max, self.pool, self.scale = d_max, pool, 1.0 / math.sqrt(proj)
        self.register_buffer("reverse", torch.arange(d_max - 1, -1, -1), persistent=False)
        self.kt, self.kd = int(smooth[0]), int(smooth[1])
        if self.kd % 2 == 0:
            raise ValueError(f"align smoothing kernel over delays must be odd, got {self.kd}")
        self.smooth = None
        if (self.kt, self.kd) != (1, 1):
            self.smooth = nn.Conv2d(1, 1, (self.kt, self.kd), bias=False)
            with torch.no_grad():
                self.smooth.weight.zero_()
                self.smooth.weight[0, 0, :, self.kd // 2] = 1.0 / self.kt

    def _smooth(self, scores: torch.Tensor, past: torch.Tensor | None) -> torch.Tensor:
        """``scores (B, T, d_max)`` (delay-indexed), ``past (B, kt-1, d_max)`` or None
        (zeros) -> smoothed ``(B, T, d_max)``."""
        if self.smooth is None:
            return scores
        if past is None:
            x = F.pad(scores, (0, 0, self.kt - 1, 0))
        else:
            x = torch.cat([past, scores], dim=1)
        x = F.pad(x[:, None], (self.kd // 2, self.kd // 2))
        return self.smooth(x)[:, 0]

    def _project(self, x: torch.Tensor, lin: nn.Linear) -> torch.Tensor:
        b, c, t, f = x.shape
        x = F.max_pool2d(x, (1, self.pool))
        return lin(x.permute(0, 2, 1, 3).reshape(b, t, -1))

    def forward(self, xm: torch.Tensor, xf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``xm (B, Cm, T, F)``, ``xf (B, Cf, T, F)`` ->
        ``(aligned (B, Cf, T, F), D (B, T, d_max))``."""
        q, k = self._project(xm, self.q), self._project(xf, self.k)  # (B, T, p)
        b, cf, t, f = xf.shape
        windows = F.pad(k, (0, 0, self.d_max - 1, 0)).unfold(1, self.d_max, 1)  # (B, T, p, dmax)
        scores = torch.einsum("btp,btpj->btj", q, windows) * self.scale
        scores = self._smooth(scores.index_select(-1, self.reverse), None)  # index = delay
        dist = torch.softmax(scores, dim=-1)
        flat = xf.permute(0, 1, 3, 2).reshape(b, cf * f, t)
        aligned = delay_weighted_sum(flat, dist)
        return aligned.reshape(b, cf, f, t).permute(0, 1, 3, 2), dist

    def step(self, xm: torch.Tensor, xf: torch.Tensor, kbuf: torch.Tensor, xbuf: torch.Tensor,
             sbuf: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                        torch.Tensor | None]:
        """One frame (``T = 1``). ``kbuf (B, d_max-1, p)`` past keys, ``xbuf (B, Cf*F, d_max-1)``
        past far-end maps, ``sbuf (B, kt-1, d_max)`` past scores (with ``smooth``) ->
        ``(aligned (B, Cf, 1, F), D (B, d_max), kbuf, xbuf, sbuf)``."""
        q, k = self._project(xm, self.q), self._project(xf, self.k)  # (B, 1, p)
        b, cf, _, f = xf.shape
        keys = torch.cat([kbuf, k], dim=1)  # (B, dmax, p), oldest first
        raw = torch.bmm(keys, q.transpose(1, 2))[..., 0] * self.scale  # (B, dmax), oldest first
        raw = raw.index_select(-1, self.reverse)[:, None]  # (B, 1, dmax), index = delay
        if self.smooth is not None:
            scores = self._smooth(raw, sbuf)[:, 0]
            sbuf = torch.cat([sbuf, raw], dim=1)[:, 1:]
        else:
            scores = raw[:, 0]
        dist = torch.softmax(scores, dim=-1)
        frames = torch.cat([xbuf, xf.permute(0, 1, 3, 2).reshape(b, cf * f, 1)], dim=2)
        aligned = torch.bmm(frames, dist.index_select(-1, self.reverse)[..., None])
        return aligned.reshape(b, cf, 1, f), dist, keys[:, 1:], frames[..., 1:], sbuf


@register_model("aec", "align_cruse")
class AlignCruse(nn.Module):
    """Align-CRUSE: mic and unaligned far-end log power spectra in, magnitude mask out."""

    @dataclass
    class Conf:
        """Hyperparameters (defaults: the paper's; ``proj`` is not given there).

        Attributes:
            mic_channels: filters of the four mic-branch conv blocks.
            far_channels: filters of the two far-end conv blocks.
            dec_channels: filters of the three transposed conv blocks.
            proj: query/key size ``p`` of the align block.
            d_max: delays considered, in 10-ms frames (100 = 1 s).
            pool: max-pooling kernel over frequency in the align block.
            smooth: ``[kt, kd]`` causal smoothing of the align scores over (time, delay)
                before the softmax; ``[1, 1]`` (the default, the paper's text) for none.
        """

        mic_channels: list[int] = field(default_factory=lambda: [16, 40, 72, 32])
        far_channels: list[int] = field(default_factory=lambda: [8, 24])
        dec_channels: list[int] = field(default_factory=lambda: [32, 48, 48])
        proj: int = 32
        d_max: int = 100
        pool: int = 4
        smooth: list[int] = field(default_factory=lambda: [1, 1])

    has_alignment = True

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        m, fa = conf.mic_channels, conf.far_channels
        self.mic_enc = nn.ModuleList([CausalConvBlock(1, m[0]), CausalConvBlock(m[0], m[1]),
                                      CausalConvBlock(m[1] + fa[1], m[2]),
                                      CausalConvBlock(m[2], m[3])])
        self.far_enc = nn.ModuleList([CausalConvBlock(1, fa[0]), CausalConvBlock(fa[0], fa[1])])
        bins = NET_BINS // 4 // conf.pool
        self.align = AlignBlock(m[1] * bins, fa[1] * bins, conf.proj, conf.d_max, conf.pool,
                                tuple(conf.smooth))
        self.dec = CruseDecoder(m, conf.dec_channels, NET_BINS // 16)

    def forward(self, mic: torch.Tensor, far: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Offline pass: ``mic, far (B, T, 160)`` -> ``(mask (B, T, 161), D (B, T, d_max))``."""
        xm, xf = mic[:, None], far[:, None]
        skips = []
        for block in self.mic_enc[:2]:
            xm = block(xm)
            skips.append(xm)
        for block in self.far_enc:
            xf = block(xf)
        aligned, dist = self.align(xm, xf)
        x = torch.cat([xm, aligned], dim=1)
        for block in self.mic_enc[2:]:
            x = block(x)
            skips.append(x)
        return full_mask(self.dec(skips)), dist

    def init_state(self, batch: int = 1) -> list[torch.Tensor]:
        """Zero state: 4 mic conv buffers, 2 far conv buffers, key and far-map buffers, GRU,
        and with ``smooth`` the past align scores."""
        p = next(self.parameters())
        m, fa, c = self.conf.mic_channels, self.conf.far_channels, self.conf
        mic_in = [1, m[0], m[1] + fa[1], m[2]]
        state = [p.new_zeros(batch, mic_in[i], 3, NET_BINS // 2**i) for i in range(4)]
        state += [p.new_zeros(batch, [1, fa[0]][i], 3, NET_BINS // 2**i) for i in range(2)]
        state += [p.new_zeros(batch, c.d_max - 1, c.proj),
                  p.new_zeros(batch, fa[1] * NET_BINS // 4, c.d_max - 1),
                  p.new_zeros(1, batch, self.dec.gru.hidden_size)]
        if self.align.smooth is not None:
            state.append(p.new_zeros(batch, self.align.kt - 1, c.d_max))
        return state

    def step(self, mic: torch.Tensor, far: torch.Tensor, state: list[torch.Tensor]
             ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """One 10-ms frame: ``mic, far (B, 160)`` -> ``(mask (B, 161), D (B, d_max), state)``."""
        xm, xf = mic[:, None, None], far[:, None, None]
        new = list(state)
        skips = []
        for i in range(2):
            xm, new[i] = self.mic_enc[i].step(xm, state[i])
            skips.append(xm)
            xf, new[4 + i] = self.far_enc[i].step(xf, state[4 + i])
        sbuf = state[9] if len(state) > 9 else None
        aligned, dist, new[6], new[7], sbuf = self.align.step(xm, xf, state[6], state[7], sbuf)
        if sbuf is not None:
            new[9] = sbuf
        x = torch.cat([xm, aligned], dim=1)
        for i in (2, 3):
            x, new[i] = self.mic_enc[i].step(x, state[i])
            skips.append(x)
        mask, new[8] = self.dec.step(skips, state[8])
        return full_mask(mask[:, 0]), dist, new
