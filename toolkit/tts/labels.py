"""Data-directory stages of the TTS recipe: phrase labels, forced alignment, scoring it.

- :func:`add_labels`: ``text`` -> ``phones`` in the phrase form of
  :mod:`toolkit.tts.frontend` (``|`` between words, ``/`` between phrases).
- :func:`align_datadir`: trains the flat-start aligner (or loads one) and writes
  ``durations`` (frames per label item, pause slots included), ``phone_times``
  (``start dur phone`` triplets, the format of ``sptk-cli corpus espeak``) and,
  under ``DIR/align/``, ``phones.ctm`` and one Praat TextGrid per utterance.
- :func:`score_boundaries`: the share of phone boundaries within 10, 20 and
  50 ms of a reference ``phone_times`` (espeak-ng speech: exact by construction).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.data.ops import files_for
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_text, skip_if_done
from toolkit.text.phonemize import check_text, strip_stress
from toolkit.text.synthesize import parse_phone_times
from toolkit.tts.align import (
    AlignConfig,
    HmmSet,
    align_utterances,
    mfcc_features,
    model_names,
    train_aligner,
)
from toolkit.tts.frontend import (
    SIL,
    format_phrases,
    label_sequence,
    parse_phrases,
    text_to_phrases,
)

log = logging.getLogger(__name__)


def voice_for(lang: str, voices: dict[str, str]) -> str:
    """The espeak-ng voice of a language (``voices`` maps ISO codes to voices)."""
    return voices.get(lang, lang)


def add_labels(data: str | Path, out: str | Path, voices: dict[str, str] | None = None,
               keys: list[str] | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Copy ``data`` (or its ``keys``) to ``out`` with a ``phones`` file of phrase labels.

    Utterances whose text is empty or gives no phones are left out and counted;
    text espeak-ng cannot phonemize is reported (the phones are its best effort).
    """

    if skip_if_done(out, overwrite):
        return {"skipped": True}
    src = DataDir(data)
    texts, langs = src.read("text"), src.read("utt2lang")
    voices = voices or {}
    phones, dropped, problems = {}, {}, {}
    for key in keys if keys is not None else src.keys():
        voice = voice_for(langs[key], voices)
        found = check_text(texts[key], voice)
        if found:
            problems[key] = found.describe(limit=4)
        try:
            phones[key] = format_phrases(text_to_phrases(texts[key], langs[key], voice))
        except UserError as e:
            dropped[key] = str(e)
    if problems:
        first = next(iter(problems))
        log.warning("%d utterance(s) hold text espeak-ng cannot phonemize, first %s: %s",
                    len(problems), first, problems[first])
    if dropped:
        first = next(iter(dropped))
        log.warning("%d utterance(s) left out, first %s: %s", len(dropped), first, dropped[first])
    files = files_for(src, sorted(phones))
    files["phones"] = phones
    meta = {**src.meta, "derived_from": str(src.path), "voices": voices,
            "phones": "phrase labels: '|' between words, '/' between phrases"}
    meta.pop("created_by", None)
    write_datadir(out, files, meta, overwrite=overwrite)
    return {"skipped": False, "utterances": len(phones), "dropped": len(dropped),
            "problems": len(problems)}


def _load_utts(d, keys: list[str], conf: AlignConfig) -> dict[str, tuple[np.ndarray, list[str],
                                                                          list[str]]]:

    phones, langs = d.read("phones"), d.read("utt2lang")
    out = {}
    for key in keys:
        path, offset, duration = d.audio_spec(key)
        wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
        labels = label_sequence(parse_phrases(phones[key]))
        out[key] = (mfcc_features(wave, conf), model_names(labels, langs[key]), labels)
    return out


def textgrid(segments: list[tuple[float, float, str]], end: float) -> str:
    """A Praat TextGrid (long text format) with one interval tier ``phones``."""
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0",
             f"xmax = {end:.4f}", "tiers? <exists>", "size = 1", "item []:", "    item [1]:",
             '        class = "IntervalTier"', '        name = "phones"', "        xmin = 0",
             f"        xmax = {end:.4f}", f"        intervals: size = {len(segments)}"]
    for i, (start, dur, phone) in enumerate(segments, 1):
        label = "" if phone == SIL else phone.replace('"', '""')
        lines += [f"        intervals [{i}]:", f"            xmin = {start:.4f}",
                  f"            xmax = {start + dur:.4f}", f'            text = "{label}"']
    return "\n".join(lines) + "\n"


def align_datadir(data: str | Path, out: str | Path, conf: AlignConfig,
                  model: str | Path | None = None, save_model: str | Path | None = None,
                  overwrite: bool = False) -> dict[str, Any]:
    """Align every utterance of ``data`` (with ``phones``) into the data directory ``out``.

    Args:
        model: a trained aligner (``.npz``); without it one is trained on ``data``.
        save_model: where to write the trained aligner.

    Returns:
        Statistics: ``aligned``, ``rejected`` (count), ``examples`` of rejections.
    """

    if skip_if_done(out, overwrite):
        return {"skipped": True}
    d = DataDir(data)
    if not d.has("phones"):
        raise UserError(f"{d.path} has no 'phones' file; make one with 'sptk-cli tts labels'")
    keys = d.keys()
    utts = _load_utts(d, keys, conf)
    if model is None:
        rng = np.random.default_rng(0)
        pick = sorted(rng.permutation(len(keys))[: conf.max_train_utts])
        hmm = train_aligner([utts[keys[i]][:2] for i in pick], conf)
        if save_model:
            hmm.save(save_model)
    else:
        hmm = HmmSet.load(model)
    res = align_utterances({k: v[:2] for k, v in utts.items()}, hmm, conf)
    shift = conf.frame_shift_ms / 1000
    durations, times, ctm = {}, {}, []
    out = Path(out)
    grids = {}
    for key in sorted(res.durations):
        dur = res.durations[key]
        labels = utts[key][2]
        durations[key] = " ".join(str(int(v)) for v in dur)
        starts = np.concatenate([[0], np.cumsum(dur)[:-1]])
        segs = [(s * shift, n * shift, p) for s, n, p in zip(starts, dur, labels, strict=True)
                if n > 0]
        times[key] = " ".join(f"{s:.4f} {n:.4f} {p}" for s, n, p in segs)
        ctm += [f"{key} 1 {s:.4f} {n:.4f} {p}" for s, n, p in segs]
        grids[key] = textgrid(segs, len(utts[key][0]) * shift)
    for key, why in res.rejected.items():
        log.warning("not aligned: %s: %s", key, why)
    if res.rejected:
        log.warning("%d of %d utterance(s) did not align and are left out", len(res.rejected),
                    len(keys))
    files = files_for(d, sorted(durations))
    files["durations"], files["phone_times"] = durations, times
    meta = {**d.meta, "derived_from": str(d.path), "frame_shift_ms": conf.frame_shift_ms,
            "durations": "frames per label item (pause slots included, 0 = skipped)",
            "not_aligned": len(res.rejected)}
    meta.pop("created_by", None)
    write_datadir(out, files, meta, overwrite=overwrite)
    atomic_write_text(out / "align" / "phones.ctm", "\n".join(ctm) + "\n")
    atomic_write_text(out / "align" / "rejected.txt",
                      "".join(f"{k} {v}\n" for k, v in sorted(res.rejected.items())))
    for key, grid in grids.items():
        atomic_write_text(out / "align" / "textgrid" / f"{key}.TextGrid", grid)
    return {"skipped": False, "aligned": len(durations), "rejected": len(res.rejected),
            "examples": dict(list(res.rejected.items())[:3])}


def _base(phone: str) -> str:

    phone = strip_stress(phone).replace("ː", "").replace("ˑ", "").strip("-")
    return re.sub(r"(.)\1+", r"\1", phone)


def score_boundaries(ref: str | Path, hyp: str | Path,
                     tolerances: tuple[float, ...] = (0.01, 0.02, 0.05)) -> dict[str, Any]:
    """Boundary accuracy of ``hyp/phone_times`` against ``ref/phone_times``.

    Pauses are removed from both; an utterance counts when its phone sequences
    agree (stress and length aside). Each phone contributes its start and end.
    ``mean_signed_ms`` / ``median_signed_ms``: hypothesis minus reference (positive:
    the aligner places boundaries late); ``onset_signed_ms`` / ``offset_signed_ms``: the
    same at the start of each utterance's first phone and the end of its last.
    """

    r, h = DataDir(ref).read("phone_times"), DataDir(hyp).read("phone_times")
    signed, edges, mismatched, missing = [], [], 0, 0
    for key, value in r.items():
        if key not in h:
            missing += 1
            continue
        rp = [t for t in parse_phone_times(value) if t[2] != SIL]
        hp = [t for t in parse_phone_times(h[key]) if t[2] != SIL]
        if [_base(p) for *_, p in rp] != [_base(p) for *_, p in hp]:
            mismatched += 1
            continue
        for (rs, rd, _), (hs, hd, _) in zip(rp, hp, strict=True):
            signed += [hs - rs, hs + hd - rs - rd]
        if rp:  # where speech starts and ends (the first phone's start, the last one's end)
            edges.append((hp[0][0] - rp[0][0], sum(hp[-1][:2]) - sum(rp[-1][:2])))
    d = np.array(signed)
    e = np.abs(d)
    out: dict[str, Any] = {f"within_{int(t * 1000)}ms": float((e <= t + 1e-9).mean())
                           if len(e) else 0.0 for t in tolerances}
    out.update(boundaries=len(e), mean_abs_ms=float(e.mean() * 1000) if len(e) else 0.0,
               mean_signed_ms=float(d.mean() * 1000) if len(d) else 0.0,
               median_signed_ms=float(np.median(d) * 1000) if len(d) else 0.0,
               onset_signed_ms=float(np.mean([e[0] for e in edges]) * 1000) if edges else 0.0,
               offset_signed_ms=float(np.mean([e[1] for e in edges]) * 1000) if edges else 0.0,
               utterances=len(r) - mismatched - missing, mismatched=mismatched, missing=missing)
    return out
