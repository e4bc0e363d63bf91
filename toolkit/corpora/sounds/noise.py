"""Noise pool: real recorded sounds from Debian packages plus procedural noises.

Source: four Debian (main) packages of recorded sounds, scanned in place
(``hedgewars-data``, ``wesnoth-1.16-data``, ``colobot-common-sounds``,
``sound-theme-freedesktop``; see :mod:`toolkit.corpora.sounds.noise_sources` for the
folders, the path rules that give each file one of 13 noise types, and the
licences), procedural stationary noises (white, pink, brown, mains hum, fan;
:mod:`toolkit.dsp.noisegen`) and babble mixed from a speech data directory.

Layout written (a data directory holding its own audio)::

    DIR/audio/<key>.wav   16 kHz mono PCM-16
    DIR/wav.scp           <key> DIR/audio/<key>.wav
    DIR/label             <key> <noise type>
    DIR/utt2source        <key> <source: hedgewars|wesnoth|colobot|freedesktop|procedural|babble>
    DIR/utt2origin        <key> <start s> <end s> <original file>  (or a generator note)
    DIR/utt2dur           <key> <seconds>
    DIR/meta.yaml         seed, shard, types, sources with package versions and licences

Keys: ``<source>-<path slug>-<segment>`` for recordings (files longer than
``max_duration`` are cut into equal segments no longer than it, at most
``max_segments`` of them kept, evenly spread),
``procedural-<type>-<index>`` and ``babble-<index>``. Licences: those of the
packages (GPL-2+, GPL-3+, GFDL-1.3, CC-BY(-SA)-3.0) for recordings; generated
clips carry none; babble inherits the speech directory's.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from toolkit.corpora.sounds.noise_sources import (
    AUDIO_EXTENSIONS,
    GENERATED_LICENCE,
    PROCEDURAL_TYPES,
    SOURCES,
    TYPES,
    key_slug,
    virtual_path,
)
from toolkit.corpora.sounds.soundpool import (
    SAMPLE_RATE,
    Progress,
    dpkg_version,
    finish_pool,
    fmt,
    item_rng,
    select_shard,
    start_pool,
)
from toolkit.data.ops import parse_shard
from toolkit.errors import UserError
from toolkit.fsutil import is_done

log = logging.getLogger(__name__)
ALL_SOURCES = (*SOURCES, "procedural", "babble")
MIN_CLIP_S = 0.05
SILENT_PEAK = 1e-4


@dataclass(frozen=True)
class NoiseItem:
    """One clip to build: a segment of a recording or a generated noise."""

    key: str
    kind: str  # noise type (the label)
    source: str
    path: str = ""  # recording, empty for generated clips
    start: float = 0.0
    end: float | None = None  # None: to the end of the file
    index: int = 0  # generated clips: index within the type


def _source_files(name: str) -> list[tuple[str, str]]:
    """(absolute path, virtual path) of the usable files of a recorded source, sorted."""
    src = SOURCES[name]
    out = []
    for folder, prefix in src.folders:
        root = Path(folder)
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file():
                out.append((str(p), virtual_path(prefix, p.relative_to(root).as_posix())))
    return out


def installed_sources() -> list[str]:
    """Recorded sources whose package is installed (their folders exist)."""
    return [n for n in SOURCES if any(Path(f).is_dir() for f, _ in SOURCES[n].folders)]


def _recorded_items(name: str, types: set[str], max_duration: float,
                    max_segments: int) -> list[NoiseItem]:
    from toolkit.data.audio import audio_info

    src = SOURCES[name]
    items = []
    for path, vpath in _source_files(name):
        kind = src.classify(vpath)
        if kind is None or kind not in types:
            continue
        dur = audio_info(path).duration
        if dur < MIN_CLIP_S:
            continue
        n_seg = max(1, math.ceil(dur / max_duration - 1e-9))
        step = dur / n_seg
        keep = sorted({round(i) for i in np.linspace(0, n_seg - 1, min(n_seg, max_segments))})
        for s in keep:
            end = None if s == n_seg - 1 else round((s + 1) * step, 3)
            items.append(NoiseItem(f"{name}-{key_slug(vpath)}-{s:02d}", kind, name, path,
                                   round(s * step, 3), end))
    return items


def check_names(sources: list[str] | None, types: list[str] | None,
                exclude_types: list[str] | None) -> None:
    """Raise :class:`UserError` for an unknown source or noise type."""
    for t in (types or []) + (exclude_types or []):
        if t not in TYPES:
            raise UserError(f"unknown noise type '{t}'; known: {', '.join(TYPES)}")
    for s in sources or []:
        if s not in ALL_SOURCES:
            raise UserError(f"unknown noise source '{s}'; known: {', '.join(ALL_SOURCES)}")


def catalogue(sources: list[str] | None = None, types: list[str] | None = None,
              exclude_types: list[str] | None = None, n_procedural: int = 20,
              max_duration: float = 10.0, babble_from: str | Path | None = None,
              max_segments: int = 6) -> tuple[list[NoiseItem], dict[str, str]]:
    """Every clip of the (unsharded) pool, sorted by key, and skipped sources with why.

    Raises:
        UserError: unknown source or type, a requested source not installed,
            babble requested without ``babble_from``.
    """
    check_names(sources, types, exclude_types)
    wanted = set(types or TYPES) - set(exclude_types or [])
    explicit = sources is not None
    sources = list(sources or ALL_SOURCES)
    skipped: dict[str, str] = {}
    items: list[NoiseItem] = []
    have = installed_sources()
    for name in sources:
        if name in SOURCES:
            if name not in have:
                hint = f"apt-get install {SOURCES[name].package}"
                if explicit:
                    raise UserError(f"noise source '{name}' is not installed; run: {hint}")
                skipped[name] = f"not installed ({hint})"
                continue
            items += _recorded_items(name, wanted, max_duration, max_segments)
        elif name == "procedural":
            for kind in PROCEDURAL_TYPES:
                if kind in wanted:
                    items += [NoiseItem(f"procedural-{kind}-{i:04d}", kind, "procedural",
                                        index=i) for i in range(n_procedural)]
        elif name == "babble" and "babble" in wanted:
            if babble_from is None:
                if explicit or (types and "babble" in types):
                    raise UserError("babble needs --babble-from DIR (a speech data directory "
                                    "with wav.scp)")
                skipped[name] = "no --babble-from"
                continue
            items += [NoiseItem(f"babble-{i:04d}", "babble", "babble", index=i)
                      for i in range(n_procedural)]
    return sorted(items, key=lambda it: it.key), skipped


@lru_cache(maxsize=256)
def _load_speech(spec: str, offset: float, duration: float | None) -> np.ndarray:
    from toolkit.data.audio import load_mono

    return load_mono(spec, SAMPLE_RATE, offset=offset, duration=duration)[0]


class BabbleSource:
    """Utterances of a speech data directory grouped by speaker (utt2spk when present)."""

    def __init__(self, path: str | Path):
        from toolkit.data.datadir import DataDir

        self.dir = DataDir(path)
        keys = self.dir.keys()
        if not keys:
            raise UserError(f"--babble-from {path}: the data directory is empty")
        utt2spk = self.dir.read("utt2spk") if self.dir.has("utt2spk") else {k: k for k in keys}
        self.by_speaker: dict[str, list[str]] = {}
        for k in keys:
            self.by_speaker.setdefault(utt2spk.get(k, k), []).append(k)
        self.speakers = sorted(self.by_speaker)

    def make(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """A babble clip ``(n,)`` and a note of the utterances it used."""
        from toolkit.dsp.noisegen import babble

        n_talkers = int(rng.integers(3, 8))
        replace = n_talkers > len(self.speakers)
        spks = rng.choice(len(self.speakers), size=n_talkers, replace=replace)
        talkers, used = [], []
        for s in spks:
            utts = self.by_speaker[self.speakers[int(s)]]
            pick = rng.choice(len(utts), size=min(4, len(utts)), replace=False)
            keys = [utts[int(i)] for i in sorted(pick)]
            talkers.append([_load_speech(*self.dir.audio_spec(k)) for k in keys])
            used.append(",".join(keys))
        return babble(talkers, n, rng, SAMPLE_RATE), f"babble {self.dir.path} {';'.join(used)}"


def make_clip(item: NoiseItem, seed: int, duration: float,
              babble_src: BabbleSource | None) -> tuple[np.ndarray, str]:
    """The audio ``(samples,)`` of one item at 16 kHz and its origin note."""
    from toolkit.data.audio import load_mono
    from toolkit.dsp.noisegen import GENERATORS

    n = int(round(duration * SAMPLE_RATE))
    if item.source == "procedural":
        stream = 1 + PROCEDURAL_TYPES.index(item.kind)
        x = GENERATORS[item.kind](n, item_rng(seed, item.index, stream), SAMPLE_RATE)
        return x, f"generated {item.kind}"
    if item.source == "babble":
        assert babble_src is not None
        return babble_src.make(n, item_rng(seed, item.index, stream=99))
    dur = None if item.end is None else item.end - item.start
    x, _ = load_mono(item.path, SAMPLE_RATE, offset=item.start, duration=dur)
    peak = float(np.abs(x).max())
    if peak > 0.999:  # resampling overshoot or a hot master: keep it out of clipping
        x = x * (0.999 / peak)
    end = item.start + len(x) / SAMPLE_RATE
    return x, f"{item.start:.3f} {end:.3f} {item.path}"


def build_noise_pool(out: str | Path, sources: list[str] | None = None,
                     types: list[str] | None = None, exclude_types: list[str] | None = None,
                     shard: str | None = None, seed: int = 0, n_procedural: int = 20,
                     duration: float = 10.0, max_duration: float = 10.0,
                     babble_from: str | Path | None = None, max_segments: int = 6,
                     overwrite: bool = False) -> Path:
    """Build the noise pool (or one shard of it) as a data directory in ``out``.

    Args:
        out: destination folder (audio goes to ``out/audio``).
        sources: recorded sources and/or "procedural", "babble" (default: all
            installed; a source named here but not installed is an error).
        types: keep only these noise types (default: all).
        exclude_types: drop these types (applied after ``types``).
        shard: "J/N" to build the contiguous chunk J of N of the sorted keys.
        seed: seed of the generated clips (recordings involve no randomness).
        n_procedural: clips per procedural type (and babble clips).
        duration: length in seconds of generated clips.
        max_duration: recordings longer than this are cut into equal segments.
        max_segments: at most this many segments per recording (evenly spread),
            so that long music tracks do not dominate the pool.
        babble_from: speech data directory for babble.
        overwrite: rebuild a finished pool.

    Returns:
        ``out``.
    """
    if duration <= 0 or max_duration <= 0 or max_segments < 1:
        raise UserError("--duration, --max-duration and --max-segments must be positive")
    check_names(sources, types, exclude_types)
    parse_shard(shard)
    if is_done(out) and not overwrite:
        start_pool(out, overwrite)  # logs the skip
        return Path(out)
    items, skipped = catalogue(sources, types, exclude_types, n_procedural, max_duration,
                               babble_from, max_segments)
    if not items:
        raise UserError("no noise clips match these --sources/--types; see --list")
    keys = set(select_shard([it.key for it in items], shard))
    total = len(items)
    items = [it for it in items if it.key in keys]
    if not items:
        log.warning("shard %s of %d clips is empty", shard, total)
    start_pool(out, overwrite)
    out = Path(out).resolve()
    babble_src = BabbleSource(babble_from) if babble_from and any(
        it.source == "babble" for it in items) else None
    files: dict[str, dict[str, str]] = {n: {} for n in
                                        ("wav.scp", "label", "utt2source", "utt2origin",
                                         "utt2dur")}
    progress = Progress("noise", len(items))
    n_silent = 0
    from toolkit.data.audio import save_audio

    for it in items:
        x, origin = make_clip(it, seed, duration, babble_src)
        if float(np.abs(x).max()) < SILENT_PEAK:
            n_silent += 1
            progress.step()
            continue
        wav = save_audio(out / "audio" / f"{it.key}.wav", x, SAMPLE_RATE)
        for name, value in (("wav.scp", wav), ("label", it.kind), ("utt2source", it.source),
                            ("utt2origin", origin), ("utt2dur", fmt(len(x) / SAMPLE_RATE))):
            files[name][it.key] = value
        progress.step(len(x) / SAMPLE_RATE)
    used = sorted({it.source for it in items})
    meta = {"corpus": "noise", "seed": seed, "shard": shard or "1/1",
            "types": sorted({it.kind for it in items}),
            "params": {"n_procedural": n_procedural, "duration": duration,
                       "max_duration": max_duration, "max_segments": max_segments,
                       "babble_from": str(Path(babble_from).resolve()) if babble_from else None},
            "sources": {s: _provenance(s, babble_src) for s in used},
            "skipped_sources": skipped, "silent_clips_dropped": n_silent,
            "build": progress.summary()}
    return finish_pool(out, files, meta)


def _provenance(source: str, babble_src: BabbleSource | None) -> dict[str, str | None]:
    if source in SOURCES:
        s = SOURCES[source]
        return {"package": s.package, "version": dpkg_version(s.package), "licence": s.licence,
                "description": s.description}
    if source == "babble" and babble_src is not None:
        m = babble_src.dir.meta
        lic = m.get("licence") or m.get("license") or "that of the speech directory"
        return {"speech_dir": str(babble_src.dir.path.resolve()), "licence": str(lic)}
    return {"licence": GENERATED_LICENCE}


def list_types() -> list[dict[str, str | int]]:
    """One row per noise type: name, description, sources, clips available (files)."""
    counts: dict[str, dict[str, int]] = {t: {} for t in TYPES}
    for name in installed_sources():
        for _, vpath in _source_files(name):
            kind = SOURCES[name].classify(vpath)
            if kind:
                counts[kind][name] = counts[kind].get(name, 0) + 1
    rows = []
    for t, desc in TYPES.items():
        if t in PROCEDURAL_TYPES:
            where = "procedural"
        elif t == "babble":
            where = "babble (--babble-from)"
        else:
            where = ", ".join(f"{s}:{n}" for s, n in sorted(counts[t].items())) or "-"
        rows.append({"type": t, "description": desc, "sources": where,
                     "files": sum(counts[t].values())})
    return rows
