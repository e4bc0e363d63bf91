#!/usr/bin/env python3
"""Where a source-to-oracle gap comes from: the per-file SI-SDR of two scored steps,
grouped by the test file's conditions, as Markdown.

Reads EXP/{source,target}/scores/SET.parts/*.json (stage 5's per-file scores) and the
corpus's SET/utt2origin (speech key, noise key, room when reverberant), utt2spk and
utt2lang, and the target noise pool's ``label`` (noise type). Per group: files, the two
mean SI-SDRs and the mean paired difference (oracle - source) with its 95 % t half-width
(files of one utterance at three SNRs are not independent: read it as a rough guide).

Usage: local/gap/gap_by_condition.py EXP CORPUS [SET] > table.md
  e.g. local/gap/gap_by_condition.py exp/gap_far corpus/gap_far
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from toolkit.data.datadir import DataDir
from toolkit.errors import UserError


def per_file_scores(step_dir: Path, name: str) -> dict[str, float]:
    """Per test file, the SI-SDR of a scored step (stage 5's STEP/scores/SET.parts)."""
    parts = sorted((step_dir / "scores" / f"{name}.parts").glob("*.json"))
    if not parts:
        raise UserError(f"{step_dir}/scores/{name}.parts holds no per-file scores; run "
                        "stage 5 for this step first")
    out = {}
    for part in parts:
        out.update({k: v["si_sdr"] for k, v in json.loads(part.read_text())["per_key"].items()})
    return out


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("Usage:")[1].strip())
    exp, corpus = Path(sys.argv[1]), Path(sys.argv[2])
    name = sys.argv[3] if len(sys.argv) == 4 else "target_test"
    src, tgt = per_file_scores(exp / "source", name), per_file_scores(exp / "target", name)
    d = DataDir(corpus / "mix" / name)
    origin, spk, lang = (d.read(f) for f in ("utt2origin", "utt2spk", "utt2lang"))
    label = DataDir(corpus / "noise_target").read("label")
    groups: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for key in sorted(set(src) & set(tgt)):
        speech, noise, *room = origin[key].split()
        pair = (src[key], tgt[key])
        for group in (("all", ""), ("snr", key.rsplit("-snr", 1)[-1]),
                      ("noise type", label.get(noise, "?")),
                      ("talkers", spk[key].split("-")[0]), ("language", lang[key]),
                      ("reverberant", "yes" if room else "no")):
            groups[group].append(pair)
    print(f"| {exp} on {name}: group | files | source | oracle | gap (± 95 %) |")
    print("|---|---|---|---|---|")
    for (kind, value), pairs in sorted(groups.items()):
        a = np.array(pairs)
        diff = a[:, 1] - a[:, 0]
        half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
        print(f"| {kind} {value} | {len(a)} | {a[:, 0].mean():.2f} | {a[:, 1].mean():.2f} | "
              f"{diff.mean():.2f} ± {half:.2f} |")


if __name__ == "__main__":
    try:
        main()
    except UserError as e:  # missing scores or corpus files: one line, exit 2
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
