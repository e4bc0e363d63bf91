"""FluidSynth rendering of song stems, one soundfont load per process.

The soundfont is loaded once per process (held by a silent synthesizer). Each
song is rendered by a fresh synthesizer that borrows it (1-5 ms to create):
FluidSynth voices keep state between notes, so the same stem rendered after
other stems in one synthesizer differs from a first rendering by up to -30 dB,
which would make a song depend on the songs built before it. With a fresh
synthesizer per song (all sound stopped between its stems) a song depends only
on its seed and index, and shards are bit-identical to the unsharded build.

The few libfluidsynth calls pyfluidsynth does not wrap (block rendering into
float buffers, all-sounds-off, voice count, sharing a loaded soundfont between
synthesizers) go through ``ctypes`` on pyfluidsynth's own library handle.

Example:
    >>> renderer = FluidRenderer()                        # doctest: +SKIP
    >>> stems = renderer.render(song)  # {"drums": (n,), "bass": (n,), ...}  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from toolkit.errors import UserError

RENDER_RATE = 32000
DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SOUNDFONTS = {"FluidR3_GM.sf2": ("fluid-soundfont-gm", "MIT"),
              "TimGM6mb.sf2": ("timgm6mb-soundfont", "GPL-2")}


class FluidRenderer:
    """Renders song stems: one soundfont load per process, a fresh synthesizer per song."""

    FLUID_WARN = 2  # FluidSynth log level of "no preset on channel N" chatter

    def __init__(self, soundfont: str | Path = DEFAULT_SOUNDFONT, sample_rate: int = RENDER_RATE,
                 stereo: bool = False):
        self.stereo = stereo
        self.soundfont = Path(soundfont)
        if not self.soundfont.is_file():
            hint = "apt-get install fluid-soundfont-gm" if str(soundfont) == DEFAULT_SOUNDFONT \
                else "give an existing .sf2 file"
            raise UserError(f"soundfont {soundfont} not found; {hint}")
        try:
            import fluidsynth
        except (ImportError, OSError) as e:
            raise UserError(f"pyfluidsynth/libfluidsynth unavailable ({e}); "
                            "apt-get install fluidsynth && pip install pyfluidsynth") from None
        self.fs = fluidsynth
        self.rate = sample_rate
        lib = fluidsynth._fl
        self._c = {}
        for name, restype, argtypes in (
                ("fluid_synth_write_float", ctypes.c_int,
                 [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                  ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
                ("fluid_synth_all_sounds_off", ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
                ("fluid_synth_get_active_voice_count", ctypes.c_int, [ctypes.c_void_p]),
                ("fluid_synth_get_sfont_by_id", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int]),
                ("fluid_synth_add_sfont", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
                ("fluid_synth_remove_sfont", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
                ("fluid_set_log_function", ctypes.c_void_p,
                 [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p])):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
            self._c[name] = fn
        self._c["fluid_set_log_function"](self.FLUID_WARN, None, None)
        self._holder = self._new_synth()
        sfid = self._holder.sfload(str(self.soundfont))
        if sfid < 0:
            self.close()
            raise UserError(f"{self.soundfont}: FluidSynth cannot load this soundfont")
        self._sfont = self._c["fluid_synth_get_sfont_by_id"](self._holder.synth, sfid)

    def _new_synth(self):
        settings = {"synth.reverb.active": 0, "synth.chorus.active": 0}
        return self.fs.Synth(gain=0.5, samplerate=float(self.rate), channels=16, **settings)

    def close(self) -> None:
        """Free the soundfont (and its holder synthesizer)."""
        if getattr(self, "_holder", None) is not None:
            self._holder.delete()
            self._holder = None

    def _render(self, synth, n: int) -> np.ndarray:
        """``(n,)`` mono, or ``(2, n)`` with ``stereo``."""
        left, right = np.zeros(n, np.float32), np.zeros(n, np.float32)
        write = self._c["fluid_synth_write_float"]
        if write(synth.synth, n, left.ctypes.data, 0, 1, right.ctypes.data, 0, 1) != 0:
            raise RuntimeError("fluid_synth_write_float failed")
        return np.stack([left, right]) if self.stereo else 0.5 * (left + right)

    def _silence(self, synth) -> None:
        """Stop every voice and render until none is left (released voices fade first)."""
        self._c["fluid_synth_all_sounds_off"](synth.synth, -1)
        for _ in range(1000):
            self._render(synth, 64)
            if self._c["fluid_synth_get_active_voice_count"](synth.synth) == 0:
                break
        synth.system_reset()
        self._render(synth, 64)

    def _stem(self, synth, sfid: int, stem, n: int, pan: int | None = None) -> np.ndarray:
        if synth.program_select(stem.channel, sfid, stem.bank, stem.program) != 0:
            synth.program_select(stem.channel, sfid, stem.bank, 0)  # not in this soundfont
        if pan is not None:
            synth.cc(stem.channel, 10, pan)
        events = []
        for start, dur, key, vel in stem.notes:
            on = int(round(start * self.rate))
            if on < n:
                events += [(on, 1, key, vel), (int(round((start + dur) * self.rate)), 0, key, 0)]
        out = np.zeros((2, n) if self.stereo else n, np.float32)
        pos = 0
        for t, is_on, key, vel in sorted(events):  # note-offs first at equal times
            t = min(t, n)
            if t > pos:
                out[..., pos:t] = self._render(synth, t - pos)
                pos = t
            if is_on:
                synth.noteon(stem.channel, key, vel)
            else:
                synth.noteoff(stem.channel, key)
        if pos < n:
            out[..., pos:] = self._render(synth, n - pos)
        self._silence(synth)
        return out

    def render(self, song, pans: dict[str, int] | None = None) -> dict[str, np.ndarray]:
        """``{stem name: (samples,) or (2, samples)}`` at the render rate, ``song.duration``
        long; ``pans`` (MIDI CC 10 values, 64 = centre) per stem name, stereo only."""
        synth = self._new_synth()
        sfid = self._c["fluid_synth_add_sfont"](synth.synth, self._sfont)
        try:
            if sfid < 0:
                raise RuntimeError("fluid_synth_add_sfont failed")
            n = int(round(song.duration * self.rate))
            return {s.name: self._stem(synth, sfid, s, n, (pans or {}).get(s.name))
                    for s in song.stems}
        finally:
            if sfid >= 0:  # give the soundfont back before the synthesizer frees it
                self._c["fluid_synth_remove_sfont"](synth.synth, self._sfont)
            synth.delete()
