"""Corpora of the svs recipe: layout detection, the built-in songs, splits, stage-2 dumps.

``sptk-cli svs prepare --src PATH`` accepts any of these layouts (detected):

- a data directory (``wav.scp`` with ``vocals.scp`` and ``accomp.scp``), e.g. the
  built-in song corpus (``sptk-cli svs corpus``: :mod:`toolkit.corpora.sounds.music`);
- MIR-1K (:mod:`toolkit.corpora.external.mir1k`), iKala (:mod:`toolkit.corpora.external.ikala`),
  MUSDB18 decoded stems (:mod:`toolkit.corpora.external.musdb`);

and splits it into ``train``, ``dev`` and ``test`` data directories as the
config's ``split`` section says (:class:`toolkit.svs.config.SVSSplitConfig`).
Clips of one song always stay in one part.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.corpora.debian.speech_pool import build_speech_pool
from toolkit.corpora.external import ikala, mir1k, musdb
from toolkit.corpora.sounds.music import build_music
from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.data.ops import combine, files_for, parse_shard, shard_keys, subset
from toolkit.errors import UserError
from toolkit.fsutil import atomic_file, atomic_write_text, skip_if_done

log = logging.getLogger(__name__)
LAYOUTS = ("datadir", "mir1k", "ikala", "musdb")


def detect_layout(src: str | Path) -> str:
    """The layout of ``src`` (one of :data:`LAYOUTS`)."""
    src = Path(src)
    if not src.is_dir():
        raise UserError(f"corpus {src} is not a directory")
    if (src / "wav.scp").is_file():
        return "datadir"
    if mir1k.find_clips(src):
        return "mir1k"
    if mir1k.find_clips(src, ikala.CLIP):
        return "ikala"
    if musdb.find_tracks(src):
        return "musdb"
    raise UserError(f"{src}: not a known svs corpus layout (a data directory with wav.scp, "
                    "MIR-1K Wavfile/, iKala Wavfile/, MUSDB18 <track>/mixture.wav)")


def prepare_corpus(src: str | Path, dst: str | Path, layout: str = "auto",
                   overwrite: bool = False) -> Path:
    """A data directory of the whole corpus at ``dst`` (a data directory source is copied:
    its key-value files, not its audio)."""

    layout = detect_layout(src) if layout == "auto" else layout
    if layout not in LAYOUTS:
        raise UserError(f"--layout {layout}: use auto or one of {', '.join(LAYOUTS)}")
    log.info("corpus %s: %s layout", src, layout)
    if layout == "datadir":
        d = DataDir(src)
        for role in ("vocals.scp", "accomp.scp"):
            if not d.has(role):
                raise UserError(f"{src} has no {role}; the svs recipe needs the stems")
        if not skip_if_done(dst, overwrite):
            subset(d.path, dst, d.keys(), note="svs prepare", overwrite=overwrite)
        return Path(dst)
    return {"mir1k": mir1k, "ikala": ikala, "musdb": musdb}[layout].prepare(src, dst, overwrite)


def _groups(d, keys: list[str]) -> dict[str, list[str]]:
    song = d.read("utt2song") if d.has("utt2song") else {}
    out: dict[str, list[str]] = {}
    for k in keys:
        out.setdefault(song.get(k, k), []).append(k)
    return out


def _draw(groups: dict[str, list[str]], fraction: float, rng: np.random.Generator) -> list[str]:
    """Keys of whole groups, about ``fraction`` of the keys (at least one group if > 0)."""
    names = sorted(groups)
    if fraction <= 0 or len(names) < 2:
        return []
    order = [names[i] for i in rng.permutation(len(names))]
    total = sum(len(g) for g in groups.values())
    picked: list[str] = []
    for name in order:
        if picked and len(picked) + len(groups[name]) / 2 > fraction * total:
            break
        picked += groups[name]
    return picked


def split_keys(d, split: Any) -> dict[str, list[str]]:
    """``{"train", "dev", "test"}`` key lists of data directory ``d`` (see the module doc)."""
    keys = d.keys()
    rng = np.random.default_rng(split.seed)
    spk = d.read("utt2spk") if d.has("utt2spk") else {}
    if d.has("utt2set") and set(d.read("utt2set").values()) >= {"train", "test"}:
        sets = d.read("utt2set")
        test = [k for k in keys if sets[k] == "test"]
    elif split.train_speakers:
        train_spk = set(split.train_speakers)
        test_spk = set(split.test_speakers)
        test = [k for k in keys if spk.get(k) not in train_spk
                and (not test_spk or spk.get(k) in test_spk)]
        keys = [k for k in keys if spk.get(k) in train_spk or k in set(test)]
    elif split.test_speakers:
        test = [k for k in keys if spk.get(k) in set(split.test_speakers)]
    else:
        test = _draw(_groups(d, keys), split.test_fraction, rng)
    unknown = (set(split.train_speakers) | set(split.test_speakers)) - set(spk.values())
    if unknown:
        raise UserError(f"split: speaker(s) {', '.join(sorted(unknown))} not in "
                        f"{d.path}/utt2spk (known: {', '.join(sorted(set(spk.values()))[:20])})")
    rest = [k for k in keys if k not in set(test)]
    dev = _draw(_groups(d, rest), split.dev_fraction, rng)
    train = [k for k in rest if k not in set(dev)]
    if not train or not test:
        raise UserError(f"split of {d.path} leaves an empty part (train {len(train)}, "
                        f"test {len(test)}); check the split section of the config")
    return {"train": train, "dev": dev or train[:1], "test": test}


def prepare_and_split(src: str | Path, out_dir: str | Path, split: Any, layout: str = "auto",
                      overwrite: bool = False) -> dict[str, Path]:
    """``out_dir/{all,train,dev,test}`` from a corpus in any known layout."""
    out_dir = Path(out_dir)
    marker = out_dir / "corpus_source"
    source = str(Path(src).resolve())
    if marker.is_file() and not overwrite and marker.read_text().strip() != source:
        raise UserError(f"{out_dir} was prepared from {marker.read_text().strip()}, not "
                        f"{source}; give another --data-tag (run.sh) or --out-dir, or "
                        "--overwrite to redo everything")
    whole = prepare_corpus(src, out_dir / "all", layout, overwrite)
    atomic_write_text(marker, source + "\n")
    d = DataDir(whole)
    parts = split_keys(d, split)
    for name, keys in parts.items():
        if not skip_if_done(out_dir / name, overwrite):
            subset(d.path, out_dir / name, keys, note=f"svs split: {name}", overwrite=overwrite)
        log.info("%s: %d clips", out_dir / name, len(keys))
    return {name: out_dir / name for name in parts}


def build_builtin(cfg: Any, out: str | Path, overwrite: bool = False) -> Path:
    """The built-in song corpus of ``cfg`` (SVSCorpusConfig): ``out/speech``, ``out/music``.

    Songs are built in groups, one per soundfont (``out/music<g>``), then
    combined into ``out/songs`` (keys ``music<g>-song<i>``).
    """
    out = Path(out)
    build_speech_pool(out / "speech", cfg.speech_sources, None, cfg.speech_max_per_lang,
                      cfg.seed, None, overwrite)
    fonts = cfg.soundfonts or ["/usr/share/sounds/sf2/FluidR3_GM.sf2"]
    parts = []
    for g, font in enumerate(fonts):
        n = cfg.n // len(fonts) + (1 if g < cfg.n % len(fonts) else 0)
        if n:
            parts.append(build_music(out / f"music{g}", n, out / "speech", cfg.duration, font,
                                     None, cfg.seed + 1000 * g, overwrite))
    if not skip_if_done(out / "songs", overwrite):
        combine(parts, out / "songs", prefix=True, overwrite=overwrite)
    return out / "songs"


def stems_datadir(path: str | Path, purpose: str) -> DataDir:
    """The data directory at ``path``, which must hold both stems (``vocals.scp``,
    ``accomp.scp``); ``purpose`` names what needs them in the error."""
    d = DataDir(path)
    for role in ("vocals.scp", "accomp.scp"):
        if not d.has(role):
            raise UserError(f"{d.path} has no {role}; {purpose} needs the stems")
    return d


def dump_stems(data: str | Path, out: str | Path, spec: Any, shard: str | None = None,
               overwrite: bool = False) -> Path:
    """Stage 2: each clip's stems at the model rate as ``out/stems/<key>.npy`` (2, samples)."""
    sh = parse_shard(shard)
    out = Path(out).resolve()
    if skip_if_done(out, overwrite):
        return out
    d = stems_datadir(data, "training")
    keys = shard_keys(d.keys(), *sh) if sh else d.keys()
    stems = {}
    for key in keys:
        path = out / "stems" / f"{key}.npy"
        if not path.is_file():
            v = load_mono(d.read("vocals.scp")[key], spec.sample_rate)[0]
            a = load_mono(d.read("accomp.scp")[key], spec.sample_rate)[0]
            n = min(len(v), len(a))
            with atomic_file(path) as tmp:
                np.save(tmp, np.stack([v[:n], a[:n]]).astype(np.float32))
        stems[key] = str(path)
    files = files_for(d, keys)
    files["stems.scp"] = stems
    meta = {**d.meta, "stems_rate": spec.sample_rate, "source": str(d.path), "shard": shard}
    meta.pop("created_by", None)
    return write_datadir(out, files, meta, overwrite=True, in_place=True)
