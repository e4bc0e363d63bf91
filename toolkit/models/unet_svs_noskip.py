"""The paper's baseline: the U-Net of :mod:`toolkit.models.unet_svs` without skips.

"It resembles the U-Net model but without the skip connections, essentially
creating a convolutional encoder-decoder, similar to the Deconvnet" (Jansson
et al. 2017, section 4). Same layers, kernel, strides, batch norm, dropout and
sigmoid mask; each decoder layer sees only the output of the layer before it,
so every detail of the mask has to pass through the 8 x 2 bottleneck.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.models.unet_svs import UNetSVS
from toolkit.registry import register_model


@register_model("svs", "unet_svs_noskip")
class EncoderDecoderSVS(UNetSVS):
    """Two convolutional encoder-decoders (vocals, accompaniment) predicting masks.

    Input ``(batch, freq, time)``, output ``(batch, 2, freq, time)`` as
    :class:`~toolkit.models.unet_svs.UNetSVS`.
    """

    skip = False

    @dataclass
    class Conf:
        """Hyperparameters: those of the U-Net (see ``UNetSVS.Conf``)."""

        channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128, 256, 512])
        kernel: int = 5
        dropout: float = 0.5
        dropout_layers: int = 3
        leaky: float = 0.2
