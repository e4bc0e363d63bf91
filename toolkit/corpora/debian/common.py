"""What every speech source yields: :class:`Clip`, plus shared helpers.

A source module scans its installed files into clips (no decoding: durations
come from file headers, read only when needed) and decodes one clip at a time
with ``load``. Keys start with the speaker id, so sorting by key groups each
speaker's clips (Kaldi's convention); keys are the same on every machine with
the same packages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Clip:
    """One recording of a speech source.

    Attributes:
        key: utterance id, ``<speaker>-<name>``; unique within the pool.
        source: source name (``asterisk``, ``tuxpaint``, ``ktuberling``).
        lang: ISO 639-1 code (ISO 639-3 where a language has none, e.g. ``nds``).
        speaker: speaker id, stable across runs and machines.
        text: transcript, never empty.
        path: the installed file.
        seconds: duration from the header; None when the scan skipped reading
            it (see :meth:`duration`).
    """

    key: str
    source: str
    lang: str
    speaker: str
    text: str
    path: Path
    seconds: float | None = None

    def duration(self) -> float:
        """Seconds of audio, from the scan or the file header."""
        return self.seconds if self.seconds is not None else header_seconds(self.path)[0]


def make_key(speaker: str, name: str) -> str:
    """``<speaker>-<name>`` with path separators and spaces turned into ``-``."""
    name = re.sub(r"[\s/\\]+", "-", name.strip())
    return f"{speaker}-{name}"


def clean_text(text: str) -> str:
    """One line of text: NFC, no byte-order mark, single spaces."""
    text = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    return " ".join(text.split())


def header_seconds(path: str | Path) -> tuple[float, int]:
    """(duration in seconds, sample rate) from an audio file's header."""
    import soundfile as sf

    info = sf.info(str(path))
    return info.frames / info.samplerate, int(info.samplerate)


def load_file_16k(path: str | Path) -> np.ndarray:
    """Decode any libsndfile format to mono float32 at 16 kHz: ``(samples,)``."""
    from toolkit.data.audio import load_mono

    x, _ = load_mono(path, sample_rate=SAMPLE_RATE)
    return x
