"""Singing voice separation benchmark: speed of ``sptk-cli separate`` and classical peers.

Two parts (``make bench`` runs the first):

1. Speed: separate a 3-minute 44.1 kHz stereo song with ``sptk-cli separate``
   (default model, or ``--model``; ``--engine onnx``, the CPU default, then
   ``--engine torch``) and with REPET-SIM in the same run; wall time and peak
   memory (child processes, ``ru_maxrss``). The issue's aim:
   3 s or less and 1 GB or less for the U-Net on 2 idle cores (issue 17).
2. ``--data DIR --out DIR``: the peers of the paper's comparison on a test data
   directory (``wav.scp``, ``vocals.scp``, ``accomp.scp``), scored exactly like the
   recipe (``sptk-cli score`` of the svs task, BSS Eval):

   - ``repet_sim``: REPET-SIM (Rafii & Pardo 2012) as in librosa's vocal separation
     example: a nearest-neighbour (cosine) median filter of the magnitude gives the
     repeating accompaniment, soft masks with margins 2 (accompaniment) and 10 (vocals);
   - ``hpss``: two-stage HPSS (Tachibana et al. 2014) with ``librosa.decompose.hpss``:
     a long window (256 ms) puts the fluctuating voice with the percussion, a short one
     (32 ms) then takes the percussion back out; vocals = harmonic part of stage two;
   - ``irm``: the ideal ratio mask |V| / (|V| + |A|) on the recipe's full-rate STFT, the
     upper bound of magnitude masking with the mixture phase.

Peers run at the data's rate (REPET-SIM and HPSS at most 22050 Hz, resampled back).
Peers are compared here only; the toolkit does not ship them.

    python benchmarks/svs.py [--model DIR] [--seconds 180]
    python benchmarks/svs.py --data recipes/svs/data/mir1k_dev/test \
        --out recipes/svs/exp/mir1k_dev/peers [--peers repet_sim,hpss,irm] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PEER_MAX_RATE = 22050


def repet_sim(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """REPET-SIM vocals and accompaniment of mono ``y`` (librosa's recipe)."""
    import librosa

    stft = librosa.stft(y, n_fft=2048, hop_length=512)
    mag, phase = np.abs(stft), np.exp(1j * np.angle(stft))
    width = int(librosa.time_to_frames(2, sr=sr, hop_length=512))
    rep = librosa.decompose.nn_filter(mag, aggregate=np.median, metric="cosine",
                                      width=min(width, max(1, mag.shape[1] // 2 - 1)))
    rep = np.minimum(mag, rep)
    mask_a = librosa.util.softmask(rep, 2 * (mag - rep), power=2)
    mask_v = librosa.util.softmask(mag - rep, 10 * rep, power=2)
    def inv(m):
        return librosa.istft(m * mag * phase, hop_length=512, length=len(y))
    return inv(mask_v), inv(mask_a)


def hpss_two_stage(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-stage HPSS vocals and accompaniment of mono ``y``."""
    import librosa

    long_fft = 2 ** int(np.round(np.log2(0.256 * sr)))
    short_fft = 2 ** int(np.round(np.log2(0.032 * sr)))
    s1 = librosa.stft(y, n_fft=long_fft, hop_length=long_fft // 4)
    _, p1 = librosa.decompose.hpss(s1, margin=1.0)
    fluct = librosa.istft(p1, hop_length=long_fft // 4, length=len(y))
    s2 = librosa.stft(fluct, n_fft=short_fft, hop_length=short_fft // 4)
    h2, _ = librosa.decompose.hpss(s2, margin=1.0)
    vocals = librosa.istft(h2, hop_length=short_fft // 4, length=len(y))
    return vocals, y - vocals


def ideal_ratio_mask(y: np.ndarray, v: np.ndarray, a: np.ndarray, sr: int):
    """Oracle vocals and accompaniment with |V| / (|V| + |A|) on the recipe's full-rate STFT."""
    import torch

    from toolkit.dsp.stft import istft, stft
    from toolkit.svs.config import SpecConfig
    from toolkit.svs.infer import fullrate_stft_size

    n_fft, hop = fullrate_stft_size(sr, SpecConfig())
    z = stft(torch.from_numpy(np.stack([y, v, a]).astype(np.float32)), n_fft, hop)
    mv, ma = z[1].abs(), z[2].abs()
    m = mv / (mv + ma).clamp_min(1e-8)
    out = istft(torch.stack([m * z[0], (1 - m) * z[0]]), n_fft, hop, len(y)).numpy()
    return out[0], out[1]


def _run_peer(args: tuple[str, str, str, str, float, float | None, str]) -> tuple[str, dict]:
    peer, key, mix_path, out_dir, offset, duration, stems = args
    from toolkit.data.audio import load_mono, resample, save_audio

    y, sr = load_mono(mix_path, offset=offset, duration=duration)
    if peer == "irm":
        v_path, a_path = stems.split("\t")
        v = load_mono(v_path, sr)[0]
        a = load_mono(a_path, sr)[0]
        n = min(len(y), len(v), len(a))
        ev, ea = ideal_ratio_mask(y[:n], v[:n], a[:n], sr)
    else:
        rate = min(sr, PEER_MAX_RATE)
        yr = resample(y, sr, rate)
        ev, ea = (repet_sim if peer == "repet_sim" else hpss_two_stage)(yr, rate)
        ev, ea = resample(ev, rate, sr), resample(ea, rate, sr)
    paths = {}
    for name, sig in (("vocals", ev), ("accomp", ea)):
        paths[name] = str(save_audio(Path(out_dir) / "audio" / f"{key}.{name}.wav",
                                     sig.astype(np.float32), sr, subtype="FLOAT"))
    return key, paths


def run_peers(data: Path, out: Path, peers: list[str], jobs: int) -> dict[str, dict]:
    """Separate ``data`` with each peer into ``out/<peer>/hyp`` and score it."""
    from toolkit.data.datadir import DataDir, write_datadir
    from toolkit.fsutil import atomic_write_text
    from toolkit.svs.task import TASK

    d = DataDir(data)
    results = {}
    for peer in peers:
        hyp = out / peer / "hyp"
        t0 = time.time()
        if not (hyp / ".done").is_file():
            work = []
            for key in d.keys():
                path, offset, duration = d.audio_spec(key)
                stems = f"{d.read('vocals.scp')[key]}\t{d.read('accomp.scp')[key]}"
                work.append((peer, key, path, str(hyp), offset, duration, stems))
            with ProcessPoolExecutor(jobs) as pool:
                done = dict(pool.map(_run_peer, work))
            write_datadir(hyp, {"vocals.scp": {k: v["vocals"] for k, v in done.items()},
                                "accomp.scp": {k: v["accomp"] for k, v in done.items()}},
                          {"sample_rate": d.sample_rate, "task": "svs", "peer": peer},
                          overwrite=True, in_place=True)
        sep_s = time.time() - t0
        keys = d.keys()
        parts = [keys[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(jobs) as pool:
            per_key = {}
            for part in pool.map(TASK.score_keys, [data] * jobs, [hyp] * jobs, parts):
                per_key.update(part)
        scores = TASK.aggregate(per_key)
        scores["separation_seconds"] = sep_s
        atomic_write_text(out / f"scores_test_{peer}.json", json.dumps(scores, indent=1) + "\n")
        results[peer] = scores
        print(f"{peer}: " + " ".join(f"{k}={v:.3f}" for k, v in scores.items()
                                     if isinstance(v, float) and "NSDR" in k))
    return results


def _child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _child_cpu_s() -> float:
    """CPU seconds (user + system) of finished children: comparable on a loaded machine."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def speed(model: str | None, seconds: float) -> None:
    """Time separate and REPET-SIM on a synthetic 44.1 kHz stereo song."""
    import soundfile as sf

    sr = 44100
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    notes = 220 * 2 ** (rng.integers(0, 12, int(seconds * 2)) / 12)
    f0 = np.repeat(notes, int(sr / 2) + 1)[: len(t)]
    voice = 0.2 * np.sin(2 * np.pi * np.cumsum(f0) / sr)
    backing = 0.1 * np.sin(2 * np.pi * 110 * t) + 0.03 * rng.standard_normal(len(t))
    song = np.stack([voice + backing, 0.8 * voice + backing], axis=1).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "song.wav"
        sf.write(path, song, sr)
        for engine in ("onnx", "torch"):  # onnx first: ru_maxrss is the children's maximum
            cmd = [sys.executable, "-m", "toolkit", "-q", "separate", str(path), "-o", tmp,
                   "--overwrite", "--engine", engine]
            cmd += ["--model", model] if model else []
            t0, c0 = time.time(), _child_cpu_s()
            subprocess.run(cmd, check=True, cwd=ROOT)
            wall, cpu = time.time() - t0, _child_cpu_s() - c0
            print(f"sptk-cli separate --engine {engine}: {seconds:.0f} s of 44.1 kHz stereo in "
                  f"{wall:.1f} s wall, {cpu:.1f} CPU s (with start-up), peak memory of the "
                  f"children so far {_child_peak_mb():.0f} MB")
        code = ("import sys, time, numpy as np; sys.path.insert(0, sys.argv[2]); "
                "from benchmarks.svs import repet_sim; from toolkit.data.audio import "
                "load_mono; t = time.time(); y, sr = load_mono(sys.argv[1], 22050); "
                "repet_sim(y, sr); print(f'{time.time() - t:.1f}')")
        t0, c0 = time.time(), _child_cpu_s()
        out = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], check=True,
                             capture_output=True, text=True, cwd=ROOT)
        print(f"REPET-SIM (librosa, mono at 22.05 kHz): {time.time() - t0:.1f} s wall, "
              f"{_child_cpu_s() - c0:.1f} CPU s ({out.stdout.strip()} s wall of separation), "
              f"peak memory so far {_child_peak_mb():.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model for the speed test (default: the shipped one)")
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--data", type=Path, help="test data directory: run and score the peers")
    ap.add_argument("--out", type=Path, help="output folder of the peers")
    ap.add_argument("--peers", default="repet_sim,hpss,irm")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.data:
        if not args.out:
            ap.error("--data needs --out")
        run_peers(args.data, args.out, args.peers.split(","), args.jobs)
    else:
        speed(args.model, args.seconds)


if __name__ == "__main__":
    main()
