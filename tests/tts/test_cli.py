"""TTS commands: vocoder round trip, corpus imports, and one-line errors for bad input."""

from __future__ import annotations

import numpy as np

from tests.conftest import assert_one_line_error, run_cli, write_wav
from tests.tts.conftest import needs_espeak


def test_vocoder_analyze_synthesize(tmp_path):
    wav = write_wav(tmp_path / "a.wav", seconds=0.5)
    run_cli("vocoder", "analyze", wav, "-o", tmp_path / "a.npy", check=True)
    y = np.load(tmp_path / "a.npy")
    assert y.shape == (101, 49)
    run_cli("vocoder", "synthesize", tmp_path / "a.npy", "-o", tmp_path / "b.wav", check=True)
    assert (tmp_path / "b.wav").stat().st_size > 1000


def test_vocoder_bad_input(tmp_path):
    assert_one_line_error(run_cli("vocoder", "analyze", tmp_path / "none.wav", "-o",
                                  tmp_path / "x.npy"), "none.wav")
    np.save(tmp_path / "bad.npy", np.zeros((5, 40)))
    assert_one_line_error(run_cli("vocoder", "synthesize", tmp_path / "bad.npy", "-o",
                                  tmp_path / "x.wav"), "49")
    assert_one_line_error(run_cli("vocoder", "analyze", "-o", tmp_path / "x.npy"), "--data")


def test_synthesize_bad_input(tmp_path):
    assert_one_line_error(run_cli("synthesize", "hello", "--lang", "en", "--speaker", "x",
                                  "-o", tmp_path / "o.wav", "--model", tmp_path), "bundle")
    assert_one_line_error(run_cli("align-score", "--ref", tmp_path / "r", "--hyp",
                                  tmp_path / "h"), "does not exist")
    assert_one_line_error(run_cli("corpus", "prepare", "vctk", "--path", tmp_path, "--dst",
                                  tmp_path / "d"), "VCTK")


def test_corpus_imports(tmp_path):
    from toolkit.corpora.external import arctic, css10, vctk
    from toolkit.data.datadir import DataDir

    root = tmp_path / "arctic" / "cmu_us_slt_arctic"
    write_wav(root / "wav" / "arctic_a0001.wav")
    (root / "etc").mkdir()
    (root / "etc" / "txt.done.data").write_text('( arctic_a0001 "Author of the danger." )\n'
                                                '( arctic_a0002 "No audio." )\n')
    arctic.prepare(tmp_path / "arctic", tmp_path / "d1")
    d = DataDir(tmp_path / "d1")
    assert d.keys() == ["arctic-slt-arctic_a0001"] and d.read("utt2lang") == {
        "arctic-slt-arctic_a0001": "en"}
    v = tmp_path / "vctk"
    write_wav(v / "wav48" / "p225" / "p225_001.wav")
    (v / "txt" / "p225").mkdir(parents=True)
    (v / "txt" / "p225" / "p225_001.txt").write_text("Please call Stella.\n")
    vctk.prepare(v, tmp_path / "d2")
    assert DataDir(tmp_path / "d2").read("text") == {"vctk-p225-001": "Please call Stella."}
    c = tmp_path / "german"
    write_wav(c / "book" / "book_0000.wav")
    (c / "transcript.txt").write_text("book/book_0000.wav|Hallo 1.|Hallo eins.|0.5\n")
    css10.prepare(c, tmp_path / "d3")
    d3 = DataDir(tmp_path / "d3")
    assert d3.read("utt2lang") == {"css10-de-book-0000": "de"}
    assert d3.read("text") == {"css10-de-book-0000": "Hallo eins."}


@needs_espeak
def test_align_command_on_espeak(espeak_corpus, tmp_path):
    proc = run_cli("align", "--data", espeak_corpus, "--out", tmp_path / "ali",
                   "--set", "align.iterations=2", "--set", "frontend.voices={en: en-us}",
                   check=True)
    assert "16 aligned" in proc.stdout
    score = run_cli("align-score", "--ref", espeak_corpus, "--hyp", tmp_path / "ali",
                    check=True)
    assert "within_50ms=" in score.stdout


@needs_espeak
def test_synthesize_with_given_durations(tmp_path):
    """--durations replaces the duration model: the audio lasts exactly the frames given."""
    from toolkit.tts.synth import ASSET

    if not (ASSET / "acoustic" / "model.pt").is_file():
        import pytest

        pytest.skip("no default TTS bundle in toolkit/assets/tts")
    text = ["synthesize", "Hello world.", "--lang", "en", "--speaker", "asterisk-allison"]
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("utt1 10 10\n")
    res = run_cli(*text, "-o", tmp_path / "x.wav", "--durations", wrong)
    assert_one_line_error(res, "label items")
    assert not (tmp_path / "x.wav").exists()
    n = int(res.stderr.split("the text has ")[1].split()[0])
    frames = [0] + [12] * (n - 2) + [20]  # unspoken first pause, a long final one
    good = tmp_path / "durations"
    good.write_text("utt1 " + " ".join(map(str, frames)) + "\n")
    run_cli(*text, "-o", tmp_path / "given.wav", "--durations", good, check=True)
    import soundfile as sf

    wave, sr = sf.read(tmp_path / "given.wav")
    assert abs(len(wave) - sum(frames) * sr * 0.005) <= sr * 0.005  # 5 ms frames
    # the duration model's own durations give another length
    run_cli(*text, "-o", tmp_path / "model.wav", check=True)
    assert len(sf.read(tmp_path / "model.wav")[0]) != len(wave)
    bad = tmp_path / "bad.txt"
    bad.write_text("utt1 " + " ".join(["12"] * (n - 1)) + " x\n")
    assert_one_line_error(run_cli(*text, "-o", tmp_path / "y.wav", "--durations", bad),
                          "not a frame count")
    assert_one_line_error(run_cli(*text, "-o", tmp_path / "y.wav", "--durations",
                                  tmp_path / "none.txt"), "does not exist")
