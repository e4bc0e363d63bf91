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


def _scores(step_dir: Path, name: str) -> dict[str, float]:
    out = {}
    for part in sorted((step_dir / "scores" / f"{name}.parts").glob("*.json")):
        out.update({k: v["si_sdr"] for k, v in json.loads(part.read_text())["per_key"].items()})
    return out


def _table(path: Path) -> dict[str, list[str]]:
    return {f[0]: f[1:] for f in (line.split() for line in path.read_text().splitlines()) if f}


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("Usage:")[1].strip())
    exp, corpus = Path(sys.argv[1]), Path(sys.argv[2])
    name = sys.argv[3] if len(sys.argv) == 4 else "target_test"
    src, tgt = _scores(exp / "source", name), _scores(exp / "target", name)
    d = corpus / "mix" / name
    origin, spk, lang = (_table(d / f) for f in ("utt2origin", "utt2spk", "utt2lang"))
    label = {k: v[0] for k, v in _table(corpus / "noise_target" / "label").items() if v}
    groups: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for key in sorted(set(src) & set(tgt)):
        speech, noise, *room = origin[key]
        pair = (src[key], tgt[key])
        for group in (("all", ""), ("snr", key.rsplit("-snr", 1)[-1]),
                      ("noise type", label.get(noise, "?")),
                      ("talkers", spk[key][0].split("-")[0]), ("language", lang[key][0]),
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
    main()
