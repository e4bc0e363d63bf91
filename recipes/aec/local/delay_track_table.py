#!/usr/bin/env python3
"""Issue 13 item 2: how each aligner follows the delay frame by frame, per test condition.

For every test set and system, the share of echo frames whose delay estimate is
within 20 ms of the truth (``toolkit.aec.delay_track``): over the clip, in its
first second of echo (the online aligner's short history at the start of a call),
in the first second after a delay jump, and the rest; mean ± 95 % interval over
clips (far-end single talk and double talk). A system is a folder pattern with
``{set}`` holding an ``utt2delay_track``: a decode output of Align-CRUSE or an
aligned copy of a test set (``sptk-cli aec align``).

    python local/delay_track_table.py --ref data/hard_align \\
        --system "Align-CRUSE=exp/hard_align/align_cruse/decode/{set}/hyp" \\
        --system "online GCC-PHAT=data/hard_align/{set}_gcc_online"
"""

from __future__ import annotations

import argparse
from pathlib import Path

import soundfile as sf
from hard_align_table import SETS, cell

from toolkit.aec.delay_track import score_track
from toolkit.data.datadir import DataDir

COLUMNS = (("delay_hit", "whole clip"), ("delay_hit_start", "first 1 s of echo"),
           ("delay_hit_after_jump", "1 s after the jump"), ("delay_hit_settled", "the rest"))


def clip_scores(ref: DataDir, tracks: DataDir) -> dict[str, dict[str, float]]:
    """Track hit rates per clip of ``ref`` (near-end single talk left out)."""
    text = tracks.read("utt2delay_track")
    scen = ref.read("utt2scenario") if ref.has("utt2scenario") else {}
    out = {}
    for key, path in ref.read("wav.scp").items():
        if scen.get(key) == "nest":
            continue
        if key not in text:
            raise SystemExit(f"{tracks.path}/utt2delay_track has no track for '{key}'")
        out[key] = score_track(ref, key, sf.info(path).frames, text[key])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", type=Path, required=True, help="folder of the test sets")
    ap.add_argument("--system", action="append", required=True, metavar="NAME=PATTERN")
    ap.add_argument("--sets", nargs="*", default=list(SETS))
    args = ap.parse_args()
    head = ["set", "system"] + [c[1] for c in COLUMNS]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for test in args.sets:
        ref = DataDir(args.ref / test)
        for spec in args.system:
            name, pattern = spec.split("=", 1)
            folder = Path(pattern.format(set=test))
            if not (folder / "utt2delay_track").is_file():
                print(f"| {test} | {name} | " + " | ".join("–" for _ in COLUMNS) + " |")
                continue
            clips = clip_scores(ref, DataDir(folder)).values()
            row = [cell([c[m] for c in clips if m in c]) for m, _ in COLUMNS]
            print(f"| {test} | {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
