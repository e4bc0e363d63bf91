"""Building blocks of the CRUSE echo cancellers (Braun et al. 2021; Indenbom et al. 2023).

Shared by :mod:`toolkit.models.cruse_aec` and :mod:`toolkit.models.align_cruse`:

- the STFT front end (16 kHz, square-root periodic Hann window of 20 ms, hop
  10 ms, DFT 320 -> 161 bins) with overlap-add synthesis, and the per-frame
  log power spectrum the networks read;
- the causal conv block (conv 4x3, stride 1x2, batch norm, ELU; the 3 past
  frames are its only context, so it runs frame by frame from a buffer);
- the skip block (1x1 conv), the transposed conv block (1x3, stride 1x2), the
  mask block (transposed 1x3 conv with one filter, sigmoid, a learnable gain);
- :class:`CruseDecoder`, the GRU bottleneck and decoder both models share.

Layout: feature maps are ``(batch, channels, time, freq)``. The networks use
160 frequency bins (the Nyquist bin is dropped, so that four stride-2 layers
give 160 -> 80 -> 40 -> 20 -> 10 bins); the Nyquist bin of the output takes
the mask of bin 159. Every block has an ``offline`` form over a whole clip and
a ``step`` form over one frame with explicit state; the two agree to float
rounding (tests/models/test_aec_models.py).
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

SAMPLE_RATE = SR_HZ = 16000
WIN = 320
HOP = 160
N_BINS = WIN // 2 + 1  # 161
NET_BINS = 160
KT = 4  # conv kernel length in time


def sqrt_hann(device=None, dtype=torch.float32) -> torch.Tensor:
    """Square root of the periodic Hann window ``(320,)`` (sums to 1 at 50 % overlap squared)."""
    return torch.hann_window(WIN, periodic=True, device=device, dtype=dtype).sqrt()


def stft(x: torch.Tensor) -> torch.Tensor:
    """Complex STFT ``(batch, frames, 161)`` of ``x (batch, samples)``.

    The signal is padded with one hop of zeros in front and zeros at the end to
    whole hops plus one; frame ``t`` covers samples ``[(t-1) hop, (t+1) hop)``,
    so a streaming implementation emits it as soon as block ``t`` has arrived.
    Frames: ``ceil(samples / 160) + 1``.
    """
    n = x.shape[-1]
    blocks = -(-n // HOP)
    x = F.pad(x, (HOP, (blocks + 1) * HOP - n))
    frames = x.unfold(-1, WIN, HOP)  # (batch, blocks + 1, 320)
    return torch.fft.rfft(frames * sqrt_hann(x.device, x.dtype), n=WIN)


def istft(spec: torch.Tensor, length: int) -> torch.Tensor:
    """Overlap-add inverse of :func:`stft`: ``(batch, frames, 161)`` -> ``(batch, length)``."""
    frames = torch.fft.irfft(spec, n=WIN) * sqrt_hann(spec.device, spec.real.dtype)
    b, t, _ = frames.shape
    out = frames.new_zeros(b, t + 1, HOP)
    out[:, :t] += frames[..., :HOP]
    out[:, 1:] += frames[..., HOP:]
    return out.reshape(b, -1)[:, HOP: HOP + length]


def log_power(spec: torch.Tensor) -> torch.Tensor:
    """Network input: ``log10(|X|^2 + 1e-9)`` of the first 160 bins, ``(..., 160)``."""
    s = spec[..., :NET_BINS]
    return torch.log10(s.real.square() + s.imag.square() + 1e-9)


def full_mask(mask: torch.Tensor) -> torch.Tensor:
    """``(..., 160)`` mask -> ``(..., 161)``: the Nyquist bin copies bin 159."""
    return torch.cat([mask, mask[..., -1:]], dim=-1)


class CausalConvBlock(nn.Module):
    """Conv 4x3 (time x freq), stride 1x2, batch norm, ELU; causal in time.

    Args:
        cin, cout: channels.
    """

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, (KT, 3), stride=(1, 2), padding=(0, 1))
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, cin, T, F)`` -> ``(B, cout, T, F/2)`` (3 zero frames of left context)."""
        return F.elu(self.norm(self.conv(F.pad(x, (0, 0, KT - 1, 0)))))

    def step(self, x: torch.Tensor, buf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame: ``x (B, cin, 1, F)``, ``buf (B, cin, 3, F)`` (past inputs) ->
        ``(y (B, cout, 1, F/2), new buf)``."""
        window = torch.cat([buf, x], dim=2)
        return F.elu(self.norm(self.conv(window))), window[:, :, 1:]


class SkipBlock(nn.Module):
    """1x1 convolution adapting encoder channels to the decoder input (added, CRUSE style)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class DeconvBlock(nn.Module):
    """Transposed conv 1x3 (stride 1x2, doubles the bins), batch norm, ELU."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, (1, 3), stride=(1, 2), padding=(0, 1),
                                       output_padding=(0, 1))
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, cin, T, F)`` -> ``(B, cout, T, 2F)``."""
        return F.elu(self.norm(self.conv(x)))


class MaskBlock(nn.Module):
    """Transposed conv 1x3 with one filter, sigmoid, times a learnable gain."""

    def __init__(self, cin: int):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, 1, (1, 3), stride=(1, 2), padding=(0, 1),
                                       output_padding=(0, 1))
        self.gain = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, cin, T, F)`` -> mask ``(B, T, 2F)``."""
        return torch.sigmoid(self.conv(x))[:, 0] * self.gain


class CruseDecoder(nn.Module):
    """GRU bottleneck, 3 skip + transposed-conv blocks, last skip and the mask block.

    Args:
        enc_channels: channels of the four encoder outputs (shallow to deep).
        dec_channels: filters of the three transposed conv blocks.
        bottleneck_bins: frequency bins at the bottleneck (10 for 160 input bins).
    """

    def __init__(self, enc_channels: list[int], dec_channels: list[int], bottleneck_bins: int):
        super().__init__()
        c_deep = enc_channels[-1]
        self.bins = bottleneck_bins
        hidden = c_deep * bottleneck_bins
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        # Decoder input depths: the GRU output (c_deep), then each deconv's output.
        ins = [c_deep, *dec_channels]
        self.skips = nn.ModuleList(SkipBlock(enc_channels[-1 - i], ins[i]) for i in range(4))
        self.deconvs = nn.ModuleList(DeconvBlock(ins[i], dec_channels[i]) for i in range(3))
        self.mask = MaskBlock(dec_channels[-1])

    def _decode(self, g: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        x = g
        for i in range(3):
            x = self.deconvs[i](x + self.skips[i](skips[-1 - i]))
        return self.mask(x + self.skips[3](skips[0]))

    def forward(self, skips: list[torch.Tensor]) -> torch.Tensor:
        """Encoder outputs (shallow to deep, ``(B, C_i, T, F_i)``) -> mask ``(B, T, 160)``."""
        deep = skips[-1]
        b, c, t, f = deep.shape
        g, _ = self.gru(deep.permute(0, 2, 1, 3).reshape(b, t, c * f))
        g = g.reshape(b, t, c, f).permute(0, 2, 1, 3)
        return self._decode(g, skips)

    def step(self, skips: list[torch.Tensor], h: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame (``T = 1``); ``h (1, B, hidden)`` -> ``(mask (B, 1, 160), new h)``."""
        deep = skips[-1]
        b, c, _, f = deep.shape
        g, h = self.gru(deep.reshape(b, 1, c * f), h)
        return self._decode(g.reshape(b, c, 1, f), skips), h


def n_params(model: nn.Module) -> int:
    """Number of parameters (what the paper's #Params column counts)."""
    return sum(p.numel() for p in model.parameters())


def pooled_bins(bins: int, pool: int = 4) -> int:
    """Frequency bins after max pooling with kernel ``pool`` (floor)."""
    return math.floor(bins / pool)


def _fold(conv: nn.Module, norm: nn.BatchNorm2d, transposed: bool) -> None:
    """Fold ``norm``'s eval-mode affine map into ``conv`` in place."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    shift = norm.bias - norm.running_mean * scale
    with torch.no_grad():
        w = conv.weight  # conv: (cout, cin, kt, kf); transposed: (cin, cout, kt, kf)
        conv.weight.copy_(w * (scale[None, :, None, None] if transposed
                               else scale[:, None, None, None]))
        bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
        conv.bias = nn.Parameter(bias * scale + shift)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An inference copy of ``model`` with every conv block's batch norm folded into its
    convolution (one op less per block per frame; same outputs to float rounding)."""
    model = copy.deepcopy(model).eval()
    for m in model.modules():
        if isinstance(m, CausalConvBlock | DeconvBlock) and isinstance(m.norm, nn.BatchNorm2d):
            _fold(m.conv, m.norm, transposed=isinstance(m, DeconvBlock))
            m.norm = nn.Identity()
    return model
