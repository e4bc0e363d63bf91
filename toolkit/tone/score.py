"""Scoring of the tone task: accuracy, per-class accuracy and the confusion matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError
from toolkit.metrics.classification import accuracy_report


def score_keys(ref_dir: Path, hyp_dir: Path, keys: list[str]) -> dict[str, Any]:
    """``{key: {"ref", "hyp"}}``; a key without a prediction is an error."""
    ref, hyp = DataDir(ref_dir).read("label"), DataDir(hyp_dir).read("label")
    missing = [k for k in keys if k not in hyp]
    if missing:
        raise DataDirError(f"{hyp_dir}/label has no prediction for {len(missing)} "
                           f"key(s), first '{missing[0]}'; decode every utterance first")
    return {k: {"ref": ref[k], "hyp": hyp[k]} for k in keys}


def aggregate(per_key: dict[str, Any]) -> dict[str, Any]:
    """Corpus scores from :func:`score_keys` results (or merged shards of them)."""
    return accuracy_report({k: v["ref"] for k, v in per_key.items()},
                           {k: v["hyp"] for k, v in per_key.items()})
