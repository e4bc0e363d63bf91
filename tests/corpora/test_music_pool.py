"""Music pool: stems sum to the mixture, sung pitch follows the score, shards, CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sound_helpers import read_scp, run_cli, same_audio_files, synthetic_utterance

from toolkit.corpora.sounds.music_score import compose
from toolkit.dsp.singing import Note, analyse, pitch_error_cents, sing, units

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
LSB = 1 / 32768


def _have_fluidsynth() -> bool:
    try:
        import fluidsynth  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_synth = pytest.mark.skipif(
    not (FLUID.is_file() and _have_fluidsynth()),
    reason="FluidSynth or FluidR3_GM.sf2 missing (apt-get install fluidsynth fluid-soundfont-gm; "
           "pip install pyfluidsynth)")
# Measured on 40 songs of 10 s each: per-song median |error| 1.6-8.5 cents with real speech
# (tuxpaint spoken descriptions, 4 speakers), 2.4-9.3 cents with espeak-ng voices.
PITCH_LIMIT_CENTS = 20.0


def test_sing_follows_the_melody_on_synthetic_speech():
    rng = np.random.default_rng(0)
    x = synthetic_utterance(rng, 120.0)
    unit_list = units(*analyse(x, 16000, key="synthetic"))
    assert len(unit_list) >= 4
    notes = [Note(0.2 + 0.5 * i, 0.45, 57 + (i * 5) % 12) for i in range(10)]
    vocal, score = sing(unit_list, notes, 5.5, 16000, np.random.default_rng(1))
    assert vocal.shape == (5.5 * 16000,) and np.isfinite(vocal).all()
    assert np.abs(vocal[: int(0.15 * 16000)]).max() < 1e-3  # silent before the first note
    errors = pitch_error_cents(vocal, 16000, score)
    assert len(errors) > 0.5 * (score > 0).sum()
    assert np.median(np.abs(errors)) < PITCH_LIMIT_CENTS


def test_compose_is_deterministic_and_in_range():
    a = compose(np.random.default_rng(3), 12.0, singer_midi=50.0)
    b = compose(np.random.default_rng(3), 12.0, singer_midi=50.0)
    assert a.describe() == b.describe() and a.melody == b.melody
    assert [s.name for s in a.stems] == ["drums", "bass", "keys", "pad"]
    ends = [n.start + n.dur for n in a.melody]
    assert all(n.start >= e - 1e-9 for n, e in zip(a.melody[1:], ends, strict=False))
    assert all(52 - 7 <= n.pitch <= 57 + 7 for n in a.melody) and max(ends) <= 12.0  # centre 52-57
    bass = [k for _, _, k, _ in a.stems[1].notes]
    assert min(bass) >= 36 and max(bass) <= 47 + 7


@needs_synth
def test_music_pool_stems_pitch_and_shards(tmp_path, speech_dir):
    from toolkit.corpora.sounds.music import build_music

    whole = build_music(tmp_path / "w", 3, speech_dir, duration=6.0, seed=2)
    files = {f: read_scp(whole / f) for f in ("wav.scp", "vocals.scp", "accomp.scp",
                                             "drums.scp", "bass.scp", "keys.scp", "pad.scp")}
    assert all(list(m) == ["song000000", "song000001", "song000002"] for m in files.values())
    for key in files["wav.scp"]:
        audio = {f: sf.read(m[key])[0] for f, m in files.items()}
        assert all(len(x) == 6 * 16000 for x in audio.values())
        assert sf.info(files["wav.scp"][key]).samplerate == 16000
        instruments = sum(audio[f"{s}.scp"] for s in ("drums", "bass", "keys", "pad"))
        # Each stem is rounded to 16 bits on its own: sums agree within a few LSB.
        assert np.abs(audio["accomp.scp"] - instruments).max() <= 8 * LSB
        assert np.abs(audio["wav.scp"] - audio["vocals.scp"] - audio["accomp.scp"]).max() \
            <= 4 * LSB
        assert np.sqrt(np.mean(audio["vocals.scp"] ** 2)) > 0.01
        assert np.abs(audio["wav.scp"]).max() <= 0.95 + LSB
    errors = [float(v) for v in read_scp(whole / "utt2pitch_err").values()]
    assert max(errors) < PITCH_LIMIT_CENTS
    spk = read_scp(whole / "utt2spk")
    speech_spk = read_scp(speech_dir / "utt2spk")
    for key, used in read_scp(whole / "utt2speech").items():
        assert {speech_spk[u] for u in used.split(",")} == {spk[key]}  # one singer per song
    assert Path(read_scp(whole / "utt2midi")["song000000"]).is_file()
    meta = (whole / "meta.yaml").read_text()
    assert "pitch_err_median_cents" in meta and "fluid-soundfont-gm" in meta and "MIT" in meta
    part = build_music(tmp_path / "s", 3, speech_dir, duration=6.0, seed=2, shard="2/2")
    assert list(read_scp(part / "wav.scp")) == ["song000002"]
    for role in files:
        assert same_audio_files(whole, part, role) == []


@needs_synth
@pytest.mark.skipif(not TIMGM.is_file(), reason="timgm6mb-soundfont not installed")
def test_cli_music_with_another_soundfont(tmp_path, speech_dir):
    res = run_cli("corpus", "music", "--out", tmp_path / "m", "--n", "1", "--duration", "4",
                  "--speech-from", speech_dir, "--soundfont", TIMGM)
    assert res.returncode == 0, res.stderr
    assert "median pitch error of the sung vocals" in res.stdout
    assert "timgm6mb-soundfont" in (tmp_path / "m" / "meta.yaml").read_text()
    again = run_cli("corpus", "music", "--out", tmp_path / "m", "--n", "1", "--duration", "4",
                    "--speech-from", speech_dir, "--soundfont", TIMGM)
    assert again.returncode == 0 and "skipping" in again.stderr


@needs_synth
def test_stereo_songs_at_44k_pan_the_instruments(tmp_path, speech_dir):
    import soundfile as sf

    from toolkit.corpora.sounds.music import build_music
    from toolkit.data.datadir import DataDir

    build_music(tmp_path / "m", 1, speech_dir, duration=4.0, sample_rate=44100, stereo=True)
    d = DataDir(tmp_path / "m")
    assert d.sample_rate == 44100
    k = d.keys()[0]
    mix, sr = sf.read(d.read("wav.scp")[k])
    voc, acc = (sf.read(d.read(r)[k])[0] for r in ("vocals.scp", "accomp.scp"))
    assert sr == 44100 and mix.shape == voc.shape == acc.shape == (4 * 44100, 2)
    assert abs(mix - voc - acc).max() < 2e-4  # 16-bit rounding of three files
    level = np.sqrt((acc ** 2).mean(0))
    assert np.abs(acc[:, 0] - acc[:, 1]).max() > 0.01 and level.min() > 0.2 * level.max()


def test_cli_music_errors(tmp_path, speech_dir):
    res = run_cli("corpus", "music", "--out", tmp_path / "m", "--n", "1",
                  "--speech-from", tmp_path / "nowhere")
    assert res.returncode == 2 and "error: data directory" in res.stderr
    res = run_cli("corpus", "music", "--out", tmp_path / "m", "--n", "1",
                  "--speech-from", speech_dir, "--soundfont", tmp_path / "none.sf2")
    assert res.returncode == 2 and "soundfont" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("corpus", "music", "--out", tmp_path / "m", "--n", "1",
                  "--speech-from", speech_dir, "--sample-rate", "44100")
    assert res.returncode == 2 and "add --stereo" in res.stderr


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_speech_fixture_is_espeak_speech(speech_dir):
    wav = read_scp(speech_dir / "wav.scp")
    assert len(wav) == 6 and all(sf.info(p).samplerate == 16000 for p in wav.values())
