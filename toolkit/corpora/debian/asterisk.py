"""Asterisk core prompts: professional telephony speech in five languages.

The Asterisk PBX ships its voice prompts ("Please enter your password followed
by the pound key.") recorded in a studio by one professional talker per
language, about 25 minutes each (es: 31). Debian packages them per codec;
``asterisk-core-sounds-<lang>-g722`` holds G.722 files (64 kbit/s, 16 kHz after
decoding; the ``-wav`` packages are only 8 kHz) and the small
``asterisk-core-sounds-<lang>`` package holds the transcripts. Layout::

    /usr/share/asterisk/sounds/en_US_f_Allison/agent-pass.g722
    /usr/share/asterisk/sounds/en_US_f_Allison/digits/1.g722   (letters/, phonetic/, ...)
    /usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz
                                      "digits/1: one" per line, ";" comments

Folders are ``<lang>_<region>_<gender>_<Talker>``: en_US_f_Allison,
es_MX_f_Allison, fr_CA_f_June, it_IT_m_Carlo, ru_RU_f_IvrvoiceRU. The speaker id
is the talker's name (``asterisk-allison``), so the en_US and es_MX prompts,
read by the same person (Allison Smith, per the copyright file), share one id:
a bilingual speaker, which is what cross-lingual TTS wants to know. Licence:
CC-BY-SA 3.0 (Allison Smith, June Wallack and the other talkers; Digium).

Transcripts: entries that are only an annotation (``[ascending tones]``,
``(beep)``, ``(1 secondo di silenzio)``) are non-speech and dropped; bracketed
symbols without letters (``at [@]``) are removed; an entry with any other
bracketed remark is dropped because the remark may or may not be spoken
(``Pour (emphase)``, ``(ne m'appelez plus, jamais)``). Prompts without a
transcript are dropped, and so are tones and noises whatever their transcript
says (``beep``: "un suono beep"; ``silence/*``, ``tt-monkeys``) and entries
into which upstream pasted other entries (``vm-tempremoved: ... vm-then-pound:
...``). The Spanish transcripts are written without accents or
tildes (``contrasena``), as upstream wrote them.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from toolkit.corpora.debian.common import Clip, clean_text, make_key
from toolkit.errors import AudioError, UserError

NAME = "asterisk"
LICENCE = "CC-BY-SA-3.0"
SOUNDS = Path("/usr/share/asterisk/sounds")
DOCS = Path("/usr/share/doc")
LANGS = ("en", "es", "fr", "it", "ru")
_FOLDER = re.compile(r"^([a-z]{2})_([A-Z]{2})_([fm])_(\w+)$")
_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>")
# Prompts that are tones or noises in every language.
NON_SPEECH = {"beep", "beeperr", "ascending-2tone", "descending-2tone", "confbridge-join",
              "confbridge-leave", "tt-monkeys"}
_EMBEDDED_NAME = re.compile(r"(?:^|\s)([\w/-]+):(?:\s|$)")


def packages(langs: list[str] | None = None) -> list[str]:
    """Debian packages the given languages need (audio and transcripts)."""
    langs = langs or list(LANGS)
    return [p for lang in langs for p in (f"asterisk-core-sounds-{lang}-g722",
                                          f"asterisk-core-sounds-{lang}")]


def talker_folders(root: Path = SOUNDS) -> dict[str, Path]:
    """{language: folder} of the installed G.722 prompt sets."""
    out: dict[str, Path] = {}
    if not root.is_dir():
        return out
    for folder in sorted(root.iterdir()):
        m = _FOLDER.match(folder.name)
        if m and folder.is_dir() and not folder.is_symlink() and any(folder.glob("*.g722")):
            out.setdefault(m.group(1), folder)
    return out


def languages(root: Path = SOUNDS, docs: Path = DOCS) -> list[str]:
    """Languages whose prompts and transcripts are both installed."""
    return [lang for lang in talker_folders(root) if transcript_file(lang, docs) is not None]


def transcript_file(lang: str, docs: Path = DOCS) -> Path | None:
    """The transcript list of ``lang`` (plain or gzipped), None when absent."""
    base = docs / f"asterisk-core-sounds-{lang}" / f"core-sounds-{lang}.txt"
    for path in (base, base.with_suffix(".txt.gz")):
        if path.is_file():
            return path
    return None


def clean_transcript(text: str) -> str | None:
    """Spoken text of one transcript entry, or None when unusable (see module doc)."""
    text = clean_text(text)

    def drop_symbols(m: re.Match) -> str:
        return m.group(0) if any(c.isalpha() for c in m.group(0)) else " "

    text = clean_text(_BRACKETED.sub(drop_symbols, text))
    if not text or _BRACKETED.search(text) or any(c in text for c in "[]<>()"):
        return None
    return text


def read_transcripts(path: Path) -> dict[str, str]:
    """{prompt name: raw text} of ``core-sounds-<lang>.txt[.gz]``."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    out: dict[str, str] = {}
    for line in raw.decode("utf-8-sig", errors="replace").splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith(";") or ":" not in line:
            continue
        name, text = line.split(":", 1)
        if re.fullmatch(r"[\w./-]+", name.strip()):
            out.setdefault(name.strip(), text)
    return out


def speaker_id(folder: Path) -> str:
    """``asterisk-<talker>`` from a folder name such as ``es_MX_f_Allison``."""
    m = _FOLDER.match(folder.name)
    talker = m.group(4) if m else folder.name
    return f"{NAME}-{talker.lower()}"


def scan(langs: list[str] | None = None, root: Path = SOUNDS, docs: Path = DOCS) -> list[Clip]:
    """Every transcribed prompt of the given (default: installed) languages.

    Raises:
        UserError: a requested language is not installed (names the apt-get line).
    """
    from toolkit.corpora.debian.packages import missing_packages_error

    folders = talker_folders(root)
    wanted = list(langs) if langs else [lang for lang in LANGS if lang in folders]
    unknown = [lang for lang in wanted if lang not in LANGS]
    if unknown:
        raise UserError(f"asterisk has no language {', '.join(unknown)}; "
                        f"it has {', '.join(LANGS)}")
    missing = [lang for lang in wanted
               if lang not in folders or transcript_file(lang, docs) is None]
    if not wanted or missing:
        raise missing_packages_error("the asterisk speech pool", packages(missing or list(LANGS)))
    clips = []
    for lang in wanted:
        folder, speaker = folders[lang], speaker_id(folders[lang])
        transcripts = read_transcripts(transcript_file(lang, docs))
        for name, raw in sorted(transcripts.items()):
            path = folder / f"{name}.g722"
            text = clean_transcript(raw)
            if (text is None or name in NON_SPEECH or name.startswith("silence/")
                    or not path.is_file() or path.stat().st_size == 0
                    or any(m.group(1) in transcripts for m in _EMBEDDED_NAME.finditer(text))):
                continue
            # G.722 at 64 kbit/s: 8000 bytes per second of 16 kHz audio.
            clips.append(Clip(make_key(f"{speaker}-{lang}", name), NAME, lang, speaker, text,
                              path, path.stat().st_size / 8000))
    return clips


def decode_g722(path: str | Path) -> np.ndarray:
    """Decode a G.722 (64 kbit/s) file to float32 at 16 kHz: ``(samples,)``.

    Uses PyPI ``g722`` (module ``G722``), else ``ffmpeg`` when installed.

    Raises:
        AudioError: neither decoder is available, or the file does not decode.
    """
    data = Path(path).read_bytes()
    try:
        from G722 import G722
    except ImportError:
        G722 = None
    if G722 is not None:
        pcm = np.frombuffer(G722(16000, 64000).decode(data), dtype=np.int16)
    elif shutil.which("ffmpeg"):
        proc = subprocess.run(["ffmpeg", "-v", "error", "-f", "g722", "-i", "pipe:0",
                               "-f", "s16le", "-ac", "1", "-ar", "16000", "pipe:1"],
                              input=data, capture_output=True)
        if proc.returncode != 0:
            raise AudioError(f"{path}: ffmpeg cannot decode it as G.722")
        pcm = np.frombuffer(proc.stdout, dtype=np.int16)
    else:
        raise AudioError(f"{path}: decoding G.722 needs the Python package g722 "
                         "(pip install g722) or ffmpeg")
    if pcm.size == 0:
        raise AudioError(f"{path}: decodes to no samples")
    return pcm.astype(np.float32) / 32768.0


def load(clip: Clip) -> np.ndarray:
    """The clip's audio, float32 mono at 16 kHz: ``(samples,)``."""
    return decode_g722(clip.path)
