"""Tux Paint stamp descriptions: short read sentences in 14 languages.

Tux Paint, a drawing program for children, speaks a one-sentence description
of each stamp ("A frog.", "Une grenouille."). Debian's
``tuxpaint-stamps-default`` installs about 7300 recordings; ro, es, ru, fr, bg,
el, be, ca and da have around 900 each (minutes of speech, one talker per
language), English, lt, nl, pt_BR and ml a few dozen or fewer. Layout::

    /usr/share/tuxpaint/stamps/animals/amphibians/frog.txt          text, see below
    /usr/share/tuxpaint/stamps/animals/amphibians/frog_desc.ogg     English
    /usr/share/tuxpaint/stamps/animals/amphibians/frog_desc_fr.ogg  French (.wav for pt_BR)

The ``.txt`` file's first line is the English text, then one line per locale:
``fr.utf8=Une grenouille.``. A recording whose stamp has no text in its
locale is dropped. Audio is Ogg Vorbis (a few WAV), 44.1 kHz, mono or stereo
(averaged). The speaker id is ``tuxpaint-<locale>`` (``tuxpaint-pt-br``): the
package names no talkers, so one talker per locale is an assumption. Licence:
GPL-2 (Bill Kendrick and contributors, per the copyright file).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import numpy as np

from toolkit.corpora.debian.common import Clip, clean_text, load_file_16k, make_key
from toolkit.errors import UserError

NAME = "tuxpaint"
LICENCE = "GPL-2"
PACKAGES = ("tuxpaint-stamps-default",)
STAMPS = Path("/usr/share/tuxpaint/stamps")
# frog_desc.ogg, frog_desc_fr.ogg, butterfly_desc_pt_BR.wav (and one stray .ogg.ogg).
_DESC = re.compile(r"^(?P<stem>.+)_desc(?:_(?P<locale>[a-z]{2,3}(?:_[A-Z]{2})?))?"
                   r"(?P<ext>(?:\.ogg)+|\.wav)$")
_LOCALE_LINE = re.compile(r"^(?P<locale>[A-Za-z_@]+)\.utf8=(?P<text>.*)$")


def packages(langs: list[str] | None = None) -> list[str]:
    """Debian packages this source needs."""
    return list(PACKAGES)


def iso_code(locale: str) -> str:
    """ISO 639 code of a locale (``pt_BR`` -> ``pt``)."""
    return locale.split("_")[0].split("@")[0]


def read_stamp_texts(path: Path) -> dict[str, str]:
    """{locale: text} of a stamp's ``.txt`` (the first, unprefixed line is ``en``)."""
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        m = _LOCALE_LINE.match(line.strip())
        if m:
            out.setdefault(m.group("locale"), clean_text(m.group("text")))
        elif n == 0:
            out["en"] = clean_text(line)
    return {k: v for k, v in out.items() if v}


@functools.lru_cache(maxsize=4)
def find_descriptions(root: Path = STAMPS) -> tuple[tuple[Path, str], ...]:
    """(recording, locale) of every description, one per stamp and locale (cached)."""
    seen: dict[tuple[str, str, str], str] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            m = _DESC.match(name) if "_desc" in name else None
            if m:
                # Prefer frog_desc_da.ogg over a stray frog_desc_da.ogg.ogg.
                key = (folder, m.group("stem"), m.group("locale") or "en")
                if key not in seen or len(name) < len(seen[key]):
                    seen[key] = name
    return tuple((Path(folder) / name, locale)
                 for (folder, _, locale), name in sorted(seen.items()))


def languages(root: Path = STAMPS) -> list[str]:
    """ISO codes that have recordings installed."""
    return sorted({iso_code(loc) for _, loc in find_descriptions(root)})


def scan(langs: list[str] | None = None, root: Path = STAMPS) -> list[Clip]:
    """Every description with text, in the given languages (default: all).

    Raises:
        UserError: the package is missing (names the apt-get line) or a
            requested language has no recordings.
    """
    from toolkit.corpora.debian.packages import missing_packages_error

    if not root.is_dir():
        raise missing_packages_error("the tuxpaint speech pool", PACKAGES)
    found = find_descriptions(root)
    have = sorted({iso_code(loc) for _, loc in found})
    unknown = [lang for lang in langs or [] if lang not in have]
    if unknown:
        raise UserError(f"tuxpaint has no language {', '.join(unknown)}; it has {', '.join(have)}")
    clips = []
    texts: dict[Path, dict[str, str]] = {}
    for path, locale in found:
        lang = iso_code(locale)
        if langs and lang not in langs:
            continue
        stem = _DESC.match(path.name).group("stem")
        txt = path.parent / f"{stem}.txt"
        if txt not in texts:
            texts[txt] = read_stamp_texts(txt) if txt.is_file() else {}
        text = texts[txt].get(locale)
        if not text:
            continue
        speaker = f"{NAME}-{locale.lower().replace('_', '-')}"
        name = str(path.parent.relative_to(root) / stem)
        clips.append(Clip(make_key(speaker, name), NAME, lang, speaker, text, path))
    return clips


def load(clip: Clip) -> np.ndarray:
    """The clip's audio, float32 mono at 16 kHz: ``(samples,)``."""
    return load_file_16k(clip.path)
