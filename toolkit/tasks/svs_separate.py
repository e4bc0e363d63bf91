"""Singing voice separation with a mask model: spectrograms, patches, reconstruction.

The model sees the paper's representation: the mixture downmixed to mono,
resampled to 8192 Hz, STFT with a 1024-sample Hann window and hop 768, the
lowest 512 bins, patches of 128 frames, each patch divided by its maximum so
that magnitudes lie in [0, 1]. Masks of overlapping patches are averaged
with a Hann weight.

Two reconstructions (the issue asks to compare them):

- ``lowrate`` (the paper): mask x mixture magnitude with the mixture phase on
  the 8192 Hz STFT, inverse STFT, resampled back to the input rate; mono, and
  nothing above 4096 Hz survives.
- ``fullrate``: the mask interpolated linearly in time and frequency onto an
  STFT of every input channel at the input rate (window of the same duration,
  125 ms, hop a quarter of it); above the model's top bin (4088 Hz) the mask
  of each frame is the mean of its top ``high_band_bins`` bins. The outputs
  keep the input's sample rate and channels.

Long inputs are processed in chunks (``chunk_seconds``, with
``overlap_seconds`` of overlap whose middle half is cross-faded), so memory
stays bounded on hour-long files: :func:`separate_file` reads, separates and
writes one chunk at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from toolkit.errors import AudioError, UserError

log = logging.getLogger(__name__)
STEMS = {"vocals": 0, "accompaniment": 1}


@dataclass
class SpecConfig:
    """The model's input representation (the ``features:`` section of the config).

    Attributes:
        sample_rate: the model's rate (8192 Hz in the paper).
        n_fft: STFT window and FFT size at that rate.
        hop_length: STFT hop.
        freq_bins: bins fed to the model (the lowest ones; 512 of 513 in the paper).
        patch_frames: frames per patch (128, about 11.9 s).
    """

    sample_rate: int = 8192
    n_fft: int = 1024
    hop_length: int = 768
    freq_bins: int = 512
    patch_frames: int = 128

    @property
    def patch_samples(self) -> int:
        """Samples at ``sample_rate`` whose centred STFT has exactly ``patch_frames`` frames."""
        return (self.patch_frames - 1) * self.hop_length

    @property
    def patch_seconds(self) -> float:
        return self.patch_samples / self.sample_rate


@dataclass
class SeparateConfig:
    """Inference settings (the ``decode:`` section of the config).

    Attributes:
        reconstruction: fullrate | lowrate (see the module doc).
        patch_hop: frames between patch starts (overlap = patch_frames - patch_hop).
        batch_size: patches per forward pass.
        high_band_bins: top model bins whose mean mask extends the mask above them.
        chunk_seconds: audio separated at once by :func:`separate_file`.
        overlap_seconds: overlap of consecutive chunks.
    """

    reconstruction: str = "fullrate"
    patch_hop: int = 64
    batch_size: int = 4
    high_band_bins: int = 64
    chunk_seconds: float = 60.0
    overlap_seconds: float = 4.0


def stft(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """Centred Hann STFT: (..., samples) -> complex (..., n_fft // 2 + 1, frames)."""
    win = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    return torch.stft(x, n_fft, hop, window=win, center=True, return_complex=True)


def istft(spec: torch.Tensor, n_fft: int, hop: int, length: int) -> torch.Tensor:
    """Inverse of :func:`stft` with the output cut or padded to ``length`` samples."""
    win = torch.hann_window(n_fft, device=spec.device)
    covered = hop * (spec.shape[-1] - 1)  # what the frames reach (center=True)
    y = torch.istft(spec, n_fft, hop, window=win, center=True, length=min(length, covered))
    return torch.nn.functional.pad(y, (0, length - y.shape[-1]))


def model_input(mono: torch.Tensor, spec: SpecConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Complex STFT (bins, frames) and the model's magnitudes (freq_bins, frames)."""
    z = stft(mono, spec.n_fft, spec.hop_length)
    return z, z[: spec.freq_bins].abs()


def predict_masks(model: torch.nn.Module, mag: torch.Tensor, spec: SpecConfig,
                  sep: SeparateConfig, device: str = "cpu") -> torch.Tensor:
    """Masks of a whole spectrogram from overlapping, individually normalised patches.

    Args:
        model: maps (batch, freq_bins, patch_frames) to (batch, 2, freq_bins, patch_frames).
        mag: (freq_bins, frames) mixture magnitudes.

    Returns:
        (2, freq_bins, frames) masks (vocals, accompaniment), Hann-weighted averages.
    """
    p = spec.patch_frames
    frames = mag.shape[1]
    padded = torch.nn.functional.pad(mag, (0, max(p - frames, 0)))
    total = padded.shape[1]
    hop = max(1, min(sep.patch_hop, p))
    starts = list(range(0, total - p + 1, hop))
    if starts[-1] + p < total:
        starts.append(total - p)
    weight = torch.hann_window(p, periodic=False) + 1e-3
    acc = torch.zeros(2, spec.freq_bins, total)
    norm = torch.zeros(total)
    with torch.no_grad():
        for b in range(0, len(starts), sep.batch_size):
            group = starts[b: b + sep.batch_size]
            x = torch.stack([padded[:, s: s + p] for s in group])
            scale = x.amax(dim=(1, 2), keepdim=True).clamp_min(1e-8)
            masks = model((x / scale).to(device)).float().cpu()
            for s, m in zip(group, masks, strict=True):
                acc[:, :, s: s + p] += m * weight
                norm[s: s + p] += weight
    return (acc / norm)[:, :, :frames]


def _lerp_index(pos: np.ndarray, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    pos = np.clip(pos, 0, size - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, size - 1)
    return torch.from_numpy(i0), torch.from_numpy(i1), torch.from_numpy(pos - i0).float()


def fullrate_masks(masks: torch.Tensor, spec: SpecConfig, sep: SeparateConfig, sr: int,
                   n_fft: int, hop: int, frames: int) -> torch.Tensor:
    """Interpolate low-rate masks onto a full-rate STFT grid.

    Args:
        masks: (2, freq_bins, low_frames) from :func:`predict_masks`.
        sr, n_fft, hop: the full-rate STFT.
        frames: frames of the full-rate STFT.

    Returns:
        (2, n_fft // 2 + 1, frames) masks.
    """
    low_frames = masks.shape[2]
    t_pos = np.arange(frames) * (hop / sr) / (spec.hop_length / spec.sample_rate)
    i0, i1, w = _lerp_index(t_pos, low_frames)
    m = masks[:, :, i0] * (1 - w) + masks[:, :, i1] * w
    top = m[:, -min(sep.high_band_bins, spec.freq_bins):].mean(dim=1, keepdim=True)
    m = torch.cat([m, top], dim=1)  # index freq_bins: the value above the model's band
    bin_hz = spec.sample_rate / spec.n_fft
    f_pos = np.arange(n_fft // 2 + 1) * (sr / n_fft) / bin_hz
    f_pos = np.minimum(f_pos, spec.freq_bins)
    j0, j1, v = _lerp_index(f_pos, spec.freq_bins + 1)
    return m[:, j0] * (1 - v[:, None]) + m[:, j1] * v[:, None]


def fullrate_stft_size(sr: int, spec: SpecConfig) -> tuple[int, int]:
    """(n_fft, hop) at rate ``sr``: the model's window duration, hop a quarter of it."""
    n_fft = max(16, 2 * round(spec.n_fft * sr / spec.sample_rate / 2))
    return n_fft, n_fft // 4


def separate_array(model: torch.nn.Module, audio: np.ndarray, sr: int, spec: SpecConfig,
                   sep: SeparateConfig, reconstructions: tuple[str, ...] = ("fullrate",),
                   device: str = "cpu") -> dict[str, np.ndarray]:
    """Separate one excerpt held in memory.

    Args:
        audio: (channels, samples) float at ``sr`` Hz.
        reconstructions: any of ``fullrate`` and ``lowrate``.

    Returns:
        ``{"<recon>": (2, channels, samples)}``: vocals then accompaniment; lowrate
        outputs have one channel.
    """
    from toolkit.data.audio import resample

    x = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    n = x.shape[1]
    mono = torch.from_numpy(resample(audio.mean(axis=0), sr, spec.sample_rate).copy())
    # Pad by one window so that the frames cover the end with room to spare: with hop 768
    # and a 1024 window the overlap-add envelope (sum of squared windows) falls towards 0
    # after the last frame centre, and dividing a masked (inconsistent) STFT by it there
    # gives huge samples (an oracle mask scored -7 dB SDR on a MIR-1K clip, +10.7 padded).
    mono = torch.nn.functional.pad(mono, (0, spec.n_fft))
    z_low, mag = model_input(mono, spec)
    masks = predict_masks(model, mag, spec, sep, device)
    out = {}
    if "lowrate" in reconstructions:
        m = torch.cat([masks, masks[:, -1:]], dim=1)
        m = torch.nn.functional.pad(m, (0, 0, 0, z_low.shape[0] - m.shape[1]), mode="replicate")
        y = istft(m * z_low, spec.n_fft, spec.hop_length, mono.shape[0]).numpy()
        y = resample(y, spec.sample_rate, sr)
        y = np.pad(y, ((0, 0), (0, max(0, n - y.shape[1]))))[:, :n]
        out["lowrate"] = y[:, None, :].astype(np.float32)
    if "fullrate" in reconstructions:
        n_fft, hop = fullrate_stft_size(sr, spec)
        z = stft(torch.nn.functional.pad(x, (0, n_fft)), n_fft, hop)  # (channels, bins, frames)
        m = fullrate_masks(masks, spec, sep, sr, n_fft, hop, z.shape[2])
        y = istft((m[:, None] * z[None]).reshape(-1, *z.shape[1:]), n_fft, hop, n + n_fft)
        out["fullrate"] = y[:, :n].reshape(2, x.shape[0], n).numpy().astype(np.float32)
    return out


def _fades(overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-in over the middle half of ``overlap`` samples (0 before, 1 after); its complement."""
    q = overlap // 4
    ramp = np.sin(0.5 * np.pi * np.linspace(0, 1, overlap - 2 * q, endpoint=False)) ** 2
    fade_in = np.concatenate([np.zeros(q), ramp, np.ones(q)]).astype(np.float32)
    return fade_in, 1 - fade_in


def separate_stream(read: Callable[[int, int], np.ndarray], total: int, sr: int,
                    model: torch.nn.Module, spec: SpecConfig, sep: SeparateConfig,
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
    fade_in, fade_out = _fades(overlap)
    pending: dict[str, np.ndarray] = {}
    pos = 0
    while pos < total:
        n = min(chunk, total - pos)
        ys = separate_array(model, read(pos, n), sr, spec, sep, recons, device)
        last = pos + n >= total
        for r, y in ys.items():
            if pos > 0:
                y[..., :overlap] *= fade_in
                y[..., :overlap] += pending[r]
            if not last:
                y[..., n - overlap:] *= fade_out
                pending[r] = y[..., n - overlap:].copy()
        if last:
            write(ys)
            break
        write({r: y[..., : n - overlap] for r, y in ys.items()})
        pos += n - overlap
        if progress:
            progress(pos)
    if progress:
        progress(total)


def separate_file(model: torch.nn.Module, path: str | Path, out_dir: str | Path,
                  spec: SpecConfig, sep: SeparateConfig, stems: list[str],
                  device: str = "cpu", pad_short: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Separate an audio file into ``out_dir/<stem>.wav``, one chunk in memory at a time.

    Files libsndfile can seek in (wav, flac, ogg, mp3 ...) are streamed; others
    are decoded whole through librosa first. Outputs keep the input's sample
    rate and channels (``fullrate``) or are mono (``lowrate``), as 16-bit WAV,
    written under temporary names and renamed when complete.

    Raises:
        AudioError: unreadable, silent, or shorter than one patch (unless ``pad_short``).
    """
    import soundfile as sf

    from toolkit.data.audio import audio_info, load_audio
    from toolkit.fsutil import atomic_file

    path = str(path)
    info = audio_info(path)
    sr, total = info.sample_rate, info.frames
    if total == 0:
        raise AudioError(f"{path}: empty audio (0 samples)")
    if total / sr < spec.patch_seconds and not pad_short:
        raise AudioError(f"{path}: {total / sr:.2f} s long, shorter than one model patch "
                         f"({spec.patch_seconds:.2f} s); pass --pad to zero-pad it")
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

    if not np.any(read(0, min(total, 30 * sr))) and not _any_sound(read, total, sr):
        raise AudioError(f"{path}: is silent (all samples are zero); nothing to separate")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    channels = info.channels if sep.reconstruction == "fullrate" else 1
    finals = {s: out_dir / f"{s}.wav" for s in stems}
    with _Outputs(finals, sr, channels, atomic_file) as outs:
        def write(ys: dict[str, np.ndarray]) -> None:
            for s in stems:
                outs[s].write(np.clip(ys[sep.reconstruction][STEMS[s]], -1, 1).T)
        separate_stream(read, total, sr, model, spec, sep, write, (sep.reconstruction,), device,
                        (lambda done: progress(done, total)) if progress else None)
    if handle is not None:
        handle.close()
    return finals


def _any_sound(read: Callable[[int, int], np.ndarray], total: int, sr: int) -> bool:
    step = 60 * sr
    return any(np.any(read(s, step)) for s in range(0, total, step))


class _Outputs:
    """Open one WAV writer per stem on temporary names; rename all on success."""

    def __init__(self, finals: dict[str, Path], sr: int, channels: int, atomic_file):
        self.finals, self.sr, self.channels, self.atomic_file = finals, sr, channels, atomic_file
        self.ctx, self.files = [], {}

    def __enter__(self) -> dict:
        import soundfile as sf

        for stem, final in self.finals.items():
            ctx = self.atomic_file(final)
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
