"""synthesize: sentences, default speakers, unpronounceable words, loudness, text files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error, run_cli
from tests.tts.conftest import needs_espeak
from toolkit.dsp.mix import loudness_lufs
from toolkit.errors import UserError
from toolkit.tts.infer import read_durations, read_text_lines, split_sentences
from toolkit.tts.synth import ASSET

needs_bundle = pytest.mark.skipif(not (ASSET / "acoustic" / "model.pt").is_file(),
                                  reason="no default TTS bundle in toolkit/assets/tts")


def test_split_sentences_bounds_length():
    assert split_sentences("Hello there. How are you?\nFine!  Thanks") == [
        "Hello there.", "How are you?", "Fine!", "Thanks"]
    long = ", ".join(["a clause of several words"] * 40) + "."
    parts = split_sentences(long, max_chars=100)
    assert len(parts) > 5 and all(len(p) <= 100 for p in parts)
    assert " ".join(parts).replace(" ", "") == long.replace(" ", "")
    assert all(len(p) <= 50 for p in split_sentences("x" * 120, max_chars=50))


def test_read_durations_and_text_lines(tmp_path):
    f = tmp_path / "d"
    f.write_text("utt1 0 5 7\n")
    assert read_durations(f) == [0, 5, 7]
    f.write_text("1 2\n3 4\n")
    with pytest.raises(UserError, match="2 non-empty lines"):
        read_durations(f)
    t = tmp_path / "t.txt"
    t.write_text("first line\n\n  second   line \n")
    assert read_text_lines(t) == [(1, "first line"), (3, "second line")]
    t.write_text("\n \n")
    with pytest.raises(UserError, match="holds no text"):
        read_text_lines(t)


@needs_espeak
@needs_bundle
def test_synthesize_in_process_never_refuses_a_word():
    """A word espeak-ng cannot say is skipped, sentences come one by one at -23 LUFS."""
    from toolkit.tts.infer import synthesize_text
    from toolkit.tts.synth import TtsSynthesizer

    synth = TtsSynthesizer(ASSET)
    assert synth.default_speaker("en") == "asterisk-allison"
    assert synth.default_speaker("ro") == "tuxpaint-ro"
    assert synth.default_speaker("bg") == "tuxpaint-bg"  # adapted languages ship (merged)
    assert len(list(synthesize_text(synth, "Bon dia a tothom.", "ca"))) == 1
    waves = list(synthesize_text(synth, "Hello 東京 world. Xqzvb is here!", "en"))
    assert len(waves) == 2
    for w in waves:
        assert abs(loudness_lufs(w, synth.sample_rate) + 23) < 0.5 and np.abs(w).max() <= 0.99
    with pytest.raises(UserError, match="knows: en, es"):
        list(synthesize_text(synth, "Hallo.", "de"))
    assert len(list(synthesize_text(synth, "Hello. ... World.", "en"))) == 2  # "..." skipped
    with pytest.raises(UserError, match="nothing to say"):
        list(synthesize_text(synth, "... !", "en"))


@needs_espeak
@needs_bundle
def test_speaking_rate_scales_the_predicted_durations():
    from toolkit.tts.synth import TtsSynthesizer

    text = "The birch canoe slid on the smooth planks."
    own = TtsSynthesizer(ASSET).features(text, "en", "asterisk-allison")
    slow = TtsSynthesizer(ASSET, rate=0.8).features(text, "en", "asterisk-allison")
    assert len(slow) / len(own) == pytest.approx(1 / 0.8, rel=0.05)
    with pytest.raises(UserError, match="speaking rate 3"):
        TtsSynthesizer(ASSET, rate=3)
    assert_one_line_error(run_cli("synthesize", "Hi.", "--lang", "en", "--rate", "0.1", "-o",
                                  "unused.wav"), "speaking rate 0.1")


@needs_espeak
@needs_bundle
def test_synthesize_command(tmp_path):
    out = tmp_path / "x.wav"
    run_cli("synthesize", "One sentence. And another one.", "--lang", "en", "-o", out,
            "--device", "cpu", check=True)
    x, sr = sf.read(out)
    assert len(x) > sr and abs(loudness_lufs(x, sr) + 23) < 1.0
    assert_one_line_error(run_cli("synthesize", "Hi.", "--lang", "en", "-o", out), "--overwrite")
    listing = run_cli("synthesize", "--list-speakers", check=True).stdout
    assert "ro        tuxpaint-ro" in listing and "asterisk-allison*" in listing
    assert_one_line_error(run_cli("synthesize", "Hi.", "--lang", "xx", "-o", tmp_path / "y.wav"),
                          "unknown language 'xx'", "en, es, fr, it, ru, ro")
    assert_one_line_error(run_cli("synthesize", "Hi.", "--lang", "en", "-s", "bob", "-o",
                                  tmp_path / "y.wav"), "unknown speaker 'bob'", "tuxpaint-ro")
    assert_one_line_error(run_cli("synthesize", "Hi.", "-o", tmp_path / "y.wav"), "--lang")
    texts = tmp_path / "lines.txt"
    texts.write_text("Good morning.\n\nSee you later.\n")
    run_cli("synthesize", "--text-file", texts, "--lang", "fr", "-o", tmp_path / "many",
            check=True)
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == [
        "lines_0001.wav", "lines_0003.wav"]
    assert_one_line_error(run_cli("synthesize", "--text-file", texts, "--lang", "fr", "-o",
                                  tmp_path / "many"), "--skip-existing")
    assert not (tmp_path / "y.wav").exists()
