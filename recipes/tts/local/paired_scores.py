#!/usr/bin/env python3
"""Two tts experiments on the same utterances: per-pair scores and paired differences.

Issue 16 item 2 asks for comparisons resolvable with intervals. For every
(language, speaker) pair that both experiments decoded in ``--set``, from the
per-utterance parts stage 5 leaves (``EXP/scores/<set>.parts/*.json``): the MCD
over speech frames, F0 RMSE and V/UV error of each (frame-weighted, as the score
files), and B minus A per utterance, mean ± 95 % (1.96 standard errors); with
several pairs, a last row pools every utterance.

    python local/paired_scores.py exp/default/mlms_small \\
        exp/default/base_en_asterisk-allison exp/default/base_fr_tuxpaint-fr --set test
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from toolkit.metrics.tts import aggregate_acoustic

METRICS = (("mcd_db", "MCD dB", 2), ("f0_rmse_cents", "F0 RMSE cents", 0),
           ("vuv_error", "V/UV error", 3))


def per_key(exp: Path, test_set: str) -> dict[str, dict]:
    """Per-utterance sums of ``exp`` on ``test_set`` (an error when stage 5 left none)."""
    parts = sorted((exp / "scores" / f"{test_set}.parts").glob("*.json"))
    if not parts:
        raise SystemExit(f"{exp}/scores/{test_set}.parts has no scores: run stage 5 first")
    out: dict[str, dict] = {}
    for p in parts:
        out.update(json.loads(p.read_text())["per_key"])
    return out


def diff_cell(a: list[float], b: list[float], digits: int) -> str:
    d = np.asarray(b, float) - np.asarray(a, float)
    ci = 1.96 * d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
    return f"{d.mean():+.{digits}f} ± {ci:.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path, help="reference experiment (A)")
    ap.add_argument("b", type=Path, nargs="+", help="experiments compared with it (B)")
    ap.add_argument("--set", default="test", dest="test_set")
    args = ap.parse_args()
    ref = per_key(args.a, args.test_set)
    head = ["pair", "utts", "A", "B"] + [f"{m[1]}: A / B / B - A" for m in METRICS]
    print(f"A = {args.a.name}\n\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for exp in args.b:
        other = per_key(exp, args.test_set)
        keys = sorted(set(ref) & set(other))
        pairs = sorted({f"{ref[k]['lang']}/{ref[k]['spk']}" for k in keys})
        for pair in [*pairs, *(["all pairs"] if len(pairs) > 1 else [])]:
            ks = [k for k in keys if pair == "all pairs"
                  or f"{ref[k]['lang']}/{ref[k]['spk']}" == pair]
            cells = []
            for m, _, digits in METRICS:
                va = [aggregate_acoustic([ref[k]])[m] for k in ks]
                vb = [aggregate_acoustic([other[k]])[m] for k in ks]
                whole_a = aggregate_acoustic([ref[k] for k in ks])[m]
                whole_b = aggregate_acoustic([other[k] for k in ks])[m]
                cells.append(f"{whole_a:.{digits}f} / {whole_b:.{digits}f} / "
                             f"{diff_cell(va, vb, digits)}")
            print(f"| {pair} | {len(ks)} | {args.a.name} | {exp.name} | " + " | ".join(cells)
                  + " |")


if __name__ == "__main__":
    main()
