#!/usr/bin/env python3
"""ASR word error rate with global-variance (GV) compensation at synthesis (a check).

GV compensation (Toda and Tokuda 2007; the post-filter form of Silen et al. 2012) scales
each mel-cepstral coefficient c1..c39 of a generated utterance about its utterance mean
so that its variance moves toward the speaker's mean per-utterance variance in the
training features of the language spoken (English):
``c' = mean + (c - mean) * (gv_train / gv_generated) ** (weight / 2)``.
This script measures it without changing the bundle: it computes the speaker's GV from a
recipe dump's ``feats.scp``, patches :meth:`TtsSynthesizer.vocode` and runs
``asr_compare.py`` with the remaining arguments; it also prints the generated-to-natural
variance ratio per coefficient (how much the acoustic model smooths).

Usage (from recipes/tts, after ``./run.sh --config conf/default.yaml --stop-stage 2``):
    python local/gv_check.py --feats dump/default/train/feats.scp --gv-weight 1 -- \
        --out exp/dev80_gv1 --text local/dev_en.txt --text local/dev2_en.txt \
        --speaker asterisk-allison --no-peers [--postfilter-beta 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from toolkit.dsp.world import N_MCEP, synthesize
from toolkit.tts.synth import TtsSynthesizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import asr_compare  # noqa: E402  (the sibling script)


def speaker_gv(feats_scp: Path, speaker: str, lang: str = "en") -> np.ndarray:
    """``(39,)`` mean over the speaker's ``lang`` utterances of the variance of c1..c39."""
    gvs = []
    for line in feats_scp.read_text(encoding="utf-8").splitlines():
        key, path = line.split(maxsplit=1)
        if key.startswith(f"{speaker}-{lang}-"):  # keys: <speaker>-<lang>-<prompt>
            gvs.append(np.load(path)[:, 1:N_MCEP].var(axis=0))
    if not gvs:
        sys.exit(f"{feats_scp}: no {lang} utterance of speaker {speaker}")
    return np.mean(gvs, axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feats", type=Path, required=True, help="a dump's feats.scp")
    ap.add_argument("--gv-weight", type=float, default=1.0, help="1: full GV, 0: none")
    ap.add_argument("rest", nargs=argparse.REMAINDER, help="-- asr_compare.py arguments")
    args = ap.parse_args()
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    speaker = rest[rest.index("--speaker") + 1] if "--speaker" in rest else "asterisk-allison"
    gv = speaker_gv(args.feats, speaker)
    ratios = []

    def vocode(self: TtsSynthesizer, feats: np.ndarray) -> np.ndarray:
        feats = feats.copy()
        mc = feats[:, 1:N_MCEP]
        mean, var = mc.mean(axis=0), mc.var(axis=0) + 1e-12
        ratios.append(var / gv)
        feats[:, 1:N_MCEP] = mean + (mc - mean) * (gv / var) ** (0.5 * args.gv_weight)
        return synthesize(feats, self.cfg.vocoder)

    TtsSynthesizer.vocode = vocode
    sys.argv = [sys.argv[0], *rest]
    asr_compare.main()
    print("generated / natural variance, c1..c39:",
          " ".join(f"{r:.2f}" for r in np.mean(ratios, axis=0)))


if __name__ == "__main__":
    main()
