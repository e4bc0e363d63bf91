"""Synthetic tone / chirp / noise clips: the template recipe's built-in corpus.

Each clip is ``duration`` seconds at ``sample_rate``: a sine at a random
frequency (class ``tone``), a linear sweep between two random frequencies
(``chirp``), or white, pink or brown noise (``noise``); tones and chirps carry
background noise at a random SNR between 0 and 20 dB, so the task is easy
but not empty. Clip ``i`` is drawn from ``numpy.random.default_rng([seed, i])``,
so a shard of the corpus is byte-identical to the same clips of the whole.

Layout written: ``DIR/audio/tone-00042.wav`` plus ``wav.scp``, ``label``,
``utt2dur`` and ``meta.yaml``. Licence: generated, public domain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.data.audio import save_audio
from toolkit.data.datadir import write_datadir
from toolkit.data.ops import shard_keys

CLASSES = ("noise", "tone", "chirp")


def colored_noise(n: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Noise whose power falls ``slope`` dB per octave (0 white, 3 pink, 6 brown)."""
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.arange(n // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    spec *= f ** (-slope / (20 * np.log10(2)))  # power ~ f^(-slope / (10 log10 2))
    x = np.fft.irfft(spec, n)
    return (x / (np.abs(x).max() + 1e-9)).astype(np.float32)


def make_clip(index: int, seed: int, sample_rate: int, duration: float) -> tuple[np.ndarray, str]:
    """Clip ``index``: ``(samples,)`` float32 and its class."""
    rng = np.random.default_rng([seed, index])
    n = int(duration * sample_rate)
    t = np.arange(n) / sample_rate
    label = CLASSES[index % len(CLASSES)]
    noise = colored_noise(n, float(rng.choice([0.0, 3.0, 6.0])), rng)
    if label == "noise":
        x = noise
    else:
        if label == "tone":
            phase = 2 * np.pi * rng.uniform(200, 2000) * t
        else:
            f0, f1 = rng.uniform(200, 3000, size=2)
            phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * duration))
        sig = np.sin(phase + rng.uniform(0, 2 * np.pi)).astype(np.float32)
        snr = rng.uniform(0, 20)
        gain = np.sqrt(np.mean(sig**2) / (np.mean(noise**2) * 10 ** (snr / 10)))
        x = sig + gain * noise
    x = x / (np.abs(x).max() + 1e-9) * rng.uniform(0.1, 0.9)
    return x.astype(np.float32), label


def build_tones(out: str | Path, n: int, seed: int = 0, sample_rate: int = 16000,
                duration: float = 1.0, shard: tuple[int, int] | None = None,
                overwrite: bool = False) -> Path:
    """Write ``n`` clips (or shard J/N of them) as a data directory at ``out``."""
    out = Path(out).absolute()
    keys = [f"{CLASSES[i % 3]}-{i:05d}" for i in range(n)]
    if shard:
        keys = shard_keys(keys, *shard)
    wav, label, dur = {}, {}, {}
    for key in keys:
        x, cls = make_clip(int(key.split("-")[1]), seed, sample_rate, duration)
        path = out / "audio" / f"{key}.wav"
        save_audio(path, x, sample_rate)
        wav[key], label[key], dur[key] = str(path), cls, f"{len(x) / sample_rate:.3f}"
    meta = {"sample_rate": sample_rate, "task": "tone", "corpus": "tones",
            "seed": seed, "n": n, "shard": f"{shard[0]}/{shard[1]}" if shard else None,
            "licence": "generated (public domain)"}
    return write_datadir(out, {"wav.scp": wav, "label": label, "utt2dur": dur}, meta,
                         overwrite=overwrite, in_place=True)
