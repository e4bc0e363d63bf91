"""Build speed of the speech pools and of espeak-ng synthesis (seconds of audio per second).

Usage::

    PYTHONPATH=. python benchmarks/corpus_speech.py [--max-per-lang N] [--out /tmp/bench]

Each speech source is built into a fresh data directory with ``--max-per-lang``
clips per language (the whole pool with ``--max-per-lang 0``); espeak-ng speaks
the built-in sentences of six languages. The table gives clips, minutes of
audio, wall seconds and the speed (audio seconds per wall second, one process).
Sources whose Debian package is missing are reported and skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path


def bench_pool(source: str, out: Path, max_per_lang: int | None) -> tuple[int, float, float]:
    from toolkit.corpora.debian.packages.speech_pool import build_speech_pool

    stats = build_speech_pool(out, [source], None, max_per_lang, seed=0, overwrite=True)
    return stats["clips"], stats["seconds"], stats["wall"]


def bench_espeak(out: Path, langs: list[str]) -> tuple[int, float, float]:
    from toolkit.text.synthesize import build_espeak_corpus, read_sentences

    clips, seconds, t0 = 0, 0.0, time.time()
    for lang in langs:
        stats = build_espeak_corpus(out / lang, lang, read_sentences(None, lang),
                                    [lang, f"{lang}+f3"], overwrite=True)
        clips += stats["utterances"]
        seconds += stats["seconds"]
    return clips, seconds, time.time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-per-lang", type=int, default=0,
                        help="clips per language of each source (0: all)")
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: temporary)")
    args = parser.parse_args()
    from toolkit.errors import UserError

    work = args.out or Path(tempfile.mkdtemp(prefix="sptk-bench-"))
    limit = args.max_per_lang or None
    print(f"# {os.cpu_count()} CPU(s); max_per_lang={limit or 'all'}; work folder {work}")
    print(f"{'builder':<12} {'clips':>6} {'minutes':>8} {'wall s':>7} {'audio s/s':>10}")
    jobs = [(s, lambda s=s: bench_pool(s, work / s, limit))
            for s in ("asterisk", "tuxpaint", "ktuberling")]
    jobs.append(("espeak", lambda: bench_espeak(work / "espeak",
                                                ["en-us", "fr", "de", "es", "it", "ru"])))
    for name, job in jobs:
        try:
            clips, seconds, wall = job()
        except UserError as e:
            print(f"{name:<12} skipped: {e}")
            continue
        print(f"{name:<12} {clips:>6} {seconds / 60:>8.2f} {wall:>7.2f} "
              f"{seconds / max(wall, 1e-9):>10.0f}")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
