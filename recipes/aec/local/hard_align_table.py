#!/usr/bin/env python3
"""Issue 13 item 2: the systems of conf/hard_align.yaml per condition, and paired differences.

Reads the per-clip parts that stage 5 leaves beside each scores file
(``<exp>/<system>/scores/<set>.parts/*.json``) and prints two Markdown tables:

1. per test set and system: double-talk AECMOS echo / other and near end kept (dB),
   far-end single-talk AECMOS echo and ERLE (dB), delay error (ms; clips whose delay
   jumps have none), each mean ± 95 % interval (1.96 standard errors over clips);
2. Align-CRUSE minus each CRUSE front end on the same clips (paired), mean ± 95 %.

A CRUSE front end appears where its scores exist (``<set>_gcc_online_h2``: the online
aligner with a 2-s history, ``sptk-cli aec align --history 2``).

    python local/hard_align_table.py exp/hard_align [--align align_cruse_dl] [--extra ...]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

SETS = ("test_jump", "test_dt_jump", "test_lowser", "test_nonlin")
CRUSE = {"CRUSE (unaligned)": ("cruse", ""), "CRUSE‡ (online GCC-PHAT)": ("cruse", "_gcc_online"),
         "CRUSE‡‡ (global GCC-PHAT)": ("cruse", "_gcc_global"),
         "CRUSE‡ (online GCC-PHAT, 2-s history)": ("cruse", "_gcc_online_h2")}
LABELS = {"align_cruse_dl": "Align-CRUSE + delay loss", "nlms": "GCC-PHAT + PBFDAF (NLMS)",
          "shipped": "shipped default (+ delay loss, 4060 updates)"}
METRICS = (("aecmos_echo", "dt", "DT echo MOS"), ("aecmos_other", "dt", "DT other MOS"),
           ("near_kept_db", "dt", "DT near kept dB"), ("aecmos_echo", "fest", "FEST echo MOS"),
           ("erle", "fest", "FEST ERLE dB"), ("delay_err_ms", None, "delay err ms"))


def per_clip(exp: Path, system: str, test: str) -> dict[str, dict] | None:
    parts = sorted((exp / system / "scores" / f"{test}.parts").glob("*.json"))
    if not parts:
        return None
    out: dict[str, dict] = {}
    for p in parts:
        out.update(json.loads(p.read_text())["per_key"])
    return out


def values(clips: dict[str, dict], metric: str, scen: str | None) -> dict[str, float]:
    return {k: r[metric] for k, r in clips.items() if metric in r and r[metric] is not None
            and math.isfinite(r[metric]) and (scen is None or r["scenario"] == scen)}


def cell(v: list[float], digits: int = 2) -> str:
    if not v:
        return "–"
    a = np.asarray(v, float)
    ci = 1.96 * a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else float("nan")
    return f"{a.mean():.{digits}f} ± {ci:.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("exp", type=Path)
    ap.add_argument("--align", default="align_cruse", help="the Align-CRUSE system folder")
    ap.add_argument("--extra", nargs="*", default=["align_cruse_dl", "shipped", "nlms"],
                    help="more system folders scored on the raw far end")
    args = ap.parse_args()
    systems = {"Align-CRUSE": (args.align, ""), **CRUSE,
               **{LABELS.get(name, name): (name, "") for name in args.extra}}
    head = ["set", "system"] + [m[2] for m in METRICS]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    clips: dict[tuple[str, str], dict] = {}
    for test in SETS:
        for name, (folder, suffix) in systems.items():
            c = per_clip(args.exp, folder, test + suffix)
            if c is None:
                continue
            clips[test, name] = c
            row = [cell(list(values(c, m, s).values()), 0 if m == "delay_err_ms" else 2)
                   for m, s, _ in METRICS]
            print(f"| {test} | {name} | " + " | ".join(row) + " |")
    print(f"\nAlign-CRUSE ({args.align}) minus the CRUSE front end, same clips "
          "(mean ± 95 %):\n")
    head = ["set", "minus"] + [m[2] for m in METRICS[:5]]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for test in SETS:
        if (test, "Align-CRUSE") not in clips:
            continue
        a = clips[test, "Align-CRUSE"]
        for name in CRUSE:
            if (test, name) not in clips:
                continue
            b, row = clips[test, name], []
            for m, s, _ in METRICS[:5]:
                va, vb = values(a, m, s), values(b, m, s)
                row.append(cell([va[k] - vb[k] for k in va if k in vb]))
            print(f"| {test} | {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
