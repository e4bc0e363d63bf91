"""Echo cancellation benchmark: streaming time per 10-ms frame and ERLE beside the peers.

Peers (benchmark only, never part of the package): WebRTC AEC3 through PyPI
``aec-audio-processing`` and SpeexDSP's MDF canceller through PyPI ``speexdsp``
(Debian ``libspeexdsp-dev swig`` to build it). A missing peer is reported and
skipped.

Measured, on one CPU thread (``torch.set_num_threads(1)``):

- Align-CRUSE / CRUSE streaming: ms per 10-ms frame of :class:`AecStreamer`
  (STFT frame, network step, overlap-add), of the network step alone, and of the
  exported ONNX step under onnxruntime (one thread);
- AEC3 and Speex: ms per 10-ms frame (their ``process`` calls, int16 I/O);
- the real-time factor of each (time per frame / 10 ms);
- with ``--data DIR`` (a simulated test set, e.g. ``data/short/test_ldh``):
  ERLE on its far-end single-talk clips for every system, so Align-CRUSE's
  ERLE can be compared with AEC3's on the same clips (and AECMOS with
  ``--aecmos-model``).

Usage::

    PYTHONPATH=. python benchmarks/aec.py [--model DIR] [--data DIR] [--aecmos-model P]
        [--frames 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

HOP = 160


def _int16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()


def _float(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.int16).astype(np.float32) / 32767


def aec3_process(mic: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, float]:
    """WebRTC AEC3 frame by frame; returns (output, seconds spent in the calls)."""
    from aec_audio_processing import AudioProcessor

    ap = AudioProcessor(enable_aec=True, enable_ns=False, enable_agc=False)
    ap.set_stream_format(16000, 1)
    ap.set_reverse_stream_format(16000, 1)
    out, spent = [], 0.0
    for i in range(0, len(mic) - HOP + 1, HOP):
        fb, mb = _int16(far[i:i + HOP]), _int16(mic[i:i + HOP])
        t = time.perf_counter()
        ap.process_reverse_stream(fb)
        y = ap.process_stream(mb)
        spent += time.perf_counter() - t
        out.append(_float(y))
    return np.concatenate(out), spent


def speex_process(mic: np.ndarray, far: np.ndarray, tail: int = 16000
                  ) -> tuple[np.ndarray, float]:
    """SpeexDSP MDF echo canceller (1-s filter) frame by frame."""
    from speexdsp import EchoCanceller

    ec = EchoCanceller.create(HOP, tail, 16000)
    out, spent = [], 0.0
    for i in range(0, len(mic) - HOP + 1, HOP):
        mb, fb = _int16(mic[i:i + HOP]), _int16(far[i:i + HOP])
        t = time.perf_counter()
        y = ec.process(mb, fb)
        spent += time.perf_counter() - t
        out.append(_float(y))
    return np.concatenate(out), spent


def time_model(model: torch.nn.Module, frames: int) -> dict[str, float]:
    """ms per frame of the streamer and of the network step alone."""
    from toolkit.tasks.aec_infer import AecStreamer

    rng = np.random.default_rng(0)
    far = (0.1 * rng.standard_normal(frames * HOP)).astype(np.float32)
    mic = (0.5 * np.roll(far, 3200)).astype(np.float32)
    s = AecStreamer(model)
    for i in range(20):  # warm-up
        s.process(mic[i * HOP:(i + 1) * HOP], far[i * HOP:(i + 1) * HOP])
    s.reset()
    t = time.perf_counter()
    for i in range(frames):
        s.process(mic[i * HOP:(i + 1) * HOP], far[i * HOP:(i + 1) * HOP])
    stream_ms = (time.perf_counter() - t) / frames * 1000
    model = s.model  # the streamer's inference copy (batch norms folded)
    state = model.init_state(1)
    x = torch.randn(1, 160) - 4
    with torch.no_grad():
        t = time.perf_counter()
        for _ in range(frames):
            _, _, state = model.step(x, x, state)
    step_ms = (time.perf_counter() - t) / frames * 1000
    return {"stream_ms_per_frame": stream_ms, "step_ms_per_frame": step_ms,
            "onnx_step_ms_per_frame": time_onnx(model, frames), "rtf": stream_ms / 10.0}


def time_onnx(model: torch.nn.Module, frames: int) -> float | None:
    """ms per frame of the exported one-frame graph (``sptk-cli export-onnx``) under
    onnxruntime on one thread: what a host application embedding the model would pay
    for the network (framing and FFT are extra, as in the streamer)."""
    import tempfile
    import warnings

    warnings.filterwarnings("ignore", module="torch.onnx")  # exporter notes, not results
    try:
        import onnxruntime as ort

        from toolkit.models.aec_onnx import _names, export_step
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = export_step(model, Path(tmp) / "step.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inputs, _, n = _names(model)
    state = [s.numpy() for s in model.init_state(1)]
    x = (np.random.default_rng(0).standard_normal((1, 160)) - 4).astype(np.float32)
    for _ in range(20):  # warm-up
        state = sess.run(None, dict(zip(inputs, [x, x, *state], strict=True)))[-n:]
    t = time.perf_counter()
    for _ in range(frames):
        state = sess.run(None, dict(zip(inputs, [x, x, *state], strict=True)))[-n:]
    return (time.perf_counter() - t) / frames * 1000


def erle_table(data: Path, systems: dict, aecmos: str | None) -> dict[str, dict[str, float]]:
    """Mean ERLE (and AECMOS echo) of each system on the far-end single-talk clips of ``data``."""
    from toolkit.data.audio import load_mono
    from toolkit.data.datadir import DataDir
    from toolkit.metrics.signal import erle

    d = DataDir(data)
    scen = d.read("utt2scenario")
    keys = [k for k in d.keys() if scen[k] == "fest"]
    mos = None
    if aecmos:
        from toolkit.metrics.aecmos import AecMos

        mos = AecMos(aecmos)
    res: dict[str, dict[str, list[float]]] = {n: {"erle": [], "aecmos_echo": []} for n in systems}
    for key in keys:
        mic = load_mono(d.read("wav.scp")[key], 16000)[0]
        far = load_mono(d.read("ref.scp")[key], 16000)[0][: len(mic)]
        for name, fn in systems.items():
            y = fn(mic, far)
            n = min(len(y), len(mic))
            res[name]["erle"].append(erle(mic[:n], y[:n]))
            if mos:
                res[name]["aecmos_echo"].append(mos.score(far[:n], mic[:n], y[:n], "fest")[0])
    return {n: {k: float(np.mean(v)) for k, v in r.items() if v} | {"n_fest": len(keys)}
            for n, r in res.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, help="Align-CRUSE bundle (default: the shipped one)")
    p.add_argument("--cruse", type=Path, help="CRUSE experiment to time as well")
    p.add_argument("--data", type=Path, help="simulated test set for ERLE (fest clips)")
    p.add_argument("--aecmos-model", help="AECMOS .onnx or folder")
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--json", type=Path)
    p.add_argument("--no-timing", action="store_true",
                   help="ERLE only (times on a loaded machine mean nothing)")
    a = p.parse_args()
    torch.set_num_threads(1)
    from toolkit.tasks.aec_infer import enhance
    from toolkit.train.packing import default_model_dir, load_model_dir

    _, _, model = load_model_dir(a.model or default_model_dir("aec"))
    report: dict = {}
    if not a.no_timing:
        report["align_cruse"] = time_model(model, a.frames)
        if a.cruse:
            report["cruse"] = time_model(load_model_dir(a.cruse)[2], a.frames)
    frames = a.frames if not a.no_timing else 10
    rng = np.random.default_rng(0)
    far = (0.1 * rng.standard_normal(frames * HOP)).astype(np.float32)
    mic = (0.5 * np.roll(far, 3200)).astype(np.float32)
    peers = {"aec3": aec3_process, "speex": speex_process}
    for name, fn in peers.items():
        try:
            _, spent = fn(mic, far)
            ms = spent / (len(mic) // HOP) * 1000
            report[name] = {} if a.no_timing else {"ms_per_frame": ms, "rtf": ms / 10.0}
        except ImportError as e:
            report[name] = {"skipped": f"not installed ({e})"}
    if a.data:
        from toolkit.dsp.adaptive import pbfdaf
        from toolkit.dsp.delay import align

        systems = {"align_cruse": lambda m, f: enhance(model, m, f)[0],
                   "gcc_online+pbfdaf": lambda m, f: pbfdaf(m, align(m, f, "gcc_online",
                                                                     16000)[0])}
        for name, fn in peers.items():
            if "skipped" not in report[name]:
                systems[name] = lambda m, f, fn=fn: fn(m, f)[0]
        report["erle"] = erle_table(a.data, systems, a.aecmos_model)
    text = json.dumps(report, indent=1)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
