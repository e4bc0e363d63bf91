"""KTuberling words: single spoken words (objects of a children's game).

KTuberling ("potato guy", KDE) names each object you place. Debian's
``ktuberling-data`` installs about 1900 recordings in 25 folders. Layout::

    /usr/share/ktuberling/sounds/fr.soundtheme   <sound name="ball" file="fr/patate_ballon.wav" />
    /usr/share/ktuberling/sounds/fr/patate_ballon.wav

The ``.soundtheme`` maps an English object name to a file. No transcript
exists: the text is the word in the file name (``patate_ballon`` -> ``ballon``;
a theme prefix shared by three or more files is removed, ``_`` and ``-``
become spaces). That holds only where translators named files in their own
language: de, el, gl, lt, nn, ru, sl, uk (and most of ca and da) reuse the
English object names, so a recording whose file word shares a word with its
English object name, or whose words are all English object words, is
dropped (its text is unknown), except in English. File
names are ASCII: diacritics are lost (sv ``oga`` for "öga", fr ``ane`` for
"âne", da ``oe`` for "ø"), so these texts are approximate. Recordings sampled
below 16 kHz (some French ones are 8 kHz) are dropped. The four Serbian folders
hold the same files; only ``sr`` is read. Low German keeps its ISO 639-3 code
``nds`` (it has no 639-1 code). The speaker id is ``ktuberling-<lang>``; one
talker per language is an assumption. Licence: GPL-2+ (per the copyright file).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import numpy as np

from toolkit.corpora.debian.common import (
    SAMPLE_RATE,
    Clip,
    clean_text,
    header_seconds,
    load_file_16k,
    make_key,
)
from toolkit.errors import UserError

NAME = "ktuberling"
LICENCE = "GPL-2+"
PACKAGES = ("ktuberling-data",)
SOUNDS = Path("/usr/share/ktuberling/sounds")
_SOUND = re.compile(r'<sound\s+name="([^"]+)"\s+file="([^"]+)"')


def packages(langs: list[str] | None = None) -> list[str]:
    """Debian packages this source needs."""
    return list(PACKAGES)


def read_soundtheme(path: Path) -> list[tuple[str, str]]:
    """(English object name, relative file) pairs of a ``.soundtheme``."""
    return _SOUND.findall(path.read_text(encoding="utf-8", errors="replace"))


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[_\-\s]+", name) if t]


def _singular(token: str) -> str:
    """Lower case without a plural ``s``, to compare file words with English names."""
    token = token.lower()
    return token[:-1] if len(token) > 3 and token.endswith("s") else token


def strip_theme_prefix(names: list[str]) -> dict[str, list[str]]:
    """{name: tokens without the longest prefix that 3+ longer names share}."""
    counts: Counter = Counter()
    for name in names:
        toks = _tokens(name)
        for i in range(1, len(toks)):
            counts[tuple(toks[:i])] += 1
    out = {}
    for name in names:
        toks = _tokens(name)
        cut = max((i for i in range(1, len(toks)) if counts[tuple(toks[:i])] >= 3), default=0)
        out[name] = toks[cut:]
    return out


def theme_languages(root: Path = SOUNDS) -> list[str]:
    """Languages with a sound theme and recordings (Serbian variants folded into sr)."""
    return sorted(p.stem for p in root.glob("*.soundtheme")
                  if "@" not in p.stem and (root / p.stem).is_dir())


@functools.lru_cache(maxsize=4)
def languages(root: Path = SOUNDS) -> list[str]:
    """Languages that have recordings with known text (empty when not installed)."""
    return sorted({c.lang for c in scan(None, root)}) if root.is_dir() else []


def scan(langs: list[str] | None = None, root: Path = SOUNDS) -> list[Clip]:
    """Every recording whose word is known, in the given languages (default: all).

    Raises:
        UserError: the package is missing (names the apt-get line) or a
            requested language has no recordings.
    """
    from toolkit.corpora.debian.packages import missing_packages_error

    if not root.is_dir():
        raise missing_packages_error("the ktuberling speech pool", PACKAGES)
    have = theme_languages(root)
    unknown = [lang for lang in langs or [] if lang not in have]
    if unknown:
        raise UserError(f"ktuberling has no language {', '.join(unknown)}; "
                        f"it has {', '.join(have)}")
    objects = [name for lang in have for name, _ in read_soundtheme(root / f"{lang}.soundtheme")]
    object_words = strip_theme_prefix(sorted(set(objects)))
    english_vocab = {_singular(t) for toks in object_words.values() for t in toks}
    if (root / "en").is_dir():
        english_vocab |= {_singular(t) for p in (root / "en").iterdir() for t in _tokens(p.stem)}
    clips = []
    for lang in langs or have:
        pairs = [(obj, root / rel) for obj, rel in read_soundtheme(root / f"{lang}.soundtheme")]
        pairs = [(obj, path) for obj, path in pairs
                 if path.is_file() and path.parent.name == lang]
        words = strip_theme_prefix(sorted({path.stem for _, path in pairs}))
        speaker, done = f"{NAME}-{lang}", set()
        for obj, path in pairs:
            if path in done:
                continue
            done.add(path)
            word = words[path.stem]
            own = {_singular(t) for t in object_words[obj]}
            spoken = {_singular(t) for t in word}
            if not word or (lang != "en" and (own & spoken or spoken <= english_vocab)):
                continue  # the file is named after the English object: text unknown
            seconds, rate = header_seconds(path)
            if rate < SAMPLE_RATE or seconds <= 0:
                continue
            clips.append(Clip(make_key(speaker, path.stem), NAME, lang, speaker,
                              clean_text(" ".join(word)), path, seconds))
    return sorted(clips, key=lambda c: c.key)


def load(clip: Clip) -> np.ndarray:
    """The clip's audio, float32 mono at 16 kHz: ``(samples,)``."""
    return load_file_16k(clip.path)
