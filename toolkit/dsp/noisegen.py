"""Procedural stationary noises: coloured, mains hum, fan, babble.

Every generator takes the number of samples, the sample rate and a
:class:`numpy.random.Generator`, and returns float32 ``(samples,)`` scaled to
an RMS of -25 dBFS (peaks kept below 0.99). What each one models:

- coloured noise: Gaussian noise with power spectral density proportional to
  ``f**-exponent``: white (0, flat), pink (1, -3.01 dB per octave), brown
  (2, -6.02 dB per octave). Shaped in the frequency domain, so a clip loops
  without a seam; below ``f_min`` (20 Hz) the spectrum is flat instead of
  growing without bound.
- hum: a 50 or 60 Hz mains fundamental (slightly detuned, as grids are) with
  harmonics up to 2 kHz, odd ones emphasised (transformer magnetostriction),
  a slow level wobble and a faint pink floor.
- fan: broadband low-pass noise with a few resonances, amplitude-modulated at
  the rotation rate, plus the blade-pass tone (blades x revolutions per second)
  and its harmonics.
- babble: several talkers, each a stream of utterances with short pauses,
  summed at equal levels.
"""

from __future__ import annotations

import numpy as np

TARGET_DBFS = -25.0


def _finish(x: np.ndarray) -> np.ndarray:
    """Scale to the target RMS, keeping the peak below 0.99."""
    x = np.asarray(x, dtype=np.float64)
    r = np.sqrt(np.mean(x * x))
    if r > 0:
        x = x * (10 ** (TARGET_DBFS / 20) / r)
    peak = np.max(np.abs(x)) if x.size else 0.0
    if peak > 0.99:
        x = x * (0.99 / peak)
    return x.astype(np.float32)


def colored_noise(n: int, exponent: float, rng: np.random.Generator,
                  sample_rate: int = 16000, f_min: float = 20.0) -> np.ndarray:
    """Gaussian noise with PSD ``~ f**-exponent`` (0 white, 1 pink, 2 brown).

    Args:
        n: number of samples.
        exponent: spectral slope exponent (PSD falls by ``3.01 * exponent`` dB/octave).
        rng: random generator.
        sample_rate: in Hz.
        f_min: the spectrum is flat below this frequency (Hz).

    Returns:
        ``(n,)`` float32 at -25 dBFS RMS.
    """
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sample_rate)
    shape = np.maximum(f, f_min) ** (-exponent / 2.0)
    spec *= shape
    spec[0] = 0.0  # no DC offset
    return _finish(np.fft.irfft(spec, n))


def white_noise(n: int, rng: np.random.Generator, sample_rate: int = 16000) -> np.ndarray:
    """White Gaussian noise ``(n,)``."""
    return _finish(rng.standard_normal(n))


def pink_noise(n: int, rng: np.random.Generator, sample_rate: int = 16000) -> np.ndarray:
    """Pink noise ``(n,)`` (-3 dB/octave)."""
    return colored_noise(n, 1.0, rng, sample_rate)


def brown_noise(n: int, rng: np.random.Generator, sample_rate: int = 16000) -> np.ndarray:
    """Brown (red) noise ``(n,)`` (-6 dB/octave)."""
    return colored_noise(n, 2.0, rng, sample_rate)


def hum(n: int, rng: np.random.Generator, sample_rate: int = 16000,
        mains_hz: float | None = None) -> np.ndarray:
    """Mains hum ``(n,)``: 50 or 60 Hz (random when ``mains_hz`` is None) and harmonics."""
    f0 = float(mains_hz or rng.choice([50.0, 60.0])) * (1 + rng.uniform(-0.002, 0.002))
    t = np.arange(n) / sample_rate
    decay = rng.uniform(0.5, 1.5)
    x = np.zeros(n)
    n_harm = int(min(2000.0, 0.45 * sample_rate) // f0)
    for h in range(1, n_harm + 1):
        amp = h ** -decay * (rng.uniform(1.0, 3.0) if h % 2 else 1.0)
        x += amp * np.sin(2 * np.pi * h * f0 * t + rng.uniform(0, 2 * np.pi))
    wobble = 1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.1, 1.0) * t + rng.uniform(0, 6.3))
    x = _finish(x * wobble).astype(np.float64)
    floor = colored_noise(n, 1.0, rng, sample_rate) * 10 ** (rng.uniform(-40, -30) / 20)
    return _finish(x + floor)


def _resonance(n: int, rng: np.random.Generator, sample_rate: int, fc: float) -> np.ndarray:
    """Band-pass filtered noise around ``fc`` (a structural resonance)."""
    from scipy.signal import butter, sosfiltfilt

    bw = fc * rng.uniform(0.1, 0.3)
    lo, hi = max(20.0, fc - bw / 2), min(0.45 * sample_rate, fc + bw / 2)
    sos = butter(2, [lo, hi], btype="bandpass", fs=sample_rate, output="sos")
    return sosfiltfilt(sos, rng.standard_normal(n))


def fan(n: int, rng: np.random.Generator, sample_rate: int = 16000) -> np.ndarray:
    """Fan / ventilation noise ``(n,)``: broadband noise, resonances, blade-pass tone."""
    t = np.arange(n) / sample_rate
    rps = rng.uniform(10.0, 40.0)
    blades = int(rng.choice([3, 4, 5, 7]))
    broad = colored_noise(n, rng.uniform(1.0, 2.0), rng, sample_rate, f_min=80.0)
    broad = broad.astype(np.float64)
    for _ in range(int(rng.integers(1, 4))):
        res = _resonance(n, rng, sample_rate, rng.uniform(100.0, 1500.0))
        broad += res / (np.sqrt(np.mean(res ** 2)) + 1e-12) * np.sqrt(np.mean(broad ** 2)) \
            * rng.uniform(0.2, 0.6)
    depth = rng.uniform(0.05, 0.3)
    broad *= 1 + depth * np.sin(2 * np.pi * rps * t + rng.uniform(0, 2 * np.pi))
    bpf = rps * blades
    tone = np.zeros(n)
    for h in range(1, 5):
        if h * bpf < 0.45 * sample_rate:
            tone += h ** -1.0 * np.sin(2 * np.pi * h * bpf * t + rng.uniform(0, 2 * np.pi))
    tone *= np.sqrt(np.mean(broad ** 2)) / (np.sqrt(np.mean(tone ** 2)) + 1e-12)
    return _finish(broad + tone * 10 ** (rng.uniform(-20.0, -8.0) / 20))


def talker_stream(utterances: list[np.ndarray], n: int, rng: np.random.Generator,
                  sample_rate: int = 16000) -> np.ndarray:
    """One talker: utterances in random order with 0.1-0.6 s pauses, filling ``n`` samples.

    Args:
        utterances: ``(samples,)`` arrays of one talker (reused when too few).
        n: output length.
        rng: random generator.
        sample_rate: in Hz.
    """
    out = np.zeros(n)
    pos = -int(rng.integers(0, max(1, len(utterances[0]))))  # start mid-utterance
    while pos < n:
        u = np.asarray(utterances[int(rng.integers(0, len(utterances)))], dtype=np.float64)
        u = u / (np.sqrt(np.mean(u * u)) + 1e-12)
        lo, hi = max(pos, 0), min(pos + len(u), n)
        if hi > lo:
            out[lo:hi] += u[lo - pos:hi - pos]
        pos += len(u) + int(rng.uniform(0.1, 0.6) * sample_rate)
    return out


def babble(talkers: list[list[np.ndarray]], n: int, rng: np.random.Generator,
           sample_rate: int = 16000) -> np.ndarray:
    """Babble ``(n,)``: the sum of one stream per talker, each at the same level.

    Args:
        talkers: for each talker, a list of ``(samples,)`` utterances.
        n: output length.
        rng: random generator.
        sample_rate: in Hz.
    """
    x = np.zeros(n)
    for utts in talkers:
        s = talker_stream(utts, n, rng, sample_rate)
        x += s / (np.sqrt(np.mean(s * s)) + 1e-12)
    return _finish(x)


GENERATORS = {"white": white_noise, "pink": pink_noise, "brown": brown_noise,
              "hum": hum, "fan": fan}
