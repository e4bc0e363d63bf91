"""The separator's mask network as ONNX, checked against PyTorch with onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file
from toolkit.svs.config import SpecConfig


def export_separator(model: torch.nn.Module, spec: SpecConfig, out: str | Path,
                     opset: int = 17) -> Path:
    """Write the mask network to ``out``.

    The graph maps ``magnitudes`` (batch, freq_bins, frames), normalised patches as
    :func:`toolkit.svs.infer.predict_masks` feeds them, to ``masks`` (batch, 2,
    freq_bins, frames); batch and frames (a multiple of 64) are dynamic.
    """
    model = model.eval().cpu().float()
    x = torch.rand(1, spec.freq_bins, spec.patch_frames)
    with atomic_file(out) as tmp, torch.no_grad():
        try:
            torch.onnx.export(model, (x,), str(tmp), input_names=["magnitudes"],
                              output_names=["masks"], opset_version=opset, dynamo=False,
                              dynamic_axes={"magnitudes": {0: "batch", 2: "frames"},
                                            "masks": {0: "batch", 3: "frames"}})
        except Exception as e:  # an exporter failure is a bug report, not bad input
            raise UserError(f"ONNX export failed: {e}") from e
    return Path(out)


def check_separator(model: torch.nn.Module, path: str | Path, spec: SpecConfig,
                    batch: int = 3, seed: int = 0) -> float:
    """Max abs difference between onnxruntime's and PyTorch's masks on random patches.

    Two shapes are tried (``batch`` patches of ``patch_frames``, one of twice that) so
    that the dynamic axes are exercised.
    """
    import onnxruntime as ort

    model = model.eval().cpu().float()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(seed)
    err = 0.0
    for shape in ((batch, spec.freq_bins, spec.patch_frames),
                  (1, spec.freq_bins, 2 * spec.patch_frames)):
        x = torch.rand(shape, generator=g)
        with torch.inference_mode():
            ref = model(x).numpy()
        got = sess.run(["masks"], {"magnitudes": x.numpy()})[0]
        err = max(err, float(np.abs(got - ref).max()))
    return err
