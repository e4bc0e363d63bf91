"""Echo cancellation benchmark: our models beside WebRTC AEC3, SpeexDSP and NLMS, one run.

On the held-out simulated sets of ``recipes/aec/conf/keep_near.yaml`` (talkers,
rooms and noises never trained on):

- double talk (``--dt``, every clip double talk): AECMOS echo and other
  degradation (the scenario model, scenario ``dt``) and how much of the near-end
  talker is kept (``near_kept_db``: output minus near-end energy over the frames
  where the near end talks; 0 dB kept, -20 dB suppressed by 20 dB);
- far-end single talk (``--fest``): ERLE and AECMOS echo (scenario ``st``);
- the cost per 10-ms frame on one thread: the ONNX host loop (framing, FFT,
  network under onnxruntime, overlap-add), the ONNX network alone, the PyTorch
  streamer, AEC3 and SpeexDSP; ``--width-scan 0.75,0.5`` adds the same cost for
  untrained copies of the first model with every channel count scaled (what a
  narrower network would buy before one is trained).

Peers (benchmark only, never part of the package): WebRTC AEC3 from the ``livekit``
wheel (``rtc.AudioProcessingModule(echo_cancellation=True)``, 10-ms int16 frames,
its own delay estimator; no noise suppression, gain control or high-pass filter),
SpeexDSP's MDF canceller from PyPI ``speexdsp`` (1-s filter; Debian
``libspeexdsp-dev swig`` to build it); a missing peer is reported and skipped.
AECMOS comes from the ``speechmos`` wheel. ± is the 95 % confidence half-width. With
two or more ``--model``, a second table gives each later model minus the first, clip by
clip (paired: much narrower than the difference of two rows); ``--json`` keeps every clip's
values under ``per_clip``.
``--oracle`` adds what a perfect canceller would output (the simulation's clean near
end, and near end + noise), scored the same way: on these clips the clean near end's
AECMOS "other" is far from 5, so read the systems' scores against those rows.

Usage::

    PYTHONPATH=. python benchmarks/aec.py [--model NAME=DIR ...] [--dt DIR] [--fest DIR]
        [--frames 1000] [--no-timing] [--no-peers] [--oracle] [--width-scan F,F]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from toolkit.aec.infer import cancel_echo_array, load_aec_model
from toolkit.aec.score import bundled_aecmos, mean_ci, near_kept_db
from toolkit.aec.streaming import AecStreamer, OnnxAecStreamer
from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.adaptive import pbfdaf
from toolkit.dsp.delay import align
from toolkit.metrics.aecmos import AecMos
from toolkit.metrics.signal import erle
from toolkit.models.aec_onnx import export_step
from toolkit.train.packing import default_model_dir

HOP, SR = 160, 16000
SETS = Path("recipes/aec/data/keep_near")


def _int16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()


def _float(b: bytes) -> np.ndarray:
    return np.frombuffer(bytes(b), dtype=np.int16).astype(np.float32) / 32767


def aec3_process(mic: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, float]:
    """WebRTC AEC3 (livekit) frame by frame; returns (output, seconds spent in the calls)."""
    from livekit import rtc

    apm = rtc.AudioProcessingModule(echo_cancellation=True)
    out, spent = [], 0.0
    for i in range(0, len(mic) - HOP + 1, HOP):
        rev = rtc.AudioFrame(bytearray(_int16(far[i:i + HOP])), SR, 1, HOP)
        cap = rtc.AudioFrame(bytearray(_int16(mic[i:i + HOP])), SR, 1, HOP)
        t = time.perf_counter()
        apm.process_reverse_stream(rev)
        apm.process_stream(cap)
        spent += time.perf_counter() - t
        out.append(_float(cap._data))
    return np.concatenate(out), spent


def speex_process(mic: np.ndarray, far: np.ndarray, tail: int = 16000
                  ) -> tuple[np.ndarray, float]:
    """SpeexDSP MDF echo canceller (1-s filter) frame by frame."""
    from speexdsp import EchoCanceller

    ec = EchoCanceller.create(HOP, tail, SR)
    out, spent = [], 0.0
    for i in range(0, len(mic) - HOP + 1, HOP):
        mb, fb = _int16(mic[i:i + HOP]), _int16(far[i:i + HOP])
        t = time.perf_counter()
        y = ec.process(mb, fb)
        spent += time.perf_counter() - t
        out.append(_float(y))
    return np.concatenate(out), spent


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    return np.pad(y[:n], (0, max(0, n - len(y))))


def systems(models: dict[str, torch.nn.Module], peers: bool = True) -> dict:
    """name -> ``fn(mic, far) -> output`` for every system that can run here."""
    out = {"mic (unprocessed)": lambda m, f: m} if peers else {}
    for name, net in models.items():
        out[name] = lambda m, f, net=net: cancel_echo_array(m, f, SR, net)
    if not peers:
        return out
    x = np.zeros(HOP * 4, np.float32)
    for name, fn in (("WebRTC AEC3", aec3_process), ("SpeexDSP MDF", speex_process)):
        try:
            fn(x, x)
            out[name] = lambda m, f, fn=fn: _fit(fn(m, f)[0], len(m))
        except ImportError as e:
            print(f"{name}: skipped (not installed: {e})")
    out["GCC-PHAT + PBFDAF (NLMS)"] = lambda m, f: pbfdaf(m, align(m, f, "gcc_online", SR)[0])
    return out


ORACLES = {"oracle: near end (clean)": lambda c: c["near"],
           "oracle: near end + noise": lambda c: c["near"] + c["noise"]}


def quality(dt: Path | None, fest: Path | None, fns: dict, mos: AecMos | None,
            oracles: dict | None = None) -> dict[str, dict[str, list[float]]]:
    """Per system: the double-talk and far-end single-talk metrics of every clip.

    ``oracles`` (name -> ``fn(clip)``, ``clip`` holding the simulation's ``near`` and
    ``noise`` signals) adds double-talk rows of what a perfect canceller would output: the
    ceiling the metrics allow on these clips.

    Returns:
        name -> metric -> one value per clip, in the sets' key order (the same clips for
        every system, so two systems' lists pair up).
    """
    oracles = oracles or {}
    rows: dict[str, dict[str, list[float]]] = {n: {} for n in [*fns, *oracles]}
    for data, scen in ((dt, "dt"), (fest, "fest")):
        if data is None:
            continue
        d = DataDir(data)
        for key in d.keys():
            mic = load_mono(d.read("wav.scp")[key], SR)[0]
            far = _fit(load_mono(d.read("ref.scp")[key], SR)[0], len(mic))
            clip = {k: _fit(load_mono(d.read(f"{f}.scp")[key], SR)[0], len(mic))
                    for k, f in (("near", "speech"), ("noise", "noise"))} if scen == "dt" else {}
            outs = {name: fn(mic, far) for name, fn in fns.items()}
            if scen == "dt":  # far-end single talk: the oracle is silence, ERLE unbounded
                outs |= {name: fn(clip) for name, fn in oracles.items()}
            for name, y in outs.items():
                y = _fit(np.asarray(y, np.float32), len(mic))
                r = rows[name]
                if scen == "dt":
                    r.setdefault("dt_near_kept_db", []).append(near_kept_db(y, clip["near"]))
                else:
                    r.setdefault("fest_erle", []).append(erle(mic, y))
                if mos is not None:
                    echo, other = mos.score(far, mic, y, scen)
                    r.setdefault(f"{scen}_aecmos_echo", []).append(echo)
                    if scen == "dt":
                        r.setdefault("dt_aecmos_other", []).append(other)
    return rows


def summary(rows: dict[str, dict[str, list[float]]]) -> dict:
    """name -> metric -> (mean, 95 % half-width), and the clip counts under ``n``."""
    return {n: {k: mean_ci(v) for k, v in r.items()} | {"n": {k: len(v) for k, v in r.items()}}
            for n, r in rows.items()}


def paired(rows: dict[str, dict[str, list[float]]], base: str, names: list[str]) -> dict:
    """Each of ``names`` minus ``base``, clip by clip: metric -> (mean, 95 % half-width).

    A clip where either value is not finite (an unbounded ERLE) is left out of that metric.
    """
    out = {}
    for name in names:
        out[name] = {}
        for k, b in rows[base].items():
            d = [x - y for x, y in zip(rows[name][k], b, strict=True)
                 if np.isfinite(x) and np.isfinite(y)]
            out[name][k] = mean_ci(d)
            out[name].setdefault("n", {})[k] = len(d)
    return out


def timing(model: torch.nn.Module, frames: int, peers: bool = True) -> dict[str, float]:
    """ms per 10-ms frame of each streaming implementation and peer (one thread)."""
    rng = np.random.default_rng(0)
    far = (0.1 * rng.standard_normal(frames * HOP)).astype(np.float32)
    mic = (0.5 * np.roll(far, 3200)).astype(np.float32)
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        onnx = OnnxAecStreamer(export_step(model, Path(tmp) / "step.onnx"))
    for name, s in (("ours: ONNX host loop (numpy + onnxruntime)", onnx),
                    ("ours: PyTorch streamer", AecStreamer(model))):
        for i in range(20):
            s.process(mic[i * HOP:(i + 1) * HOP], far[i * HOP:(i + 1) * HOP])
        s.reset()
        t = time.perf_counter()
        for i in range(frames):
            s.process(mic[i * HOP:(i + 1) * HOP], far[i * HOP:(i + 1) * HOP])
        res[name] = (time.perf_counter() - t) / frames * 1000
    feeds = {"mic": np.full((1, 160), -4, np.float32), "far": np.full((1, 160), -4, np.float32)}
    feeds.update(zip(onnx.state_names, onnx.state, strict=True))
    t = time.perf_counter()
    for _ in range(frames):
        onnx.session.run(None, feeds)
    res["ours: ONNX network alone"] = (time.perf_counter() - t) / frames * 1000
    for name, fn in (("WebRTC AEC3", aec3_process), ("SpeexDSP MDF", speex_process)):
        if not peers:
            break
        try:
            res[name] = fn(mic, far)[1] / frames * 1000
        except ImportError:
            pass
    return res


def width_scan(model: torch.nn.Module, factors: list[float], frames: int) -> dict[str, dict]:
    """Per-frame cost of untrained copies of ``model`` with channel counts scaled.

    Returns:
        ``{"x<factor>": {"parameters": int, <timing() rows of ours>}}``.
    """
    res = {}
    for f in factors:
        conf = dataclasses.replace(model.conf, **{
            k: [max(4, round(c * f)) for c in getattr(model.conf, k)]
            for k in ("mic_channels", "far_channels", "dec_channels")})
        narrow = type(model)(conf).eval()
        res[f"x{f:g}"] = {"parameters": sum(p.numel() for p in narrow.parameters()),
                          **timing(narrow, frames, peers=False)}
    return res


def table(q: dict) -> str:
    cols = [("dt_aecmos_echo", "DT AECMOS echo", 2), ("dt_aecmos_other", "DT AECMOS other", 2),
            ("dt_near_kept_db", "DT near kept dB", 1), ("fest_erle", "FEST ERLE dB", 1),
            ("fest_aecmos_echo", "FEST AECMOS echo", 2)]
    lines = ["| system | " + " | ".join(c[1] for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, r in q.items():
        cells = [f"{r[k][0]:.{d}f} ± {r[k][1]:.{d}f}" if k in r else "–" for k, _, d in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", action="append", default=[], metavar="NAME=DIR",
                   help="a model to compare (repeatable; default: the shipped one)")
    p.add_argument("--dt", type=Path, help=f"double-talk set (default {SETS}/test_dt)")
    p.add_argument("--fest", type=Path, help=f"far-end single-talk set ({SETS}/test_fest)")
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--no-timing", action="store_true", help="quality only")
    p.add_argument("--no-peers", action="store_true", help="our models only (no mic, AEC3, "
                   "SpeexDSP, NLMS rows)")
    p.add_argument("--oracle", action="store_true", help="add the rows of a perfect "
                   "canceller (the clean near end; near end + noise): the metrics' ceiling")
    p.add_argument("--width-scan", default="", metavar="F,F",
                   help="also time untrained copies of the first model with channel counts "
                   "scaled by each factor (e.g. 0.75,0.5)")
    p.add_argument("--json", type=Path)
    a = p.parse_args()
    torch.set_num_threads(1)
    specs = [m.split("=", 1) if "=" in m else [Path(m).name, m] for m in a.model] or \
        [["shipped", str(default_model_dir("aec"))]]
    models = {name: load_aec_model(path) for name, path in specs}
    dt = a.dt or (SETS / "test_dt" if (SETS / "test_dt").is_dir() else None)
    fest = a.fest or (SETS / "test_fest" if (SETS / "test_fest").is_dir() else None)
    report: dict = {}
    if not a.no_timing:
        report["ms_per_frame"] = timing(next(iter(models.values())), a.frames)
        for k, v in report["ms_per_frame"].items():
            print(f"{k}: {v:.3f} ms per 10-ms frame (RTF {v / 10:.4f})")
        if a.width_scan:
            first = next(iter(models.values()))
            factors = [float(f) for f in a.width_scan.split(",")]
            report["width_scan"] = width_scan(first, factors, a.frames)
            print(f"first model: {sum(p.numel() for p in first.parameters())} parameters")
            for name, row in report["width_scan"].items():
                for k, v in row.items():
                    print(f"{name} {k}: {v}" if k == "parameters" else
                          f"{name} {k}: {v:.3f} ms per 10-ms frame")
    if dt or fest:
        aecmos = bundled_aecmos()
        mos = AecMos(aecmos) if aecmos else None
        rows = quality(dt, fest, systems(models, not a.no_peers), mos,
                       ORACLES if a.oracle else None)
        report["quality"] = summary(rows)
        print(table(report["quality"]))
        if len(models) > 1:  # the same clips: differences to the first model, clip by clip
            base, *others = models
            report["paired"] = {"base": base, **paired(rows, base, others)}
            print(f"\nclip by clip, minus {base}:")
            print(table({f"{n} - {base}": r for n, r in report["paired"].items() if n != "base"}))
        report["per_clip"] = rows
    else:
        print(f"no held-out sets ({SETS}/test_dt, test_fest): run recipes/aec stage 0 with "
              "conf/keep_near.yaml, or pass --dt/--fest")
    if a.json:
        a.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
