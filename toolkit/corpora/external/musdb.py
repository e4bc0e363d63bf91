"""MUSDB18 / MUSDB18-HQ as decoded stems (Rafii et al. 2017): 150 professionally mixed songs.

Layout (MUSDB18-HQ as released, or MUSDB18 decoded with ``musdb`` / ``stempeg``)::

    <root>/train/<Artist - Title>/mixture.wav vocals.wav bass.wav drums.wav other.wav
    <root>/test/<Artist - Title>/...          44.1 kHz stereo; 100 train, 50 test songs

A root holding track folders directly (no train/test) is accepted; an
``accompaniment.wav`` in a track folder is used as is. :func:`prepare` points
``wav.scp`` and ``vocals.scp`` at the files in place and writes the
accompaniment (bass + drums + other) as 16-bit FLAC under ``DST/audio`` (the
stems sum to the mixture in MUSDB18). Keys are the folder names with spaces
and other non-word characters replaced by ``_``; ``utt2set`` holds train or
test (the official split, used by ``sptk-cli svs prepare``), ``utt2spk`` the
artist. Licence: research use, see sigsep.github.io/datasets/musdb.html.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from toolkit.errors import UserError

INSTRUMENTS = ("bass", "drums", "other")


def find_tracks(src: str | Path) -> list[tuple[str, Path]]:
    """(set, track folder) pairs: ``src/{train,test}/*`` or ``src/*``."""
    src = Path(src)
    tracks = []
    sets = [(s, src / s) for s in ("train", "test") if (src / s).is_dir()] or [("", src)]
    for name, folder in sets:
        for t in sorted(folder.iterdir()):
            if (t / "mixture.wav").is_file() and (t / "vocals.wav").is_file():
                tracks.append((name, t))
    return tracks


def prepare(path: str | Path, dst: str | Path, overwrite: bool = False) -> Path:
    """Data directory of the MUSDB18 tracks under ``path``."""
    from toolkit.data.audio import audio_info, load_audio, save_audio
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    src = Path(path)
    dst = Path(dst).resolve()
    if skip_if_done(dst, overwrite):
        return dst
    tracks = find_tracks(src)
    if not tracks:
        raise UserError(f"{src}: no MUSDB18 track folders (<track>/mixture.wav and vocals.wav, "
                        "under train/ and test/ or directly)")
    files: dict[str, dict[str, str]] = {r: {} for r in ("wav.scp", "vocals.scp", "accomp.scp",
                                                        "utt2spk", "utt2song", "utt2set",
                                                        "utt2dur")}
    rates = set()
    for subset, t in tracks:
        key = re.sub(r"\W+", "_", t.name).strip("_")
        info = audio_info(t / "mixture.wav")
        rates.add(info.sample_rate)
        accomp = t / "accompaniment.wav"
        if not accomp.is_file():
            accomp = dst / "audio" / f"{key}.accomp.flac"
            if not accomp.is_file():
                missing = [i for i in INSTRUMENTS if not (t / f"{i}.wav").is_file()]
                if missing:
                    raise UserError(f"{t}: no {missing[0]}.wav and no accompaniment.wav")
                parts = [load_audio(t / f"{i}.wav")[0] for i in INSTRUMENTS]
                n = min(p.shape[1] for p in parts)
                total = np.sum([p[:, :n] for p in parts], axis=0)
                save_audio(accomp, np.clip(total, -1, 1), info.sample_rate)
        files["wav.scp"][key] = str((t / "mixture.wav").resolve())
        files["vocals.scp"][key] = str((t / "vocals.wav").resolve())
        files["accomp.scp"][key] = str(accomp)
        files["utt2spk"][key] = re.sub(r"\W+", "_", t.name.split(" - ")[0]).strip("_") or key
        files["utt2song"][key] = key
        files["utt2dur"][key] = f"{info.duration:.3f}"
        if subset:
            files["utt2set"][key] = subset
    if not files["utt2set"]:
        del files["utt2set"]
    if len(rates) != 1:
        raise UserError(f"{src}: tracks have several sample rates ({sorted(rates)})")
    meta = {"sample_rate": rates.pop(), "task": "svs", "corpus": "MUSDB18",
            "source": str(Path(src).resolve()), "licence": "research use (MUSDB18 terms)"}
    return write_datadir(dst, files, meta, overwrite=True, in_place=True)
