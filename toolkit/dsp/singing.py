"""Sung vocals from real speech: WORLD resynthesis on a melody, and its pitch error.

Speech is analysed with WORLD (pyworld: DIO + StoneMask F0, CheapTrick
spectral envelope, D4C aperiodicity; 5 ms frames) and cut into syllable-like
units: each run of at least 30 ms of voiced frames (the vowel) with up to
80 ms of the unvoiced frames before it (the consonant onset). Each note of the
melody takes the next unit: the consonant keeps its duration at the note
start, the vowel's envelope and aperiodicity are time-stretched (linear
interpolation of the log envelope) to fill the rest of the note, and F0 is set
to the note pitch (with a light vibrato on long notes). Units are brought to
one level so notes sound even. The envelope is the speaker's own, so formants
and voice identity stay while pitch and timing follow the score.

The pitch error of a rendered vocal is measured against the score on frames
where the score has a note and DIO+StoneMask find voicing:
``1200 log2(f0_measured / f0_note)`` cents; its median absolute value is the
number reported per song.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FRAME_MS = 5.0
MIN_VOWEL_FRAMES = 6
MAX_ONSET_FRAMES = 16
FLOOR = 1e-12


@dataclass(frozen=True)
class Note:
    """A note of a melody: start and duration in seconds, MIDI pitch."""

    start: float
    dur: float
    pitch: int


@dataclass
class Unit:
    """A syllable-like unit: consonant and vowel frames of the envelope and aperiodicity."""

    onset_sp: np.ndarray  # (frames, bins)
    onset_ap: np.ndarray
    vowel_sp: np.ndarray
    vowel_ap: np.ndarray


def _pyworld():
    """pyworld, imported without its pkg_resources deprecation warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import pyworld
    return pyworld


def midi_to_hz(pitch: float) -> float:
    """Frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def world_f0(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """F0 per 5 ms frame ``(frames,)`` by DIO + StoneMask (0 = unvoiced)."""
    pyworld = _pyworld()
    x = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pyworld.dio(x, sample_rate, f0_floor=60.0, f0_ceil=1100.0, frame_period=FRAME_MS)
    return pyworld.stonemask(x, f0, t, sample_rate)


def world_analysis(x: np.ndarray, sample_rate: int) -> tuple[np.ndarray, ...]:
    """WORLD analysis ``(f0 (T,), sp (T, bins), ap (T, bins))`` of ``(samples,)``, uncached."""
    pyworld = _pyworld()
    x = np.ascontiguousarray(x, dtype=np.float64)
    f0 = world_f0(x, sample_rate)
    t = np.arange(len(f0)) * FRAME_MS / 1000.0
    return f0, pyworld.cheaptrick(x, f0, t, sample_rate), pyworld.d4c(x, f0, t, sample_rate)


@lru_cache(maxsize=32)
def _analyse_cached(key: str, data: bytes, sample_rate: int):
    return world_analysis(np.frombuffer(data, dtype=np.float64), sample_rate)


def analyse(x: np.ndarray, sample_rate: int, key: str = "") -> tuple[np.ndarray, ...]:
    """WORLD analysis ``(f0 (T,), sp (T, bins), ap (T, bins))``, cached by ``key``."""
    data = np.ascontiguousarray(x, dtype=np.float64).tobytes()
    return _analyse_cached(key or str(hash(data)), data, sample_rate)


def units(f0: np.ndarray, sp: np.ndarray, ap: np.ndarray) -> list[Unit]:
    """Cut an analysed utterance into syllable-like units (see the module docstring)."""
    voiced = f0 > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(int), [0]])))
    out, prev_end = [], 0
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < MIN_VOWEL_FRAMES:
            continue
        onset = max(prev_end, start - MAX_ONSET_FRAMES)
        out.append(Unit(sp[onset:start], ap[onset:start], sp[start:end], ap[start:end]))
        prev_end = end
    return out


def _stretch(frames: np.ndarray, n: int, log: bool) -> np.ndarray:
    """Linear interpolation of ``frames (T, bins)`` to ``n`` frames."""
    src = np.log(np.maximum(frames, FLOOR)) if log else frames
    pos = np.linspace(0, len(frames) - 1, n)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(frames) - 1)
    w = (pos - lo)[:, None]
    y = (1 - w) * src[lo] + w * src[hi]
    return np.exp(y) if log else y


def sing(unit_list: list[Unit], notes: list[Note], duration: float, sample_rate: int,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Render ``notes`` with the speech ``unit_list`` (used in order, cycled).

    Args:
        unit_list: syllable units of the singer's speech (at least one).
        notes: the melody (non-overlapping).
        duration: output length in seconds.
        sample_rate: in Hz (that of the analysed speech).
        rng: vibrato depth and rate.

    Returns:
        ``(vocal (samples,), score_f0 (frames,))``: the score F0 in Hz per 5 ms
        frame, 0 outside notes.
    """
    pyworld = _pyworld()
    if not unit_list:
        raise ValueError("no voiced syllable in the speech given for singing")
    n_frames = int(np.ceil(duration * 1000 / FRAME_MS)) + 1
    bins = unit_list[0].vowel_sp.shape[1]
    f0 = np.zeros(n_frames)
    score = np.zeros(n_frames)
    sp = np.full((n_frames, bins), FLOOR)
    ap = np.ones((n_frames, bins))
    gate = np.zeros(n_frames)
    energy = [float(np.mean(np.sum(u.vowel_sp, axis=1))) for u in unit_list]
    ref = float(np.median(energy))
    for i, note in enumerate(notes):
        u = unit_list[i % len(unit_list)]
        gain = ref / max(energy[i % len(unit_list)], FLOOR)
        s = int(round(note.start * 1000 / FRAME_MS))
        e = min(int(round((note.start + note.dur) * 1000 / FRAME_MS)), n_frames)
        if e - s < 2:
            continue
        c = min(len(u.onset_sp), (e - s) // 3)
        sp[s:s + c] = u.onset_sp[len(u.onset_sp) - c:] * gain
        ap[s:s + c] = u.onset_ap[len(u.onset_ap) - c:]
        v = e - s - c
        sp[s + c:e] = _stretch(u.vowel_sp, v, log=True) * gain
        ap[s + c:e] = np.clip(_stretch(u.vowel_ap, v, log=False), 0.0, 1.0)
        hz = midi_to_hz(note.pitch)
        t = np.arange(v) * FRAME_MS / 1000.0
        depth = rng.uniform(0.0, 20.0) * np.clip((t - 0.15) / 0.2, 0.0, 1.0)  # cents
        vib = depth * np.sin(2 * np.pi * rng.uniform(5.0, 6.5) * t)
        f0[s + c:e] = hz * 2.0 ** (vib / 1200.0)
        score[s:e] = hz
        gate[s:e] = 1.0
    y = pyworld.synthesize(f0, np.ascontiguousarray(sp), np.ascontiguousarray(ap), sample_rate,
                           FRAME_MS)
    ramp = np.convolve(gate, np.ones(3) / 3, mode="same")  # 15 ms fades at note edges
    env = np.interp(np.arange(len(y)) / sample_rate * 1000 / FRAME_MS,
                    np.arange(n_frames), ramp)
    n = int(round(duration * sample_rate))
    y = np.pad(y * env, (0, max(0, n - len(y))))[:n]
    return y.astype(np.float32), score


def pitch_error_cents(vocal: np.ndarray, sample_rate: int, score_f0: np.ndarray) -> np.ndarray:
    """Per-frame pitch error in cents on frames voiced in both score and measurement.

    Args:
        vocal: ``(samples,)`` rendered vocal.
        sample_rate: in Hz.
        score_f0: ``(frames,)`` score F0 in Hz per 5 ms frame (0 = no note).

    Returns:
        ``(k,)`` signed errors ``1200 log2(measured / score)``.
    """
    f0 = world_f0(vocal, sample_rate)
    n = min(len(f0), len(score_f0))
    f0, ref = f0[:n], score_f0[:n]
    both = (f0 > 0) & (ref > 0)
    return 1200.0 * np.log2(f0[both] / ref[both])
