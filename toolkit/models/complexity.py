"""Multiply-accumulate counting for any model (the MACs the DATAR paper reports).

:func:`count_macs` runs one forward pass under ``torch.utils.flop_counter.FlopCounterMode``,
which counts the FLOPs of matrix products, convolutions and attention
(``scaled_dot_product_attention``) from the operators actually executed; MACs are half of
those FLOPs. Element-wise work (norms, activations, softmax, bilinear sampling) is not
counted, as in the usual fvcore/thop conventions the papers use.
"""

from __future__ import annotations

import torch


def count_macs(model: torch.nn.Module, input_shape: tuple[int, ...]) -> int:
    """MACs of ``model(torch.zeros(input_shape))`` in eval mode, per call.

    Args:
        model: any module taking one tensor.
        input_shape: e.g. ``(1, frames, n_mels)`` for one clip.
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(input_shape))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2
