"""U-Net on the complex STFT estimating speech and noise, with a bottleneck domain classifier.

The model of Frenkel, Goldberger and Chazan, "Domain adaptation for speech
enhancement in a large domain gap" (Interspeech 2023), section 3: the noisy
waveform goes through a 512-point STFT (Hamming window, hop 256, 16 kHz); the
real and imaginary parts are the two input channels of a U-Net
(Ronneberger et al. 2015) whose output holds real and imaginary maps for the
speech and for the noise; both are brought back to waveforms with the inverse
STFT. The domain classifier reads the U-Net bottleneck: two convolutions with a
PReLU between them, then the mean over time, one logit (source vs target).

Details the paper leaves open, and what we chose (recipes/se/README.md):

- the waveform is scaled to unit RMS before the STFT and the outputs are scaled
  back, so the network sees one level whatever the input gain (the SI-SDR loss
  is scale-invariant anyway);
- the output maps are complex masks applied to the noisy STFT, their magnitude
  bounded by ``tanh`` (DCCRN's "E" mask), rather than unbounded spectra: it
  trains in far fewer steps, which matters on CPU budgets;
- encoder levels halve the frequency axis (257 -> 129 -> 65 -> 33 -> 17 bins)
  and keep the time resolution; the bottleneck adds temporal context with
  dilated 1-D convolutions over time (a U-Net over frequency alone sees
  only a few frames); GroupNorm (one group) rather than BatchNorm, so
  mixing source and target items in a batch never changes stored statistics;
- optionally (``rnn`` > 0, not in the paper) a bidirectional GRU over the
  bottleneck frames adds context beyond the convolutions' half a second, as
  in the convolutional recurrent network of Tan and Wang (Interspeech 2018).
  It is a residual branch whose output layer starts at zero, so a model
  without it initialises one with it to the same function (a warm start that
  adds capacity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from toolkit.errors import ConfigError
from toolkit.registry import register_model

EPS = 1e-8
#: where the domain classifier may look (``UNetSE.Conf.domain_layer``)
DOMAIN_LAYERS = ("encoder", "tcn")


class GradientReversal(torch.autograd.Function):
    """Identity forward; multiplies the gradient by ``-coeff`` backward (Ganin et al. 2016)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, coeff: float) -> torch.Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.coeff * grad, None


def grad_reverse(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    """Gradient reversal layer: ``x`` unchanged, gradients negated (and scaled)."""
    return GradientReversal.apply(x, coeff)


class DomainClassifier(nn.Module):
    """Two 1-D convolutions over time with a PReLU between, then the mean over time.

    Args:
        in_dim: bottleneck features per frame (channels x frequency bins).
        hidden: channels of the first convolution.
        norm: standardise each input feature first (batch statistics, no affine), so an
            encoder cannot hide the domains from it by shrinking the features that
            carry them (not in the paper).
    """

    def __init__(self, in_dim: int, hidden: int = 128, norm: bool = False):
        super().__init__()
        self.norm = nn.BatchNorm1d(in_dim, affine=False) if norm else nn.Identity()
        self.conv1 = nn.Conv1d(in_dim, hidden, 3, padding=1)
        self.act = nn.PReLU(hidden)
        self.conv2 = nn.Conv1d(hidden, 1, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(batch, in_dim, frames)`` bottleneck -> ``(batch,)`` logits of 'target domain'."""
        return self.conv2(self.act(self.conv1(self.norm(z)))).mean(dim=(1, 2))


class ResidualBiGRU(nn.Module):
    """``h + W · BiGRU(h)`` over frames, with ``W`` zero at initialisation.

    Args:
        dim: channels of the bottleneck sequence.
        hidden: GRU units per direction.
    """

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.gru = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """``(batch, dim, frames)`` -> same shape."""
        y, _ = self.gru(h.transpose(1, 2))
        return h + self.out(y).transpose(1, 2)


@register_model("se", "unet_se")
class UNetSE(nn.Module):
    """Complex-STFT U-Net: noisy waveform -> (speech, noise) waveforms and the bottleneck."""

    @dataclass
    class Conf:
        """Hyperparameters.

        Attributes:
            n_fft: STFT size (512 at 16 kHz: 257 bins).
            hop: STFT hop in samples.
            channels: encoder channels per level (each level halves frequency).
            bottleneck: channels of the temporal convolutions in the bottleneck.
            dilations: dilations of the bottleneck's residual 1-D convolutions over time.
            classifier_hidden: channels of the domain classifier's first convolution.
            domain_layer: the features the domain classifier (and DANN's gradient
                reversal) sees: ``encoder`` (the encoder output, the paper's
                bottleneck) or ``tcn`` (after the temporal convolutions and the GRU,
                before the output projection; a departure tried for issue 14).
            classifier_norm: standardise the classifier's input features (see
                :class:`DomainClassifier`; not in the paper).
            rnn: GRU units per direction of the residual bidirectional GRU after the
                temporal convolutions (0: none, the paper's model).
        """

        n_fft: int = 512
        hop: int = 256
        channels: list[int] = field(default_factory=lambda: [16, 32, 48, 64])
        bottleneck: int = 256
        dilations: list[int] = field(default_factory=lambda: [1, 2, 4, 8])
        classifier_hidden: int = 128
        domain_layer: str = "encoder"
        classifier_norm: bool = False
        rnn: int = 0

    #: parameters a warm start may lack: they start as the identity (see ResidualBiGRU)
    WARM_START_OPTIONAL = ("rnn.",)

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        self.register_buffer("window", torch.hamming_window(conf.n_fft), persistent=False)
        chans = [2, *conf.channels]
        self.enc = nn.ModuleList(
            nn.Sequential(nn.Conv2d(chans[i], chans[i + 1], 3, stride=(2, 1), padding=1),
                          nn.GroupNorm(1, chans[i + 1]), nn.PReLU(chans[i + 1]))
            for i in range(len(conf.channels)))
        freq = conf.n_fft // 2 + 1
        for _ in conf.channels:
            freq = (freq - 1) // 2 + 1
        self.bottleneck_dim = conf.channels[-1] * freq
        b = conf.bottleneck
        self.proj_in = nn.Conv1d(self.bottleneck_dim, b, 1)
        self.tcn = nn.ModuleList(
            nn.Sequential(nn.Conv1d(b, b, 3, padding=d, dilation=d), nn.GroupNorm(1, b),
                          nn.PReLU(b)) for d in conf.dilations)
        self.rnn = ResidualBiGRU(b, conf.rnn) if conf.rnn > 0 else None
        self.proj_out = nn.Conv1d(b, self.bottleneck_dim, 1)
        dec_out = [*conf.channels[:-1][::-1], 4]
        dec_in = conf.channels[::-1]
        self.dec = nn.ModuleList()
        for i, (ci, co) in enumerate(zip(dec_in, dec_out, strict=True)):
            layers: list[nn.Module] = [nn.ConvTranspose2d(2 * ci, co, 3, stride=(2, 1),
                                                          padding=1)]
            if i < len(dec_in) - 1:
                layers += [nn.GroupNorm(1, co), nn.PReLU(co)]
            self.dec.append(nn.Sequential(*layers))
        if conf.domain_layer not in DOMAIN_LAYERS:
            raise ConfigError(f"model.conf.domain_layer: {conf.domain_layer!r} is not one of "
                              f"{', '.join(DOMAIN_LAYERS)}")
        dim = self.bottleneck_dim if conf.domain_layer == "encoder" else b
        self.classifier = DomainClassifier(dim, conf.classifier_hidden, conf.classifier_norm)

    # ------------------------------------------------------------------ STFT
    def stft(self, wave: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> complex ``(batch, freq, frames)``."""
        return torch.stft(wave, self.conf.n_fft, self.conf.hop, window=self.window,
                          return_complex=True)

    def istft(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        """Complex ``(batch, freq, frames)`` -> ``(batch, length)``."""
        return torch.istft(spec, self.conf.n_fft, self.conf.hop, window=self.window,
                           length=length)

    # ------------------------------------------------------------------ parts
    def encode(self, spec: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Complex ``(batch, freq, frames)`` -> bottleneck ``(batch, dim, frames)`` and skips."""
        x = torch.stack([spec.real, spec.imag], dim=1)  # (batch, 2, freq, frames)
        skips = []
        for layer in self.enc:
            x = layer(x)
            skips.append(x)
        b, c, f, t = x.shape
        return x.reshape(b, c * f, t), skips

    def temporal(self, z: torch.Tensor) -> torch.Tensor:
        """Bottleneck ``(batch, dim, frames)`` -> ``(batch, bottleneck, frames)`` after the
        temporal convolutions (and the GRU)."""
        h = self.proj_in(z)
        for layer in self.tcn:
            h = h + layer(h)
        return self.rnn(h) if self.rnn is not None else h

    def decode_masks(self, h: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        """:meth:`temporal` features -> masks ``(batch, 4, freq, frames)``."""
        x = self.proj_out(h).reshape(skips[-1].shape)
        for layer, skip in zip(self.dec, skips[::-1], strict=True):
            x = layer(torch.cat([x, skip], dim=1))
        return x

    def forward(self, noisy: torch.Tensor) -> dict[str, torch.Tensor]:
        """Enhance a batch of waveforms.

        Args:
            noisy: ``(batch, samples)`` waveforms at 16 kHz.

        Returns:
            ``speech`` and ``noise``: ``(batch, samples)`` estimates (input scale);
            ``bottleneck``: ``(batch, dim, frames)`` the classifier's input (the
            ``domain_layer``'s features).
        """
        n = noisy.shape[-1]
        scale = noisy.pow(2).mean(dim=-1, keepdim=True).sqrt() + EPS
        spec = self.stft(noisy / scale)
        z, skips = self.encode(spec)
        h = self.temporal(z)
        m = self.decode_masks(h, skips)
        out = {"bottleneck": z if self.conf.domain_layer == "encoder" else h}
        for name, (re, im) in (("speech", (0, 1)), ("noise", (2, 3))):
            mask = torch.complex(m[:, re], m[:, im])
            mag = mask.abs()
            mask = mask * (torch.tanh(mag) / (mag + EPS))
            out[name] = self.istft(mask * spec, n) * scale
        return out

    @torch.no_grad()
    def negate_outputs(self) -> None:
        """Flip the sign of both estimates (the last layer's weights and bias negated).

        ``tanh``-bounding keeps a mask's phase, so the model then returns exactly
        ``-speech`` and ``-noise``: a model trained on sign-blind SI-SDR that came
        out polarity-inverted becomes the same model with the right sign.
        """
        last = self.dec[-1][0]
        last.weight.neg_()
        last.bias.neg_()

    def bottleneck(self, noisy: torch.Tensor) -> torch.Tensor:
        """The domain classifier's input: ``(batch, samples)`` -> ``(batch, dim, frames)``
        (the encoder alone, or with the temporal part for ``domain_layer`` ``tcn``)."""
        scale = noisy.pow(2).mean(dim=-1, keepdim=True).sqrt() + EPS
        z = self.encode(self.stft(noisy / scale))[0]
        return z if self.conf.domain_layer == "encoder" else self.temporal(z)

    def domain_logits(self, bottleneck: torch.Tensor, reverse: float = 0.0) -> torch.Tensor:
        """Classifier logits ``(batch,)`` of 'target domain'.

        Args:
            bottleneck: ``(batch, dim, frames)`` from :meth:`forward`.
            reverse: 0 to train the classifier alone (the encoder gets no gradient
                from it); > 0 puts a gradient reversal layer of that coefficient in
                front (DANN: the encoder learns to confuse the classifier).
        """
        z = grad_reverse(bottleneck, reverse) if reverse > 0 else bottleneck.detach()
        return self.classifier(z)
