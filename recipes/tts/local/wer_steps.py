#!/usr/bin/env python3
"""Where a voice's ASR word error rate is lost: recording, vocoder, acoustic model, durations.

On one English speaker's held-out recordings (the ``dev`` and ``test`` splits of a recipe
dump, never trained on), the recogniser of the scoring stage transcribes four versions of
each prompt, all loudness-normalised like ``synthesize``'s output:

- ``natural``: the recording;
- ``vocoded``: its analysed features (the dump's ``feats.scp``) through WORLD without the
  postfilter: the vocoder's cost;
- ``natural_durations``: the bundle's acoustic model on the aligner's phone durations;
- ``predicted_spectrum``: its mel-cepstrum with the recording's F0, V/UV and
  aperiodicity, and ``predicted_excitation`` the other way round (same frames: the
  aligner's durations sum to the recording's frames): which half the model loses on;
- ``tts``: the full system (the bundle's duration model), as ``synthesize`` speaks it.

Prints the WER of each and writes the per-prompt transcripts to OUT (JSON).

Usage (from recipes/tts, after ``./run.sh --config conf/default.yaml --stop-stage 2``):
    python local/wer_steps.py --dump dump/default --speaker asterisk-allison \
        --out exp/wer_steps.json [--model BUNDLE | --model EXP/ACOUSTIC --duration EXP/DURATION]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.world import N_MCEP, synthesize
from toolkit.tts.asr import asr_sums
from toolkit.tts.conditioning import TARGET_LUFS, normalize_loudness
from toolkit.tts.synth import TtsSynthesizer, default_bundle

SYSTEMS = ("natural", "vocoded", "natural_durations", "predicted_spectrum",
           "predicted_excitation", "tts")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, required=True, help="a recipe dump (dev/, test/)")
    ap.add_argument("--speaker", default="asterisk-allison")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--model", type=Path, default=None, help="TTS bundle (default: shipped)")
    ap.add_argument("--duration", type=Path, default=None, help="with --model: a duration run")
    args = ap.parse_args()
    synth = TtsSynthesizer(args.model or default_bundle(), duration=args.duration)
    conf = synth.cfg.vocoder
    errors, words, per = dict.fromkeys(SYSTEMS, 0.0), dict.fromkeys(SYSTEMS, 0.0), {}
    for split in ("dev", "test"):
        d = DataDir(args.dump / split)
        texts, durations, wavs = d.read("text"), d.read("durations"), d.read("wav.scp")
        feats = d.read("feats.scp")
        for key in d.keys():
            if not key.startswith(f"{args.speaker}-en-"):
                continue
            x = load_mono(wavs[key], conf.sample_rate)[0]
            dur = [int(v) for v in durations[key].split()]
            nat = np.load(feats[key])
            pred = synth.features(texts[key], "en", args.speaker, durations=dur)
            if len(pred) != len(nat):
                ap.error(f"{key}: {len(pred)} predicted frames, {len(nat)} analysed")
            spectrum, excitation = nat.copy(), pred.copy()
            spectrum[:, :N_MCEP], excitation[:, :N_MCEP] = pred[:, :N_MCEP], nat[:, :N_MCEP]
            waves = {
                "natural": x,
                "vocoded": synthesize(nat, conf, postfilter_beta=0.0),
                "natural_durations": synth.vocode(pred),
                "predicted_spectrum": synth.vocode(spectrum),
                "predicted_excitation": synth.vocode(excitation),
                "tts": synth.vocode(synth.features(texts[key], "en", args.speaker)),
            }
            per[key] = {}
            for name, wave in waves.items():
                r = asr_sums(texts[key], normalize_loudness(wave, conf.sample_rate, TARGET_LUFS),
                             conf.sample_rate)
                errors[name] += r["word_errors"]
                words[name] += r["ref_words"]
                per[key][name] = r["asr_text"]
    if not per:
        ap.error(f"{args.dump}: no English dev/test prompt of speaker {args.speaker}")
    print(f"{len(per)} prompts, {words['natural']:.0f} words")
    print("| version | WER |\n|---|---|")
    for name in SYSTEMS:
        print(f"| {name} | {errors[name] / words[name]:.3f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"wer": {n: errors[n] / words[n] for n in SYSTEMS},
                                    "transcripts": per}, indent=1) + "\n")


if __name__ == "__main__":
    main()
