"""Enhancement of arrays, files and data directories (behind ``sptk-cli enhance`` and decode).

Long inputs run in chunks of ``CHUNK_SECONDS`` cross-faded over
``OVERLAP_SECONDS`` (:func:`toolkit.dsp.ola.process_chunked`), so memory does
not grow with the input's length; files are read and written chunk by chunk.
Every channel is enhanced on its own (the channels of a chunk go through the
model as one batch) and written back in place, so stereo stays stereo. Inputs at
other rates are resampled to the model's rate and back, chunk by chunk (the
resampler's edges fall inside the cross-faded overlap).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from toolkit.data.audio import load_mono, resample, save_audio
from toolkit.data.datadir import DataDir
from toolkit.dsp.ola import process_chunked
from toolkit.errors import AudioError, UserError
from toolkit.fsutil import atomic_file
from toolkit.progress import Progress
from toolkit.train.packing import default_model_dir, load_model_dir

CHUNK_SECONDS = 30.0
OVERLAP_SECONDS = 1.0
MIN_SECONDS = 0.032  # one 512-point STFT frame at 16 kHz
PROGRESS_SECONDS = 60.0  # files longer than this show a progress bar


def load_enhancer(model_dir: str | Path | None, device: str = "cpu") -> tuple[Any, Any]:
    """``(cfg, model)`` of a packed model or experiment directory (default: the shipped one).

    Raises:
        UserError: the directory holds another task's model.
    """
    path = model_dir or default_model_dir("se")
    task, cfg, model = load_model_dir(path, device)
    if task.name != "se":
        raise UserError(f"--model {path} is a '{task.name}' model, not a speech enhancement "
                        "(se) model")
    return cfg, model.eval()


def _run(model: Any, x: np.ndarray, device: str) -> dict[str, np.ndarray]:
    """One chunk ``(channels, samples)`` at the model's rate -> speech and noise, same shape."""
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(device))
    return {k: out[k].float().cpu().numpy() for k in ("speech", "noise")}


def enhance_array(model: Any, x: np.ndarray, device: str = "cpu",
                  chunk_s: float = CHUNK_SECONDS, sample_rate: int = 16000,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Enhance a waveform at the model's rate, in cross-faded chunks.

    Args:
        model: an se model (``speech`` and ``noise`` outputs).
        x: ``(samples,)`` or ``(channels, samples)`` float at ``sample_rate``.
        chunk_s: chunk length in seconds (memory bound).

    Returns:
        (speech, noise), each shaped like ``x``, float32.
    """
    xs = np.atleast_2d(np.asarray(x, np.float32))
    parts: dict[str, list[np.ndarray]] = {"speech": [], "noise": []}
    # chunks start on the model's STFT frame grid, so they see the frames one pass sees
    hop = getattr(getattr(getattr(model, "module", model), "conf", None), "hop", 1)
    overlap = max(int(OVERLAP_SECONDS * sample_rate) // hop, 1) * hop
    chunk = max(int(chunk_s * sample_rate) // hop * hop, 2 * overlap)
    process_chunked(lambda s, n: xs[:, s:s + n], xs.shape[-1], lambda c: _run(model, c, device),
                    lambda b: [parts[k].append(v) for k, v in b.items()], chunk, overlap)
    s, n = (np.concatenate(parts[k], axis=-1) for k in ("speech", "noise"))
    return (s[0], n[0]) if np.ndim(x) == 1 else (s, n)


def _open(src: Path) -> sf.SoundFile:
    try:
        return sf.SoundFile(str(src))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise AudioError(f"{src}: cannot read audio ({e}); give a wav, flac, ogg or mp3 "
                         "file") from None


def enhance_file(model: Any, src: str | Path, dst: str | Path, device: str = "cpu",
                 noise_dst: str | Path | None = None, sample_rate: int = 16000,
                 chunk_s: float = CHUNK_SECONDS) -> dict[str, float]:
    """Enhance one audio file into ``dst`` (same rate and channels), streamed in chunks.

    Args:
        model: an se model at ``sample_rate``.
        src: input audio file (any rate, any number of channels).
        dst: output file (written through a temporary name: never half-written).
        noise_dst: also write the noise estimate here.
        chunk_s: chunk length in seconds of input (memory bound).

    Returns:
        ``seconds`` of audio, ``channels``, ``spent`` seconds of processing.

    Raises:
        AudioError: unreadable, or shorter than ``MIN_SECONDS``.
    """
    src = Path(src)
    with _open(src) as f:
        sr, total, channels = f.samplerate, f.frames, f.channels
        if total < MIN_SECONDS * sr:
            raise AudioError(f"{src}: {total} sample(s) ({total / sr:.4f} s) is too short to "
                             f"enhance; give at least {MIN_SECONDS * 1000:g} ms of audio")

        def read(start: int, n: int) -> np.ndarray:
            f.seek(start)
            return f.read(n, dtype="float32", always_2d=True).T

        def fn(chunk: np.ndarray) -> dict[str, np.ndarray]:
            out = _run(model, resample(chunk, sr, sample_rate), device)
            return {k: _fit(resample(v, sample_rate, sr), chunk.shape[-1])
                    for k, v in out.items()}

        t0 = time.perf_counter()
        targets = {"speech": Path(dst), **({"noise": Path(noise_dst)} if noise_dst else {})}
        with _writers(targets, sr, channels) as writers, \
                Progress(f"enhancing {src.name}", total, "samples",
                         bar=None if total > PROGRESS_SECONDS * sr else False) as bar:
            grid = getattr(getattr(model, "conf", None), "hop", 1) if sr == sample_rate else 1
            overlap = max(int(OVERLAP_SECONDS * sr) // grid, 1) * grid
            chunk = max(int(chunk_s * sr) // grid * grid, 2 * overlap)
            process_chunked(read, total, fn,
                            lambda b: [w.write(np.clip(b[k], -1, 1).T)
                                       for k, w in writers.items()],
                            chunk, overlap, bar.update)
    return {"seconds": total / sr, "channels": channels, "spent": time.perf_counter() - t0}


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    """Pad or cut the last axis to ``n`` samples (resampling may be off by one)."""
    if y.shape[-1] >= n:
        return y[..., :n]
    return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n - y.shape[-1])])


class _writers:  # noqa: N801 - a context manager used like a function
    """Open one sound file per target through temporary names; publish all on success."""

    def __init__(self, targets: dict[str, Path], sr: int, channels: int):
        self.targets, self.sr, self.channels = targets, sr, channels
        self.stack: list[Any] = []

    def __enter__(self) -> dict[str, sf.SoundFile]:
        files = {}
        for key, path in self.targets.items():
            ctx = atomic_file(path)
            tmp = ctx.__enter__()
            self.stack.append(ctx)
            files[key] = sf.SoundFile(str(tmp), "w", self.sr, self.channels,
                                      format=_format(path))
            self.stack.append(files[key])
        return files

    def __exit__(self, *exc) -> bool:
        for obj in reversed(self.stack):
            if isinstance(obj, sf.SoundFile):
                obj.close()
            else:
                obj.__exit__(*exc)
        return False


def _format(path: Path) -> str:
    fmt = path.suffix.lstrip(".").upper() or "WAV"
    if fmt not in sf.available_formats():
        raise UserError(f"{path}: cannot write '{path.suffix}' files; use .wav or .flac")
    return fmt


def decode_datadir(model: Any, cfg: Any, data_dir: Path, out_dir: Path, keys: list[str],
                   device: str) -> dict[str, dict[str, str]]:
    """Enhance ``keys`` of a data directory; returns the output's ``wav.scp`` and ``noise.scp``."""
    d = DataDir(data_dir)
    speech, noise = {}, {}
    audio = Path(out_dir) / "audio"
    sr = cfg.data.sample_rate
    for key in keys:
        path, offset, duration = d.audio_spec(key)
        x, _ = load_mono(path, sr, offset=offset, duration=duration)
        s, n = enhance_array(model, x, device, sample_rate=sr)
        speech[key] = str(save_audio(audio / f"{key}.wav", s, sr, subtype="FLOAT"))
        noise[key] = str(save_audio(audio / f"{key}.noise.wav", n, sr, subtype="FLOAT"))
    return {"wav.scp": speech, "noise.scp": noise}
