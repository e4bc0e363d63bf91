"""espeak-ng phonemizer: phones, word boundaries, stress, syllables, unknown input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from toolkit.errors import UserError

pytestmark = pytest.mark.usefixtures("espeak_lib")


def test_english_words_and_stress():
    from toolkit.text.phonemize import is_nucleus, phonemize

    words = phonemize("Hello world.", "en-us")
    assert len(words) == 2
    assert words[1][0] == "w"
    for phones in words:
        stressed = [p for p in phones if p.startswith("ˈ")]
        assert len(stressed) == 1 and is_nucleus(stressed[0])


def test_french_and_russian():
    from toolkit.text.phonemize import phonemize

    fr = phonemize("Une grenouille verte.", "fr")
    assert len(fr) == 3 and "ʁ" in fr[1]
    ru = phonemize("Лягушка прыгает.", "ru")
    assert len(ru) == 2
    flat = [p for w in ru for p in w]
    assert "ˈu" in ru[0]
    assert "ʲ" not in flat and any(p.endswith("ʲ") for p in flat)  # palatalisation joined
    assert "" not in flat


def test_numbers_expand_into_words():
    from toolkit.text.phonemize import phonemize

    assert len(phonemize("42", "en")) == 2


def test_format_syllables_and_roundtrip():
    from toolkit.text.phonemize import (
        format_phones,
        is_nucleus,
        parse_phones,
        phonemize,
        strip_stress,
        syllabify,
    )

    words = phonemize("Extraordinary windows", "en-us")
    line = format_phones(words)
    assert line.count(" | ") == 1
    assert parse_phones(line) == words
    syl = format_phones(words, syllables=True)
    assert " . " in syl and parse_phones(syl) == words
    for phones in words:
        for syllable in syllabify(phones):
            assert sum(is_nucleus(p) for p in syllable) == 1
    bare = format_phones(words, stress=False)
    assert "ˈ" not in bare and parse_phones(bare) == [[strip_stress(p) for p in w] for w in words]


def test_syllabify_rule():
    from toolkit.text.phonemize import syllabify

    assert syllabify(["w", "ˈɪ", "n", "d", "əʊ"]) == [["w", "ˈɪ", "n"], ["d", "əʊ"]]
    assert syllabify(["ɛ", "k", "s", "t", "ɹ", "ˈɔː"]) == [["ɛ", "k", "s"], ["t", "ɹ", "ˈɔː"]]
    assert syllabify(["k", "ˈeɪ", "ɒ", "s"]) == [["k", "ˈeɪ"], ["ɒ", "s"]]
    assert syllabify(["s", "t"]) == [["s", "t"]]


def test_unphonemizable_input_reported():
    from toolkit.text.phonemize import check_text, require_phonemizable

    assert not check_text("A perfectly ordinary sentence, with 3 numbers.", "en")
    found = check_text("hello Привет 你好 😀", "en")
    assert found.words == ["Привет", "你好"] and found.chars == ["😀"]
    assert check_text("hello мир", "ru").words == ["hello"]
    assert check_text("Straße", "fr").chars == ["ß"]
    with pytest.raises(UserError, match=r"cannot phonemize words 'Привет'.*U\+1F600"):
        require_phonemizable("Привет 😀", "en")


def test_unknown_voice_is_one_clear_line():
    from toolkit.text.espeak import espeak

    with pytest.raises(UserError, match="--list-voices"):
        espeak().resolve("xx-nope")
    assert espeak().resolve("fr-fr") == "roa/fr"  # a language code maps to its voice file


def _tiny_datadir(path, texts: dict[str, tuple[str, str]]):
    from toolkit.data.datadir import write_datadir

    files = {"text": {k: t for k, (_, t) in texts.items()},
             "utt2lang": {k: lang for k, (lang, _) in texts.items()},
             "utt2spk": {k: k.split("-")[0] for k in texts}}
    write_datadir(path, files, {"sample_rate": 16000})


def test_cli_phonemes(tmp_path, cli):
    from toolkit.data.datadir import DataDir
    from toolkit.text.phonemize import parse_phones

    _tiny_datadir(tmp_path / "d", {"a-1": ("en", "Hello world."), "a-2": ("fr", "Une grenouille."),
                                   "b-1": ("ru", "Лягушка прыгает.")})
    cli("corpus", "phonemes", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "p"),
        "--voice-map", "en=en-us", "--syllables")
    d = DataDir(tmp_path / "p")
    assert d.keys() == ["a-1", "a-2", "b-1"]
    assert list(d.read("phones")) == d.keys()
    assert len(parse_phones(d.read("phones")["b-1"])) == 2
    assert " . " in d.read("phones")["b-1"]
    assert d.meta["phones"]["voices"]["en"] == "en-us"


def test_cli_phonemes_problems(tmp_path, cli):
    _tiny_datadir(tmp_path / "d", {"a-1": ("ru", "hello мир"), "a-2": ("wa", "bale")})
    proc = cli("corpus", "phonemes", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "p"),
               check=False)
    assert proc.returncode == 2 and "no voice for language(s) wa" in proc.stderr
    proc = cli("corpus", "phonemes", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "p"),
               "--skip-langs", "wa", "--strict", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1 and "(first a-1)" in errors[0]
    assert "[ru] words 'hello'" in errors[0]
    proc = cli("corpus", "phonemes", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "p"),
               "--skip-langs", "wa")
    assert "cannot phonemize" in proc.stderr and (tmp_path / "p" / "phones").is_file()


def test_espeakng_loader_fallback():
    pytest.importorskip("espeakng_loader")
    code = ("from toolkit.text.espeak import espeak; from toolkit.text.phonemize import phonemize;"
            "print(espeak().origin); print(len(phonemize('Hello world', 'en')))")
    env = dict(os.environ, SPTK_ESPEAK="loader",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == ["espeakng-loader", "2"]
