"""VCTK (Yamagishi et al.): 110 English speakers, ~400 sentences each, many accents.

Layouts read (release 0.92 and the older 0.80)::

    ROOT/wav48_silence_trimmed/p225/p225_001_mic1.flac   (0.92: mic1 is used)
    ROOT/wav48/p225/p225_001.wav                          (0.80)
    ROOT/txt/p225/p225_001.txt                            one sentence

Keys are ``vctk-<spk>-<nnn>``, the language ``en`` (accents are in
``speaker-info.txt``, not used here). Utterances without a transcript (p315 has
none) are left out. Licence: CC-BY 4.0. Audio is 48 kHz: the recipe resamples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.corpora.external.tts_common import write_tts_datadir
from toolkit.errors import UserError


def prepare(path: str | Path, dst: str | Path, overwrite: bool = False) -> dict[str, Any]:
    """Write a tts data directory for the VCTK corpus at ``path``."""
    src = Path(path)
    if not (src / "txt").is_dir():
        raise UserError(f"{src} is not a VCTK folder (expected txt/ and wav48_silence_trimmed/ "
                        "or wav48/)")
    items = []
    for txt in sorted((src / "txt").glob("*/*.txt")):
        spk, stem = txt.parent.name, txt.stem
        audio = next((p for p in (src / "wav48_silence_trimmed" / spk / f"{stem}_mic1.flac",
                                  src / "wav48" / spk / f"{stem}.wav") if p.is_file()), None)
        if audio is not None:
            text = " ".join(txt.read_text(encoding="utf-8", errors="replace").split())
            items.append((f"vctk-{stem.replace('_', '-')}", audio, text, spk, "en"))
    return write_tts_datadir(dst, items, {"corpus": "vctk", "source": str(src)}, overwrite)
