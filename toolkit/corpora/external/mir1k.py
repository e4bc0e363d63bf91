"""MIR-1K (Hsu & Jang 2010): 1000 Chinese karaoke clips, vocals and accompaniment on two channels.

Layout as released (``MIR-1K.zip``)::

    MIR-1K/Wavfile/<singer>_<song>_<clip>.wav   16 kHz stereo, 4-13 s:
                                                left = accompaniment, right = singing voice
    MIR-1K/UndividedWavfile/ PitchLabel/ Lyrics/ vocal-nonvocalLabel/  (not used)

19 amateur singers (8 female, 11 male), 110 songs. The usual protocol
(Huang et al. 2014) trains on the 175 clips of ``abjones`` and ``amy`` and
tests on the 825 clips of the other 17 singers. A folder holding the clip
files directly (wav or flac, as in ``../shared/data/mir1k_train``) is accepted
too. Licence: research use only; the recipe never copies it into the project.

:func:`prepare` writes a data directory whose audio it derives: per clip, the
mixture (left + right), the vocals (right) and the accompaniment (left) as
16-bit FLAC under ``DST/audio`` at the corpus rate. When the sum would clip,
all three are scaled by the same factor (``utt2gain``), which changes no BSS
Eval score. Keys are the file names; ``utt2spk`` the singer, ``utt2song``
``<singer>_<song>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from toolkit.errors import UserError

log = logging.getLogger(__name__)
CLIP = re.compile(r"^(?P<singer>[A-Za-z]+)_(?P<song>\d+)_(?P<clip>\d+)\.(wav|flac)$")


def find_clips(src: str | Path, pattern: re.Pattern = CLIP) -> list[Path]:
    """Clip files of ``src`` or ``src/Wavfile`` whose names match ``pattern``."""
    src = Path(src)
    for folder in (src / "Wavfile", src):
        if folder.is_dir():
            files = sorted(p for p in folder.iterdir() if pattern.match(p.name))
            if files:
                return files
    return []


def split_stereo_clips(files: list[Path], dst: str | Path, describe: Callable[[Path], dict],
                       corpus: str, overwrite: bool = False) -> Path:
    """Write mixture / vocals / accompaniment files of stereo clips (left accomp, right vocals).

    Args:
        files: the stereo clips.
        dst: data directory to write (audio under ``dst/audio``; existing files are reused).
        describe: file -> ``{"spk": ..., "song": ...}``.
        corpus: name recorded in ``meta.yaml``.
    """
    import soundfile as sf

    from toolkit.data.audio import load_audio, save_audio
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    dst = Path(dst).resolve()
    if skip_if_done(dst, overwrite):
        return dst
    if not files:
        raise UserError(f"no {corpus} clips found for {dst}")
    roles = {"wav.scp": "", "vocals.scp": ".vocals", "accomp.scp": ".accomp"}
    out: dict[str, dict[str, str]] = {r: {} for r in (*roles, "utt2spk", "utt2song",
                                                      "utt2gain", "utt2dur")}
    rates = set()
    for f in files:
        key = f.stem
        paths = {r: dst / "audio" / f"{key}{sfx}.flac" for r, sfx in roles.items()}
        if all(p.is_file() for p in paths.values()):
            info = sf.info(str(paths["wav.scp"]))
            sr, n, gain = info.samplerate, info.frames, None
        else:
            x, sr = load_audio(f, channels=2)
            accomp, vocals = x[0], x[1]
            mix = accomp + vocals
            peak = max(float(np.abs(mix).max()), float(np.abs(x).max()))
            gain = min(1.0, 0.99 / peak) if peak > 0 else 1.0
            for role, sig in (("wav.scp", mix), ("vocals.scp", vocals), ("accomp.scp", accomp)):
                save_audio(paths[role], sig * gain, sr)
            n = len(mix)
        rates.add(sr)
        for role, p in paths.items():
            out[role][key] = str(p)
        desc = describe(f)
        out["utt2spk"][key], out["utt2song"][key] = desc["spk"], desc["song"]
        out["utt2gain"][key] = f"{gain:.4f}" if gain is not None else "reused"
        out["utt2dur"][key] = f"{n / sr:.3f}"
    if len(rates) != 1:
        raise UserError(f"{corpus} clips have several sample rates ({sorted(rates)})")
    meta = {"sample_rate": rates.pop(), "task": "svs", "corpus": corpus,
            "source": str(files[0].parent), "licence": "research use only (see the corpus)"}
    return write_datadir(dst, out, meta, overwrite=True, in_place=True)


def prepare(path: str | Path, dst: str | Path, overwrite: bool = False) -> Path:
    """Data directory of MIR-1K clips found in ``path`` (``Wavfile/`` or the folder itself)."""
    src = Path(path)
    files = find_clips(src)
    if not files:
        raise UserError(f"{src}: no MIR-1K clips (<singer>_<song>_<clip>.wav or .flac) in it "
                        "or in its Wavfile/ folder")

    def describe(f: Path) -> dict:
        m = CLIP.match(f.name)
        return {"spk": m["singer"], "song": f"{m['singer']}_{m['song']}"}

    return split_stereo_clips(files, dst, describe, "MIR-1K", overwrite)
