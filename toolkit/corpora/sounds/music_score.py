"""Procedural song scores: tempo, key, chord progression, four backing stems, a melody.

A song is in 4/4 with one chord per bar, looping a four-chord progression
common in pop (I-V-vi-IV, vi-IV-I-V, i-VI-III-VII, ...). The backing has four
stems, each with a random General MIDI program and a random pattern:

- ``drums``: GM percussion (channel 10, one of the GM2 kits), rock,
  four-on-the-floor, half-time or ride patterns, crash on the first beat;
- ``bass``: electric/acoustic/synth bass (programs 32-39), roots, root-fifth
  or eighth-note roots in octave 2;
- ``keys``: pianos, organs, guitars, harpsichord or harp playing the triads
  as whole notes, halves, quarters, off-beat skanks or arpeggios;
- ``pad``: strings or synth pads (no choir, which would sound like a second
  voice) holding the chords an octave up.

The melody (sung by :mod:`toolkit.dsp.singing`) follows the chords: chord
tones on strong beats, neighbouring scale tones elsewhere, in a register set
a few semitones above the singer's speaking pitch, in phrases of four bars
ending on a rest. All choices come from the generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.dsp.singing import Note

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (0, 3, 4, 3), (5, 3, 0, 4), (0, 5, 3, 4), (1, 4, 0, 0), (0, 3, 0, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 3, 6, 2)),
}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
DRUM_KITS = (0, 8, 16, 24, 25, 32, 40)
BASS_PROGRAMS = (32, 33, 34, 35, 36, 37, 38, 39)
KEYS_PROGRAMS = (0, 1, 2, 4, 5, 6, 16, 17, 18, 24, 25, 26, 27, 46)
PAD_PROGRAMS = (48, 49, 50, 51, 88, 89, 90, 91, 92, 94, 95)
KICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH, RIDE, CLAP = 36, 38, 42, 46, 49, 51, 39
DRUM_PATTERNS = {  # 8th-note steps of one bar
    "rock": {KICK: (0, 4, 5), SNARE: (2, 6), CLOSED_HAT: tuple(range(8))},
    "four_on_floor": {KICK: (0, 2, 4, 6), CLAP: (2, 6), OPEN_HAT: (1, 3, 5, 7)},
    "half_time": {KICK: (0, 3), SNARE: (4,), CLOSED_HAT: tuple(range(8))},
    "ride": {KICK: (0, 3, 4), SNARE: (2, 6), RIDE: (0, 2, 4, 6)},
}
MELODY_RHYTHMS = ((1, 1, 1, 1), (2, 1, 1), (1, 1, 2), (1.5, 0.5, 2), (0.5, 0.5, 1, 2),
                  (1, 0.5, 0.5, 2), (3, 1), (2, 2))


@dataclass
class Stem:
    """One instrument part: MIDI channel, bank and program, notes in seconds."""

    name: str
    channel: int
    bank: int
    program: int
    notes: list[tuple[float, float, int, int]] = field(default_factory=list)  # start, dur, key, vel


@dataclass
class Song:
    """A full score: backing stems and the vocal melody."""

    bpm: float
    root: int  # pitch class
    mode: str
    progression: tuple[int, ...]
    stems: list[Stem]
    melody: list[Note]
    duration: float

    def describe(self) -> str:
        """One line for a key-value file."""
        prog = "-".join(str(d + 1) for d in self.progression)
        parts = ",".join(f"{s.name}:{s.bank}/{s.program}" for s in self.stems)
        return (f"bpm={self.bpm:.0f} key={NOTE_NAMES[self.root]}_{self.mode} chords={prog} "
                f"programs={parts}")


def chord(root: int, mode: str, degree: int) -> list[int]:
    """Pitch classes (as semitones above C, may exceed 11) of the diatonic triad on ``degree``."""
    scale = SCALES[mode]
    return [root + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]


def _place(pcs: list[int], low: int) -> list[int]:
    """Chord tones as MIDI notes at or just above ``low``."""
    return sorted(low + (pc - low) % 12 for pc in pcs)


def _drums(rng, bars, bar_s) -> Stem:
    stem = Stem("drums", 9, 128, int(rng.choice(DRUM_KITS)))
    pattern = DRUM_PATTERNS[str(rng.choice(list(DRUM_PATTERNS)))]
    step = bar_s / 8
    for b in range(bars):
        if b % 4 == 0:
            stem.notes.append((b * bar_s, 0.5, CRASH, int(rng.integers(80, 110))))
        for key, steps in pattern.items():
            for s in steps:
                vel = int(rng.integers(55, 90) if key in (CLOSED_HAT, OPEN_HAT, RIDE)
                          else rng.integers(85, 120))
                stem.notes.append((b * bar_s + s * step, step * 0.9, key, vel))
    return stem


def _bass(rng, chords, bar_s) -> Stem:
    stem = Stem("bass", 0, 0, int(rng.choice(BASS_PROGRAMS)))
    style = str(rng.choice(["quarters", "root_fifth", "eighths", "halves"]))
    for b, pcs in enumerate(chords):
        root = 36 + (pcs[0] - 36) % 12
        fifth = root + 7
        if style == "eighths":
            seq = [(i * bar_s / 8, bar_s / 8, root) for i in range(8)]
        elif style == "halves":
            seq = [(0.0, bar_s / 2, root), (bar_s / 2, bar_s / 2, fifth)]
        else:
            alt = style == "root_fifth"
            seq = [(i * bar_s / 4, bar_s / 4, fifth if alt and i % 2 else root) for i in range(4)]
        for t, d, k in seq:
            stem.notes.append((b * bar_s + t, d * 0.9, k, int(rng.integers(85, 110))))
    return stem


def _keys(rng, chords, bar_s) -> Stem:
    stem = Stem("keys", 1, 0, int(rng.choice(KEYS_PROGRAMS)))
    style = str(rng.choice(["whole", "halves", "quarters", "skank", "arpeggio"]))
    for b, pcs in enumerate(chords):
        tones = _place(pcs, 52)
        t0 = b * bar_s
        vel = int(rng.integers(70, 100))
        if style == "arpeggio":
            seq = [tones[i % 3] + 12 * (i // 3 % 2) for i in range(8)]
            stem.notes += [(t0 + i * bar_s / 8, bar_s / 8 * 0.95, k, vel)
                           for i, k in enumerate(seq)]
            continue
        hits = {"whole": [(0, 1)], "halves": [(0, 0.5), (0.5, 0.5)],
                "quarters": [(i / 4, 0.25) for i in range(4)],
                "skank": [(i / 4 + 1 / 8, 1 / 8) for i in range(4)]}[style]
        for start, length in hits:
            stem.notes += [(t0 + start * bar_s, length * bar_s * 0.9, k, vel) for k in tones]
    return stem


def _pad(rng, chords, bar_s) -> Stem:
    stem = Stem("pad", 2, 0, int(rng.choice(PAD_PROGRAMS)))
    for b, pcs in enumerate(chords):
        vel = int(rng.integers(55, 80))
        stem.notes += [(b * bar_s, bar_s * 0.98, k, vel) for k in _place(pcs, 60)]
    return stem


def _melody(rng, chords, root, mode, bar_s, centre, first_bar, end_s) -> list[Note]:
    scale = [root + s for s in SCALES[mode]]
    lo, hi = centre - 7, centre + 7
    pool = sorted(k for k in range(lo, hi + 1) if k % 12 in {p % 12 for p in scale})
    beat = bar_s / 4
    notes, prev = [], min(pool, key=lambda k: abs(k - centre))
    for b in range(first_bar, len(chords)):
        rhythm = MELODY_RHYTHMS[int(rng.integers(len(MELODY_RHYTHMS)))]
        if b % 4 == 3:  # phrase end: sing the first half of the bar, rest after
            rhythm = (2, 2)
        t = b * bar_s
        tones = {pc % 12 for pc in chords[b]}
        for i, beats in enumerate(rhythm):
            start, dur = t, beats * beat
            t += dur
            if (b % 4 == 3 and i == 1) or rng.random() < 0.08 or start + dur > end_s:
                continue
            strong = (start - b * bar_s) % (2 * beat) < 1e-6
            cands = [k for k in pool if k % 12 in tones] if strong else pool
            cands = [k for k in cands if abs(k - prev) <= 5] or cands
            weights = np.array([1.0 / (1 + abs(k - prev)) for k in cands])
            prev = int(cands[int(rng.choice(len(cands), p=weights / weights.sum()))])
            notes.append(Note(round(start, 4), round(dur * 0.92, 4), prev))
    return notes


def compose(rng: np.random.Generator, duration: float, singer_midi: float) -> Song:
    """A random song of ``duration`` seconds for a singer speaking around ``singer_midi``.

    Args:
        rng: random generator (every choice comes from it).
        duration: length in seconds (the score runs a bar past it).
        singer_midi: median speaking F0 of the singer as a MIDI number.
    """
    bpm = float(rng.integers(80, 141))
    bar_s = 240.0 / bpm
    mode = str(rng.choice(["major", "minor"]))
    root = int(rng.integers(0, 12))
    progs = PROGRESSIONS[mode]
    progression = progs[int(rng.integers(len(progs)))]
    bars = int(np.ceil(duration / bar_s)) + 1
    chords = [chord(root, mode, progression[b % 4]) for b in range(bars)]
    stems = [_drums(rng, bars, bar_s), _bass(rng, chords, bar_s), _keys(rng, chords, bar_s),
             _pad(rng, chords, bar_s)]
    centre = int(np.clip(round(singer_midi) + int(rng.integers(2, 8)), 50, 74))
    first = 1 if duration > 3 * bar_s else 0
    melody = _melody(rng, chords, root, mode, bar_s, centre, first, duration - 0.2)
    return Song(bpm, root, mode, progression, stems, melody, duration)
