"""Deep U-Nets for singing voice separation (Jansson et al., ISMIR 2017).

Two networks with the same architecture, one predicting a soft mask for the
vocals and one for the accompaniment, each from the normalised magnitude
spectrogram of the mixture (8192 Hz, window 1024, hop 768, the lowest 512 of
the 513 bins, patches of 128 frames).

Encoder: six strided 5x5 convolutions (stride 2), each followed by batch norm
and leaky ReLU (slope 0.2); channels 16, 32, 64, 128, 256, 512. Decoder: six
strided 5x5 transposed convolutions (stride 2) with batch norm and plain ReLU,
50 % dropout on the first three, the last one producing one channel through a
sigmoid. Skip connections concatenate each encoder output with the decoder
output of the same resolution (the U-Net of Isola et al., pix2pix, which the
paper follows). Every encoder layer has batch norm, as the paper says (pix2pix
leaves it out of the first).
Without ``skip`` the network is the paper's baseline, a plain convolutional
encoder-decoder (:mod:`toolkit.models.unet_svs_noskip`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from toolkit.registry import register_model

SOURCES = ("vocals", "accomp")


class MaskUNet(nn.Module):
    """One mask estimator: a U-Net (or, without skips, an encoder-decoder).

    Args:
        channels: encoder output channels, one per layer (the decoder mirrors them).
        kernel: convolution kernel size (square).
        dropout: dropout probability of the first ``dropout_layers`` decoder layers.
        dropout_layers: how many decoder layers (from the bottleneck) use dropout.
        leaky: negative slope of the encoder's leaky ReLU.
        skip: concatenate encoder outputs into the decoder (U-Net) or not (baseline).
    """

    def __init__(self, channels: list[int], kernel: int = 5, dropout: float = 0.5,
                 dropout_layers: int = 3, leaky: float = 0.2, skip: bool = True):
        super().__init__()
        self.skip = skip
        pad = kernel // 2
        self.encoder = nn.ModuleList()
        c_in = 1
        for c in channels:
            layers: list[nn.Module] = [nn.Conv2d(c_in, c, kernel, stride=2, padding=pad),
                                       nn.BatchNorm2d(c), nn.LeakyReLU(leaky)]
            self.encoder.append(nn.Sequential(*layers))
            c_in = c
        self.decoder = nn.ModuleList()
        outs = list(reversed(channels[:-1])) + [1]
        for i, c in enumerate(outs):
            c_dec = c_in if i == 0 or not skip else 2 * c_in
            layers = [nn.ConvTranspose2d(c_dec, c, kernel, stride=2, padding=pad,
                                         output_padding=1)]
            if i < len(outs) - 1:
                layers += [nn.BatchNorm2d(c), nn.ReLU()]
                if i < dropout_layers and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.decoder.append(nn.Sequential(*layers))
            c_in = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mask logits of one source.

        Args:
            x: (batch, 1, freq, time) normalised magnitudes; freq and time divisible by
                2 ** len(channels).

        Returns:
            (batch, 1, freq, time) logits (apply a sigmoid for the mask).
        """
        skips = []
        h = x
        for layer in self.encoder:
            h = layer(h)
            skips.append(h)
        for i, layer in enumerate(self.decoder):
            if i > 0 and self.skip:
                h = torch.cat([h, skips[-1 - i]], dim=1)
            h = layer(h)
        return h


@register_model("svs", "unet_svs")
class UNetSVS(nn.Module):
    """Two U-Nets, Theta_v for the vocals and Theta_i for the accompaniment.

    They share nothing but the input; trained together, the summed L1 losses
    give each network exactly the gradient of its own loss.
    """

    skip = True

    @dataclass
    class Conf:
        """Hyperparameters (the paper's by default).

        Attributes:
            channels: encoder channels per layer; six layers take 512 bins to 8.
            kernel: kernel size of every (transposed) convolution.
            dropout: dropout of the first ``dropout_layers`` decoder layers.
            dropout_layers: decoder layers with dropout.
            leaky: leaky ReLU slope of the encoder.
        """

        channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128, 256, 512])
        kernel: int = 5
        dropout: float = 0.5
        dropout_layers: int = 3
        leaky: float = 0.2

    def __init__(self, conf: Conf):
        super().__init__()
        self.conf = conf
        self.factor = 2 ** len(conf.channels)
        self.nets = nn.ModuleDict({s: MaskUNet(conf.channels, conf.kernel, conf.dropout,
                                               conf.dropout_layers, conf.leaky, self.skip)
                                   for s in SOURCES})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Soft masks of both sources.

        Args:
            x: (batch, freq, time) or (batch, 1, freq, time) mixture magnitudes in [0, 1].

        Returns:
            (batch, 2, freq, time) masks in [0, 1]: vocals, then accompaniment.
        """
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return torch.cat([torch.sigmoid(self.nets[s](x)) for s in SOURCES], dim=1)
