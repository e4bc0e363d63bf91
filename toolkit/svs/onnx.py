"""The separator's mask network as ONNX: export, check, and run without torch.

A packed svs model carries ``separator.onnx`` beside ``model.pt`` (written by
``sptk-cli pack``, weights stored in float16 and cast to float32 when
onnxruntime loads them, so the file is no larger than the checkpoint).
``sptk-cli separate`` on the CPU runs it through :class:`OnnxMasker` with the
numpy STFT of :mod:`toolkit.dsp.stft_np` and never imports torch: torch's import
alone took 1.2 s of a 4-s separation of a 3-minute song. The file records the
SHA-256 of the ``model.pt`` it was made from; :func:`bundled_masker` ignores a
file that does not match its checkpoint.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file
from toolkit.svs.config import SpecConfig

log = logging.getLogger(__name__)
BUNDLED = "separator.onnx"
SOURCE_KEY = "sptk_source_sha256"


def export_separator(model: Any, spec: SpecConfig, out: str | Path, opset: int = 17,
                     fp16_weights: bool = False, source: str | Path | None = None) -> Path:
    """Write the mask network to ``out``.

    The graph maps ``magnitudes`` (batch, freq_bins, frames), normalised patches as
    :func:`toolkit.svs.infer.predict_masks` feeds them, to ``masks`` (batch, 2,
    freq_bins, frames); batch and frames (a multiple of 64) are dynamic.

    Args:
        fp16_weights: store float weights as float16 (cast back to float32 inside the
            graph; computation stays float32): half the file.
        source: the checkpoint the weights came from; its SHA-256 goes into the
            file's metadata (``sptk_source_sha256``).
    """
    import torch

    model = model.eval().cpu().float()
    x = torch.rand(1, spec.freq_bins, spec.patch_frames)
    with atomic_file(out) as tmp, torch.no_grad():
        try:
            torch.onnx.export(model, (x,), str(tmp), input_names=["magnitudes"],
                              output_names=["masks"], opset_version=opset, dynamo=False,
                              # folding batch norm into the convolutions would leave weights
                              # that float16 cannot hold; onnxruntime fuses them at load
                              do_constant_folding=not fp16_weights,
                              dynamic_axes={"magnitudes": {0: "batch", 2: "frames"},
                                            "masks": {0: "batch", 3: "frames"}})
        except Exception as e:  # an exporter failure is a bug report, not bad input
            raise UserError(f"ONNX export failed: {e}") from e
        if fp16_weights or source is not None:
            _rewrite(tmp, fp16_weights, source)
    return Path(out)


def _rewrite(path: Path, fp16_weights: bool, source: str | Path | None) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(path))
    g = m.graph
    if fp16_weights:
        casts = []
        for init in g.initializer:
            if init.data_type != TensorProto.FLOAT or np.prod(init.dims) < 16:
                continue
            name = init.name
            half = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(half, f"{name}__fp16"))
            casts.append(helper.make_node("Cast", [f"{name}__fp16"], [name],
                                          to=TensorProto.FLOAT, name=f"{name}__cast"))
        nodes = casts + list(g.node)
        del g.node[:]
        g.node.extend(nodes)
    if source is not None:
        onnx.helper.set_model_props(m, {SOURCE_KEY: sha256(source)})
    onnx.save(m, str(path))


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (10 MB: about 20 ms)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class OnnxMasker:
    """An exported mask network under onnxruntime, as a :data:`toolkit.svs.infer.Masker`.

    Args:
        path: the ONNX file. threads: intra-op threads (0: onnxruntime's default,
            one per core).
    """

    def __init__(self, path: str | Path, threads: int = 0):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), opts,
                                            providers=["CPUExecutionProvider"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(batch, freq_bins, frames) float32 -> (batch, 2, freq_bins, frames) masks."""
        return self.session.run(["masks"], {"magnitudes": np.asarray(x, np.float32)})[0]


def bundled_masker(model_dir: str | Path, threads: int = 0) -> OnnxMasker | None:
    """The masker of ``model_dir/separator.onnx`` when that file was made from
    ``model_dir/model.pt``; None when there is none, or it is stale (said once)."""
    path, ckpt = Path(model_dir) / BUNDLED, Path(model_dir) / "model.pt"
    if not (path.is_file() and ckpt.is_file()):
        return None
    masker = OnnxMasker(path, threads)
    props = masker.session.get_modelmeta().custom_metadata_map
    if props.get(SOURCE_KEY) != sha256(ckpt):
        log.warning("%s was not made from %s (checksums differ); using PyTorch. Rebuild it "
                    "with: sptk-cli svs export-onnx --model %s --bundle", path, ckpt, model_dir)
        return None
    return masker


def torch_free_cpu(device: str) -> bool:
    """Whether ``--device`` means the CPU without asking torch: ``cpu``, or ``auto`` on a
    machine without an NVIDIA driver (where CUDA cannot be available)."""
    if device == "cpu":
        return True
    return device == "auto" and not Path("/proc/driver/nvidia/version").exists()


def load_onnx_bundle(model_dir: str | Path, required: bool = False,
                     threads: int = 0) -> tuple[Any, OnnxMasker] | None:
    """``(SVSConfig, OnnxMasker)`` of a packed svs model with a current ``separator.onnx``.

    Returns None when the folder is not such a model (the caller falls back to
    PyTorch, whose loader explains what is wrong with the folder).

    Raises:
        UserError: ``required`` and no usable ONNX network.
    """
    from toolkit.config import from_dict, read_yaml
    from toolkit.svs.config import SVSConfig

    model_dir = Path(model_dir)
    meta, conf = model_dir / "meta.yaml", model_dir / "config.yaml"
    task = read_yaml(meta, allow_empty=True).get("task") if meta.is_file() else None
    masker = bundled_masker(model_dir, threads) if task == "svs" and conf.is_file() else None
    if masker is None:
        if required:
            raise UserError(f"--engine onnx: {model_dir} has no current {BUNDLED} (a packed "
                            f"svs model); make one with: sptk-cli svs export-onnx --model "
                            f"{model_dir} --bundle")
        return None
    return from_dict(SVSConfig, read_yaml(conf)), masker


def check_separator(model: Any, path: str | Path, spec: SpecConfig,
                    batch: int = 3, seed: int = 0) -> float:
    """Max abs difference between onnxruntime's and PyTorch's masks on random patches.

    Two shapes are tried (``batch`` patches of ``patch_frames``, one of twice that) so
    that the dynamic axes are exercised.
    """
    import torch

    model = model.eval().cpu().float()
    masker = OnnxMasker(path)
    g = torch.Generator().manual_seed(seed)
    err = 0.0
    for shape in ((batch, spec.freq_bins, spec.patch_frames),
                  (1, spec.freq_bins, 2 * spec.patch_frames)):
        x = torch.rand(shape, generator=g)
        with torch.inference_mode():
            ref = model(x).numpy()
        err = max(err, float(np.abs(masker(x.numpy()) - ref).max()))
    return err


def export_checked(model: Any, spec: SpecConfig, out: str | Path, fp16_weights: bool,
                   source: str | Path | None = None, check: bool = True) -> float | None:
    """:func:`export_separator`, then :func:`check_separator` unless ``check`` is False.

    Returns:
        The max abs mask difference from PyTorch (None without the check).

    Raises:
        UserError: onnxruntime differs by more than 1e-3; the file is removed.
    """
    out = Path(out)
    export_separator(model, spec, out, fp16_weights=fp16_weights, source=source)
    if not check:
        return None
    err = check_separator(model, out, spec)
    if err > 1e-3:
        out.unlink()
        raise UserError(f"{out}: onnxruntime differs from PyTorch by {err:.2e} (max abs mask); "
                        "nothing written")
    return err
