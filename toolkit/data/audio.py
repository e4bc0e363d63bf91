"""Audio input and output with checks that name the file.

Reads whatever libsndfile reads (wav, flac, ogg/vorbis, opus, mp3 with
libsndfile >= 1.1) and falls back to librosa/audioread for other formats.
Kaldi-style pipe entries (``"sox in.wav -t wav - |"``) are run and their
standard output decoded. Every problem raises :class:`~toolkit.errors.AudioError`
whose message starts with the file: unreadable or corrupt, empty, NaN or Inf
samples, wrong sample rate, unexpected channel count, too short.

Arrays are float32 ``(channels, samples)``; :func:`load_mono` returns
``(samples,)``.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.errors import AudioError


@dataclass
class AudioInfo:
    """Header information of an audio file."""

    sample_rate: int
    frames: int
    channels: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _is_pipe(spec: str) -> bool:
    return spec.rstrip().endswith("|")


def _run_pipe(spec: str) -> bytes:
    """Run a Kaldi pipe entry; its stdin is /dev/null so a command reading stdin cannot hang."""
    cmd = spec.rstrip()[:-1]
    if not cmd.strip():
        raise AudioError(f"{spec!r}: an empty pipe command")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(f"{spec}: command failed ({err[-1] if err else proc.returncode})")
    return proc.stdout


def _check_file(spec: str) -> None:
    """A readable regular file, or an AudioError saying what the path is instead."""
    path = Path(spec)
    if path.is_file():
        return
    if path.is_dir():
        raise AudioError(f"{spec}: is a directory, not an audio file")
    if path.is_symlink():
        raise AudioError(f"{spec}: a broken or looping symbolic link")
    raise AudioError(f"{spec}: no such file")


def audio_info(spec: str | Path) -> AudioInfo:
    """Sample rate, frames and channels from the header (pipes are decoded)."""
    import soundfile as sf

    spec = str(spec)
    if _is_pipe(spec):
        data = _run_pipe(spec)
        try:
            info = sf.info(io.BytesIO(data))
        except Exception:
            raise AudioError(f"{spec}: the command's output is not audio") from None
        return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels))
    _check_file(spec)
    try:
        info = sf.info(spec)
        return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels))
    except Exception as e:  # libsndfile cannot parse it: try the slow path
        x, sr = _read_fallback(spec, _reason(e))
        return AudioInfo(sr, x.shape[1], x.shape[0])


def _reason(e: Exception) -> str:
    """libsndfile's own words for a file it cannot open (the part after the last colon)."""
    return str(e).split(":")[-1].strip()


def _read_fallback(spec: str, first_error: str = "") -> tuple[np.ndarray, int]:
    """Decode with librosa/audioread (formats libsndfile lacks)."""
    import warnings

    try:
        import librosa

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, sr = librosa.load(spec, sr=None, mono=False)
    except Exception as e:
        reason = first_error or (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise AudioError(f"{spec}: not a readable audio file ({reason}); give a wav, flac, "
                         "ogg or mp3 file") from None
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    return x, int(sr)


def _read(spec: str, offset: float, duration: float | None) -> tuple[np.ndarray, int]:
    import soundfile as sf

    if _is_pipe(spec):
        src: io.BytesIO | str = io.BytesIO(_run_pipe(spec))
    else:
        _check_file(spec)
        src = spec
    try:
        with sf.SoundFile(src) as f:
            sr = int(f.samplerate)
            start = int(round(offset * sr))
            if start:
                f.seek(min(start, f.frames))
            n = -1 if duration is None else int(round(duration * sr))
            x = f.read(n, dtype="float32", always_2d=True).T
        return np.ascontiguousarray(x), sr
    except Exception as e:
        if isinstance(src, io.BytesIO):
            raise AudioError(f"{spec}: the command's output is not audio") from None
        x, sr = _read_fallback(spec, _reason(e))
        start = int(round(offset * sr))
        end = None if duration is None else start + int(round(duration * sr))
        return x[:, start:end], sr


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample along the last axis with soxr (high quality).

    Args:
        x: ``(..., samples)`` float array.
    """
    if sr_in == sr_out:
        return x
    import soxr

    flat = x.reshape(-1, x.shape[-1]).T  # soxr wants (samples, channels)
    y = soxr.resample(np.ascontiguousarray(flat), sr_in, sr_out, quality="HQ")
    y = np.asarray(y, dtype=np.float32).reshape(-1, flat.shape[1]).T
    return y.reshape(*x.shape[:-1], -1)


def load_audio(
    spec: str | Path,
    sample_rate: int | None = None,
    resample_to_rate: bool = True,
    channels: int | None = None,
    channel: int | None = None,
    mono: bool = False,
    min_duration: float = 0.0,
    offset: float = 0.0,
    duration: float | None = None,
    allow_silent: bool = True,
) -> tuple[np.ndarray, int]:
    """Load audio as float32 ``(channels, samples)`` with checks.

    Args:
        spec: a file path or a Kaldi pipe (``"cmd |"``).
        sample_rate: wanted rate; resampled when ``resample_to_rate``, else an error.
        resample_to_rate: resample instead of failing on another rate.
        channels: the channel count the file must have (error otherwise).
        channel: keep only this channel (0-based); result has one channel.
        mono: average the channels; result has one channel.
        min_duration: seconds the audio must last at least (after cutting).
        offset: start time in seconds; ``duration`` limits the length.
        allow_silent: if false, an all-zero signal is an error.

    Returns:
        ``(audio, sample_rate)``; audio is ``(channels, samples)`` float32.

    Raises:
        AudioError: with the file name and what is wrong.
    """
    spec = str(spec)
    x, sr = _read(spec, offset, duration)
    if x.size == 0:
        raise AudioError(f"{spec}: empty audio (0 samples)")
    if not np.isfinite(x).all():
        raise AudioError(f"{spec}: contains NaN or Inf samples")
    if channels is not None and x.shape[0] != channels:
        raise AudioError(f"{spec}: has {x.shape[0]} channel(s), expected {channels}")
    if channel is not None:
        if not -x.shape[0] <= channel < x.shape[0]:
            raise AudioError(f"{spec}: has {x.shape[0]} channel(s), no channel {channel}")
        x = x[channel : channel + 1] if channel >= 0 else x[[channel]]
    elif mono and x.shape[0] > 1:
        x = x.mean(axis=0, keepdims=True)
    if sample_rate is not None and sr != sample_rate:
        if not resample_to_rate:
            raise AudioError(f"{spec}: sample rate {sr} Hz, expected {sample_rate} Hz")
        x, sr = resample(x, sr, sample_rate), sample_rate
    if x.shape[1] < min_duration * sr:
        raise AudioError(f"{spec}: {x.shape[1] / sr:.3f} s long, shorter than the "
                         f"{min_duration:g} s this needs")
    if not allow_silent and not np.any(x):
        raise AudioError(f"{spec}: is silent (all samples are zero)")
    return x, sr


def load_mono(spec: str | Path, sample_rate: int | None = None, **kwargs) -> tuple[np.ndarray, int]:
    """Load and downmix to one channel: ``(samples,)`` float32."""
    x, sr = load_audio(spec, sample_rate=sample_rate, mono=True, **kwargs)
    return x[0], sr


SUBTYPES = {".wav": "PCM_16", ".flac": "PCM_16", ".ogg": "VORBIS"}


def save_audio(path: str | Path, x: np.ndarray, sample_rate: int, subtype: str | None = None,
               clip_warn: bool = True) -> Path:
    """Write audio atomically (temporary name, then rename).

    Args:
        path: destination; the format follows the extension (.wav, .flac, .ogg).
        x: ``(samples,)`` or ``(channels, samples)`` float array in [-1, 1].
        sample_rate: in Hz.
        subtype: libsndfile subtype (default PCM_16 for wav/flac; FLOAT keeps
            values beyond [-1, 1]).
    """
    import logging

    import soundfile as sf

    from toolkit.fsutil import atomic_file

    path = Path(path)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x.T
    elif x.ndim != 1:
        raise ValueError(f"audio must be 1-D or (channels, samples), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: refusing to write NaN or Inf samples")
    subtype = subtype or SUBTYPES.get(path.suffix.lower())
    if subtype and subtype.startswith("PCM"):
        peak = float(np.abs(x).max()) if x.size else 0.0
        if peak > 1.0:
            if clip_warn:
                logging.getLogger(__name__).warning("%s: peak %.2f > 1, clipped", path, peak)
            x = np.clip(x, -1.0, 1.0)
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}.get(path.suffix.lower())
    if fmt is None:
        raise AudioError(f"{path}: cannot write this format; use .wav, .flac or .ogg")
    with atomic_file(path) as tmp:
        sf.write(str(tmp), x, sample_rate, subtype=subtype, format=fmt)
    return path
