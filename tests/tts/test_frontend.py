"""Front end: normalisation, phrases, label sequence, union features, frame expansion."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tts.conftest import needs_espeak
from toolkit.errors import UserError
from toolkit.models.tts_blocks import frame_dim, phone_dim
from toolkit.tts.frontend import (
    SIL,
    PhoneSet,
    Phrase,
    coarse_coding,
    format_phrases,
    frame_features,
    label_sequence,
    normalize_text,
    parse_phrases,
    phone_features,
    text_to_phrases,
)


def test_normalize_text():
    assert normalize_text("¿Qué  tal?  «hola»", "es") == "Qué tal? hola"
    assert normalize_text("l\u2019homme * #1", "fr") == "l'homme 1"


def test_format_parse_roundtrip():
    phrases = [Phrase([["h", "ˈɛ", "l", "oʊ"], ["w", "ɜː", "l", "d"]], ","),
               Phrase([["ˈaɪ"]], "?")]
    line = format_phrases(phrases)
    assert line == "h ˈɛ l oʊ | w ɜː l d / ˈaɪ /?"
    back = parse_phrases(line)
    assert [p.words for p in back] == [p.words for p in phrases] and back[1].end == "?"
    assert label_sequence(back) == [SIL, "h", "ˈɛ", "l", "oʊ", "w", "ɜː", "l", "d", SIL, "ˈaɪ",
                                    SIL]


def test_phone_features_union_and_zero_padding():
    phrases = parse_phrases("h ˈɛ l oʊ | w ɜː l d / ˈaɪ /?")
    ps = PhoneSet(16)
    ps.add(label_sequence(phrases), "en")
    f = phone_features(phrases, ps)
    assert f.shape == (12, phone_dim(16))
    slots = 16
    assert np.all(f[:, :slots].sum(1) == 1) and np.all(f[:, slots:2 * slots].sum(1) == 1)
    assert f[0, slots + 0] == 1  # current = sil
    assert f[1, 3 * slots] == f[2, 3 * slots] == 1  # h ˈɛ: a syllable with primary stress
    assert f[3, 3 * slots] == 0  # l of the unstressed syllable l oʊ
    assert f[10, -2] == 1  # question phrase
    assert np.all(f[:, slots + 10:2 * slots] == 0)  # unused slots stay zero
    x = frame_features(f, np.array([0, 3, 4, 3, 3, 3, 3, 3, 3, 2, 5, 0]))
    assert x.shape == (32, frame_dim(16))
    assert np.all(x[:3, slots + ps.index("h")] == 1)
    assert np.all(x[:, -1] == np.repeat([3, 4, 3, 3, 3, 3, 3, 3, 2, 5], [3, 4, 3, 3, 3, 3, 3, 3,
                                                                        2, 5]))


def test_coarse_coding_peaks_move_through_the_phone():
    c = coarse_coding(10)
    assert c.shape == (10, 3)
    assert c[0].argmax() == 0 and c[5].argmax() == 1 and c[9].argmax() == 2


def test_phone_set_full_and_unknown():
    ps = PhoneSet(4)
    ps.add(["a", "b"], "xx")
    assert ps.index("ˈa") == ps.index("a") == 2 and ps.index("q") == 1
    assert ps.index("aː") == 2  # falls back to the base letter
    with pytest.raises(UserError, match="phone_slots"):
        ps.add(["c"], "yy")


@needs_espeak
def test_text_to_phrases_languages():
    ph = text_to_phrases("Hello world, how are you?", "en", "en-us")
    assert len(ph) == 2 and ph[1].end == "?"
    assert len(text_to_phrases("Привет, мир", "ru")) == 2
    with pytest.raises(UserError, match="empty"):
        text_to_phrases("  * ", "en")
