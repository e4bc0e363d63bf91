"""Accuracy, per-class accuracy and the confusion matrix of label predictions."""

from __future__ import annotations

from typing import Any

from toolkit.errors import UserError


def accuracy_report(ref: dict[str, str], hyp: dict[str, str]) -> dict[str, Any]:
    """Compare reference and hypothesis labels key by key.

    Args:
        ref: {key: true label}.
        hyp: {key: predicted label}; must cover every reference key.

    Returns:
        ``{"acc", "n", "per_class": {label: acc}, "confusion": {ref: {hyp: count}}}``.
    """
    missing = [k for k in ref if k not in hyp]
    if missing:
        raise UserError(f"{len(missing)} reference key(s) have no prediction, first "
                        f"'{missing[0]}'; decode every utterance before scoring")
    correct = sum(ref[k] == hyp[k] for k in ref)
    per_class: dict[str, list[int]] = {}
    confusion: dict[str, dict[str, int]] = {}
    for k, r in ref.items():
        stats = per_class.setdefault(r, [0, 0])
        stats[0] += ref[k] == hyp[k]
        stats[1] += 1
        row = confusion.setdefault(r, {})
        row[hyp[k]] = row.get(hyp[k], 0) + 1
    return {"acc": correct / max(len(ref), 1), "n": len(ref),
            "per_class": {c: a / n for c, (a, n) in sorted(per_class.items())},
            "confusion": confusion}
