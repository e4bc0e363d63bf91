"""Build speed of the sound pool builders: seconds of audio made per second of wall time.

Usage::

    PYTHONPATH=. python benchmarks/corpus_sound.py [--quick] [--speech-from DIR] [--keep DIR]

Builds, in a temporary folder (or ``--keep DIR``), a noise pool (recorded
sources installed here + procedural), a simulated RIR pool and a music pool,
and prints one line per builder. The music builder needs a speech data
directory; without ``--speech-from`` a tiny one is made with espeak-ng (or
synthetic voiced audio when espeak-ng is absent). ``--quick`` uses small sizes
(a smoke test in about a minute).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "corpora"))


def timed(name: str, build, out: Path) -> dict:
    """Run ``build()`` and read back the pool size from ``out``."""
    from toolkit.data.datadir import DataDir

    t0 = time.perf_counter()
    build()
    wall = time.perf_counter() - t0
    d = DataDir(out)
    audio = sum(float(v) for v in d.read("utt2dur").values())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    row = {"builder": name, "items": len(d), "audio_s": audio, "wall_s": wall,
           "speed": audio / wall if wall else 0.0, "mb": size / 1e6}
    print(f"{name:<8}{row['items']:>7}{audio:>12.1f}{wall:>10.1f}{row['speed']:>14.1f}"
          f"{row['mb']:>10.1f}", flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--speech-from", type=Path, help="speech data directory for music/babble")
    ap.add_argument("--keep", type=Path, help="build here and keep the pools")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from toolkit.corpora.sounds.music import build_music
    from toolkit.corpora.sounds.noise import build_noise_pool, installed_sources
    from toolkit.corpora.sounds.rooms import build_rir_pool

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-sound-"))
    work.mkdir(parents=True, exist_ok=True)
    speech = args.speech_from
    if speech is None:
        from sound_helpers import make_speech_dir

        speech = make_speech_dir(work / "speech")
    n_proc, n_rir, n_songs = (3, 5, 2) if args.quick else (20, 100, 20)
    small = [s for s in installed_sources() if s == "freedesktop"]
    sources = [*small, "procedural", "babble"] if args.quick else None
    print(f"{'builder':<8}{'items':>7}{'audio (s)':>12}{'wall (s)':>10}{'audio s/s':>14}"
          f"{'MB':>10}")
    timed("noise", lambda: build_noise_pool(work / "noise", sources=sources,
                                            n_procedural=n_proc, babble_from=speech,
                                            overwrite=True), work / "noise")
    timed("rir", lambda: build_rir_pool(work / "rir", n_rir, overwrite=True), work / "rir")
    timed("music", lambda: build_music(work / "music", n_songs, speech, duration=10.0,
                                       overwrite=True), work / "music")
    print(f"pools in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
