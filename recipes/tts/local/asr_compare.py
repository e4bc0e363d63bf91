#!/usr/bin/env python3
"""ASR word error rate of several English synthesizers on the held-out sentences.

Speaks ``local/heldout_en.txt`` with a TTS bundle (``sptk-cli synthesize``'s
library path: the bundle's default English speaker, -23 LUFS), flite (its
built-in voice) and espeak-ng (``en-us``), writes each as a data directory under
OUT and scores it with the recipe's scoring code (``toolkit.tts.score``:
PocketSphinx en-us at 16 kHz). Prints a Markdown table and writes OUT/scores.json.

Usage (from recipes/tts):
    python local/asr_compare.py --out exp/asr_compare [--model BUNDLE] [--text FILE]
    python local/asr_compare.py --out OUT --model EXP/mlms_rand --duration EXP/duration \
        --text local/dev_en.txt --postfilter-beta 0.6 --no-peers
    python local/asr_compare.py --out OUT --text local/dev_en.txt --text local/dev2_en.txt ...
    python local/asr_compare.py --out OUT --rescore     # score an earlier run's speech again

``--model`` with ``--duration`` takes a recipe run's experiment folders instead of a
bundle; ``--postfilter-beta`` replaces the bundle's cepstral postfilter strength (a decode
setting: choose it on ``local/dev_en.txt``, never on the held-out sentences).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from toolkit.data.audio import load_mono, save_audio
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.tts.decode import synthesize_datadir
from toolkit.tts.prepare import text_datadir
from toolkit.tts.score import aggregate, score_keys
from toolkit.tts.synth import TtsSynthesizer, default_bundle

HERE = Path(__file__).resolve().parent


def external(ref: Path, out: Path, command: list[str]) -> None:
    """Speak every sentence of ``ref`` with an external program (``{text}``, ``{wav}``)."""
    d = DataDir(ref)
    files = {n: {} for n in ("wav.scp", "text", "utt2lang", "utt2spk")}
    with tempfile.TemporaryDirectory() as tmp:
        for key, text in d.read("text").items():
            raw = Path(tmp) / f"{key}.wav"
            subprocess.run([a.format(text=text, wav=raw) for a in command], check=True,
                           capture_output=True)
            x, _ = load_mono(raw, 16000)
            wav = save_audio(out / "audio" / f"{key}.wav", x, 16000)
            files["wav.scp"][key], files["text"][key] = str(wav.resolve()), text
            files["utt2lang"][key], files["utt2spk"][key] = "en", command[0]
    write_datadir(out, files, {"sample_rate": 16000, "task": "tts"}, overwrite=True,
                  in_place=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--model", type=Path, default=None, help="TTS bundle (default: shipped)")
    ap.add_argument("--duration", type=Path, default=None,
                    help="duration experiment (with --model an acoustic experiment)")
    ap.add_argument("--text", type=Path, action="append", default=None,
                    help="sentence file (repeatable: the files' sentences in order; default "
                         "local/heldout_en.txt)")
    ap.add_argument("--postfilter-beta", type=float, default=None)
    ap.add_argument("--vuv-threshold", type=float, default=None,
                    help="V/UV value above which a frame is voiced (the bundle's: 0.5)")
    ap.add_argument("--rate", type=float, default=1.0, help="speaking rate (synthesize --rate)")
    ap.add_argument("--speaker", default=None,
                    help="voice (default: the bundle's default English speaker; experiment "
                         "folders have no voices.yaml, so name it)")
    ap.add_argument("--no-peers", action="store_true", help="skip flite and espeak-ng")
    ap.add_argument("--rescore", action="store_true",
                    help="score the speech an earlier run wrote to OUT again (after a change "
                         "of the scoring code), synthesizing nothing")
    args = ap.parse_args()
    if args.rescore:
        if not (args.out / "scores.json").is_file():
            ap.error(f"--rescore: {args.out} holds no scores.json of an earlier run")
        rescore(args.out)
        return
    texts = args.text or [HERE / "heldout_en.txt"]
    for t in texts:
        if not t.is_file():
            ap.error(f"--text {t}: no such file")
    ref = args.out / "ref"
    synth = TtsSynthesizer(args.model or default_bundle(), duration=args.duration,
                           rate=args.rate)
    if args.postfilter_beta is not None:
        synth.cfg.vocoder.postfilter_beta = args.postfilter_beta
    if args.vuv_threshold is not None:
        synth.cfg.vocoder.vuv_threshold = args.vuv_threshold
    speaker = args.speaker or synth.default_speaker("en")
    args.out.mkdir(parents=True, exist_ok=True)
    sentences = args.out / "sentences.txt"  # the files joined: one set, keys in file order
    sentences.write_text("".join(t.read_text(encoding="utf-8") + "\n" for t in texts),
                         encoding="utf-8")
    text_datadir(sentences, ref, "en", speaker, overwrite=True)
    systems = {f"sptk-cli synthesize (bundle, {speaker})": args.out / "sptk"}
    synthesize_datadir(synth, ref, systems[next(iter(systems))], overwrite=True)
    peers = () if args.no_peers else (
        ("flite", ["flite", "-t", "{text}", "-o", "{wav}"]),
        ("espeak-ng", ["espeak-ng", "-v", "en-us", "-w", "{wav}", "{text}"]))
    for name, cmd in peers:
        if shutil.which(cmd[0]) is None:
            print(f"{name}: not installed (apt-get install {name}); skipped")
            continue
        external(ref, args.out / name, cmd)
        systems[name] = args.out / name
    score_systems(ref, systems, args.out)


def rescore(out: Path) -> None:
    """Score again the systems of an earlier run (the names its ``scores.json`` lists)."""
    names = list(json.loads((out / "scores.json").read_text()))
    systems = {n: out / ("sptk" if n.startswith("sptk-cli") else n) for n in names}
    score_systems(out / "ref", systems, out)


def score_systems(ref: Path, systems: dict[str, Path], out: Path) -> None:
    """Print the WER table of ``systems`` (name -> data dir) and write ``out/scores.json``."""
    keys = DataDir(ref).keys()
    result = {}
    print("| speech | WER | words |\n|---|---|---|")
    for name, hyp in systems.items():
        per = score_keys(ref, hyp, keys)
        s = aggregate(per)
        result[name] = {"asr_wer": s["asr_wer"], "words": s["words"],
                        "transcripts": {k: v["asr_text"] for k, v in per.items()}}
        print(f"| {name} | {s['asr_wer']:.3f} | {s['words']} |")
    (out / "scores.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
