"""Recipe stages 1-2 of tts: language/speaker splits, stage-2 features, the phone set.

- :func:`prepare_splits` (stage 1): from a speech pool, the training languages'
  ``train``/``dev``/``test`` and the adaptation languages' ``adapt_train``
  (little data) / ``adapt_dev`` / ``adapt_test``, drawn per (language, speaker)
  pair; ``aligner_train`` is train + adapt_train (the aligner must know every phone).
- :func:`analyze_datadir`: WORLD features of a data directory (``feats.scp``).
- :func:`prepare_features` (stage 2, sharded): phrase labels, vocoder features
  and forced alignment with a trained aligner, in one pass per utterance.
- :func:`write_phone_set`: the union phone inventory of the training languages,
  then the adaptation languages in free slots, copied into every dump directory.
"""

from __future__ import annotations

import logging
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.corpora.debian.speech_pool import build_speech_pool
from toolkit.data.audio import load_mono, save_audio
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.data.ops import files_for, merge
from toolkit.dsp.world import VocoderConfig, analyze
from toolkit.errors import UserError
from toolkit.fsutil import atomic_file, is_done, skip_if_done
from toolkit.progress import Progress
from toolkit.text.es_accents import restore_accents
from toolkit.text.synthesize import build_espeak_corpus, read_sentences
from toolkit.tts.conditioning import condition
from toolkit.tts.config import TtsConfig, TtsCorpusConfig
from toolkit.tts.frontend import PhoneSet, label_sequence, parse_phrases
from toolkit.tts.labels import add_labels, align_datadir

log = logging.getLogger(__name__)
SETS = ("train", "dev", "test", "adapt_train", "adapt_dev", "adapt_test")


def build_corpus(conf: TtsCorpusConfig, out: str | Path,
                 overwrite: bool = False) -> dict[str, Any]:
    """Stage 0: ``out/pool`` (speech pool of the configured languages) and ``out/espeak``."""
    out = Path(out)
    langs = [*conf.train_langs, *conf.adapt_langs]
    pool = build_speech_pool(out / "pool", conf.sources, langs, conf.max_per_lang or None,
                             conf.seed, None, overwrite)
    parts = []
    for lang in conf.espeak_langs:
        part = out / "espeak_parts" / lang
        build_espeak_corpus(part, lang, read_sentences(None, lang), conf.espeak_voices,
                            overwrite=overwrite)
        parts.append(part)
    if parts and (overwrite or not is_done(out / "espeak")):
        merge(parts, out / "espeak", overwrite=True)
    return pool


def prepare_splits(pool: str | Path, out: str | Path, conf: TtsCorpusConfig,
                   overwrite: bool = False) -> dict[str, int]:
    """Write ``out/{train,dev,test,adapt_*,aligner_train}`` from a speech pool (module doc).

    ``corpus.adapt_sizes`` adds ``adapt_train_<n>`` (nested subsets of ``adapt_train``).

    The audio of every kept utterance is conditioned once (:func:`condition_audio`)
    into ``out/audio`` and the Spanish transcripts get their accents back; the
    splits refer to those files.
    """
    src = DataDir(pool)
    langs, spks = src.read("utt2lang"), src.read("utt2spk")
    durs = src.read("utt2dur") if src.has("utt2dur") else {}
    overlap = set(conf.train_langs) & set(conf.adapt_langs)
    if overlap:
        raise UserError(f"corpus.train_langs and corpus.adapt_langs share {sorted(overlap)}")
    pairs: dict[tuple[str, str], list[str]] = {}
    for key in src.keys():
        if langs[key] in conf.train_langs or langs[key] in conf.adapt_langs:
            if not durs or float(durs[key]) <= conf.max_seconds:
                pairs.setdefault((langs[key], spks[key]), []).append(key)
    missing = [lg for lg in [*conf.train_langs, *conf.adapt_langs]
               if lg not in {p[0] for p in pairs}]
    if missing:
        raise UserError(f"{src.path} has no utterances of language(s) {', '.join(missing)}; "
                        "build the pool with them or change corpus.train_langs/adapt_langs")
    sets: dict[str, list[str]] = {s: [] for s in SETS}
    held = conf.dev_per_speaker + conf.test_per_speaker
    for (lang, spk), keys in sorted(pairs.items()):
        if len(keys) < held + 5:
            log.warning("(%s, %s) has only %d utterances; left out", lang, spk, len(keys))
            continue
        keys = sorted(keys)
        random.Random(f"{conf.seed}-{lang}-{spk}").shuffle(keys)
        prefix = "adapt_" if lang in conf.adapt_langs else ""
        sets[prefix + "dev"] += keys[: conf.dev_per_speaker]
        sets[prefix + "test"] += keys[conf.dev_per_speaker: held]
        rest = keys[held:]
        cap = conf.adapt_train_utts if prefix else conf.max_per_speaker
        sets[prefix + "train"] += rest[:cap] if cap else rest
        for n in conf.adapt_sizes if prefix else ():
            if len(rest) < n:
                log.warning("(%s, %s): adapt_train_%d has only %d utterances", lang, spk, n,
                            len(rest))
            sets.setdefault(f"adapt_train_{n}", []).extend(rest[:n])
    # Forced alignment is trained on every utterance it must align (as Kaldi aligns a
    # whole corpus): the timing is not supervised, and every phone is then known.
    sets["aligner_train"] = [k for name in SETS for k in sets[name]]  # sizes: subsets
    for name, keys in sets.items():
        if not keys:
            raise UserError(f"split '{name}' is empty; lower corpus.dev_per_speaker / "
                            "test_per_speaker or add data")
    counts = {name: len(keys) for name, keys in sets.items()}
    if not overwrite and all(is_done(Path(out) / name) for name in sets):
        return counts
    files = condition_audio(src, sets["aligner_train"], Path(out) / "audio", conf)
    for name, keys in sets.items():
        meta = {**src.meta, "derived_from": str(src.path), "split": name,
                "conditioning": {"loudness_lufs": conf.loudness_lufs, "trim_db": conf.trim_db,
                                 "restore_es_accents": conf.restore_es_accents}}
        meta.pop("created_by", None)
        wanted = set(keys)
        write_datadir(Path(out) / name, {role: {k: v for k, v in m.items() if k in wanted}
                                         for role, m in files.items()}, meta, overwrite=True)
    return counts


def condition_audio(src: DataDir, keys: list[str], audio_dir: Path,
                    conf: TtsCorpusConfig) -> dict[str, dict[str, str]]:
    """Trimmed, loudness-normalised copies of ``keys`` in ``audio_dir``; the files of a data dir.

    Returns the roles of ``src`` for ``keys`` with ``wav.scp`` and ``utt2dur`` of
    the new audio (``segments`` dropped: one file per utterance) and, for ``es``,
    the text with its accents restored (:mod:`toolkit.text.es_accents`).
    """
    files = files_for(src, keys)
    for role in ("segments", "reco2dur"):
        files.pop(role, None)
    langs = src.read("utt2lang")
    rate = src.sample_rate or 16000
    files["wav.scp"], files["utt2dur"] = {}, {}
    with Progress("conditioning audio", len(keys), "utt") as bar:
        for key in keys:
            path, offset, duration = src.audio_spec(key)
            x, _ = load_mono(path, rate, offset=offset, duration=duration)
            x = condition(x, rate, conf.loudness_lufs or None, conf.trim_db or None)
            wav = save_audio(audio_dir / f"{key}.wav", x, rate)
            files["wav.scp"][key] = str(wav.resolve())
            files["utt2dur"][key] = f"{len(x) / rate:.4f}"
            if conf.restore_es_accents and langs[key] == "es" and "text" in files:
                files["text"][key] = restore_accents(files["text"][key])
            bar.advance(1)
    return files


def analyze_datadir(data: str | Path, out: str | Path, conf: VocoderConfig,
                    keys: list[str] | None = None,
                    overwrite: bool = False) -> dict[str, Any]:
    """Copy ``data`` (or its ``keys``) to ``out`` with WORLD ``feats.scp``, ``utt2num_frames``."""
    if skip_if_done(out, overwrite):
        return {"skipped": True}
    d = DataDir(data)
    keys = d.keys() if keys is None else keys
    feats, frames = {}, {}
    for key in keys:
        y = _analyze_one(d, key, Path(out), conf)
        feats[key], frames[key] = str((Path(out) / "feats" / f"{key}.npy").resolve()), str(len(y))
    files = files_for(d, keys)
    files["feats.scp"], files["utt2num_frames"] = feats, frames
    meta = {**d.meta, "derived_from": str(d.path), "features": "WORLD (frames, 49), "
            "toolkit.dsp.world layout", "frame_period_ms": conf.frame_period}
    meta.pop("created_by", None)
    write_datadir(out, files, meta, overwrite=True, in_place=True)
    return {"skipped": False, "utterances": len(keys)}


def _analyze_one(d: DataDir, key: str, out: Path, conf: VocoderConfig) -> np.ndarray:
    path, offset, duration = d.audio_spec(key)
    wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
    y = analyze(wave, conf)
    with atomic_file(out / "feats" / f"{key}.npy", suffix=".npy") as tmp:
        np.save(tmp, y)
    return y


def prepare_features(data: str | Path, out: str | Path, cfg: TtsConfig, aligner: str | Path,
                     keys: list[str] | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Stage 2 for (a shard of) a data directory: labels, WORLD features, alignment.

    Writes ``phones``, ``durations``, ``phone_times``, ``feats.scp`` and
    ``utt2num_frames`` for the utterances that phonemize and align; the others are
    reported, left out and counted.
    """
    if skip_if_done(out, overwrite):
        return {"skipped": True}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        lab, ali = Path(tmp) / "labels", Path(tmp) / "aligned"
        stats = add_labels(data, lab, cfg.frontend.voices, keys)
        res = align_datadir(lab, ali, cfg.align, model=aligner)
        kept = DataDir(ali).keys() if res["aligned"] else []
        feat = analyze_datadir(ali, out, cfg.vocoder, kept, overwrite=True) if kept else None
    if feat is None:  # an empty shard stays a valid (empty) data directory for merge
        roles = ("wav.scp", "text", "utt2spk", "utt2lang", "utt2dur", "phones", "durations",
                 "phone_times", "feats.scp", "utt2num_frames")
        write_datadir(out, {r: {} for r in roles}, {"empty": True}, overwrite=True)
    return {"skipped": False, "utterances": len(kept), "dropped": stats.get("dropped", 0),
            "not_aligned": res["rejected"]}


def write_phone_set(train_dirs: list[str | Path], slots: int,
                    into: list[str | Path]) -> PhoneSet:
    """Union inventory of ``train_dirs`` (in order) written as ``phone_set.json`` into ``into``."""
    ps = PhoneSet(slots)
    for data in train_dirs:
        d = DataDir(data)
        phones, langs = d.read("phones"), d.read("utt2lang")
        by_lang: dict[str, set[str]] = {}
        for key, line in phones.items():
            by_lang.setdefault(langs[key], set()).update(label_sequence(parse_phrases(line)))
        for lang in sorted(by_lang):
            ps.add(sorted(by_lang[lang]), lang)
    for d in into:
        ps.save(Path(d) / "phone_set.json")
    return ps


def language_speaker_pairs(data: str | Path) -> list[tuple[str, str]]:
    """The (language, speaker) pairs of a data directory, sorted."""
    d = DataDir(data)
    langs, spks = d.read("utt2lang"), d.read("utt2spk")
    return sorted({(langs[k], spks[k]) for k in d.keys()})


def split_dump(dump_all: str | Path, splits: str | Path, out: str | Path, slots: int,
               overwrite: bool = False, adapt_sizes: tuple[int, ...] = ()) -> dict[str, int]:
    """Cut the stage-2 output of every utterance back into the stage-1 splits.

    ``out/<set>`` holds the utterances of ``splits/<set>`` that stage 2 kept (the
    sets of :data:`SETS` and ``adapt_train_<n>`` for each of ``adapt_sizes``); the
    phone set (training languages first, then the adaptation languages) is
    written into each of them.
    """
    src = DataDir(dump_all)
    have = set(src.keys())
    counts = {}
    names = [*SETS, *(f"adapt_train_{n}" for n in adapt_sizes)]
    for name in names:
        keys = [k for k in DataDir(Path(splits) / name).keys() if k in have]
        dst = Path(out) / name
        if overwrite or not is_done(dst):
            meta = {**src.meta, "derived_from": str(src.path), "split": name}
            meta.pop("created_by", None)
            write_datadir(dst, files_for(src, keys), meta, overwrite=True)
        counts[name] = len(keys)
    write_phone_set([Path(out) / "train", Path(out) / "adapt_train"], slots,
                    [Path(out) / name for name in names])
    return counts


def text_datadir(text_file: str | Path, out: str | Path, lang: str, speaker: str,
                 max_sentences: int = 0, overwrite: bool = False) -> int:
    """A text-only data directory (``text``, ``utt2lang``, ``utt2spk``) of the sentences of
    ``text_file`` (one per line, ``#`` comments skipped): the held-out set; returns its size."""
    sentences = read_sentences(text_file)
    sentences = sentences[:max_sentences] if max_sentences else sentences
    keys = [f"heldout-{lang}-{i:04d}" for i in range(1, len(sentences) + 1)]
    if not (overwrite or not is_done(out)):
        return len(keys)
    files = {"text": dict(zip(keys, sentences, strict=True)),
             "utt2lang": dict.fromkeys(keys, lang), "utt2spk": dict.fromkeys(keys, speaker)}
    write_datadir(out, files, {"task": "tts", "source": str(text_file)}, overwrite=True)
    return len(keys)
