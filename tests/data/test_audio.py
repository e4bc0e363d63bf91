"""Audio I/O: formats, resampling, channel selection and one-line errors naming the file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import write_wav
from toolkit.data.audio import audio_info, load_audio, load_mono, save_audio
from toolkit.errors import AudioError


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg"])
def test_round_trip_formats(tmp_path, ext):
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    path = save_audio(tmp_path / f"a b é{ext}", np.stack([x, -x]), 16000)
    y, sr = load_audio(path)
    assert sr == 16000 and y.shape == (2, 16000)
    tol = 0.05 if ext == ".ogg" else 1e-3
    assert np.max(np.abs(y[0] - x)) < tol and np.max(np.abs(y[1] + x)) < tol
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary left behind


def test_resample_channel_and_mono(tmp_path):
    path = write_wav(tmp_path / "s.wav", seconds=1.0, sr=44100, channels=2)
    y, sr = load_audio(path, sample_rate=16000)
    assert sr == 16000 and y.shape == (2, 16000)
    right, _ = load_audio(path, channel=1)
    assert right.shape == (1, 44100)
    mono, _ = load_mono(path)
    assert mono.shape == (44100,)
    assert np.allclose(mono, load_audio(path)[0].mean(0), atol=1e-6)
    assert audio_info(path).duration == pytest.approx(1.0)


def test_offset_and_duration(tmp_path):
    x = np.arange(16000, dtype=np.float32) / 16000
    path = save_audio(tmp_path / "r.wav", x, 16000, subtype="FLOAT")
    y, _ = load_audio(path, offset=0.25, duration=0.5)
    assert y.shape == (1, 8000) and y[0, 0] == pytest.approx(0.25, abs=1e-4)


def test_kaldi_pipe_entry(tmp_path):
    path = write_wav(tmp_path / "p q.wav")
    y, sr = load_audio(f"cat '{path}' |")
    assert y.shape == (1, 8000) and sr == 16000


def test_save_clips_pcm_with_warning(tmp_path, caplog):
    save_audio(tmp_path / "c.wav", np.full(100, 2.0, dtype=np.float32), 8000)
    assert np.max(sf.read(tmp_path / "c.wav")[0]) <= 1.0
    assert "clipped" in caplog.text


@pytest.mark.parametrize("make, kwargs, needle", [
    (lambda p: p.write_bytes(b"not audio at all"), {},
     "not a readable audio file (Format not recognised.); give a wav"),
    (lambda p: sf.write(p, np.zeros((0, 1)), 16000), {}, "empty"),
    (lambda p: sf.write(p, np.array([0.1, np.nan, 0.2]), 16000, subtype="FLOAT"), {}, "NaN"),
    (lambda p: sf.write(p, np.zeros(800), 8000), {"sample_rate": 16000,
                                                   "resample_to_rate": False}, "8000 Hz"),
    (lambda p: sf.write(p, np.zeros((800, 2)), 8000), {"channels": 1}, "2 channel"),
    (lambda p: sf.write(p, np.zeros(800), 8000), {"min_duration": 1.0}, "shorter"),
    (lambda p: sf.write(p, np.zeros(800), 8000), {"allow_silent": False}, "silent"),
    (lambda p: None, {}, "no such file"),
])
def test_each_problem_names_the_file(tmp_path, make, kwargs, needle):
    path = tmp_path / "bad file.wav"
    make(path)
    with pytest.raises(AudioError) as e:
        load_audio(path, **kwargs)
    assert str(e.value).startswith(str(path)) and needle in str(e.value)


def test_header_of_a_non_audio_file_says_why_and_what_to_do(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(AudioError, match=r"notes.wav: not a readable audio file \(Format not "
                                         r"recognised.\); give a wav, flac, ogg or mp3 file"):
        audio_info(path)


def test_refuses_to_write_nan(tmp_path):
    with pytest.raises(AudioError, match="NaN"):
        save_audio(tmp_path / "n.wav", np.array([np.nan], dtype=np.float32), 8000)
    assert not list(tmp_path.iterdir())
