"""Built-in offline sound event corpus: noise/effect types and GM instrument families.

Sixteen classes, all from material installed by Debian packages (no download):

- eight **noise and effect types** of the noise pool (:mod:`toolkit.corpora.sounds.noise`):
  ``ambient, machine, impact, alert, vocal, voice`` are real recordings from game and
  desktop sound packages (hedgewars, wesnoth, colobot, freedesktop sound theme);
  ``hum, fan`` are procedural;
- eight **General MIDI instrument families** rendered with FluidSynth from the
  FluidR3 soundfont (:class:`toolkit.corpora.sounds.fluid.FluidRenderer`): ``piano, organ,
  guitar, bass, strings, brass, reed, pipe``. Each clip picks one of the family's eight
  programs and plays a random phrase (notes, chords or arpeggios) in that
  instrument's register.

Each class gets ``per_class`` clips of ``duration`` seconds at 16 kHz: a random
segment of a recording (recordings shorter than the clip are placed at a random
offset in silence), or a rendered phrase. Folds ``1..n_folds`` are assigned per
source recording (all segments of one file share a fold), like ESC's folds.

Layout written: ``DIR/audio/<key>.wav``, ``wav.scp``, ``label``, ``utt2fold``,
``utt2origin`` and ``meta.yaml`` (classes, sources with package versions and licences).
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import numpy as np

from toolkit.errors import UserError

log = logging.getLogger(__name__)
SAMPLE_RATE = 16000
NOISE_TYPES = ("ambient", "machine", "impact", "alert", "vocal", "voice", "hum", "fan")
# GM family -> (first program, lowest MIDI key, highest MIDI key)
FAMILIES = {"piano": (0, 36, 96), "organ": (16, 36, 84), "guitar": (24, 40, 84),
            "bass": (32, 28, 55), "strings": (40, 43, 96), "brass": (56, 40, 82),
            "reed": (64, 46, 84), "pipe": (72, 60, 96)}


def _phrase(rng: np.random.Generator, lo: int, hi: int, duration: float):
    """Random notes ``[(start, dur, key, velocity)]`` filling ``duration`` seconds."""
    notes, t = [], float(rng.uniform(0.0, 0.4))
    style = rng.choice(["melody", "chords", "arpeggio"])
    root = int(rng.integers(lo, max(lo + 1, hi - 12)))
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    step = float(rng.choice([0.15, 0.25, 0.4, 0.6]))
    while t < duration - 0.2:
        dur = step * float(rng.choice([1, 1, 2, 3]))
        vel = int(rng.integers(60, 115))
        if style == "chords":
            keys = [root + int(rng.choice(scale[:5]))] + [root + 4, root + 7]
        else:
            keys = [root + int(rng.choice(scale))]
        for k in keys:
            notes.append((t, min(dur, duration - t), int(np.clip(k, lo, hi)), vel))
        t += dur if style != "arpeggio" else step
    return notes


def _fit(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``n``-sample segment, or ``x`` at a random offset in silence."""
    if len(x) >= n:
        s = int(rng.integers(0, len(x) - n + 1))
        return x[s: s + n]
    out = np.zeros(n, np.float32)
    s = int(rng.integers(0, n - len(x) + 1))
    out[s: s + len(x)] = x
    return out


def build_aed_sounds(out: str | Path, per_class: int = 40, duration: float = 5.0, seed: int = 0,
                     noise_types: list[str] | None = None, families: list[str] | None = None,
                     n_folds: int = 5, soundfont: str | None = None,
                     overwrite: bool = False) -> Path:
    """Build the corpus into ``out`` (a data directory holding its audio).

    Args:
        out: destination folder.
        per_class: clips per class.
        duration: clip length in seconds.
        seed: randomness of segment choice and rendered phrases.
        noise_types, families: subsets of the classes (default: all sixteen).
        n_folds: folds assigned by source recording (by clip for rendered music).
        soundfont: .sf2 file (default FluidR3_GM).
        overwrite: rebuild a finished corpus.
    """
    from toolkit.corpora.sounds.fluid import DEFAULT_SOUNDFONT, FluidRenderer
    from toolkit.corpora.sounds.noise import catalogue, make_clip
    from toolkit.corpora.sounds.soundpool import dpkg_version, finish_pool, start_pool
    from toolkit.data.audio import save_audio

    noise_types = list(noise_types) if noise_types is not None else list(NOISE_TYPES)
    families = list(families) if families is not None else list(FAMILIES)
    bad = [t for t in noise_types if t not in NOISE_TYPES] + [f for f in families
                                                              if f not in FAMILIES]
    if bad:
        raise UserError(f"unknown class '{bad[0]}' (noise types: {', '.join(NOISE_TYPES)}; "
                        f"families: {', '.join(FAMILIES)})")
    if per_class < 1 or duration <= 0 or n_folds < 1:
        raise UserError("per_class, duration and n_folds must be positive")
    if not start_pool(out, overwrite):
        return Path(out)
    out = Path(out).resolve()
    n = int(round(duration * SAMPLE_RATE))
    files: dict[str, dict[str, str]] = {k: {} for k in ("wav.scp", "label", "utt2fold",
                                                           "utt2origin")}

    def add(key: str, label: str, x: np.ndarray, fold: int, origin: str) -> None:
        peak = float(np.abs(x).max())
        if peak > 0.99:
            x = x * (0.99 / peak)
        files["wav.scp"][key] = save_audio(out / "audio" / f"{key}.wav", x, SAMPLE_RATE)
        files["label"][key], files["utt2fold"][key] = label, str(fold)
        files["utt2origin"][key] = origin

    if noise_types:
        items, _ = catalogue(types=noise_types, max_duration=30.0, max_segments=1)
        for kind in noise_types:
            pool = [it for it in items if it.kind == kind]
            if not pool:
                raise UserError(f"no '{kind}' sounds installed; see 'sptk-cli corpus noise "
                                "--list' for the packages")
            rng = np.random.default_rng([seed, zlib.crc32(kind.encode())])
            picks = rng.permutation(len(pool))
            for i in range(per_class):
                it = pool[int(picks[i % len(pool)])]
                # a generated type repeats its items with another seed, not the same audio
                x, origin = make_clip(it, seed * 1009 + i // len(pool), duration, None)
                fold = 1 + zlib.crc32(it.key.encode()) % n_folds
                add(f"{kind}-{i:04d}", kind, _fit(np.asarray(x, np.float32), n, rng), fold,
                    origin)
    if families:
        import librosa

        renderer = FluidRenderer(soundfont or DEFAULT_SOUNDFONT)
        try:
            from toolkit.corpora.sounds.music_score import Song, Stem

            for fam in families:
                first, lo, hi = FAMILIES[fam]
                rng = np.random.default_rng([seed, zlib.crc32(fam.encode())])
                for i in range(per_class):
                    program = first + int(rng.integers(0, 8))
                    stem = Stem("keys", 0, 0, program, _phrase(rng, lo, hi, duration))
                    song = Song(120.0, 0, "major", (0,), [stem], [], duration)
                    y = renderer.render(song)["keys"]
                    y = librosa.resample(y, orig_sr=renderer.rate, target_sr=SAMPLE_RATE)
                    y = np.asarray(y[:n], np.float32)
                    y = y / max(float(np.abs(y).max()), 1e-6) * float(rng.uniform(0.2, 0.8))
                    add(f"{fam}-{i:04d}", fam, _fit(y, n, rng), 1 + i % n_folds,
                        f"FluidSynth GM program {program}")
        finally:
            renderer.close()
    meta = {"corpus": "aed_sounds", "sample_rate": SAMPLE_RATE, "seed": seed,
            "classes": noise_types + families, "per_class": per_class, "duration": duration,
            "sources": {p: dpkg_version(p) for p in (
                "hedgewars-data", "wesnoth-1.16-data", "colobot-common-sounds",
                "sound-theme-freedesktop", "fluid-soundfont-gm")},
            "licences": "recordings: those of their packages (GPL-2+, GPL-3+, CC-BY(-SA)-3.0); "
                        "FluidR3_GM: MIT; procedural clips: none"}
    return finish_pool(out, files, meta)
