"""Shared writer of the TTS corpus modules (arctic, vctk, css10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import soundfile as sf

from toolkit.data.datadir import write_datadir
from toolkit.errors import UserError
from toolkit.fsutil import skip_if_done


def write_tts_datadir(dst: str | Path, items: list[tuple[str, Path, str, str, str]],
                      meta: dict[str, Any], overwrite: bool = False) -> dict[str, Any]:
    """Write ``wav.scp text utt2spk utt2lang`` from ``(key, audio, text, speaker, lang)`` items.

    The sample rate in ``meta.yaml`` is the first file's; the recipe resamples on load.
    """
    if not items:
        raise UserError(f"no utterances with audio and transcript found for {dst}")
    if skip_if_done(dst, overwrite):
        return {"skipped": True, "utterances": 0}
    files: dict[str, dict[str, str]] = {n: {} for n in ("wav.scp", "text", "utt2spk", "utt2lang")}
    for key, audio, text, spk, lang in sorted(items):
        files["wav.scp"][key] = str(Path(audio).resolve())
        files["text"][key] = " ".join(text.split())
        files["utt2spk"][key], files["utt2lang"][key] = spk, lang
    rate = sf.info(str(items[0][1])).samplerate
    write_datadir(dst, files, {"sample_rate": rate, "task": "tts", **meta}, overwrite=overwrite)
    return {"skipped": False, "utterances": len(items)}
