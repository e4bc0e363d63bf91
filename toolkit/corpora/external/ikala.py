"""iKala (Chan et al. 2015): 252 30-s clips of Chinese pop, vocals and accompaniment in stereo.

Layout as released::

    iKala/Wavfile/<song id>_<verse|chorus>.wav   44.1 kHz stereo, 30 s:
                                                 left = accompaniment, right = singing voice
    iKala/PitchLabel/  iKala/Lyrics/             (not used)

Six singers, 206 songs; the 252 public clips are the MIREX training part (the
137 test clips are held out by MIREX). The singer of a clip is not in the
file name, so ``utt2spk`` is the song id (split by song, never by clip).
:func:`prepare` writes mixture / vocals / accompaniment files as for MIR-1K
(:func:`toolkit.corpora.external.mir1k.split_stereo_clips`). Licence: research use only.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.corpora.external.mir1k import find_clips, split_stereo_clips
from toolkit.errors import UserError

CLIP = re.compile(r"^(?P<song>\d+)_(?P<part>[A-Za-z]+)\.(wav|flac)$")


def prepare(path: str | Path, dst: str | Path, overwrite: bool = False) -> Path:
    """Data directory of the iKala clips in ``path/Wavfile`` (or ``path`` itself)."""
    src = Path(path)
    files = find_clips(src, CLIP)
    if not files:
        raise UserError(f"{src}: no iKala clips (<song id>_<verse|chorus>.wav) in it or in "
                        "its Wavfile/ folder")

    def describe(f: Path) -> dict:
        song = CLIP.match(f.name)["song"]
        return {"spk": song, "song": song}

    return split_stereo_clips(files, dst, describe, "iKala", overwrite)
