"""Scoring of the aed task (``sptk-cli score`` and the confusion plot).

- :func:`parse_posterior`: a ``posterior`` file value as ``{class: p}``;
- :func:`aggregate_scores`: top-1 / top-5 accuracy, per-class accuracy, confusion
  matrix and, for multi-label references, mean average precision;
- :func:`plot_confusion`: the confusion matrix as a PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file
from toolkit.metrics.classification import accuracy_report


def parse_posterior(value: str) -> dict[str, float]:
    """``"cls:p cls:p ..."`` (a ``posterior`` file value) -> ``{cls: p}``."""
    out = {}
    for item in value.split():
        name, _, p = item.rpartition(":")
        out[name] = float(p)
    return out


def aggregate_scores(per_key: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Corpus scores from ``{key: {"ref", "hyp", "post"}}`` (``post``: {class: p} or None).

    Returns:
        ``acc`` (top-1: the best class is one of the reference classes), ``top5``
        (when posteriors exist), ``n``, ``per_class`` and ``confusion`` (single-label),
        ``mAP`` (when a reference holds several labels or posteriors exist for a
        multi-label hypothesis).
    """
    refs = {k: [c.strip() for c in v["ref"].split(",")] for k, v in per_key.items()}
    multilabel = any(len(r) > 1 for r in refs.values()) or any(
        "," in v["hyp"] for v in per_key.values())
    have_post = all(v.get("post") for v in per_key.values()) and bool(per_key)
    if multilabel:
        out: dict[str, Any] = {"n": len(per_key)}
    else:
        out = accuracy_report({k: v["ref"] for k, v in per_key.items()},
                              {k: v["hyp"] for k, v in per_key.items()})
    if have_post:
        classes = list(next(iter(per_key.values()))["post"])
        probs = np.array([[v["post"].get(c, 0.0) for c in classes] for v in per_key.values()])
        order = np.argsort(-probs, 1)
        ref_sets = [set(refs[k]) for k in per_key]
        out["acc"] = float(np.mean([classes[o[0]] in r for o, r in zip(order, ref_sets,
                                                                      strict=True)]))
        out["top5"] = float(np.mean([bool({classes[i] for i in o[:5]} & r)
                                     for o, r in zip(order, ref_sets, strict=True)]))
        if multilabel:
            out["mAP"] = mean_average_precision(probs, [[c in r for c in classes]
                                                        for r in ref_sets])
    elif multilabel:
        out["acc"] = float(np.mean([v["hyp"].split(",")[0] in refs[k]
                                    for k, v in per_key.items()]))
    return out


def mean_average_precision(probs: np.ndarray, truth: list[list[bool]]) -> float:
    """Mean over classes with at least one positive of the average precision."""
    # lazily: sklearn costs 120 MB and a second to every command that loads the task
    from sklearn.metrics import average_precision_score

    y = np.asarray(truth, dtype=bool)
    aps = [average_precision_score(y[:, j], probs[:, j]) for j in range(y.shape[1])
           if y[:, j].any()]
    return float(np.mean(aps)) if aps else 0.0


def plot_confusion(scores: dict[str, Any], out: str | Path, title: str = "") -> Path:
    """Draw ``scores["confusion"]`` (rows: reference, columns: hypothesis) as a PNG."""
    import matplotlib  # lazily: a backend must be chosen before pyplot loads

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conf = scores.get("confusion")
    if not conf:
        raise UserError("the scores hold no confusion matrix (multi-label scoring has none)")
    labels = sorted(set(conf) | {h for row in conf.values() for h in row})
    m = np.array([[conf.get(r, {}).get(h, 0) for h in labels] for r in labels], float)
    rates = m / np.maximum(m.sum(1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("reference")
    if len(labels) <= 30:
        for i in range(len(labels)):
            for j in range(len(labels)):
                if m[i, j]:
                    ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if rates[i, j] > 0.5 else "black")
    ax.set_title(title or f"accuracy {scores.get('acc', 0):.3f} (n={scores.get('n', '?')})")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    out = Path(out)
    with atomic_file(out) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return out
