"""Music pool: procedural songs rendered with FluidSynth, with a sung vocal from real speech.

Source: scores composed at random (:mod:`toolkit.corpora.sounds.music_score`:
tempo, key, a four-chord progression, drums, bass, keys and pad with random
General MIDI programs) rendered dry (no reverb or chorus) at 32 kHz with
FluidSynth and a GM soundfont (default ``FluidR3_GM.sf2`` from Debian's
``fluid-soundfont-gm``, MIT licence; ``TimGM6mb.sf2`` from
``timgm6mb-soundfont``, GPL-2, gives another timbre), and a vocal made from
real speech of one speaker of ``--speech-from`` resynthesised with WORLD so
that F0 follows the melody and syllables fill the notes
(:mod:`toolkit.dsp.singing`). Output is 16 kHz mono, like MIR-1K; with
``stereo`` and ``sample_rate`` (e.g. 44.1 kHz) the instruments are rendered in
stereo, each panned at random (MIDI CC 10, from the song's own generator), and
the vocal is placed near the centre: songs shaped like a user's music files
(the vocal stays band-limited to 8 kHz: it is sung from 16-kHz speech).

Layout written (a data directory holding its own audio)::

    DIR/audio/<key>.wav            mixture = vocals + accompaniment (16 kHz mono PCM-16)
    DIR/audio/<key>.<stem>.wav     vocals, accomp, drums, bass, keys, pad
    DIR/midi/<key>.mid             the score (backing stems and the vocal melody)
    DIR/wav.scp  vocals.scp  accomp.scp  drums.scp  bass.scp  keys.scp  pad.scp
    DIR/utt2pitch_err              median |pitch error| of the sung vocal, cents
    DIR/utt2vocal_db               vocal-to-accompaniment level ratio (active level), dB
    DIR/utt2song                   tempo, key, chords, programs
    DIR/utt2spk  utt2speech        singer (speaker of the speech) and utterances used
    DIR/utt2dur  utt2midi  meta.yaml

The accompaniment is the sum of the four instrument stems and the mixture the
sum of accompaniment and vocals (equal up to 16-bit rounding). Licences: the
soundfont's for the instrument stems; the speech directory's for the vocals.

Songs are rendered by :class:`toolkit.corpora.sounds.fluid.FluidRenderer` (a fresh
synthesizer per song, so a song depends only on its seed and index, and shards are
bit-identical to the unsharded build).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from toolkit.corpora.sounds.fluid import DEFAULT_SOUNDFONT, RENDER_RATE, SOUNDFONTS, FluidRenderer
from toolkit.corpora.sounds.soundpool import (
    SAMPLE_RATE,
    Progress,
    dpkg_version,
    finish_pool,
    fmt,
    item_rng,
    select_shard,
    start_pool,
)
from toolkit.data.ops import parse_shard
from toolkit.errors import UserError
from toolkit.fsutil import is_done

log = logging.getLogger(__name__)
INSTRUMENTS = ("drums", "bass", "keys", "pad")
STEM_DBFS = {"drums": -24.0, "bass": -25.0, "keys": -26.0, "pad": -31.0}
MIX_DBFS = -20.0


class SpeechSource:
    """Utterances of a speech data directory grouped by speaker (singers)."""

    def __init__(self, path: str | Path):
        from toolkit.data.datadir import DataDir

        self.dir = DataDir(path)
        keys = self.dir.keys()
        if not keys:
            raise UserError(f"--speech-from {path}: the data directory is empty")
        self.utt2spk = self.dir.read("utt2spk") if self.dir.has("utt2spk") else {k: k for k in keys}
        self.by_speaker: dict[str, list[str]] = {}
        for k in keys:
            self.by_speaker.setdefault(self.utt2spk.get(k, k), []).append(k)
        self.speakers = sorted(self.by_speaker)

    def singer(self, rng: np.random.Generator, want_units: int):
        """A speaker, the utterances used, their syllable units and median F0 (MIDI)."""
        from toolkit.data.audio import load_mono
        from toolkit.dsp.singing import analyse, units

        spk = self.speakers[int(rng.integers(len(self.speakers)))]
        utts = self.by_speaker[spk]
        order = [utts[int(i)] for i in rng.permutation(len(utts))][:20]
        unit_list, f0s, used = [], [], []
        for key in order:
            spec, offset, dur = self.dir.audio_spec(key)
            x, _ = load_mono(spec, SAMPLE_RATE, offset=offset, duration=dur)
            f0, sp, ap = analyse(x, SAMPLE_RATE, key=f"{spec}|{offset}|{dur}")
            unit_list += units(f0, sp, ap)
            f0s.append(f0[f0 > 0])
            used.append(key)
            if len(unit_list) >= want_units:
                break
        voiced = np.concatenate(f0s) if f0s else np.array([])
        if not unit_list or voiced.size == 0:
            raise UserError(f"--speech-from {self.dir.path}: speaker {spk} has no voiced speech "
                            f"in {', '.join(used)}")
        midi = 69 + 12 * np.log2(np.median(voiced) / 440.0)
        return spk, used, unit_list, float(midi)


def make_song(index: int, seed: int, duration: float, renderer: FluidRenderer,
              speech: SpeechSource, rate: int = SAMPLE_RATE) -> dict:
    """Compose, render, sing and mix song ``index``; arrays are ``(samples,)`` at 16 kHz, or
    ``(2, samples)`` at ``rate`` with a stereo renderer."""
    from toolkit.corpora.sounds.music_score import compose
    from toolkit.data.audio import resample
    from toolkit.dsp.mix import active_rms, clip_guard, rms
    from toolkit.dsp.singing import pitch_error_cents, sing

    rng = item_rng(seed, index, 0)
    spk, used, unit_list, singer_midi = speech.singer(rng, want_units=int(2 * duration) + 4)
    song = compose(rng, duration, singer_midi)
    stereo = renderer.stereo
    out_rate = rate if stereo else SAMPLE_RATE
    pan_rng = item_rng(seed, index, 2)  # a stream of its own: mono songs stay as they were
    pans = {s.name: int(pan_rng.integers(24, 105)) for s in song.stems} if stereo else None
    n = int(round(duration * out_rate))
    stems = {}
    for name, x in renderer.render(song, pans).items():
        y = np.asarray(resample(x, renderer.rate, out_rate), np.float64)[..., :n]
        y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n - y.shape[-1])])
        target = STEM_DBFS[name] + rng.uniform(-2.0, 2.0)
        stems[name] = y * (10 ** (target / 20) / max(rms(y), 1e-9))
    accomp = sum(stems[k] for k in INSTRUMENTS)
    vocals, score = sing(unit_list, song.melody, duration, SAMPLE_RATE, item_rng(seed, index, 1))
    vocal_db = float(rng.uniform(-3.0, 3.0))
    if stereo:
        v = np.asarray(resample(vocals.astype(np.float64), SAMPLE_RATE, out_rate))[:n]
        theta = (0.5 + pan_rng.uniform(-0.1, 0.1)) * np.pi / 2  # constant-power, near centre
        vocals = np.stack([np.cos(theta) * v, np.sin(theta) * v])
        vocals = np.pad(vocals, ((0, 0), (0, n - vocals.shape[-1])))
        ref = active_rms(accomp.mean(0), out_rate) / max(active_rms(vocals.mean(0), out_rate),
                                                         1e-9)
    else:
        ref = active_rms(accomp) / max(active_rms(vocals), 1e-9)
    vocals = vocals.astype(np.float64) * (ref * 10 ** (vocal_db / 20))
    mixture = accomp + vocals
    gain = 10 ** (MIX_DBFS / 20) / max(rms(mixture), 1e-9)
    names = ["mixture", "vocals", "accomp", *INSTRUMENTS]
    arrays = [mixture, vocals, accomp, *(stems[k] for k in INSTRUMENTS)]
    arrays, _ = clip_guard([a * gain for a in arrays], limit=0.95)
    mono_vocal = arrays[1] if not stereo else np.asarray(
        resample(arrays[1].mean(0), out_rate, SAMPLE_RATE))
    errors = pitch_error_cents(mono_vocal, SAMPLE_RATE, score)
    return {"audio": dict(zip(names, arrays, strict=True)), "song": song, "singer": spk,
            "speech": used, "vocal_db": vocal_db,
            "pitch_err": float(np.median(np.abs(errors))) if errors.size else float("nan")}


def _write_midi(path: Path, song) -> None:
    import pretty_midi

    from toolkit.fsutil import atomic_file

    pm = pretty_midi.PrettyMIDI(initial_tempo=song.bpm)
    for stem in song.stems:
        inst = pretty_midi.Instrument(program=stem.program, is_drum=stem.bank == 128,
                                      name=stem.name)
        inst.notes = [pretty_midi.Note(vel, key, s, s + d) for s, d, key, vel in stem.notes]
        pm.instruments.append(inst)
    voice = pretty_midi.Instrument(program=53, name="vocals")  # GM "Voice Oohs"
    voice.notes = [pretty_midi.Note(100, n.pitch, n.start, n.start + n.dur) for n in song.melody]
    pm.instruments.append(voice)
    with atomic_file(path) as tmp:
        pm.write(str(tmp))


def build_music(out: str | Path, n: int, speech_from: str | Path, duration: float = 10.0,
                soundfont: str | Path = DEFAULT_SOUNDFONT, shard: str | None = None,
                seed: int = 0, overwrite: bool = False, sample_rate: int = SAMPLE_RATE,
                stereo: bool = False) -> Path:
    """Build ``n`` songs (or shard J/N of them) as a data directory in ``out``.

    Args:
        out: destination folder.
        n: number of songs in the whole pool.
        speech_from: speech data directory (wav.scp, utt2spk) whose speakers sing.
        duration: song length in seconds.
        soundfont: General MIDI ``.sf2`` file.
        shard: "J/N" to build the contiguous chunk J of N of the sorted keys.
        seed: seed; song ``i`` uses ``item_rng(seed, i, ...)`` only.
        overwrite: rebuild a finished pool.
        sample_rate, stereo: output rate and channels (stereo songs only; mono songs
            are 16 kHz).

    Returns:
        ``out``; ``meta.yaml`` holds the median pitch error over the songs.
    """
    if n < 1 or duration < 2.0:
        raise UserError("--n must be at least 1 and --duration at least 2 s")
    if not stereo and sample_rate != SAMPLE_RATE:
        raise UserError(f"--sample-rate {sample_rate}: mono songs are {SAMPLE_RATE} Hz; "
                        "add --stereo for songs at another rate")
    if not 16000 <= sample_rate <= 96000:
        raise UserError(f"--sample-rate {sample_rate}: give 16000 to 96000 Hz")
    parse_shard(shard)
    speech = SpeechSource(speech_from)
    if is_done(out) and not overwrite:
        start_pool(out, overwrite)  # logs the skip
        return Path(out)
    render_rate = max(RENDER_RATE, sample_rate) if stereo else RENDER_RATE
    renderer = FluidRenderer(soundfont, render_rate, stereo)  # bad soundfont: fail early
    start_pool(out, overwrite, folders=("audio", "midi"))
    try:
        return _build(Path(out).resolve(), n, speech, renderer, duration, soundfont, shard, seed,
                      sample_rate)
    finally:
        renderer.close()


def _build(out: Path, n: int, speech: SpeechSource, renderer: FluidRenderer, duration: float,
           soundfont: str | Path, shard: str | None, seed: int, rate: int) -> Path:
    from toolkit.data.audio import save_audio

    keys = select_shard([f"song{i:06d}" for i in range(n)], shard)
    names = ("wav.scp", "vocals.scp", "accomp.scp", *(f"{k}.scp" for k in INSTRUMENTS),
             "utt2pitch_err", "utt2vocal_db", "utt2song", "utt2spk", "utt2speech", "utt2dur",
             "utt2midi")
    files: dict[str, dict[str, str]] = {k: {} for k in names}
    progress = Progress("music", len(keys))
    errors = []
    for key in keys:
        song = make_song(int(key[4:]), seed, duration, renderer, speech, rate)
        for stem, x in song["audio"].items():
            suffix = "" if stem == "mixture" else f".{stem}"
            path = save_audio(out / "audio" / f"{key}{suffix}.wav", x,
                              rate if renderer.stereo else SAMPLE_RATE)
            files["wav.scp" if stem == "mixture" else f"{stem}.scp"][key] = path
        midi = out / "midi" / f"{key}.mid"
        _write_midi(midi, song["song"])
        errors.append(song["pitch_err"])
        files["utt2pitch_err"][key] = fmt(song["pitch_err"], 1)
        files["utt2vocal_db"][key] = fmt(song["vocal_db"], 2)
        files["utt2song"][key] = song["song"].describe()
        files["utt2spk"][key] = song["singer"]
        files["utt2speech"][key] = ",".join(song["speech"])
        files["utt2dur"][key] = fmt(duration)
        files["utt2midi"][key] = midi
        progress.step(duration)
    package, licence = SOUNDFONTS.get(Path(soundfont).name, (None, "see the soundfont's notice"))
    meta = {"corpus": "music", "task": "svs", "seed": seed, "shard": shard or "1/1",
            "sample_rate": rate if renderer.stereo else SAMPLE_RATE,
            "params": {"n": n, "duration": duration, "render_rate": renderer.rate,
                       "channels": 2 if renderer.stereo else 1},
            "soundfont": {"path": str(Path(soundfont).resolve()), "package": package,
                          "version": dpkg_version(package) if package else None,
                          "licence": licence},
            "speech_from": {"path": str(speech.dir.path.resolve()),
                            "licence": str(speech.dir.meta.get("licence")
                                           or speech.dir.meta.get("license") or "not recorded")},
            "pitch_err_median_cents": round(float(np.nanmedian(errors)), 2) if errors else None,
            "build": progress.summary()}
    return finish_pool(out, files, meta)
