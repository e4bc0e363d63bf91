"""Loudness and silence of TTS audio: the same level for every voice, in and out.

The speech pools mix studio prompts (asterisk, about -20 dBFS) with children's
game recordings (tuxpaint: the Romanian talker about 20 dB quieter). Without a
common level a model learns each speaker's gain in c0, and a voice trained on
quiet audio speaks quietly. Training audio is therefore conditioned once in
stage 1, and synthesised speech is normalised on output:

- :func:`trim_silence`: leading and trailing frames more than ``top_db`` below
  the loudest 10-ms frame are cut, keeping ``margin`` seconds of context
  (pauses inside the utterance are kept: they are labelled and aligned);
- :func:`normalize_loudness`: integrated loudness (ITU-R BS.1770 K-weighted and
  gated, :func:`toolkit.dsp.mix.loudness_lufs`) set to ``target_lufs``
  (default -23 LUFS, EBU R128's programme level), then scaled down if a peak
  would exceed ``peak`` (0.99) so nothing clips.
"""

from __future__ import annotations

import logging

import numpy as np

from toolkit.dsp.mix import loudness_lufs, normalize_lufs

log = logging.getLogger(__name__)
TARGET_LUFS = -23.0
PEAK = 0.99


def trim_silence(x: np.ndarray, sample_rate: int, top_db: float = 40.0,
                 margin: float = 0.05) -> np.ndarray:
    """``x`` ``(samples,)`` without its leading and trailing silence (module doc).

    A signal with no frame above the threshold (silence) is returned unchanged.
    """
    hop = max(1, int(0.01 * sample_rate))
    n = len(x) // hop
    if n == 0:
        return x
    power = (np.asarray(x[: n * hop], np.float64).reshape(n, hop) ** 2).mean(1)
    db = 10 * np.log10(power + 1e-12)
    active = np.flatnonzero(db >= db.max() - top_db)
    if len(active) == 0 or db.max() < -90:
        return x
    pad = int(margin * sample_rate)
    start = max(0, active[0] * hop - pad)
    end = min(len(x), (active[-1] + 1) * hop + pad)
    return x[start:end]


def normalize_loudness(x: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS,
                       peak: float = PEAK) -> np.ndarray:
    """``x`` scaled to ``target_lufs`` integrated loudness, peaks at most ``peak``."""
    y = normalize_lufs(np.asarray(x, np.float32), sample_rate, target_lufs)
    top = float(np.abs(y).max()) if len(y) else 0.0
    if top > peak:
        y = y * (peak / top)
    return y.astype(np.float32)


def condition(x: np.ndarray, sample_rate: int, target_lufs: float | None = TARGET_LUFS,
              top_db: float | None = 40.0, margin: float = 0.05) -> np.ndarray:
    """Trim (when ``top_db``) then normalise (when ``target_lufs``) one utterance."""
    if top_db is not None:
        x = trim_silence(x, sample_rate, top_db, margin)
    if target_lufs is not None:
        x = normalize_loudness(x, sample_rate, target_lufs)
    return x


def loudness(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (``-inf`` for silence)."""
    return loudness_lufs(x, sample_rate)
