"""ONNX export of the streaming CRUSE-family models (one 10-ms frame per call).

The exported graph is the model's :meth:`step`: inputs ``mic`` and ``far``
(log power spectra ``(1, 160)``) and the state tensors ``state0 .. stateK``;
outputs ``mask (1, 161)``, for Align-CRUSE ``delay (1, d_max)``, then the new
state ``new_state0 ..`` in the same order. A host application keeps the state
between calls, frames the audio (square-root Hann 320, hop 160) and applies the
mask, as :class:`toolkit.aec.streaming.OnnxAecStreamer` does in numpy.

The file carries what that host loop needs as metadata (:data:`METADATA`:
sample rate, hop, window, the feature formula, the output delay), so an
application can check that its framing matches the model's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file
from toolkit.models.aec_blocks import HOP, NET_BINS, SAMPLE_RATE, WIN, fold_batchnorm

#: ``format`` metadata value of the exported step (checked by the host loop).
FORMAT = "sptk-aec-step/1"
#: Metadata written into every exported file (strings, as ONNX stores them).
METADATA = {
    "format": FORMAT,
    "sample_rate": str(SAMPLE_RATE),
    "hop": str(HOP),
    "win": str(WIN),
    "window": f"sqrt of the periodic Hann window of {WIN} samples (analysis and synthesis)",
    "feature_bins": str(NET_BINS),
    "feature": f"log10(re^2 + im^2 + 1e-9) of bins 0..{NET_BINS - 1} of "
               f"rfft(window * frame, n={WIN}); frame = previous {HOP} + new {HOP} samples",
    "inputs": "mic, far: features (1, 160) float32; stateK: the previous call's new_stateK "
              "(zeros at the start)",
    "outputs": f"mask (1, {WIN // 2 + 1}) multiplies the mic spectrum; delay (1, d_max) "
               "(Align-CRUSE) the delay distribution in 10-ms steps; new_stateK",
    "synthesis": "irfft(mask * mic spectrum) * window, overlap-add with hop",
    "output_delay_samples": str(HOP),
}


class _Step(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, mic, far, *state):
        mask, dist, new = self.model.step(mic, far, list(state))
        return (mask, *([dist] if dist is not None else []), *new)


def _names(model: nn.Module) -> tuple[list[str], list[str], int]:
    n = len(model.init_state(1))
    outs = ["mask"] + (["delay"] if getattr(model, "has_alignment", False) else [])
    return ["mic", "far", *[f"state{i}" for i in range(n)]], \
        outs + [f"new_state{i}" for i in range(n)], n


def export_step(model: nn.Module, out: str | Path) -> Path:
    """Write the one-frame streaming graph of ``model`` to ``out`` (opset 17, :data:`METADATA`)."""
    model = fold_batchnorm(model.eval().cpu().float())  # batch norms folded into the convs
    inputs, outputs, _ = _names(model)
    args = (torch.zeros(1, 160), torch.zeros(1, 160), *model.init_state(1))
    with atomic_file(out) as tmp, torch.no_grad():
        try:
            torch.onnx.export(_Step(model), args, str(tmp), input_names=inputs,
                              output_names=outputs, opset_version=17, dynamo=False)
        except Exception as e:  # an exporter failure is a bug report, not bad input
            raise UserError(f"ONNX export failed: {e}") from e
        import onnx  # here, not at the top: the model registry imports this module

        graph = onnx.load(str(tmp))
        for key, value in METADATA.items():
            graph.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
        onnx.save(graph, str(tmp))
    return Path(out)


def check_onnx(model: nn.Module, path: str | Path, frames: int = 200, seed: int = 0) -> float:
    """Max abs difference of the masks of onnxruntime and PyTorch over ``frames`` random frames."""
    model = model.eval().cpu().float()
    inputs, _, n = _names(model)
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(seed)
    state = model.init_state(1)
    ort_state = [s.numpy() for s in state]
    err = 0.0
    with torch.no_grad():
        for _ in range(frames):
            mic = torch.randn(1, 160, generator=g) * 2 - 4
            far = torch.randn(1, 160, generator=g) * 2 - 4
            mask, _, state = model.step(mic, far, state)
            res = sess.run(None, dict(zip(inputs, [mic.numpy(), far.numpy(), *ort_state],
                                          strict=True)))
            ort_state = res[-n:]
            err = max(err, float(np.abs(res[0] - mask.numpy()).max()))
    return err
