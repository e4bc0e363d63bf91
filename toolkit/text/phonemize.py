"""Text to IPA phones with espeak-ng: words, stress, syllables, unknown input.

:func:`phonemize` returns the phones of each word espeak-ng speaks (numbers and
abbreviations come out expanded, so words are espeak's, not the spelling's).
Phones are IPA strings; a primary (ˈ) or secondary (ˌ) stress mark is kept at
the start of the stressed vowel, where espeak-ng puts it. Modifier-only
tokens (``ʲ``) join the previous phone; empty phones (espeak-ng's zero-width
ones, such as the German glottal onset) and language switches are dropped.

Syllables (:func:`syllabify`): espeak-ng does not expose them, so they are
derived: every phone holding an IPA vowel (or a syllabic mark) is a nucleus;
of the consonants between two nuclei the last one opens the next syllable and,
when there are three or more, the last two (``ɛks.tɹɔː``, ``wɪn.dəʊ``). A
heuristic, not a language's syllabification rules.

Unknown input (:func:`check_text`): a word is reported when espeak-ng switches
to another language for it, gives it no phones, or spells it letter by letter
(a word of N >= 2 letters spoken as N or more words: Cyrillic in English, CJK
anywhere); a character is reported when, alone, it gets no phones or a language
switch, or when a non-letter is read as several words (emoji names).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.data.datadir import DataDir, write_datadir
from toolkit.data.ops import files_for
from toolkit.errors import UserError
from toolkit.fsutil import skip_if_done
from toolkit.text.espeak import SEPARATOR, espeak

log = logging.getLogger(__name__)
STRESS = "ˈˌ"
IPA_VOWELS = set("iyɨʉɯuɪʏʊeøɘɵɤoəɛœɜɞʌɔæɐaɶɑɒᵻɚɝ")
SYLLABIC = {"\u0329", "\u030d"}
WORD_SEP, SYLLABLE_SEP = "|", "."
SWITCH = re.compile(r"\([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*\)")


def strip_stress(phone: str) -> str:
    """A phone without stress marks."""
    return phone.translate({ord(c): None for c in STRESS})


def is_nucleus(phone: str) -> bool:
    """True for a vowel (or syllabic consonant) phone."""
    return any(c in IPA_VOWELS or c in SYLLABIC for c in phone)


def is_modifier(token: str) -> bool:
    """True for a token made only of modifier letters or marks (ʲ, ʰ), not stress."""
    return bool(token) and all(unicodedata.category(c) in ("Lm", "Mn", "Sk") and c not in STRESS
                               for c in token)


def parse_word(word: str) -> tuple[list[str], bool]:
    """Phones of one word of espeak's output, and whether it switched language."""
    switched = bool(SWITCH.search(word))
    phones: list[str] = []
    pending_stress = ""
    for token in SWITCH.sub(SEPARATOR, word).split(SEPARATOR):
        if not token:
            continue
        if all(c in STRESS for c in token):
            pending_stress += token
        elif is_modifier(token) and phones:
            phones[-1] += token
        else:
            phones.append(pending_stress + token)
            pending_stress = ""
    return phones, switched


def phonemize_words(text: str, voice: str) -> tuple[list[list[str]], bool]:
    """Phones per spoken word of ``text`` and whether espeak switched language."""
    words, switched = [], False
    for clause in espeak().text_to_phonemes(text, voice):
        for word in clause.split(" "):
            phones, sw = parse_word(word)
            switched |= sw
            if phones:
                words.append(phones)
    return words, switched


def phonemize(text: str, voice: str) -> list[list[str]]:
    """IPA phones of each word espeak-ng speaks for ``text`` (see the module doc).

    Args:
        text: any text.
        voice: an espeak-ng voice or language code (``en-us``, ``fr``, ``ru``).

    Returns:
        One list of phones per word, stress marks on the stressed vowels.
    """
    return phonemize_words(text, voice)[0]


def syllabify(phones: list[str]) -> list[list[str]]:
    """Split one word's phones into syllables (heuristic in the module doc)."""
    nuclei = [i for i, p in enumerate(phones) if is_nucleus(p)]
    if len(nuclei) < 2:
        return [list(phones)] if phones else []
    cuts = []
    for a, b in zip(nuclei, nuclei[1:], strict=False):
        between = b - a - 1
        cuts.append(b - (0 if between == 0 else 1 if between <= 2 else 2))
    bounds = [0, *cuts, len(phones)]
    return [phones[s:e] for s, e in zip(bounds, bounds[1:], strict=False)]


def format_phones(words: list[list[str]], stress: bool = True, syllables: bool = False) -> str:
    """One line: phones separated by spaces, ``|`` between words, ``.`` between syllables."""
    out = []
    for phones in words:
        if not stress:
            phones = [strip_stress(p) for p in phones]
        if syllables:
            out.append(f" {SYLLABLE_SEP} ".join(" ".join(s) for s in syllabify(phones)))
        else:
            out.append(" ".join(phones))
    return f" {WORD_SEP} ".join(out)


def parse_phones(line: str) -> list[list[str]]:
    """Inverse of :func:`format_phones`: phones per word (syllable marks dropped)."""
    words = [w.split() for w in line.split(f" {WORD_SEP} ")] if line.strip() else []
    return [[p for p in w if p != SYLLABLE_SEP] for w in words]


@dataclass
class Unphonemizable:
    """Words and characters of a text that a voice cannot phonemize."""

    words: list[str] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.words or self.chars)

    def describe(self, limit: int | None = None) -> str:
        """``words 'a', 'b'; characters 'c' (U+0063)``, at most ``limit`` of each."""
        def listing(items: list[str]) -> str:
            shown = items if limit is None else items[:limit]
            more = f" (+{len(items) - len(shown)} more)" if len(shown) < len(items) else ""
            return ", ".join(shown) + more

        parts = []
        if self.words:
            parts.append("words " + listing([repr(w) for w in self.words]))
        if self.chars:
            parts.append("characters " + listing([f"{c!r} (U+{ord(c):04X})" for c in self.chars]))
        return "; ".join(parts)

    def add(self, other: Unphonemizable) -> None:
        """Merge another finding (keeping first occurrences)."""
        self.words += [w for w in other.words if w not in self.words]
        self.chars += [c for c in other.chars if c not in self.chars]


def _strip_punctuation(word: str) -> str:
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(word[end - 1])[0] in "PS":
        end -= 1
    return word[start:end]


@functools.lru_cache(maxsize=100_000)
def _word_problem(word: str, voice: str) -> bool:
    words, switched = phonemize_words(word, voice)
    letters = word.replace("'", "").replace("\u2019", "")
    if switched or (not words and any(c.isalnum() for c in word)):
        return True
    return (len(letters) >= 2 and letters.isalpha() and not letters.isupper()
            and len(words) >= len(letters))


@functools.lru_cache(maxsize=100_000)
def _char_problem(char: str, voice: str) -> bool:
    words, switched = phonemize_words(char, voice)
    return switched or not words or (not char.isalpha() and len(words) >= 2)


def check_text(text: str, voice: str) -> Unphonemizable:
    """The words and characters of ``text`` that ``voice`` cannot phonemize."""
    found = Unphonemizable()
    for raw in text.split():
        word = _strip_punctuation(raw)
        if word and _word_problem(word, voice) and word not in found.words:
            found.words.append(word)
    # Characters are checked outside the words already reported.
    rest = " ".join(w for w in text.split() if _strip_punctuation(w) not in found.words)
    for char in dict.fromkeys(rest):
        category = unicodedata.category(char)
        if char.isspace() or category[0] in "PNZC":
            continue
        if _char_problem(char, voice) and char not in found.chars:
            found.chars.append(char)
    return found


def speakable_text(text: str, voice: str) -> str:
    """``text`` made speakable by ``voice``, never refused.

    Words the voice has no pronunciation for are kept: espeak-ng spells them
    out letter by letter (or reads them with another language's rules) and a
    warning names them. Characters the voice cannot say at all (a script it does
    not read, symbols) are dropped with a warning.
    """
    found = check_text(text, voice)
    unsayable = [w for w in found.words if any(_char_problem(c, voice) for c in w
                                               if c.isalpha())]
    spelled = [w for w in found.words if w not in unsayable]
    if spelled:
        log.warning("espeak-ng voice '%s' has no pronunciation for %s: spelled out (or read "
                    "with another language's rules)", voice,
                    Unphonemizable(words=spelled).describe(limit=5))
    skipped = Unphonemizable(words=unsayable, chars=found.chars)
    if skipped:
        log.warning("espeak-ng voice '%s' cannot say %s: skipped", voice,
                    skipped.describe(limit=5))
        words = [w for w in text.split() if _strip_punctuation(w) not in unsayable]
        text = "".join(" " if c in found.chars else c for c in " ".join(words))
    return " ".join(text.split())


def require_phonemizable(text: str, voice: str) -> None:
    """Raise one clear :class:`UserError` when ``text`` holds unphonemizable input."""
    found = check_text(text, voice)
    if found:
        raise UserError(f"espeak-ng voice '{voice}' cannot phonemize {found.describe()}")


def add_phones(data: str | Path, out: str | Path, voice_map: dict[str, str] | None = None,
               lang: str | None = None, skip_langs: list[str] | None = None,
               stress: bool = True, syllables: bool = False, strict: bool = False,
               overwrite: bool = False) -> dict[str, Any]:
    """Copy data directory ``data`` to ``out`` with a ``phones`` file added.

    ``phones`` holds, per utterance, the :func:`format_phones` line of its
    ``text`` (``|`` between words, ``.`` between syllables when asked).

    Args:
        data: source data directory (needs ``text``, and ``utt2lang`` unless
            ``lang`` is given).
        out: destination (a new directory, written atomically).
        voice_map: {language: espeak-ng voice}, e.g. ``{"en": "en-us"}``;
            other languages use their code as the voice.
        lang: one language for every utterance (instead of ``utt2lang``).
        skip_langs: languages to leave out of ``out``.
        stress: keep stress marks.
        syllables: mark syllable boundaries.
        strict: fail, instead of warning, on input espeak-ng cannot phonemize.
        overwrite: redo a finished ``out``.

    Returns:
        Statistics: ``skipped``, ``utterances``, ``dropped`` (no phones at all),
        ``problems`` (utterances with unphonemizable input).

    Raises:
        UserError: a language has no espeak-ng voice, or (``strict``)
            unphonemizable input; the message lists them.
    """
    if Path(out).resolve() == Path(data).resolve():
        raise UserError(f"--out {out} is the input directory; choose a new one")
    if skip_if_done(out, overwrite):
        return {"skipped": True, "utterances": 0, "dropped": 0, "problems": 0}
    src = DataDir(data)
    texts = src.read("text")
    langs = {k: lang for k in texts} if lang else src.read("utt2lang")
    skip = set(skip_langs or [])
    keys = [k for k in src.keys() if langs.get(k) not in skip]
    voice_map = voice_map or {}
    voices = {code: voice_map.get(code, code) for code in sorted({langs[k] for k in keys})}
    engine = espeak()
    unknown = []
    for code, voice in voices.items():
        try:
            engine.resolve(voice)
        except UserError:
            unknown.append(code)
    if unknown:
        raise UserError(f"espeak-ng has no voice for language(s) {', '.join(unknown)}; map them "
                        "with --voice-map LANG=VOICE or leave them out with --skip-langs; see "
                        "the known ones with: sptk-cli corpus espeak --list-voices")
    phones, problems, dropped = {}, [], []
    by_lang: dict[str, Unphonemizable] = {}
    for key in keys:
        voice = voices[langs[key]]
        found = check_text(texts[key], voice)
        if found:
            problems.append(key)
            by_lang.setdefault(langs[key], Unphonemizable()).add(found)
        words = phonemize(texts[key], voice)
        if words:
            phones[key] = format_phones(words, stress, syllables)
        else:
            dropped.append(key)
    if problems:
        listing = "; ".join(f"[{code}] {found.describe(limit=8)}"
                            for code, found in sorted(by_lang.items()))
        message = (f"{len(problems)} utterance(s) (first {problems[0]}) hold text espeak-ng "
                   f"cannot phonemize: {listing}")
        if strict:
            raise UserError(message)
        log.warning("%s (their phones are espeak-ng's best effort)", message)
    if dropped:
        log.warning("%d utterance(s) without any phones left out, first %s", len(dropped),
                    dropped[0])
    files = files_for(src, sorted(phones))
    files["phones"] = phones
    meta = dict(src.meta)
    meta["derived_from"] = str(src.path)
    meta["phones"] = {"espeak_ng": f"{engine.version} ({engine.origin} library)",
                      "voices": voices, "stress": stress, "syllables": syllables,
                      "format": "IPA phones separated by spaces, '|' between words"
                                + (", '.' between syllables" if syllables else "")}
    meta.pop("created_by", None)
    write_datadir(out, files, meta, overwrite=overwrite)
    return {"skipped": False, "utterances": len(phones), "dropped": len(dropped),
            "problems": len(problems)}
