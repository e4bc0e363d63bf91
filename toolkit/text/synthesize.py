"""Synthetic speech with exact phone times (espeak-ng), as a data directory.

espeak-ng reports where each phone starts in its own output
(:mod:`toolkit.text.espeak`), so its speech comes with a phone alignment that
is exact by construction: the ground truth a forced aligner is tested on. The
events are turned into segments that tile the audio from 0 to its end:

- empty-named events (pauses) become ``sil``, except a zero-width phone inside
  a word (espeak-ng's glottal onset, short epenthetic vowels), which joins
  the next phone; consecutive pauses merge and empty ones vanish;
- a modifier-only event (``ʲ``) joins the previous phone; language-switch
  events (``(en)``) are dropped;
- when the phones equal :func:`~toolkit.text.phonemize.phonemize`'s for the
  same text (stress and length aside: events name an Italian geminate ``t``
  and a Danish long vowel ``ɒ`` where the phonemizer writes ``tː`` and
  ``ɒɒ``), they take its names, stress marks included, so ``phones`` and
  ``phone_times`` use one inventory.

Data directory (16 kHz audio under ``DIR/audio``)::

    wav.scp text utt2spk utt2lang utt2dur phones meta.yaml .done
    phone_times   <utt> <start> <dur> <phone> <start> <dur> <phone> ...

``phone_times`` holds one line per utterance (triplets in time order, seconds)
so that it stays a key-value file that sharding and subsetting keep;
:func:`to_ctm_lines` gives the ctm-like view ``<utt> <start> <dur> <phone>``.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.data.audio import resample, save_audio
from toolkit.data.datadir import write_datadir
from toolkit.errors import UserError
from toolkit.fsutil import DONE, skip_if_done
from toolkit.text.espeak import SAMPLE_RATE as ESPEAK_RATE
from toolkit.text.espeak import Event, espeak
from toolkit.text.phonemize import (
    SWITCH,
    check_text,
    format_phones,
    is_modifier,
    phonemize,
    strip_stress,
)

log = logging.getLogger(__name__)
SILENCE = "sil"
SAMPLE_RATE = 16000
SENTENCES = Path(__file__).resolve().parents[1] / "assets" / "sentences"


@dataclass(frozen=True)
class Segment:
    """One phone (or ``sil``) from ``start`` to ``end`` seconds."""

    start: float
    end: float
    phone: str


def events_to_segments(events: list[Event], n_samples: int,
                       rate: int = ESPEAK_RATE) -> list[Segment]:
    """Segments tiling ``[0, n_samples / rate]`` from espeak-ng's events (module doc)."""
    phones = [(i, e) for i, e in enumerate(events)
              if e.kind == "phone" and not SWITCH.fullmatch(e.name)]
    raw: list[list[Any]] = []  # [start sample, name]
    for k, (i, ev) in enumerate(phones):
        nxt = phones[k + 1] if k + 1 < len(phones) else None
        same_word = nxt is not None and all(e.kind != "word" for e in events[i + 1:nxt[0]])
        if ev.name == "":
            if nxt is not None and same_word and nxt[1].name:
                raw.append([ev.sample, None])  # joins the next phone
            else:
                raw.append([ev.sample, SILENCE])
        elif is_modifier(ev.name) and raw and raw[-1][1] not in (None, SILENCE):
            raw[-1][1] += ev.name
        else:
            raw.append([ev.sample, ev.name])
    merged: list[list[Any]] = []
    for start, name in raw:
        if merged and merged[-1][1] is None:
            merged[-1][1] = name  # a zero-width phone takes the next phone's name
        elif merged and name == SILENCE and merged[-1][1] == SILENCE:
            continue
        else:
            merged.append([start, name])
    if merged and merged[0][0] > 0:
        merged.insert(0, [0, SILENCE])
    segments = []
    for k, (start, name) in enumerate(merged):
        end = merged[k + 1][0] if k + 1 < len(merged) else n_samples
        if name is None or (name == SILENCE and end <= start):
            continue
        segments.append(Segment(start / rate, max(end, start) / rate, name))
    return segments


def _base(phone: str) -> str:
    # Events name a long phone without its length mark or doubling (Italian tː,
    # Danish ɒɒ -> t, ɒ): compare without stress, length marks and repeats.
    phone = strip_stress(phone).replace("ː", "").replace("ˑ", "")
    return re.sub(r"(.)\1+", r"\1", phone)


def synthesize_with_times(text: str, voice: str) -> tuple[np.ndarray, list[Segment], bool]:
    """Speak ``text`` with espeak-ng.

    Returns:
        ``(audio, segments, matched)``: float32 audio ``(samples,)`` at 22050 Hz,
        the phone segments, and whether the phones equal the phonemizer's
        (then the segments carry its names, stress marks included).
    """
    samples, events = espeak().synthesize(text, voice)
    segments = events_to_segments(events, len(samples))
    reference = [p for word in phonemize(text, voice) for p in word]
    spoken = [s for s in segments if s.phone != SILENCE]
    matched = [_base(p) for p in reference] == [_base(s.phone) for s in spoken]
    if matched:
        names = iter(reference)
        segments = [s if s.phone == SILENCE else Segment(s.start, s.end, next(names))
                    for s in segments]
    return samples.astype(np.float32) / 32768.0, segments, matched


def format_phone_times(segments: list[Segment]) -> str:
    """``start dur phone`` triplets of one utterance, seconds with 4 decimals."""
    return " ".join(f"{s.start:.4f} {s.end - s.start:.4f} {s.phone}" for s in segments)


def parse_phone_times(value: str) -> list[tuple[float, float, str]]:
    """Inverse of :func:`format_phone_times`: ``[(start, dur, phone), ...]``."""
    items = value.split()
    if len(items) % 3:
        raise UserError(f"phone_times value has {len(items)} fields, not a multiple of 3")
    return [(float(items[i]), float(items[i + 1]), items[i + 2]) for i in range(0, len(items), 3)]


def to_ctm_lines(phone_times: dict[str, str]) -> list[str]:
    """ctm-like lines ``<utt> <start> <dur> <phone>``, utterances in key order."""
    return [f"{utt} {start:.4f} {dur:.4f} {phone}" for utt in sorted(phone_times)
            for start, dur, phone in parse_phone_times(phone_times[utt])]


def read_sentences(path: str | Path | None = None, lang: str | None = None) -> list[str]:
    """Sentences of a file (one per line; blank and ``#`` lines skipped) or the built-ins.

    Raises:
        UserError: the file is missing or empty, or no built-in list exists for ``lang``.
    """
    if path is None:
        base = (lang or "").split("-")[0].split("+")[0].lower()
        path = SENTENCES / f"{base}.txt"
        if not path.is_file():
            known = sorted(p.stem for p in SENTENCES.glob("*.txt"))
            raise UserError(f"no built-in sentences for '{lang}' (built-in: {', '.join(known)}); "
                            "pass --sentences FILE")
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such sentences file")
    lines = [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]
    sentences = [line for line in lines if line and not line.startswith("#")]
    if not sentences:
        raise UserError(f"{path}: holds no sentences")
    return sentences


def voice_slug(voice: str) -> str:
    """A key-safe form of a voice name (``en-us+f3`` -> ``en-us-f3``)."""
    return voice.lower().replace("+", "-").replace("/", "-")


def build_espeak_corpus(out: str | Path, lang: str, sentences: list[str],
                        voices: list[str] | None = None, strict: bool = False,
                        overwrite: bool = False) -> dict[str, Any]:
    """Write a data directory of espeak-ng speech with phone times (module doc).

    Args:
        out: destination data directory.
        lang: espeak-ng language or voice (``en-us``, ``fr``); ``utt2lang`` gets
            its ISO part.
        sentences: the texts, spoken once per voice.
        voices: voices (``en-us+f3``) or variants of ``lang`` (``+f3``);
            default: ``lang`` alone.
        strict: fail, instead of warning, when a sentence holds input the
            language cannot phonemize.
        overwrite: redo a finished directory.

    Returns:
        Statistics: ``skipped``, ``utterances``, ``seconds`` of audio, ``wall``
        seconds, ``mismatched`` (utterances whose phones differ from the
        phonemizer's).
    """
    out = Path(out)
    if skip_if_done(out, overwrite):
        return {"skipped": True, "utterances": 0, "seconds": 0.0, "wall": 0.0, "mismatched": 0}
    t0 = time.time()
    engine = espeak()
    engine.resolve(lang)
    voices = [lang + v if v.startswith("+") else v for v in (voices or [lang])]
    for voice in voices:
        engine.set_voice(voice)
    problems = {s: found for s in sentences if (found := check_text(s, lang))}
    if problems:
        listing = "; ".join(f"{s[:40]!r}: {f.describe()}" for s, f in list(problems.items())[:5])
        message = (f"{len(problems)} sentence(s) hold input '{lang}' cannot phonemize: {listing}"
                   + (" ..." if len(problems) > 5 else ""))
        if strict:
            raise UserError(message)
        log.warning("%s", message)
    (out / DONE).unlink(missing_ok=True)
    files: dict[str, dict[str, str]] = {n: {} for n in ("wav.scp", "text", "utt2spk", "utt2lang",
                                                        "utt2dur", "phones", "phone_times")}
    iso, total, mismatched = lang.split("-")[0].lower(), 0.0, []
    for voice in voices:
        speaker = f"espeak-{voice_slug(voice)}"
        for n, sentence in enumerate(sentences, 1):
            key = f"{speaker}-{n:04d}"
            audio, segments, matched = synthesize_with_times(sentence, voice)
            if not matched:
                mismatched.append(key)
            x = resample(audio, ESPEAK_RATE, SAMPLE_RATE)
            wav = save_audio(out / "audio" / f"{key}.wav", x, SAMPLE_RATE, clip_warn=False)
            total += x.shape[-1] / SAMPLE_RATE
            files["wav.scp"][key] = str(wav.resolve())
            files["text"][key] = sentence
            files["utt2spk"][key] = speaker
            files["utt2lang"][key] = iso
            files["utt2dur"][key] = f"{x.shape[-1] / SAMPLE_RATE:.4f}"
            files["phones"][key] = format_phones(phonemize(sentence, voice))
            files["phone_times"][key] = format_phone_times(segments)
    if mismatched:
        log.warning("%d utterance(s) whose espeak-ng phones differ from the phonemizer's, "
                    "first %s", len(mismatched), mismatched[0])
    meta = {"sample_rate": SAMPLE_RATE, "corpus": "espeak", "lang": lang, "voices": voices,
            "espeak_ng": f"{engine.version} ({engine.origin} library)",
            "phone_times": "start dur phone triplets in seconds; sil = pause",
            "mismatched": mismatched}
    write_datadir(out, files, meta, overwrite=True, in_place=True)
    wall = time.time() - t0
    return {"skipped": False, "utterances": len(files["wav.scp"]), "seconds": total,
            "wall": wall, "mismatched": len(mismatched)}
