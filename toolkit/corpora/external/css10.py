"""CSS10 (Park & Mulc 2019): single-speaker audiobook speech in 10 languages.

Layout of one language (as on Kaggle / the project page)::

    ROOT/transcript.txt        <relative wav path>|<text>|<normalised text>|<seconds>
    ROOT/<book>/<book>_0000.wav

The normalised text (third field) is used when present. The language comes
from ``--lang`` or from the folder name (``german`` -> de, ``french`` -> fr,
...); one speaker per language, ``css10-<lang>``. Licence: CC0 (LibriVox).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.corpora.external.tts_common import write_tts_datadir
from toolkit.errors import UserError

LANGS = {"german": "de", "greek": "el", "spanish": "es", "finnish": "fi", "french": "fr",
         "hungarian": "hu", "japanese": "ja", "dutch": "nl", "russian": "ru", "chinese": "zh"}


def prepare(path: str | Path, dst: str | Path, lang: str | None = None,
            overwrite: bool = False) -> dict[str, Any]:
    """Write a tts data directory for one CSS10 language folder ``path``."""
    src = Path(path)
    transcript = src / "transcript.txt"
    if not transcript.is_file():
        raise UserError(f"{src} is not a CSS10 language folder (no transcript.txt)")
    lang = lang or LANGS.get(src.name.lower())
    if not lang:
        raise UserError(f"cannot tell the language of {src}; pass --lang (e.g. de)")
    items = []
    for n, line in enumerate(transcript.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("|")
        if len(fields) < 2 or not fields[0].strip():
            continue
        audio = src / fields[0].strip()
        text = (fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]).strip()
        if audio.is_file() and text:
            key = f"css10-{lang}-{audio.stem.replace('_', '-')}"
            items.append((key, audio, text, f"css10-{lang}", lang))
        elif not audio.is_file() and n <= 3:
            raise UserError(f"{transcript} line {n}: audio {audio} does not exist")
    return write_tts_datadir(dst, items, {"corpus": "css10", "source": str(src)}, overwrite)
