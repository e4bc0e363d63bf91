"""Other singers from one: WORLD resynthesis of the vocal stem at another pitch and formant scale.

A separation model trained on few real singers learns their register. Resampling
(``data.shift_semitones``) moves pitch, formants and tempo together and only by a
couple of semitones before the voice stops sounding human. Here the vocal of each
clip is analysed once with WORLD (:mod:`toolkit.dsp.singing`: DIO + StoneMask F0,
CheapTrick envelope, D4C aperiodicity, 5-ms frames) and resynthesised with

- F0 times ``2 ** (s / 12)`` for ``s`` drawn in ``semitones`` (e.g. -8..-3: a
  female register brought into a male one);
- the spectral envelope and aperiodicity warped in frequency by ``f`` drawn in
  ``formant``: what was at frequency ``x`` is at ``f x`` (``f < 1``: a longer
  vocal tract, formants lower, as from a female to a male voice);

at the same timing, and brought back to the original vocal's level. The
accompaniment is the clip's own, and the mixture is their sum (both scaled
together when the sum would clip). Keys become ``<key>-rv<copy>`` and speakers
``<speaker>-rv`` (a singer of its own: split by singer before revoicing, so that no
copy of a held-out clip reaches training); ``utt2song`` is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import UserError

PEAK = 0.99


def warp_frequency(frames: np.ndarray, factor: float) -> np.ndarray:
    """Move spectral content from bin ``k`` to bin ``factor * k`` (linear interpolation).

    Args:
        frames: ``(T, bins)`` a WORLD envelope or aperiodicity.
        factor: > 0; below 1 moves content down (bins above ``bins * factor`` take
            the value of the top source bin).

    Returns:
        ``(T, bins)`` float64.
    """
    bins = frames.shape[1]
    src = np.arange(bins) / factor  # the source bin that lands on each target bin
    src = np.clip(src, 0, bins - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, bins - 1)
    w = src - i0
    return frames[:, i0] * (1 - w) + frames[:, i1] * w


def revoice(x: np.ndarray, sample_rate: int, semitones: float, formant: float,
            analysis: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """A vocal ``(samples,)`` resung ``semitones`` higher with formants scaled by ``formant``.

    Args:
        analysis: ``x``'s :func:`toolkit.dsp.singing.world_analysis`, when already made
            (several versions of one clip are analysed once).

    Returns:
        ``(samples,)`` float32 at the input's RMS level (silence stays silence).
    """
    from toolkit.dsp.singing import FRAME_MS, _pyworld, world_analysis

    x = np.asarray(x, np.float64)
    rms = float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0
    if rms < 1e-6:
        return np.zeros(len(x), np.float32)
    f0, sp, ap = analysis if analysis is not None else world_analysis(x, sample_rate)
    f0 = f0 * 2.0 ** (semitones / 12.0)
    sp = np.maximum(warp_frequency(sp, formant), 1e-16)
    ap = np.clip(warp_frequency(ap, formant), 0.0, 1.0)
    y = _pyworld().synthesize(np.ascontiguousarray(f0), np.ascontiguousarray(sp),
                              np.ascontiguousarray(ap), sample_rate, FRAME_MS)
    y = np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]
    out_rms = float(np.sqrt(np.mean(y ** 2)))
    return (y * (rms / out_rms if out_rms > 0 else 0.0)).astype(np.float32)


def _range(name: str, value: tuple[float, float], positive: bool = False) -> tuple[float, float]:
    lo, hi = (float(v) for v in value)
    if lo > hi or (positive and lo <= 0):
        need = "0 < LOW <= HIGH" if positive else "LOW <= HIGH"
        raise UserError(f"--{name} {lo}:{hi}: give LOW:HIGH with {need}")
    return lo, hi


def revoice_datadir(src: str | Path, out: str | Path, copies: int = 1,
                    semitones: tuple[float, float] = (-8.0, -3.0),
                    formant: tuple[float, float] = (0.85, 0.95), seed: int = 0,
                    overwrite: bool = False) -> Path:
    """A data directory of ``copies`` revoiced versions of every clip of ``src``.

    Args:
        src: an svs data directory (``wav.scp``, ``vocals.scp``, ``accomp.scp``).
        out: the data directory to write (audio as FLAC under ``out/audio``).
        copies: versions per clip, each with its own draw of the two factors.
        semitones, formant: ranges of the uniform draws (see the module docstring).
        seed: seed of the draws (the same seed gives the same directory).

    Returns:
        ``out`` (``utt2revoice`` holds each key's semitones and formant factor).

    Raises:
        UserError: bad ranges or ``copies``, or a source without the stems.
    """
    from toolkit.data.audio import load_mono, save_audio
    from toolkit.data.datadir import write_datadir
    from toolkit.dsp.singing import world_analysis
    from toolkit.fsutil import skip_if_done
    from toolkit.progress import Progress
    from toolkit.svs.prepare import stems_datadir

    if copies < 1:
        raise UserError(f"--copies {copies}: give 1 or more")
    semitones, formant = _range("semitones", semitones), _range("formant", formant, True)
    out = Path(out)
    if skip_if_done(out, overwrite):
        return out
    d = stems_datadir(src, "revoicing")
    rng = np.random.default_rng(seed)
    spk = d.read("utt2spk") if d.has("utt2spk") else {}
    song = d.read("utt2song") if d.has("utt2song") else {}
    files: dict[str, dict[str, Any]] = {n: {} for n in ("wav.scp", "vocals.scp", "accomp.scp",
                                                         "utt2spk", "utt2dur", "utt2revoice")}
    if song:
        files["utt2song"] = {}
    keys = d.keys()
    if not keys:
        raise UserError(f"{d.path} holds no clips to revoice")
    with Progress("revoicing", len(keys) * copies, "clips") as bar:
        for key in keys:
            v, sr = load_mono(d.read("vocals.scp")[key])
            a, _ = load_mono(d.read("accomp.scp")[key], sr)
            n = min(len(v), len(a))
            v, a = v[:n], a[:n]
            analysis = world_analysis(v, sr)  # once per clip, whatever the copies
            for c in range(copies):
                s, f = rng.uniform(*semitones), rng.uniform(*formant)
                nv = revoice(v, sr, s, f, analysis)
                mix = nv + a
                scale = min(1.0, PEAK / max(float(np.max(np.abs(mix))), 1e-9))
                k = f"{key}-rv{c}"
                for role, suffix, y in (("wav.scp", "", mix), ("vocals.scp", ".vocals", nv),
                                        ("accomp.scp", ".accomp", a)):
                    path = out / "audio" / f"{k}{suffix}.flac"
                    save_audio(path, y * scale, sr, clip_warn=False)
                    files[role][k] = str(path.resolve())
                files["utt2spk"][k] = f"{spk.get(key, key)}-rv"
                files["utt2dur"][k] = f"{n / sr:.3f}"
                if song:
                    files["utt2song"][k] = song.get(key, key)
                files["utt2revoice"][k] = f"{s:.2f} {f:.3f}"
                bar.advance(1)
    meta = {**{m: v for m, v in d.meta.items() if m not in ("created_by", "derived_from")},
            "sample_rate": sr, "derived_from": f"{d.path} revoiced: semitones {semitones}, "
            f"formant {formant}, copies {copies}, seed {seed}"}
    return write_datadir(out, files, meta, overwrite=True, in_place=True)
