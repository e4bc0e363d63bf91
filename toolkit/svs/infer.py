"""Singing voice separation with a mask model: ``separate_array`` and ``separate_file``.

The model sees the paper's representation: the mixture downmixed to mono,
resampled to 8192 Hz, STFT with a 1024-sample Hann window and hop 768, the
lowest 512 bins, patches of 128 frames, each patch divided by its maximum so
that magnitudes lie in [0, 1]. Masks of overlapping patches are averaged
with a Hann weight. Inputs shorter than one patch are zero-padded inside.

Two reconstructions:

- ``lowrate`` (the paper): mask x mixture magnitude with the mixture phase on
  the 8192 Hz STFT, inverse STFT, resampled back to the input rate; mono, and
  nothing above 4096 Hz survives.
- ``fullrate``: the mask interpolated linearly in time and frequency onto an
  STFT of every input channel at the input rate (a window of about the same
  duration, 125 ms, rounded to a fast FFT size; hop ``1 / decode.fullrate_overlap``
  of it); above the
  model's top bin (4088 Hz) the mask of each frame is the mean of its top
  ``high_band_bins`` bins. The outputs keep the input's sample rate and channels.
  With ``decode.normalize_masks`` the two masks are rescaled to sum to one and the
  accompaniment is the input minus the vocals.

Long inputs are processed in chunks (``chunk_seconds``, with ``overlap_seconds``
of overlap whose middle half is cross-faded, :mod:`toolkit.dsp.ola`), so memory
stays bounded on hour-long files: :func:`separate_file` reads, separates and
writes one chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from toolkit.data.audio import audio_info, load_audio, resample
from toolkit.dsp.ola import process_chunked
from toolkit.dsp.stft_np import istft, stft
from toolkit.errors import AudioError, UserError
from toolkit.fsutil import atomic_file
from toolkit.svs.config import SeparateConfig, SpecConfig

STEMS = {"vocals": 0, "accompaniment": 1}
#: A mask network as a numpy function: (batch, freq_bins, frames) float32 normalised
#: patches -> (batch, 2, freq_bins, frames) masks (vocals, accompaniment).
Masker = Callable[[np.ndarray], np.ndarray]


def as_masker(model: Any, device: str = "cpu") -> Masker:
    """A torch mask network as a :data:`Masker`; anything else (an
    :class:`toolkit.svs.onnx.OnnxMasker`, a function) is returned as it is."""
    if not hasattr(model, "parameters"):
        return model
    import torch

    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(x).to(device)).float().cpu().numpy()
    return run


def predict_masks(model: Any, mag: np.ndarray, spec: SpecConfig, sep: SeparateConfig,
                  device: str = "cpu") -> np.ndarray:
    """Masks of a whole spectrogram from overlapping, individually normalised patches.

    Args:
        model: a :data:`Masker` or a torch module mapping (batch, freq_bins,
            patch_frames) to (batch, 2, freq_bins, patch_frames).
        mag: (freq_bins, frames) mixture magnitudes.

    Returns:
        (2, freq_bins, frames) float32 masks (vocals, accompaniment), Hann-weighted averages.
    """
    net = as_masker(model, device)
    p = spec.patch_frames
    frames = mag.shape[1]
    padded = np.pad(np.asarray(mag, np.float32), ((0, 0), (0, max(p - frames, 0))))
    total = padded.shape[1]
    hop = max(1, min(sep.patch_hop, p))
    starts = list(range(0, total - p + 1, hop))
    if starts[-1] + p < total:
        starts.append(total - p)
    weight = (np.hanning(p) + 1e-3).astype(np.float32)
    acc = np.zeros((2, spec.freq_bins, total), np.float32)
    norm = np.zeros(total, np.float32)
    for b in range(0, len(starts), sep.batch_size):
        group = starts[b: b + sep.batch_size]
        x = np.stack([padded[:, s: s + p] for s in group])
        scale = np.maximum(x.max(axis=(1, 2), keepdims=True), 1e-8)
        masks = np.asarray(net(np.ascontiguousarray(x / scale)), np.float32)
        for s, m in zip(group, masks, strict=True):
            acc[:, :, s: s + p] += m * weight
            norm[s: s + p] += weight
    return (acc / norm)[:, :, :frames]


def _lerp_index(pos: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = np.clip(pos, 0, size - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, size - 1)
    return i0, i1, (pos - i0).astype(np.float32)


def band_masks(masks: np.ndarray, spec: SpecConfig, sep: SeparateConfig, sr: int,
               n_fft: int, hop: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Low-rate masks on a full-rate STFT grid, as the model's band and one value above it.

    Args:
        masks: (2, freq_bins, low_frames) from :func:`predict_masks`.
        sr, n_fft, hop: the full-rate STFT; frames: its frame count.

    Returns:
        ``(low (2, K, frames), top (2, 1, frames))``: the interpolated masks of the
        first K full-rate bins (those below the model's top bin) and the mask of
        every bin above them.
    """
    masks = np.asarray(masks, np.float32)
    t_pos = np.arange(frames) * (hop / sr) / (spec.hop_length / spec.sample_rate)
    i0, i1, w = _lerp_index(t_pos, masks.shape[2])
    m = masks[:, :, i0] * (1 - w) + masks[:, :, i1] * w
    top = m[:, -min(sep.high_band_bins, spec.freq_bins):].mean(axis=1, keepdims=True)
    m = np.concatenate([m, top], axis=1)  # index freq_bins: the value above the model's band
    f_pos = np.arange(n_fft // 2 + 1) * (sr / n_fft) / (spec.sample_rate / spec.n_fft)
    k = int(np.searchsorted(f_pos, spec.freq_bins))  # bins below the model's top
    j0, j1, v = _lerp_index(f_pos[:k], spec.freq_bins + 1)
    return m[:, j0] * (1 - v[:, None]) + m[:, j1] * v[:, None], top


def fullrate_masks(masks: np.ndarray, spec: SpecConfig, sep: SeparateConfig, sr: int,
                   n_fft: int, hop: int, frames: int) -> np.ndarray:
    """(2, n_fft // 2 + 1, frames) full-rate masks (see :func:`band_masks`)."""
    low, top = band_masks(masks, spec, sep, sr, n_fft, hop, frames)
    return np.concatenate([low, np.broadcast_to(top, (2, n_fft // 2 + 1 - low.shape[1],
                                                      frames))], axis=1)


def _fast_even(n: int) -> int:
    """The even 2^a 3^b 5^c nearest ``n`` (FFTs of such sizes are fast)."""
    best = 2
    for a in range(1, 20):
        for b in range(0, 12):
            for c in range(0, 9):
                m = 2 ** a * 3 ** b * 5 ** c
                if m > 2 * n:
                    break
                if abs(m - n) < abs(best - n) or (abs(m - n) == abs(best - n) and m > best):
                    best = m
    return best


def fullrate_stft_size(sr: int, spec: SpecConfig, overlap: int = 4) -> tuple[int, int]:
    """(n_fft, hop) at rate ``sr``: about the model's window duration, hop 1/``overlap`` of it."""
    if overlap < 2:
        raise UserError(f"decode.fullrate_overlap {overlap}: use 2 or more (window / hop)")
    n_fft = _fast_even(max(16, 2 * round(spec.n_fft * sr / spec.sample_rate / 2)))
    return n_fft, n_fft // overlap


def separate_array(model: Any, audio: np.ndarray, sr: int, spec: SpecConfig,
                   sep: SeparateConfig, reconstructions: tuple[str, ...] = ("fullrate",),
                   device: str = "cpu") -> dict[str, np.ndarray]:
    """Separate one excerpt held in memory (any length; short ones are padded inside).

    Args:
        model: a :data:`Masker` or a torch mask network (see :func:`predict_masks`).
        audio: (channels, samples) float at ``sr`` Hz.
        reconstructions: any of ``fullrate`` and ``lowrate``.

    Returns:
        ``{"<recon>": (2, channels, samples)}``: vocals then accompaniment; lowrate
        outputs have one channel.
    """
    x = np.ascontiguousarray(audio, dtype=np.float32)
    n = x.shape[1]
    mono = np.asarray(resample(x.mean(axis=0), sr, spec.sample_rate), np.float32)
    # Pad by one window so that the frames cover the end with room to spare: with hop 768
    # and a 1024 window the overlap-add envelope (sum of squared windows) falls towards 0
    # after the last frame centre, and dividing a masked (inconsistent) STFT by it there
    # gives huge samples (an oracle mask scored -7 dB SDR on a MIR-1K clip, +10.7 padded).
    mono = np.pad(mono, (0, spec.n_fft))
    z_low = stft(mono, spec.n_fft, spec.hop_length)
    masks = predict_masks(model, np.abs(z_low[: spec.freq_bins]), spec, sep, device)
    if sep.normalize_masks:
        v = masks[0] / np.maximum(masks[0] + masks[1], 1e-6)
        masks = np.stack([v, 1 - v])
    out = {}
    if "lowrate" in reconstructions:
        m = np.concatenate([masks, masks[:, -1:]], axis=1)
        m = np.pad(m, ((0, 0), (0, z_low.shape[0] - m.shape[1]), (0, 0)), mode="edge")
        y = istft(m * z_low, spec.n_fft, spec.hop_length, mono.shape[0])
        y = resample(y, spec.sample_rate, sr)
        y = np.pad(y, ((0, 0), (0, max(0, n - y.shape[1]))))[:, :n]
        out["lowrate"] = y[:, None, :].astype(np.float32)
    if "fullrate" in reconstructions:
        n_fft, hop = fullrate_stft_size(sr, spec, sep.fullrate_overlap)
        z = stft(np.pad(x, ((0, 0), (0, n_fft))), n_fft, hop)  # (channels, bins, frames)
        low, top = band_masks(masks, spec, sep, sr, n_fft, hop, z.shape[2])
        k = low.shape[1]
        y = np.empty((2, x.shape[0], n), dtype=np.float32)
        zs = np.empty_like(z)
        for s in range(1 if sep.normalize_masks else 2):  # one stem at a time: less memory
            np.multiply(z[:, :k], low[s], out=zs[:, :k])
            np.multiply(z[:, k:], top[s], out=zs[:, k:])
            y[s] = istft(zs, n_fft, hop, n + n_fft)[:, :n]
        if sep.normalize_masks:  # masks summing to one: the rest of the input
            y[1] = x - y[0]
        out["fullrate"] = y
    return out


def separate_stream(read: Callable[[int, int], np.ndarray], total: int, sr: int,
                    model: Any, spec: SpecConfig, sep: SeparateConfig,
                    write: Callable[[dict[str, np.ndarray]], None],
                    recons: tuple[str, ...] = ("fullrate",), device: str = "cpu",
                    progress: Callable[[int], None] | None = None) -> None:
    """Separate ``total`` samples read chunk by chunk; emit finished samples in order.

    Args:
        read: ``read(start, n)`` -> (channels, n) float32 samples.
        write: receives ``{recon: (2, channels, samples)}`` blocks that, in call
            order, cover samples 0..total.
        recons: reconstructions to produce (``fullrate``, ``lowrate``).
        progress: called with the number of input samples finished so far.
    """
    chunk = max(int(sep.chunk_seconds * sr), int(4 * sep.overlap_seconds * sr), 16)
    overlap = int(sep.overlap_seconds * sr)
    net = as_masker(model, device)
    process_chunked(read, total, lambda x: separate_array(net, x, sr, spec, sep, recons, device),
                    write, chunk, overlap, progress)


def separate_file(model: Any, path: str | Path, out_dir: str | Path,
                  spec: SpecConfig, sep: SeparateConfig, stems: list[str],
                  device: str = "cpu",
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Separate an audio file into ``out_dir/<stem>.wav``, one chunk in memory at a time.

    Files libsndfile can seek in (wav, flac, ogg, mp3 ...) are streamed; others
    are decoded whole through librosa first. Outputs keep the input's sample
    rate and channels (``fullrate``) or are mono (``lowrate``), as 16-bit WAV,
    written under temporary names and renamed when complete. Any length works
    (inputs shorter than a model patch are padded inside).

    Raises:
        AudioError: unreadable, empty, silent, or with NaN/Inf samples.
    """
    path = str(path)
    info = audio_info(path)
    sr, total = info.sample_rate, info.frames
    if total == 0:
        raise AudioError(f"{path}: empty audio (0 samples)")
    try:
        handle = sf.SoundFile(path)
    except Exception:  # libsndfile cannot read it: decode all of it once
        handle, whole = None, load_audio(path)[0]

    def read(start: int, n: int) -> np.ndarray:
        if handle is None:
            x = whole[:, start: start + n]
        else:
            handle.seek(start)
            x = handle.read(n, dtype="float32", always_2d=True).T
        if not np.isfinite(x).all():
            raise AudioError(f"{path}: contains NaN or Inf samples")
        return x

    try:
        if not np.any(read(0, min(total, 30 * sr))) and not _any_sound(read, total, sr):
            raise AudioError(f"{path}: is silent (all samples are zero); nothing to separate")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        channels = info.channels if sep.reconstruction == "fullrate" else 1
        finals = {s: out_dir / f"{s}.wav" for s in stems}
        with _Outputs(finals, sr, channels) as outs:
            def write(ys: dict[str, np.ndarray]) -> None:
                for s in stems:
                    outs[s].write(np.clip(ys[sep.reconstruction][STEMS[s]], -1, 1).T)
            separate_stream(read, total, sr, model, spec, sep, write, (sep.reconstruction,),
                            device, (lambda done: progress(done, total)) if progress else None)
    finally:
        if handle is not None:
            handle.close()
    return finals


def _any_sound(read: Callable[[int, int], np.ndarray], total: int, sr: int) -> bool:
    step = 60 * sr
    return any(np.any(read(s, step)) for s in range(0, total, step))


class _Outputs:
    """Open one WAV writer per stem on temporary names; rename all on success."""

    def __init__(self, finals: dict[str, Path], sr: int, channels: int):
        self.finals, self.sr, self.channels = finals, sr, channels
        self.ctx, self.files = [], {}

    def __enter__(self) -> dict:
        for stem, final in self.finals.items():
            ctx = atomic_file(final)
            tmp = ctx.__enter__()
            self.ctx.append(ctx)
            self.files[stem] = sf.SoundFile(str(tmp), "w", self.sr, self.channels,
                                            subtype="PCM_16", format="WAV")
        return self.files

    def __exit__(self, *exc) -> bool:
        for f in self.files.values():
            f.close()
        for ctx in self.ctx:
            ctx.__exit__(*exc)
        return False


def check_stems(text: str) -> list[str]:
    """Parse ``--stems vocals,accompaniment`` (one-line error for unknown names)."""
    stems = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in stems if s not in STEMS]
    if not stems or bad:
        raise UserError(f"--stems {text!r}: choose from {', '.join(STEMS)} (comma-separated)")
    return list(dict.fromkeys(stems))
