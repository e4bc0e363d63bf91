"""TTS front end: normalisation, G2P by phrase, phone-level and frame-level features.

Label sequence. An utterance becomes phrases (text split at ``, . ; : ! ?``),
phrases become words (espeak-ng G2P, :func:`toolkit.text.phonemize.phonemize`)
and words become IPA phones with stress marks. The *label sequence* is
``sil`` + phrase 1 + ``sil`` + phrase 2 + ... + ``sil``: a pause slot at the start,
between phrases and at the end. The aligner treats the pause slots as optional,
so a pause that is not spoken gets duration 0; the duration model predicts them
the same way at synthesis, so training and synthesis use one sequence.

Text form of a label sequence (the ``phones`` file the recipe writes)::

    h ə l ˈoʊ | w ˈɜː l d / h aʊ | ɑːɹ | j uː

``|`` between words, ``/`` between phrases; pause slots are implicit.

Phone-level features (the union of the languages' feature sets; a language
that lacks a dimension, e.g. stress for a language whose espeak-ng voice marks
none, leaves it at zero):

- identity of the previous, current and next phone: one-hot over
  ``phone_slots`` slots each. Slots come from :class:`PhoneSet`, the union of the
  IPA inventories (stress removed) of all training languages; the same IPA
  symbol in two languages shares a slot. Slot 0 is ``sil``, slot 1 unknown;
  free slots stay zero until an adaptation language fills them.
- primary stress, secondary stress, vowel, pause (4);
- positions and counts (17): phone in syllable (fw, bw, count), syllable in
  word (fw, bw, count), word in phrase (fw, bw, count), syllable in phrase (fw,
  bw, count), phrase in utterance (fw, bw, count), phrase ends in ``?`` / ``!``.

Frame-level features append 3 coarse-coded positions of the frame in its phone
(Gaussians centred at 0, 0.5 and 1 of the relative position, std 0.4, as in
Zen et al. 2013) and the phone's duration in frames.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_text
from toolkit.models.tts_blocks import N_PHONE_EXTRA, N_POSITION, phone_dim
from toolkit.text.phonemize import is_nucleus, phonemize, strip_stress, syllabify

SIL, UNK = "sil", "<unk>"
PHRASE_BREAK = re.compile(r"[,.;:!?\u2026\u3002\uff0c]+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u00ab": '"', "\u00bb": '"', "\u2013": "-", "\u2014": "-",
                         "\u00a0": " "})
_DROP = re.compile(r"[\"*#_~^`<>\[\]{}()|\\/]")


def normalize_text(text: str, lang: str) -> str:
    """Per-language text normalisation before G2P.

    NFC; typographic quotes and dashes to ASCII; symbols espeak-ng would read
    aloud (``* # _ ~ | / ( )``) dropped; Spanish ``¿ ¡`` dropped; runs of
    spaces collapsed. Numbers and abbreviations are left to espeak-ng, which
    expands them per language.
    """
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = _DROP.sub(" ", text)
    if lang.split("-")[0] in ("es", "ca"):
        text = text.replace("¿", " ").replace("¡", " ")
    return " ".join(text.split())


class NoPhonesError(UserError):
    """A text that leaves nothing to say (empty after normalisation, or no phones)."""


@dataclass
class Phrase:
    words: list[list[str]]
    end: str = ""  # the punctuation that closed it


def text_to_phrases(text: str, lang: str, voice: str | None = None) -> list[Phrase]:
    """Phrases of phonemized words (stress on vowels) of normalised ``text``.

    Raises:
        UserError: the text is empty or yields no phones.
    """
    norm = normalize_text(text, lang)
    if not norm:
        raise NoPhonesError(f"empty text for language '{lang}' (nothing left after "
                            "normalisation)")
    phrases = []
    pos = 0
    for m in [*PHRASE_BREAK.finditer(norm), None]:
        chunk = norm[pos: m.start() if m else len(norm)]
        words = phonemize(chunk, voice or lang) if chunk.strip() else []
        words = [[q for q in (p.strip("-") for p in w) if q] for w in words]
        words = [w for w in words if w]
        if words:
            phrases.append(Phrase(words, m.group(0) if m else ""))
        elif m and phrases:
            phrases[-1].end += m.group(0)
        pos = m.end() if m else len(norm)
    if not phrases:
        raise NoPhonesError(f"text {text[:40]!r} gives no phones in language '{lang}'")
    return phrases


def format_phrases(phrases: list[Phrase]) -> str:
    """The text form (module doc); phrase-final ``?``/``!`` kept as ``/?`` / ``/!``."""
    out = []
    for i, ph in enumerate(phrases):
        out.append(" | ".join(" ".join(w) for w in ph.words))
        mark = "?" if "?" in ph.end else "!" if "!" in ph.end else ""
        if mark or i + 1 < len(phrases):
            out.append(f"/{mark}")
    return " ".join(out)


def parse_phrases(line: str) -> list[Phrase]:
    """Inverse of :func:`format_phrases`."""
    phrases, words, current = [], [], []
    for tok in line.split():
        if tok.startswith("/"):
            if current:
                words.append(current)
            phrases.append(Phrase(words, tok[1:]))
            words, current = [], []
        elif tok == "|":
            if current:
                words.append(current)
            current = []
        else:
            current.append(tok)
    if current:
        words.append(current)
    if words:
        phrases.append(Phrase(words))
    return [p for p in phrases if p.words]


def label_sequence(phrases: list[Phrase]) -> list[str]:
    """Phones with pause slots: ``sil`` + phrase + ``sil`` + ... + ``sil``."""
    seq = [SIL]
    for ph in phrases:
        seq += [p for w in ph.words for p in w] + [SIL]
    return seq


@dataclass
class PhoneSet:
    """Slots of the phone identities: the union of the languages' IPA inventories.

    Attributes:
        slots: total number of slots (fixed by the config: the model's input size).
        phones: phone (stress removed) -> slot; ``sil`` is 0, unknown is 1.
        languages: languages whose phones were added, in order.
        filled: slots in use after each language's phones were added (the phones of
            the first languages are those below ``filled[lang]``).
    """

    slots: int
    phones: dict[str, int] = field(default_factory=lambda: {SIL: 0, UNK: 1})
    languages: list[str] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)

    def add(self, phones: list[str], lang: str) -> int:
        """Give new phones free slots; returns how many were added.

        Raises:
            UserError: no free slot is left (raise ``frontend.phone_slots``).
        """
        added = 0
        for p in sorted({strip_stress(p) for p in phones} - set(self.phones)):
            if len(self.phones) >= self.slots:
                raise UserError(f"the phone set is full ({self.slots} slots) while adding "
                                f"language '{lang}'; raise frontend.phone_slots")
            self.phones[p] = len(self.phones)
            added += 1
        if lang not in self.languages:
            self.languages.append(lang)
        self.filled[lang] = len(self.phones)
        return added

    def index(self, phone: str) -> int:
        """Slot of a phone; unknown phones fall back to their base letter, else ``<unk>``."""
        p = strip_stress(phone)
        if p in self.phones:
            return self.phones[p]
        base = "".join(c for c in unicodedata.normalize("NFD", p)
                       if unicodedata.category(c)[0] == "L" and unicodedata.category(c) != "Lm")
        return self.phones.get(base, self.phones.get(base[:1], 1))

    def save(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps({"slots": self.slots, "phones": self.phones,
                                            "languages": self.languages,
                                            "filled": self.filled},
                                           ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> PhoneSet:
        path = Path(path)
        if not path.is_file():
            raise UserError(f"phone set {path} does not exist; run the label stage first")
        d = json.loads(path.read_text(encoding="utf-8"))
        return cls(int(d["slots"]), dict(d["phones"]), list(d["languages"]),
                   dict(d.get("filled", {})))  # files before 2026-12-06 have no "filled"


def phone_features(phrases: list[Phrase], phone_set: PhoneSet) -> np.ndarray:
    """Phone-level features ``(len(label_sequence), phone_dim)`` (module doc)."""
    slots = phone_set.slots
    rows: list[tuple[str, list[float]]] = []  # (phone, numeric features)
    n_phr = len(phrases)
    rows.append((SIL, [0.0] * (N_PHONE_EXTRA + N_POSITION)))
    for pi, ph in enumerate(phrases):
        sylls_per_word = [syllabify(w) for w in ph.words]
        n_syl_phrase = sum(len(s) for s in sylls_per_word)
        n_words = len(ph.words)
        q, ex = float("?" in ph.end), float("!" in ph.end)
        syl_in_phrase = 0
        for wi, sylls in enumerate(sylls_per_word):
            for si, syl in enumerate(sylls):
                stress = next((p[0] for p in syl if p[:1] in "ˈˌ"), "")
                for k, p in enumerate(syl):
                    extra = [float(stress == "ˈ"), float(stress == "ˌ"), float(is_nucleus(p)), 0.0]
                    pos = [k + 1, len(syl) - k, len(syl), si + 1, len(sylls) - si, len(sylls),
                           wi + 1, n_words - wi, n_words, syl_in_phrase + 1,
                           n_syl_phrase - syl_in_phrase, n_syl_phrase, pi + 1, n_phr - pi, n_phr,
                           q, ex]
                    rows.append((p, extra + [float(v) for v in pos]))
                syl_in_phrase += 1
        sil = [0.0] * (N_PHONE_EXTRA + N_POSITION)
        sil[3] = 1.0
        rows.append((SIL, sil))
    rows[0][1][3] = 1.0
    ids = [phone_set.index(p) for p, _ in rows]
    n = len(rows)
    out = np.zeros((n, phone_dim(slots)), np.float32)
    for i in range(n):
        out[i, ids[i - 1] if i > 0 else 0] = 1.0
        out[i, slots + ids[i]] = 1.0
        out[i, 2 * slots + (ids[i + 1] if i + 1 < n else 0)] = 1.0
        out[i, 3 * slots:] = rows[i][1]
    return out


def coarse_coding(duration: int) -> np.ndarray:
    """``(duration, 3)`` Gaussians (std 0.4) at 0, 0.5, 1 of the relative frame position."""
    pos = (np.arange(duration) + 0.5) / max(duration, 1)
    centres = np.array([0.0, 0.5, 1.0])
    return np.exp(-0.5 * ((pos[:, None] - centres) / 0.4) ** 2).astype(np.float32)


def frame_features(phone_feats: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Expand ``(phones, phone_dim)`` with ``(phones,)`` frame durations to ``(frames, frame_dim)``.

    Phones of duration 0 (unspoken pause slots) produce no frames.
    """
    durations = np.asarray(durations, dtype=np.int64)
    if len(durations) != len(phone_feats):
        raise UserError(f"{len(durations)} durations for {len(phone_feats)} phones")
    idx = np.repeat(np.arange(len(durations)), durations)
    cc = np.concatenate([coarse_coding(int(d)) for d in durations if d > 0] or
                        [np.zeros((0, 3), np.float32)])
    dur = np.repeat(durations, durations).astype(np.float32)[:, None]
    return np.concatenate([phone_feats[idx], cc, dur], 1)
