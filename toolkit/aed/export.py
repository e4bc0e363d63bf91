"""The aed classifier as ONNX: fbank windows in, logits and probabilities out.

The graph takes ``fbank`` ``(batch, target_frames, n_mels)`` float32 (the Kaldi
fbank of one window, as :meth:`toolkit.aed.infer.Classifier.features` computes it;
the batch axis is dynamic) and returns ``logits`` and ``probs`` ``(batch,
n_classes)`` (softmax, or sigmoid for multi-label models). The model's metadata
(``metadata_props``) holds what a user needs to feed it: ``classes`` and
``features`` (JSON), ``target_frames`` and ``multilabel``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from toolkit.aed.infer import Classifier
from toolkit.config import to_dict
from toolkit.errors import UserError
from toolkit.fsutil import atomic_file

OPSET = 17


class _Probs(nn.Module):
    """Logits and probabilities of a classifier."""

    def __init__(self, model: nn.Module, multilabel: bool):
        super().__init__()
        self.model, self.multilabel = model, multilabel

    def forward(self, fbank: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.model(fbank)
        probs = torch.sigmoid(logits) if self.multilabel else torch.softmax(logits, -1)
        return logits, probs


def export_onnx(clf: Classifier, out: str | Path) -> Path:
    """Write ``clf``'s model to ``out`` (ONNX, opset 17, dynamic batch, metadata)."""
    cfg = clf.cfg
    # a fresh wrapper is in training mode, and the exporter restores that mode afterwards
    model = _Probs(clf.model.cpu().float(), cfg.data.multilabel).eval()
    example = torch.zeros(2, cfg.data.target_frames, cfg.features.n_mels)
    with atomic_file(out) as tmp, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on Python constants: shapes are fixed
        try:
            torch.onnx.export(model, (example,), str(tmp), input_names=["fbank"],
                              output_names=["logits", "probs"], opset_version=OPSET,
                              dynamic_axes={"fbank": {0: "batch"}, "logits": {0: "batch"},
                                            "probs": {0: "batch"}}, dynamo=False)
        except Exception as e:  # an exporter failure is a bug report, not bad input
            raise UserError(f"ONNX export failed: {e}") from e
        proto = onnx.load(str(tmp))
        meta = {"classes": json.dumps(clf.classes), "features": json.dumps(to_dict(cfg.features)),
                "target_frames": str(cfg.data.target_frames),
                "multilabel": str(cfg.data.multilabel).lower(), "source": clf.source}
        for key, value in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, str(tmp))
    clf.model.to(clf.device).eval()
    return Path(out)


def check_onnx(clf: Classifier, path: str | Path, batch: int = 3, seed: int = 0) -> float:
    """Largest absolute difference of the probabilities of onnxruntime and PyTorch on
    ``batch`` random fbank windows."""
    cfg = clf.cfg
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, cfg.data.target_frames, cfg.features.n_mels, generator=g) * 3 - 8
    ref = clf.posteriors(x.numpy())
    probs = sess.run(["probs"], {"fbank": x.numpy()})[0]
    return float(np.abs(probs - ref).max())
