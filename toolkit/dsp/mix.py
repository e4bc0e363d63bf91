"""Mixing at a target SNR or signal-to-echo ratio, loudness, and a clipping guard.

Levels come in three flavours:

- ``"rms"``: plain RMS over the whole signal (the default; what DNS-Challenge
  style scripts use). Silences inside the signal lower its level.
- ``"active"``: RMS over the *active* 20 ms frames only, those within 30 dB of
  the loudest frame and above -70 dBFS. It is a simple stand-in for the ITU-T
  P.56 active speech level (not the standard's envelope algorithm): speech with
  long pauses gets the same level as the same speech without them.
- loudness in LUFS (ITU-R BS.1770 K-weighting and gating, mono) for
  :func:`loudness_lufs` / :func:`normalize_lufs`.

SNR (and SER, the signal-to-echo ratio of echo cancellation) is
``10 log10(P_signal / P_interferer)`` with both powers taken with the same level
method. Every random choice (where a noise longer than the speech is cut, where
a shorter one starts looping) comes from the :class:`numpy.random.Generator`
the caller passes, so a mixture is a function of its seed.

Arrays are float ``(samples,)``.
"""

from __future__ import annotations

import numpy as np

from toolkit.errors import AudioError

EPS = 1e-12
LEVEL_METHODS = ("rms", "active")


def rms(x: np.ndarray) -> float:
    """Root mean square of ``x`` ``(samples,)``."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def active_rms(x: np.ndarray, sample_rate: int = 16000, frame_s: float = 0.02,
               range_db: float = 30.0, floor_dbfs: float = -70.0) -> float:
    """RMS over the active frames of ``x`` (see the module docstring).

    Args:
        x: ``(samples,)`` signal.
        sample_rate: in Hz (sets the frame length).
        frame_s: frame length in seconds (non-overlapping frames).
        range_db: frames more than this below the loudest frame are inactive.
        floor_dbfs: frames below this absolute level are inactive.

    Returns:
        The RMS of the active frames (plain RMS when no frame is active).
    """
    x = np.asarray(x, dtype=np.float64)
    n = max(1, int(round(frame_s * sample_rate)))
    frames = x[: len(x) // n * n].reshape(-1, n)
    if len(frames) == 0:
        return rms(x)
    power = np.mean(frames * frames, axis=1)
    db = 10 * np.log10(power + EPS)
    active = (db >= db.max() - range_db) & (db >= floor_dbfs)
    if not active.any():
        return rms(x)
    return float(np.sqrt(np.mean(power[active])))


def level(x: np.ndarray, method: str = "rms", sample_rate: int = 16000) -> float:
    """Level of ``x`` (linear amplitude) by ``method`` ("rms" or "active")."""
    if method == "rms":
        return rms(x)
    if method == "active":
        return active_rms(x, sample_rate)
    raise ValueError(f"unknown level method {method!r}; use one of {LEVEL_METHODS}")


def db(amplitude: float) -> float:
    """Amplitude ratio in dB (``20 log10``), floored at -240 dB."""
    return 20.0 * float(np.log10(max(amplitude, EPS)))


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS)."""
    return db(rms(x))


def normalize_rms(x: np.ndarray, target_dbfs: float = -25.0) -> np.ndarray:
    """Scale ``x`` to an RMS level of ``target_dbfs`` (silence is returned unchanged)."""
    r = rms(x)
    if r < EPS:
        return np.asarray(x).copy()
    return (np.asarray(x) * (10 ** (target_dbfs / 20) / r)).astype(np.asarray(x).dtype)


def _biquad_k_weighting(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two BS.1770 K-weighting biquads (high shelf, high pass) for any rate.

    Designed from the analogue prototypes' corner frequency, Q and gain with a
    pre-warped bilinear transform; at 48 kHz they reproduce the coefficients
    printed in the standard.
    """
    out = []
    # Stage 1: high shelf, +4 dB above ~1.7 kHz (head acoustics).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    b = np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    out.append((b, a))
    # Stage 2: high pass at ~38 Hz (RLB weighting).
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    out.append((np.array([1.0, -2.0, 1.0]), np.array([1.0, 2 * (k * k - 1) / a0,
                                                      (1 - k / q + k * k) / a0])))
    return out


def loudness_lufs(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness of a mono signal in LUFS (ITU-R BS.1770-4 gating).

    400 ms blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate
    10 LU below the absolutely gated mean. A signal shorter than one block is
    measured as a single block. Returns ``-inf`` for silence.
    """
    from scipy.signal import lfilter

    y = np.asarray(x, dtype=np.float64)
    for b, a in _biquad_k_weighting(sample_rate):
        y = lfilter(b, a, y)
    block, hop = int(0.4 * sample_rate), int(0.1 * sample_rate)
    if len(y) < block:
        z = np.array([np.mean(y * y)]) if len(y) else np.array([0.0])
    else:
        starts = np.arange(0, len(y) - block + 1, hop)
        csum = np.concatenate([[0.0], np.cumsum(y * y)])
        z = (csum[starts + block] - csum[starts]) / block
    lk = -0.691 + 10 * np.log10(z + EPS)
    gated = z[lk > -70.0]
    if gated.size == 0:
        return float("-inf")
    rel = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = z[(lk > -70.0) & (lk > rel)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def normalize_lufs(x: np.ndarray, sample_rate: int, target_lufs: float = -23.0) -> np.ndarray:
    """Scale ``x`` to an integrated loudness of ``target_lufs`` (silence unchanged)."""
    current = loudness_lufs(x, sample_rate)
    if not np.isfinite(current):
        return np.asarray(x).copy()
    return np.asarray(x) * 10 ** ((target_lufs - current) / 20)


def fit_length(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Cut or loop ``x`` ``(samples,)`` to ``n`` samples, starting at a random offset."""
    x = np.asarray(x)
    if len(x) == 0:
        raise AudioError("cannot fit an empty signal to a length")
    if len(x) >= n:
        start = int(rng.integers(0, len(x) - n + 1))
        return x[start:start + n].copy()
    start = int(rng.integers(0, len(x)))
    reps = int(np.ceil((n + start) / len(x)))
    return np.tile(x, reps)[start:start + n].copy()


def reverberate(x: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``x`` in a room: convolved with ``rir`` from 1 ms before its direct-path peak (so
    the output is not delayed), cut to ``len(x)`` and rescaled to the RMS of ``x``."""
    from scipy.signal import fftconvolve

    peak = int(np.argmax(np.abs(rir)))
    rir = rir[max(peak - 16, 0):] / (np.abs(rir[peak]) + 1e-9)
    y = fftconvolve(x, rir)[: len(x)].astype(np.asarray(x).dtype)
    return y * (rms(x) / (rms(y) + 1e-9))


def gain_for_ratio(target: np.ndarray, interferer: np.ndarray, ratio_db: float,
                   method: str = "rms", sample_rate: int = 16000) -> float:
    """Gain to apply to ``interferer`` so that target/interferer is ``ratio_db``.

    Raises:
        AudioError: the interferer is silent (no gain reaches the ratio).
    """
    lt = level(target, method, sample_rate)
    li = level(interferer, method, sample_rate)
    if li < EPS:
        raise AudioError("the noise or echo signal is silent; cannot mix it at a given ratio")
    return lt / li / 10 ** (ratio_db / 20)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float,
               rng: np.random.Generator | None = None, method: str = "rms",
               sample_rate: int = 16000) -> tuple[np.ndarray, np.ndarray]:
    """Add ``noise`` to ``speech`` at ``snr_db``.

    Args:
        speech: ``(samples,)`` target signal.
        noise: ``(samples',)``; cut or looped to the speech length with ``rng``
            when the lengths differ.
        snr_db: wanted ratio ``10 log10(P_speech / P_noise)``.
        rng: needed only when the lengths differ.
        method: level method, "rms" or "active" (applied to both signals).
        sample_rate: in Hz (frame length of the "active" method).

    Returns:
        ``(mixture, scaled_noise)``, both ``(samples,)``.
    """
    speech = np.asarray(speech)
    if len(noise) != len(speech):
        if rng is None:
            raise ValueError("noise and speech lengths differ; pass rng to cut or loop the noise")
        noise = fit_length(noise, len(speech), rng)
    scaled = np.asarray(noise) * gain_for_ratio(speech, noise, snr_db, method, sample_rate)
    return speech + scaled, scaled


def mix_at_ser(near: np.ndarray, echo: np.ndarray, ser_db: float,
               rng: np.random.Generator | None = None, method: str = "rms",
               sample_rate: int = 16000) -> tuple[np.ndarray, np.ndarray]:
    """Add ``echo`` to near-end speech at a signal-to-echo ratio ``ser_db``.

    Same contract as :func:`mix_at_snr` (SER = ``10 log10(P_near / P_echo)``).
    """
    return mix_at_snr(near, echo, ser_db, rng=rng, method=method, sample_rate=sample_rate)


def achieved_ratio_db(target: np.ndarray, interferer: np.ndarray, method: str = "rms",
                      sample_rate: int = 16000) -> float:
    """Measured ``10 log10(P_target / P_interferer)`` in dB."""
    return db(level(target, method, sample_rate)) - db(level(interferer, method, sample_rate))


def clip_guard(signals: list[np.ndarray], limit: float = 0.99,
               reference: np.ndarray | None = None) -> tuple[list[np.ndarray], float]:
    """Scale every signal by one gain so the reference peak stays within ``limit``.

    Scaling all components of a mixture together keeps their ratios (SNR, SER)
    and keeps "components sum to the mixture" true. By default no signal may exceed
    ``limit``: a component can peak above its mixture (speech and noise in opposite
    phase), and a file clipped on writing would no longer sum to the mixture.

    Args:
        signals: arrays of any shape.
        limit: largest allowed absolute sample value.
        reference: the signal whose peak matters (default: every signal's).

    Returns:
        ``(scaled signals, gain)``; the gain is 1 when nothing needed scaling.
    """
    refs = signals if reference is None else [reference]
    peak = max((float(np.max(np.abs(r))) for r in refs if np.size(r)), default=0.0)
    gain = limit / peak if peak > limit else 1.0
    return [np.asarray(s) * gain for s in signals], gain
