"""espeak-ng synthesis with exact phone times: segments and the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

pytestmark = pytest.mark.usefixtures("espeak_lib")


def check_segments(segments, seconds: float) -> None:
    """Segments start at 0, follow each other without gaps and end with the audio."""
    assert segments[0].start == 0.0
    for a, b in zip(segments, segments[1:], strict=False):
        assert a.end >= a.start
        assert abs(a.end - b.start) < 1e-9
    assert abs(segments[-1].end - seconds) < 1e-6


@pytest.mark.parametrize("voice", ["en-us", "fr", "ru", "de", "it+f3"])
def test_phone_times_match_phonemizer(voice):
    from toolkit.text.espeak import SAMPLE_RATE
    from toolkit.text.phonemize import phonemize
    from toolkit.text.synthesize import SILENCE, read_sentences, synthesize_with_times

    for sentence in read_sentences(None, voice)[:4]:
        audio, segments, matched = synthesize_with_times(sentence, voice)
        check_segments(segments, len(audio) / SAMPLE_RATE)
        phones = [s.phone for s in segments if s.phone != SILENCE]
        reference = [p for w in phonemize(sentence, voice) for p in w]
        assert matched and phones == reference
        assert any(p.startswith("ˈ") for p in phones)


def test_events_to_segments_rules():
    from toolkit.text.espeak import Event
    from toolkit.text.synthesize import Segment, events_to_segments

    events = [Event("word", 0), Event("phone", 10, "p"), Event("phone", 20, ""),
              Event("phone", 25, "r"), Event("phone", 40, "ʲ"), Event("phone", 50, "a"),
              Event("phone", 60, "(en)"), Event("phone", 70, ""), Event("phone", 80, "")]
    segs = events_to_segments(events, 100, rate=1)
    assert segs == [Segment(0, 10, "sil"), Segment(10, 20, "p"), Segment(20, 50, "rʲ"),
                    Segment(50, 70, "a"), Segment(70, 100, "sil")]


def test_cli_espeak_corpus(tmp_path, cli):
    from toolkit.data.datadir import DataDir
    from toolkit.text.phonemize import parse_phones
    from toolkit.text.synthesize import parse_phone_times, to_ctm_lines

    sentences = tmp_path / "s.txt"
    sentences.write_text("# a comment\nThe cat sleeps.\n\nTwo small boats sailed away.\n")
    out = tmp_path / "es"
    cli("corpus", "espeak", "--out", str(out), "--lang", "en-us", "--sentences", str(sentences),
        "--voices", "+f3,en-us+m3")
    d = DataDir(out)
    keys = d.keys()
    assert keys == ["espeak-en-us-f3-0001", "espeak-en-us-f3-0002",
                    "espeak-en-us-m3-0001", "espeak-en-us-m3-0002"]
    for role in ("text", "utt2spk", "utt2lang", "utt2dur", "phones", "phone_times"):
        assert list(d.read(role)) == keys
    assert set(d.read("utt2lang").values()) == {"en"}
    for key in keys:
        info = sf.info(d.read("wav.scp")[key])
        assert info.samplerate == 16000
        times = parse_phone_times(d.read("phone_times")[key])
        starts = [t[0] for t in times]
        assert starts == sorted(starts) and starts[0] == 0.0
        end = times[-1][0] + times[-1][1]
        assert abs(end - info.frames / 16000) < 2e-3  # covers the audio
        spoken = [p for _, _, p in times if p != "sil"]
        assert spoken == [p for w in parse_phones(d.read("phones")[key]) for p in w]
    assert d.meta["mismatched"] == []
    ctm = to_ctm_lines(d.read("phone_times"))
    assert ctm[0].split()[0] == keys[0] and len(ctm[0].split()) == 4


def test_cli_espeak_deterministic(tmp_path, cli):
    for name in ("a", "b"):
        cli("corpus", "espeak", "--out", str(tmp_path / name), "--lang", "ru", "--builtin")
    for f in ("text", "phones", "phone_times"):
        assert (tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text()
    wavs = sorted(p.name for p in (tmp_path / "a" / "audio").glob("*.wav"))
    assert len(wavs) == 12
    for name in wavs:
        assert Path(tmp_path / "a" / "audio" / name).read_bytes() == \
            Path(tmp_path / "b" / "audio" / name).read_bytes()


def test_cli_espeak_errors(tmp_path, cli):
    proc = cli("corpus", "espeak", "--out", str(tmp_path / "x"), "--lang", "xx", "--builtin",
               check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1
    assert "sptk-cli corpus espeak --list-voices" in errors[0]
    proc = cli("corpus", "espeak", "--list-voices")
    assert "roa/fr" in proc.stdout
