"""Build a speech pool (a data directory of 16 kHz speech) from Debian packages.

The pool gathers the transcribed recordings of the selected sources
(:mod:`~toolkit.corpora.debian.asterisk`, :mod:`~toolkit.corpora.debian.tuxpaint`,
:mod:`~toolkit.corpora.debian.ktuberling`) into one data directory::

    DIR/audio/<key>.wav   16 kHz mono PCM, one file per utterance
    DIR/wav.scp text utt2spk spk2utt utt2lang utt2dur meta.yaml .done

Selection is deterministic: ``max_per_lang`` keeps at most N clips per
language of each source, drawn with a generator seeded by ``(seed, source,
language)``, so adding a source or a language never changes the clips drawn for
the others. ``shard=(J, N)`` then keeps chunk J of the sorted keys
(:func:`toolkit.data.ops.shard_keys`), so the shards of one selection are
disjoint and together equal the unsharded pool. A run that was killed keeps the
audio files it finished (each is written atomically) and a rerun reuses them.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

from toolkit.corpora.debian.common import SAMPLE_RATE, Clip
from toolkit.errors import UserError

log = logging.getLogger(__name__)
SOURCE_NAMES = ("asterisk", "tuxpaint", "ktuberling")


def source_module(name: str) -> ModuleType:
    """The module of a source name (one-line error listing the known ones)."""
    import importlib

    if name not in SOURCE_NAMES:
        raise UserError(f"unknown speech source '{name}'; known: {', '.join(SOURCE_NAMES)}")
    return importlib.import_module(f"toolkit.corpora.debian.{name}")


def scan_sources(sources: list[str], langs: list[str] | None = None) -> list[Clip]:
    """All clips of ``sources`` in ``langs`` (None: every installed language).

    Raises:
        UserError: a source's package is missing (with the apt-get line), or a
            requested language is in none of the sources.
    """
    modules = {name: source_module(name) for name in dict.fromkeys(sources)}
    # Languages each source has installed, or could have once its packages are.
    have = {name: set(mod.languages()) | set(getattr(mod, "LANGS", ()))
            for name, mod in modules.items()}
    if langs:
        nowhere = [lang for lang in langs if not any(lang in h for h in have.values())]
        if nowhere and all(mod.languages() for mod in modules.values()):
            known = sorted(set().union(*have.values()))
            raise UserError(f"no selected source has language {', '.join(nowhere)}; "
                            f"they have {', '.join(known)}")
    clips: list[Clip] = []
    for name, mod in modules.items():
        wanted = [lang for lang in langs if lang in have[name]] if langs else None
        if wanted == [] and mod.languages():
            continue  # installed, but has none of the requested languages
        clips += mod.scan(wanted or None)
    keys = [c.key for c in clips]
    if len(set(keys)) != len(keys):
        raise RuntimeError("duplicate utterance keys across sources")
    return sorted(clips, key=lambda c: c.key)


def select_clips(clips: list[Clip], max_per_lang: int | None = None, seed: int = 0,
                 shard: tuple[int, int] | None = None) -> list[Clip]:
    """Deterministic subset: at most ``max_per_lang`` per (source, language), then a shard."""
    from toolkit.data.ops import shard_keys

    if max_per_lang is not None and max_per_lang < 1:
        raise UserError(f"--max-per-lang must be at least 1, got {max_per_lang}")
    groups: dict[tuple[str, str], list[Clip]] = defaultdict(list)
    for clip in clips:
        groups[(clip.source, clip.lang)].append(clip)
    chosen: list[Clip] = []
    for (source, lang), group in sorted(groups.items()):
        group = sorted(group, key=lambda c: c.key)
        if max_per_lang is not None and len(group) > max_per_lang:
            group = random.Random(f"{seed}:{source}:{lang}").sample(group, max_per_lang)
        chosen += group
    chosen.sort(key=lambda c: c.key)
    if shard is not None:
        keep = set(shard_keys([c.key for c in chosen], *shard))
        chosen = [c for c in chosen if c.key in keep]
    return chosen


def summarize(clips: list[Clip], seconds: dict[str, float] | None = None
              ) -> list[dict[str, Any]]:
    """One row per (source, language, speaker): clips and minutes.

    Args:
        clips: the clips.
        seconds: {key: duration}; default: each clip's header duration.
    """
    seconds = seconds or {c.key: c.duration() for c in clips}
    rows: dict[tuple[str, str, str], list[Clip]] = defaultdict(list)
    for clip in clips:
        rows[(clip.source, clip.lang, clip.speaker)].append(clip)
    return [{"source": s, "lang": lang, "speaker": spk, "clips": len(group),
             "minutes": round(sum(seconds[c.key] for c in group) / 60, 2)}
            for (s, lang, spk), group in sorted(rows.items())]


def provenance(sources: list[str], langs: list[str] | None) -> dict[str, Any]:
    """Per source: licence, Debian packages and versions, description."""
    from toolkit.corpora.debian.packages import package_versions

    out = {}
    for name in sources:
        mod = source_module(name)
        installed = mod.languages()
        used = [lang for lang in (langs or installed) if lang in installed]
        out[name] = {"licence": mod.LICENCE, "packages": package_versions(mod.packages(used)),
                     "description": (mod.__doc__ or "").strip().splitlines()[0]}
    return out


def build_speech_pool(out: str | Path, sources: list[str] | None = None,
                      langs: list[str] | None = None, max_per_lang: int | None = None,
                      seed: int = 0, shard: tuple[int, int] | None = None,
                      overwrite: bool = False) -> dict[str, Any]:
    """Write the speech pool data directory ``out`` (see the module doc).

    Args:
        out: destination data directory (audio goes to ``out/audio``).
        sources: source names (default: all of :data:`SOURCE_NAMES`).
        langs: ISO codes to keep (default: every language of the sources).
        max_per_lang: at most this many clips per language of each source.
        seed: seed of the selection.
        shard: ``(J, N)``: keep chunk J of N of the selected keys.
        overwrite: redo a finished directory and re-decode every clip.

    Returns:
        Statistics: ``skipped`` (already complete), ``clips``, ``seconds`` of
        audio, ``wall`` seconds spent.
    """
    from toolkit.data.audio import save_audio
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import DONE, skip_if_done

    out = Path(out)
    if skip_if_done(out, overwrite):
        return {"skipped": True, "clips": 0, "seconds": 0.0, "wall": 0.0}
    t0 = time.time()
    sources = list(sources or SOURCE_NAMES)
    clips = select_clips(scan_sources(sources, langs), max_per_lang, seed, shard)
    if not clips:
        raise UserError("the selection holds no clips (check --langs and --shard)")
    (out / DONE).unlink(missing_ok=True)
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, str]] = {n: {} for n in
                                        ("wav.scp", "text", "utt2spk", "utt2lang", "utt2dur")}
    modules = {name: source_module(name) for name in sources}
    total = 0.0
    for n, clip in enumerate(clips, 1):
        wav = audio_dir / f"{clip.key}.wav"
        samples = _existing_samples(wav) if not overwrite else None
        if samples is None:
            x = modules[clip.source].load(clip)
            save_audio(wav, x, SAMPLE_RATE, clip_warn=False)
            samples = int(x.shape[-1])
        seconds = samples / SAMPLE_RATE
        total += seconds
        files["wav.scp"][clip.key] = str(wav.resolve())
        files["text"][clip.key] = clip.text
        files["utt2spk"][clip.key] = clip.speaker
        files["utt2lang"][clip.key] = clip.lang
        files["utt2dur"][clip.key] = f"{seconds:.4f}"
        if n % 500 == 0:
            log.info("%d/%d clips decoded", n, len(clips))
    meta = {"sample_rate": SAMPLE_RATE, "corpus": "speech",
            "sources": provenance(sources, langs),
            "selection": {"langs": langs or "all", "max_per_lang": max_per_lang, "seed": seed,
                          "shard": f"{shard[0]}/{shard[1]}" if shard else None},
            "summary": summarize(clips, {k: float(v) for k, v in files["utt2dur"].items()})}
    write_datadir(out, files, meta, overwrite=True, in_place=True)
    keep = {f"{c.key}.wav" for c in clips}
    for stale in audio_dir.glob("*.wav"):
        if stale.name not in keep:
            stale.unlink()
    wall = time.time() - t0
    log.info("%s: %d clips, %.1f min of audio in %.1f s", out, len(clips), total / 60, wall)
    return {"skipped": False, "clips": len(clips), "seconds": total, "wall": wall}


def _existing_samples(path: Path) -> int | None:
    """Sample count of an already written 16 kHz clip (None: absent or unusable)."""
    import soundfile as sf

    if not path.is_file():
        return None
    try:
        info = sf.info(str(path))
    except RuntimeError:
        return None
    return int(info.frames) if info.samplerate == SAMPLE_RATE and info.frames > 0 else None
