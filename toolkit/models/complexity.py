"""Multiply-accumulate counting for any model (the MACs the DATAR paper reports).

:func:`count_macs` runs one forward pass under ``torch.utils.flop_counter.FlopCounterMode``,
which counts the FLOPs of matrix products and convolutions from the operators actually
executed; MACs are half of those FLOPs. torch registers no formula for the CPU kernel of
``scaled_dot_product_attention``, so we add one: ``q k^T`` and ``attn v`` cost
``batch * heads * n_q * n_k * (d_qk + d_v)`` MACs. ``attention=False`` leaves the
attention products out, the convention under which AST-base on a 1024-frame clip costs
the 103.3 G MACs we measure against the paper's 103.4 G (fvcore-style counters skip
them). Element-wise work (norms, activations, softmax, bilinear sampling) is not counted.
"""

from __future__ import annotations

import torch


def _sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    b, h, nq, dq = query_shape
    nk, dv = key_shape[-2], value_shape[-1]
    return 2 * b * h * nq * nk * (dq + dv)


def _attention_ops() -> list:
    names = ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
             "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention")
    return [getattr(torch.ops.aten, n) for n in names if hasattr(torch.ops.aten, n)]


def count_macs(model: torch.nn.Module, input_shape: tuple[int, ...],
               attention: bool = True) -> int:
    """MACs of ``model(torch.zeros(input_shape))`` in eval mode, per call.

    Args:
        model: any module taking one tensor.
        input_shape: e.g. ``(1, frames, n_mels)`` for one clip.
        attention: count the attention products (``q k^T``, ``attn v``) too.
    """
    from torch.utils.flop_counter import FlopCounterMode

    mapping = {op: _sdpa_flops for op in _attention_ops()} if attention else {}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=mapping) as counter:
            model(torch.zeros(input_shape))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2
