#!/usr/bin/env python3
"""Two svs systems scored on the same clips: paired NSDR differences per source.

Issue 17 asks for comparisons that tell. For each source (vocals, accompaniment),
from the per-clip scores stage 5 writes (``scores/<set>.json``, ``per_clip``): the
mean NSDR of A and B and B minus A per clip, mean ± 95 % (1.96 standard errors),
and on how many clips B is better.

    python local/paired_nsdr.py exp/A/scores/test.json exp/B/scores/test.json
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np


def per_clip(path: Path) -> dict[str, dict]:
    if not path.is_file():
        raise SystemExit(f"{path} does not exist: score the test set first (stage 5)")
    clips = json.loads(path.read_text()).get("per_clip")
    if not clips:
        raise SystemExit(f"{path} has no per_clip scores: rescore with this version")
    return clips


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path, help="scores of the reference system (A)")
    ap.add_argument("b", type=Path, help="scores of the system compared with it (B)")
    args = ap.parse_args()
    a, b = per_clip(args.a), per_clip(args.b)
    keys = sorted(set(a) & set(b))
    if len(keys) < 2:
        raise SystemExit(f"{args.a} and {args.b} share {len(keys)} clip(s); need 2 or more")
    print(f"{len(keys)} clips in both\n\n| source | NSDR A | NSDR B | B - A (95 %) | B better |")
    print("|---|---|---|---|---|")
    for src in ("vocals", "accomp"):
        xa = np.array([a[k][src]["NSDR"] for k in keys])
        xb = np.array([b[k][src]["NSDR"] for k in keys])
        d = xb - xa
        ci = 1.96 * d.std(ddof=1) / math.sqrt(len(d))
        print(f"| {src} | {xa.mean():.2f} | {xb.mean():.2f} | {d.mean():+.2f} ± {ci:.2f} | "
              f"{int((d > 0).sum())} of {len(d)} |")


if __name__ == "__main__":
    main()
