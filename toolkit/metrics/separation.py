"""Source separation scores: BSS Eval (mir_eval) SDR / SIR / SAR, NSDR, GNSDR, box plots.

Definitions as in the singing voice separation literature (Jansson et al. 2017,
Huang et al. 2014):

- SDR, SIR, SAR from ``mir_eval.separation.bss_eval_sources`` (BSS Eval v3,
  Vincent et al. 2006) with the two references (vocals, accompaniment) and the
  two estimates in the same order (no permutation search);
- NSDR = SDR(estimate, reference) - SDR(mixture, reference): the improvement
  over doing nothing;
- GNSDR, GSIR, GSAR: means over clips weighted by clip length (Huang et al.),
  beside the plain means, medians and standard deviations (the paper's tables).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np


def _bss_eval_sources(refs: np.ndarray, ests: np.ndarray) -> tuple[np.ndarray, ...]:
    """mir_eval's BSS Eval v3 without permutation search.

    mir_eval 0.8 marks it deprecated (for a future museval-like API); it is still the
    implementation behind the published NSDR figures on MIR-1K and iKala.
    """
    from mir_eval.separation import bss_eval_sources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return bss_eval_sources(refs, ests, compute_permutation=False)

SOURCES = ("vocals", "accomp")
MEASURES = ("SDR", "SIR", "SAR", "NSDR")


def bss_eval_clip(refs: np.ndarray, ests: np.ndarray, mixture: np.ndarray,
                  sdr_mix: np.ndarray | None = None) -> dict[str, Any]:
    """Scores of one clip.

    Args:
        refs: (2, samples) reference vocals and accompaniment (mono).
        ests: (2, samples) estimates in the same order.
        mixture: (samples,) the mixture, for NSDR.
        sdr_mix: :func:`mixture_sdr` of these references when already computed.

    Returns:
        ``{"vocals": {"SDR", "SIR", "SAR", "NSDR"}, "accomp": {...}}`` in dB.

    Raises:
        ValueError: a reference is silent (BSS Eval is undefined then).
    """
    n = min(refs.shape[-1], ests.shape[-1], mixture.shape[-1])
    refs, ests, mixture = refs[:, :n], ests[:, :n], mixture[:n]
    sdr, sir, sar, _ = _bss_eval_sources(refs, ests)
    sdr_mix = mixture_sdr(refs, mixture) if sdr_mix is None else sdr_mix
    return {s: {"SDR": float(sdr[i]), "SIR": float(sir[i]), "SAR": float(sar[i]),
                "NSDR": float(sdr[i] - sdr_mix[i])} for i, s in enumerate(SOURCES)}


def mixture_sdr(refs: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """SDR of the unprocessed mixture as the estimate of each source, (2,)."""
    n = min(refs.shape[-1], mixture.shape[-1])
    sdr, _, _, _ = _bss_eval_sources(refs[:, :n], np.stack([mixture[:n]] * 2))
    return sdr


def summarize(per_clip: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Corpus scores from per-clip results ``{key: {"samples": n, "vocals": {...}, ...}}``.

    Returns:
        ``{"<source>/G<measure>": length-weighted mean, "<source>/<measure>": mean,
        "stats": {"<source>/<measure>": {"median", "std", "min", "max"}}}``.
    """
    out: dict[str, Any] = {}
    stats: dict[str, dict[str, float]] = {}
    keys = [k for k, v in per_clip.items() if v.get("vocals")]
    if not keys:
        return out
    w = np.array([per_clip[k]["samples"] for k in keys], dtype=np.float64)
    for s in SOURCES:
        for m in MEASURES:
            x = np.array([per_clip[k][s][m] for k in keys])
            out[f"{s}/G{m}"] = float(np.sum(w * x) / np.sum(w))
            out[f"{s}/{m}"] = float(x.mean())
            stats[f"{s}/{m}"] = {"median": float(np.median(x)), "std": float(x.std()),
                                 "min": float(x.min()), "max": float(x.max())}
    out["stats"] = stats
    return out


def clip_table(per_clip: dict[str, dict[str, Any]], prefix: str = "") -> str:
    """Per-clip scores as tab-separated text (one row per clip, sorted by key)."""
    cols = [(s, m) for s in SOURCES for m in MEASURES]
    lines = ["key\tsamples\t" + "\t".join(f"{s}_{m}" for s, m in cols)]
    for key in sorted(per_clip):
        v = per_clip[key]
        if "skipped" in v:
            lines.append(f"{key}\t{v['samples']}\t" + "\t".join("nan" for _ in cols))
            continue
        lines.append(f"{key}\t{v['samples']}\t" + "\t".join(
            f"{v[f'{prefix}{s}'][m]:.3f}" for s, m in cols))
    return "\n".join(lines) + "\n"


def box_plot(systems: dict[str, dict[str, dict[str, Any]]], out: str | Path,
             title: str = "") -> Path:
    """The paper's Figure 2: per-clip NSDR, SIR and SAR of several systems as box plots.

    Args:
        systems: ``{system name: per-clip results}`` (the ``per_clip`` of a scores file).
        out: image path (``.png``, ``.pdf``, ``.svg``); written atomically.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.fsutil import atomic_file

    names = list(systems)
    fig, axes = plt.subplots(2, 3, figsize=(4 + 1.6 * len(names), 7), sharey="col")
    for r, s in enumerate(SOURCES):
        for c, m in enumerate(("NSDR", "SIR", "SAR")):
            ax = axes[r][c]
            data = [[v[s][m] for v in systems[n].values() if v.get(s)] for n in names]
            ax.boxplot(data, showmeans=True)
            ax.set_xticks(range(1, len(names) + 1), names, rotation=30, ha="right")
            ax.set_title(f"{'vocals' if s == 'vocals' else 'accompaniment'} {m} (dB)")
            ax.grid(axis="y", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(out)
    with atomic_file(out) as tmp:
        fig.savefig(tmp, dpi=110, format=out.suffix.lstrip(".") or "png")
    plt.close(fig)
    return out
