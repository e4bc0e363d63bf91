#!/usr/bin/env python3
"""Are two Table-1 rows apart? Paired SI-SDR differences per test utterance, as Markdown.

Reads each step's per-file scores (EXP/STEP/scores/SET.parts, stage 5) of one or more
experiments (seeds of one config: EXP, EXP_s1, ...). A test utterance is mixed at several
SNRs; its files are averaged first, so the unit is the utterance (the files of one
utterance are not independent). Per step and reference step (--ref, repeatable; default
source and remixit): the mean paired difference per seed, and over the utterances (seeds
averaged per utterance) with its 95 % t half-width. That interval covers the test
sample, not training-seed variation: the per-seed column shows the latter.

Usage: local/gap/paired_rows.py EXP [EXP ...] [--set SET] [--ref STEP ...] > table.md
  e.g. local/gap/paired_rows.py exp/gap_far --ref source --ref remixit
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from gap_by_condition import per_file_scores
from scipy import stats

from toolkit.errors import UserError

STEPS = ("source", "remixit", "dann", "dann_remixit", "srst_random", "srst", "target")


def per_utterance(step_dir: Path, name: str) -> dict[str, float]:
    """Mean SI-SDR per utterance (``KEY-snrX`` files grouped by ``KEY``)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for key, value in per_file_scores(step_dir, name).items():
        groups[key.rsplit("-snr", 1)[0]].append(value)
    return {k: float(np.mean(v)) for k, v in groups.items()}


def table(exps: list[Path], name: str, refs: list[str]) -> str:
    """The Markdown table of every scored step against each reference step."""
    scores = {}
    for exp in exps:
        for step in STEPS:
            if (exp / step / "scores" / f"{name}.parts").is_dir():
                scores[exp, step] = per_utterance(exp / step, name)
    steps = [s for s in STEPS if all((e, s) in scores for e in exps)]
    for ref in refs:
        if ref not in steps:
            raise UserError(f"--ref {ref}: not scored on {name} in every experiment given")
    out = [f"| {', '.join(map(str, exps))} on {name} ({len(exps)} seed(s)) | mean SI-SDR | "
           + " | ".join(f"minus {r}: per seed | minus {r}: utterances ± 95 %" for r in refs)
           + " |", "|---|---|" + "---|---|" * len(refs)]
    for step in steps:
        # utterances scored for this step and every reference in every experiment
        keys = sorted(set.intersection(*(set(scores[e, s]) for e in exps
                                         for s in (step, *refs))))
        mean = np.mean([[scores[e, step][k] for k in keys] for e in exps])
        cells = [step, f"{mean:.2f}"]
        for ref in refs:
            diff = np.array([[scores[e, step][k] - scores[e, ref][k] for k in keys]
                             for e in exps])  # (seeds, utterances)
            per_utt = diff.mean(axis=0)
            half = stats.t.ppf(0.975, len(keys) - 1) * per_utt.std(ddof=1) / np.sqrt(len(keys))
            cells += [" / ".join(f"{d:+.2f}" for d in diff.mean(axis=1)),
                      f"{per_utt.mean():+.2f} ± {half:.2f} (n={len(keys)})"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("exps", nargs="+", type=Path)
    p.add_argument("--set", default="target_test")
    p.add_argument("--ref", action="append", help="reference step (default: source, remixit)")
    a = p.parse_args()
    for exp in a.exps:
        if not exp.is_dir():
            raise UserError(f"{exp}: no such experiment folder")
    sys.stdout.write(table(a.exps, a.set, a.ref or ["source", "remixit"]))


if __name__ == "__main__":
    try:
        main()
    except UserError as e:  # missing folders or scores: one line, exit 2
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
