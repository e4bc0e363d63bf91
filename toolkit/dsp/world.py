"""WORLD vocoder features for parametric TTS (Nitech-HTS 2005 style), via pyworld + pysptk.

One frame every ``frame_period`` ms (5 ms) holds 49 values, in this order::

    [0:40]  mel-cepstrum c0..c39 (pysptk sp2mc of CheapTrick's envelope, all-pass
            constant alpha from the sample rate: 0.41 at 16 kHz, 0.455 at 22.05 kHz)
    [40]    continuous log F0 (natural log of Hz; unvoiced frames linearly
            interpolated between voiced neighbours, ends held)
    [41]    voiced / unvoiced flag (1 / 0)
    [42:49] 7 band aperiodicities (dB, D4C's aperiodicity averaged in each band)

Band edges (``BAND_EDGES_HZ``): 0-250, 250-500, 500-1000, 1000-2000, 2000-3000,
3000-5000 Hz and 5000 Hz to Nyquist. Nitech-HTS 2005 used 5 bands (0-1, 1-2, 2-4,
4-6, 6-8 kHz); the paper asks for 7, so the two lowest bands are split, where
the aperiodicity of voiced speech changes fastest. At synthesis the band values
are placed at the band centres and interpolated linearly in dB across the FFT
bins (held flat outside the first and last centre).

Postfilter (:func:`postfilter`): cepstral-domain spectral enhancement of Yoshimura
et al. as used in HTS/Merlin: coefficients ``c_m`` for ``m >= 2`` are scaled by
``1 + beta`` and ``c_0`` is corrected so the frame energy is unchanged.

Copy synthesis (analyse, then synthesize the features, then analyse again) gives
the vocoder's ceiling on mel-cepstral distortion: :func:`copy_synthesis_mcd`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from toolkit.errors import UserError
from toolkit.metrics.tts import acoustic_scores

with warnings.catch_warnings():  # pysptk and pyworld import the deprecated pkg_resources
    warnings.simplefilter("ignore")
    import pysptk
    import pyworld

N_MCEP, N_BANDS = 40, 7
DIM = N_MCEP + 2 + N_BANDS  # 49
LF0, VUV, BAP = N_MCEP, N_MCEP + 1, slice(N_MCEP + 2, DIM)
BAND_EDGES_HZ = (0.0, 250.0, 500.0, 1000.0, 2000.0, 3000.0, 5000.0)  # + Nyquist


@dataclass
class VocoderConfig:
    """WORLD analysis settings.

    Attributes:
        sample_rate: audio is resampled to this rate before analysis.
        frame_period: frame shift in ms.
        f0_method: ``dio`` (dio + stonemask, fast) or ``harvest`` (more robust, ~20x slower).
        f0_floor, f0_ceil: F0 search range in Hz.
        alpha: all-pass constant; 0 chooses it from the sample rate (pysptk mcepalpha).
        postfilter_beta: cepstral postfilter strength at synthesis (0 disables it).
        vuv_threshold: at synthesis, a frame whose V/UV value exceeds it is voiced
            (generated features are continuous; analysed ones are 0 or 1).
    """

    sample_rate: int = 16000
    frame_period: float = 5.0
    f0_method: Literal["dio", "harvest"] = "dio"
    f0_floor: float = 60.0
    f0_ceil: float = 500.0
    alpha: float = 0.0
    postfilter_beta: float = 0.4
    vuv_threshold: float = 0.5

    def all_pass(self) -> float:
        """The all-pass constant (frequency warping) used for the mel-cepstrum."""
        if self.alpha:
            return self.alpha
        return float(pysptk.util.mcepalpha(self.sample_rate))


def fft_size(sample_rate: int) -> int:
    """CheapTrick's FFT size for this sample rate (1024 at 16 and 22.05 kHz)."""
    pw = pyworld
    return int(pw.get_cheaptrick_fft_size(sample_rate))


def band_matrix(sample_rate: int, n_fft: int) -> np.ndarray:
    """``(7, n_fft // 2 + 1)`` averaging weights of the bands over FFT bins."""
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = [*BAND_EDGES_HZ, sample_rate / 2 + 1e-6]
    if edges[-2] >= sample_rate / 2:
        raise UserError(f"sample rate {sample_rate} Hz is too low for the aperiodicity bands "
                        f"(the last band starts at {BAND_EDGES_HZ[-1]:.0f} Hz); use >= 12 kHz")
    w = np.stack([(freqs >= lo) & (freqs < hi) for lo, hi in zip(edges, edges[1:], strict=False)])
    return w / w.sum(1, keepdims=True)


def interpolate_lf0(f0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Continuous log F0 and the V/UV flag from an F0 track with zeros when unvoiced.

    Args:
        f0: ``(frames,)`` Hz, 0 where unvoiced.

    Returns:
        ``(lf0, vuv)``, both ``(frames,)``; an all-unvoiced track gets log(100 Hz).
    """
    vuv = (f0 > 0).astype(np.float32)
    if not vuv.any():
        return np.full(f0.shape, np.log(100.0), np.float32), vuv
    idx = np.flatnonzero(vuv)
    lf0 = np.interp(np.arange(len(f0)), idx, np.log(f0[idx]))
    return lf0.astype(np.float32), vuv


def analyze(wave: np.ndarray, conf: VocoderConfig) -> np.ndarray:
    """Vocoder features of a waveform at ``conf.sample_rate``.

    Args:
        wave: ``(samples,)`` float audio in [-1, 1] at ``conf.sample_rate``.

    Returns:
        ``(frames, 49)`` float32 features (layout in the module doc).
    """
    sptk, pw = pysptk, pyworld
    sr = conf.sample_rate
    x = np.ascontiguousarray(wave, dtype=np.float64)
    if x.size < sr * conf.frame_period / 1000 * 4:
        raise UserError(f"audio of {x.size} samples is too short to analyse (needs 4 frames)")
    if conf.f0_method == "harvest":
        f0, t = pw.harvest(x, sr, conf.f0_floor, conf.f0_ceil, conf.frame_period)
    else:
        f0, t = pw.dio(x, sr, conf.f0_floor, conf.f0_ceil, frame_period=conf.frame_period)
        f0 = pw.stonemask(x, f0, t, sr)
    sp = pw.cheaptrick(x, f0, t, sr)
    ap = pw.d4c(x, f0, t, sr)
    mc = sptk.sp2mc(sp, N_MCEP - 1, conf.all_pass())
    bands = 20 * np.log10(np.clip(ap, 1e-6, 1.0)) @ band_matrix(sr, (sp.shape[1] - 1) * 2).T
    lf0, vuv = interpolate_lf0(f0)
    return np.concatenate([mc, lf0[:, None], vuv[:, None], bands], 1).astype(np.float32)


def mc2sp(mc: np.ndarray, alpha: float, n_fft: int) -> np.ndarray:
    """Power spectra ``(frames, n_fft // 2 + 1)`` of mel-cepstra ``(frames, order + 1)``.

    Vectorised equivalent of ``pysptk.mc2sp``: ``log |H| = sum_m c_m cos(m w~)``
    at the all-pass-warped frequencies ``w~`` of the FFT bins.
    """
    w = np.linspace(0, np.pi, n_fft // 2 + 1)
    warped = w + 2 * np.arctan(alpha * np.sin(w) / (1 - alpha * np.cos(w)))
    basis = np.cos(np.outer(np.arange(mc.shape[1]), warped))
    return np.exp(2 * (np.asarray(mc, np.float64) @ basis))


def postfilter(mc: np.ndarray, alpha: float, beta: float, n_fft: int = 1024) -> np.ndarray:
    """Cepstral-domain postfilter keeping each frame's energy (module doc).

    Args:
        mc: ``(frames, order + 1)`` mel-cepstra.
        n_fft: FFT size of the power spectra the energies are measured on.
    """
    if beta <= 0:
        return mc
    mc = np.asarray(mc, dtype=np.float64)
    w = np.ones(mc.shape[1])
    w[2:] += beta
    out = np.ascontiguousarray(mc * w)
    e0 = mc2sp(mc, alpha, n_fft).mean(1)
    e1 = mc2sp(out, alpha, n_fft).mean(1)
    out[:, 0] += 0.5 * np.log(np.maximum(e0, 1e-20) / np.maximum(e1, 1e-20))
    return out


def decode_bands(bands: np.ndarray, sample_rate: int, n_fft: int) -> np.ndarray:
    """Band aperiodicities ``(frames, 7)`` dB -> full aperiodicity ``(frames, bins)`` ratio."""
    edges = [*BAND_EDGES_HZ, sample_rate / 2]
    centres = np.array([(lo + hi) / 2 for lo, hi in zip(edges, edges[1:], strict=False)])
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    db = np.stack([np.interp(freqs, centres, b) for b in bands])
    return np.clip(10 ** (db / 20), 1e-6, 1.0)


def synthesize(feats: np.ndarray, conf: VocoderConfig, postfilter_beta: float | None = None,
               vuv_threshold: float | None = None) -> np.ndarray:
    """Waveform from ``(frames, 49)`` features (generated or analysed).

    Args:
        feats: ``(frames, 49)``; V/UV above the threshold is voiced.
        postfilter_beta: overrides ``conf.postfilter_beta`` (0: no postfilter).
        vuv_threshold: overrides ``conf.vuv_threshold``.

    Returns:
        ``(samples,)`` float32 audio at ``conf.sample_rate``.
    """
    pw = pyworld
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[1] != DIM:
        raise UserError(f"vocoder features must be (frames, {DIM}), got {feats.shape}")
    sr, alpha = conf.sample_rate, conf.all_pass()
    n_fft = fft_size(sr)
    beta = conf.postfilter_beta if postfilter_beta is None else postfilter_beta
    mc = postfilter(feats[:, :N_MCEP], alpha, beta, n_fft)
    sp = mc2sp(mc, alpha, n_fft)
    threshold = conf.vuv_threshold if vuv_threshold is None else vuv_threshold
    f0 = np.where(feats[:, VUV] > threshold, np.exp(feats[:, LF0]), 0.0)
    ap = decode_bands(feats[:, BAP], sr, n_fft)
    y = pw.synthesize(np.ascontiguousarray(f0), np.ascontiguousarray(sp),
                      np.ascontiguousarray(ap), sr, conf.frame_period)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def copy_synthesis_mcd(wave: np.ndarray, conf: VocoderConfig) -> dict[str, float]:
    """Analyse, resynthesize (no postfilter), analyse again and compare: the vocoder ceiling."""
    ref = analyze(wave, conf)
    hyp = analyze(synthesize(ref, conf, postfilter_beta=0.0), conf)
    return acoustic_scores(ref, hyp)
