"""Where DATAR's deformable attention moves its keys: offset statistics per block.

For every deformable ("D") block of a :class:`~toolkit.models.datar.DATAR`, on the
windows of some audio, :func:`offset_stats` reports

- ``map``: the token map ``[rows (mel), columns (time)]`` the block attends over;
- ``keys``: the reference grid ``[rows, columns]`` (the map downsampled by ``stride``);
- ``offset_range_cells``: s, the largest offset, in reference-grid cells (one cell is
  ``stride`` tokens);
- ``mean_abs_offset_cells``: the mean Euclidean length of the learned offsets, and
  ``mean_abs_dy_cells`` / ``mean_abs_dx_cells`` per axis, in reference-grid cells;
- ``share_off_map``: the share of deformed keys that lie outside the map (bilinear
  sampling reads zero padding there), and ``share_moved``: the share moved by at least
  half a cell (to another key's cell) without leaving the map.

A block whose map has one row cannot move a key along the mel axis without taking it off
the map; offsets averaging well under half a cell leave the keys where the fixed grid has
them (the "without deformable" ablation).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from toolkit.models.deformable_attention import DeformableAttention, _ref_points


def deformable_blocks(model: torch.nn.Module) -> list[tuple[int, int, DeformableAttention]]:
    """``(stage, block, attention)`` of every deformable block of a DATAR model."""
    stages = getattr(model, "stages", [])
    return [(i, j, blk.attn) for i, stage in enumerate(stages) for j, blk in enumerate(stage)
            if isinstance(getattr(blk, "attn", None), DeformableAttention)]


@torch.no_grad()
def offset_stats(model: torch.nn.Module, batches: Iterable[torch.Tensor]) -> list[dict[str, Any]]:
    """Offset statistics of each deformable block over ``batches`` of model inputs.

    Args:
        model: a DATAR model (eval mode).
        batches: fbank windows ``(batch, frames, n_mels)``.

    Returns:
        One dict per deformable block (see the module docstring), in network order.
    """
    blocks = deformable_blocks(model)
    sums = [dict.fromkeys(("n", "abs", "dy", "dx", "off", "moved"), 0.0) for _ in blocks]
    shapes: list[dict[str, Any]] = [{} for _ in blocks]
    captured: dict[int, tuple[torch.Tensor, tuple[int, int]]] = {}

    def hook(k: int):
        def pre(_module, args, kwargs):
            captured[k] = (args[0], kwargs["hw"])
        return pre

    handles = [attn.register_forward_pre_hook(hook(k), with_kwargs=True)
               for k, (_, _, attn) in enumerate(blocks)]
    try:
        for x in batches:
            captured.clear()
            model(x)
            for k, (_, _, attn) in enumerate(blocks):
                tokens, (h, w) = captured[k]
                pos = attn.sample_points(attn.proj_q(tokens), h, w)  # (b*g, hk, wk, 2)
                hk, wk = pos.shape[1:3]
                cell = torch.tensor([2.0 / hk, 2.0 / wk], dtype=pos.dtype)
                off = (pos - _ref_points(hk, wk, pos.device, pos.dtype)) / cell
                outside = (pos.abs() > 1).any(-1)
                s = sums[k]
                s["n"] += off[..., 0].numel()
                s["abs"] += float(off.norm(dim=-1).sum())
                s["dy"] += float(off[..., 0].abs().sum())
                s["dx"] += float(off[..., 1].abs().sum())
                s["off"] += float(outside.sum())
                s["moved"] += float(((off.abs() >= 0.5).any(-1) & ~outside).sum())
                shapes[k] = {"map": [h, w], "keys": [hk, wk]}
    finally:
        for handle in handles:
            handle.remove()
    out = []
    for (stage, block, attn), s, shape in zip(blocks, sums, shapes, strict=True):
        n = max(s["n"], 1.0)
        out.append({"stage": stage + 1, "block": block + 1, **shape, "stride": attn.stride,
                    "deformable": attn.deformable, "offset_range_cells": attn.offset_range,
                    "mean_abs_offset_cells": round(s["abs"] / n, 4),
                    "mean_abs_dy_cells": round(s["dy"] / n, 4),
                    "mean_abs_dx_cells": round(s["dx"] / n, 4),
                    "share_off_map": round(s["off"] / n, 4),
                    "share_moved": round(s["moved"] / n, 4)})
    return out
