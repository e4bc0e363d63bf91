"""Scoring separated stems against references: BSS Eval v3 (NSDR) and museval's BSSv4.

Per clip (:func:`score_clip`), on mono signals at most 16 kHz:

- BSS Eval v3 (``mir_eval.separation.bss_eval_sources`` over the whole clip):
  SDR, SIR, SAR and NSDR per source, aggregated as length-weighted means (GNSDR,
  the MIR-1K / iKala literature) by :func:`toolkit.metrics.separation.summarize`;
- BSSv4 (museval, as SiSEC 2018 and MUSDB18 results are reported): SDR, SIR,
  SAR, ISR on 1 s frames with the distortion filters of the whole clip, the
  median over a clip's frames (silent frames excluded), then the median over
  clips (:func:`summarize_v4`, the ``bss_v4`` section of a scores file).

museval's package ``__init__`` imports musdb and stempeg, which refuse to load
without ffmpeg; its ``metrics`` module needs only numpy and scipy, so
:func:`_museval_metrics` loads that module by itself.
"""

from __future__ import annotations

import importlib.util
import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from toolkit.metrics.separation import SOURCES, bss_eval_clip, mixture_sdr

SCORE_MAX_RATE = 16000  # BSS Eval cost grows with the rate; MUSDB is scored at 16 kHz here
V4_MEASURES = ("SDR", "SIR", "SAR", "ISR")


@lru_cache(maxsize=1)
def _museval_metrics():
    """``museval.metrics`` without the package's ffmpeg-dependent ``__init__``."""
    spec = importlib.util.find_spec("museval")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("museval is not installed (pip install museval)")
    path = f"{list(spec.submodule_search_locations)[0]}/metrics.py"
    mod_spec = importlib.util.spec_from_file_location("_museval_metrics", path)
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


def bss_v4_clip(refs: np.ndarray, ests: np.ndarray, rate: int, window_seconds: float = 1.0,
                hop_seconds: float = 1.0) -> dict[str, dict[str, float]]:
    """museval BSSv4 of one clip, the median over its frames.

    Args:
        refs, ests: (2, samples) mono references and estimates (vocals, accompaniment).
        rate: sample rate (frames are ``window_seconds`` long).

    Returns:
        ``{"vocals": {"SDR", "SIR", "SAR", "ISR"}, "accomp": {...}}`` in dB (NaN when
        every frame of a source is silent).
    """
    metrics = _museval_metrics()
    n = min(refs.shape[-1], ests.shape[-1])
    win, hop = int(window_seconds * rate), int(hop_seconds * rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sdr, isr, sir, sar = metrics.bss_eval(
            refs[:, :n, None], ests[:, :n, None], window=win, hop=hop,
            compute_permutation=False, filters_len=512, framewise_filters=False,
            bsseval_sources_version=False)[:4]
        values = {"SDR": sdr, "SIR": sir, "SAR": sar, "ISR": isr}
        return {s: {m: float(np.nanmedian(values[m][i])) for m in V4_MEASURES}
                for i, s in enumerate(SOURCES)}


def score_clip(refs: np.ndarray, ests: dict[str, np.ndarray], mixture: np.ndarray,
               rate: int) -> dict[str, Any]:
    """v3 and v4 scores of one clip for one or more reconstructions.

    Args:
        refs: (2, samples) references; mixture: (samples,).
        ests: ``{prefix: (2, samples)}``; prefix ``""`` is the primary reconstruction,
            others are reported as ``<prefix>/vocals`` etc.

    Returns:
        ``{"samples": n, "vocals": {v3}, "accomp": {v3}, "v4": {"vocals": {...}, ...},
        "<prefix>/vocals": ...}``.
    """
    n = min(refs.shape[1], len(mixture))
    sdr_mix = mixture_sdr(refs[:, :n], mixture[:n])
    out: dict[str, Any] = {"samples": n}
    for prefix, est in ests.items():
        est = np.pad(est, ((0, 0), (0, max(0, n - est.shape[1]))))[:, :n]
        tag = f"{prefix}/" if prefix else ""
        scores = bss_eval_clip(refs[:, :n], est, mixture[:n], sdr_mix)
        out.update({f"{tag}{s}": v for s, v in scores.items()})
        out[f"{tag}v4"] = bss_v4_clip(refs[:, :n], est, rate)
    return out


def summarize_v4(per_clip: dict[str, dict[str, Any]], prefix: str = "") -> dict[str, float]:
    """``{"<source>/<measure>": median over clips}`` of the per-clip BSSv4 medians."""
    rows = [v[f"{prefix}v4"] for v in per_clip.values() if f"{prefix}v4" in v]
    out = {}
    for s in SOURCES:
        for m in V4_MEASURES:
            x = np.array([r[s][m] for r in rows], dtype=np.float64)
            if len(x) and np.isfinite(x).any():
                out[f"{s}/{m}"] = float(np.nanmedian(x))
    return out
