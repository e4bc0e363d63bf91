"""``synthesize``: text to loudness-normalised speech, sentence by sentence.

- :func:`split_sentences`: text -> sentences (at ``. ! ? …`` and line breaks);
  a sentence longer than ``max_chars`` is cut at phrase breaks (``, ; :``), then
  at spaces, so memory stays bounded however long the text is.
- :func:`synthesize_text`: the waveform of each sentence in turn, each set to
  -23 LUFS integrated loudness (:mod:`toolkit.tts.conditioning`; peaks kept
  under 0.99). A sentence that gives no phones is skipped with a warning.
- :func:`synthesize_file`: those sentences written one after the other (0.3 s of
  silence between them) into one audio file, streamed to a temporary name and
  renamed at the end: never a half-written output.
- :func:`read_durations` / :func:`read_text_lines`: the inputs of ``--durations``
  and ``--text-file``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file
from toolkit.tts.conditioning import TARGET_LUFS, normalize_loudness
from toolkit.tts.frontend import NoPhonesError
from toolkit.tts.synth import TtsSynthesizer

log = logging.getLogger(__name__)
MAX_CHARS = 300
PAUSE_S = 0.3
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002])\s+|\n+")
_PHRASE_END = re.compile(r"(?<=[,;:])\s+")


def _cut(text: str, max_chars: int) -> list[str]:
    """Pieces of at most ``max_chars`` (at phrase breaks, else at spaces, else hard)."""
    if len(text) <= max_chars:
        return [text]
    pieces, current = [], ""
    parts = _PHRASE_END.split(text)
    if len(parts) == 1:
        parts = text.split(" ")
        if len(parts) == 1:
            return [text[i: i + max_chars] for i in range(0, len(text), max_chars)]
    for part in parts:
        if current and len(current) + 1 + len(part) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current} {part}".strip()
    pieces.append(current)
    return [q for p in pieces for q in _cut(p, max_chars)] if any(
        len(p) > max_chars for p in pieces) else pieces


def split_sentences(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Sentences of ``text`` (module doc), none longer than ``max_chars``."""
    out = []
    for sentence in _SENTENCE_END.split(text):
        sentence = " ".join(sentence.split())
        if sentence:
            out += _cut(sentence, max_chars)
    return out


def synthesize_text(synth: TtsSynthesizer, text: str, lang: str, speaker: str | None = None,
                    durations: list[int] | None = None) -> Iterator[np.ndarray]:
    """Yield the ``(samples,)`` waveform of each sentence of ``text`` (module doc).

    Args:
        synth: a loaded bundle.
        text: any length.
        lang: a language of the model.
        speaker: a speaker of the model (default: the bundle's for ``lang``).
        durations: frames per label item of the whole text (then the text is
            synthesised as one piece, not split).

    Raises:
        UserError: unknown language/speaker, or no sentence gives any phone.
    """
    speaker = speaker or synth.default_speaker(lang)
    synth.check(lang, speaker)
    sentences = [text] if durations is not None else split_sentences(text)
    if not sentences:
        raise UserError("empty text: give something to say")
    spoken = 0
    for sentence in sentences:
        try:
            feats = synth.features(sentence, lang, speaker, durations)
        except NoPhonesError as e:
            if durations is not None:
                raise
            log.warning("skipped %r: %s", sentence[:40], e)
            continue
        spoken += 1
        yield normalize_loudness(synth.vocode(feats), synth.sample_rate, TARGET_LUFS)
    if not spoken:
        raise UserError(f"nothing to say: no sentence of the text gives phones in '{lang}'")


def synthesize_file(synth: TtsSynthesizer, text: str, out: str | Path, lang: str,
                    speaker: str | None = None, durations: list[int] | None = None) -> float:
    """Write the speech of ``text`` into ``out`` (wav, 16-bit); return its seconds."""
    pause = np.zeros(int(PAUSE_S * synth.sample_rate), np.float32)
    samples = 0
    out = Path(out)
    with atomic_file(out, suffix=out.suffix or ".wav") as tmp, \
            sf.SoundFile(tmp, "w", synth.sample_rate, 1, subtype="PCM_16") as f:
        for i, wave in enumerate(synthesize_text(synth, text, lang, speaker, durations)):
            if i:
                f.write(pause)
                samples += len(pause)
            f.write(wave)
            samples += len(wave)
    return samples / synth.sample_rate


def read_durations(path: str | Path) -> list[int]:
    """Frames per label item: one line of a ``durations`` file (optionally after a key).

    Raises:
        UserError: missing file, not exactly one non-empty line, or a value that is
            not a non-negative integer.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"durations file {path} does not exist")
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if len(lines) != 1:
        raise UserError(f"durations file {path} holds {len(lines)} non-empty lines; give one "
                        "line of frames per label item (optionally after an utterance key)")
    fields = lines[0].split()
    fields = fields[1:] if not fields[0].isdigit() else fields
    bad = [v for v in fields if not v.isdigit()]
    if bad or not fields:
        raise UserError(f"durations file {path}: '{bad[0] if bad else ''}' is not a frame "
                        "count; write non-negative integers, one per label item (pause slots "
                        "included)")
    return [int(v) for v in fields]


def read_text_lines(path: str | Path) -> list[tuple[int, str]]:
    """``(line number, text)`` of the non-empty lines of a UTF-8 text file.

    Raises:
        UserError: missing, unreadable or empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"text file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise UserError(f"text file {path} is not UTF-8 text") from None
    out = [(i, " ".join(ln.split())) for i, ln in enumerate(lines, 1) if ln.strip()]
    if not out:
        raise UserError(f"text file {path} holds no text (one utterance per line)")
    return out
