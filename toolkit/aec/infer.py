"""Echo cancellation inference: the library behind ``sptk-cli cancel-echo``.

- :func:`cancel_echo_file` reads a microphone and a far-end file at any sample
  rate (both at the same one), resamples to the model's 16 kHz, cancels the
  echo and writes the output at the input rate, in memory bounded independently
  of the length: offline, the model runs on chunks of ``chunk_s`` seconds that
  share ``overlap_s`` seconds, cross-faded (:func:`toolkit.dsp.ola.process_chunked`);
  streaming, a frame-by-frame streamer (:mod:`toolkit.aec.streaming`) runs over
  blocks read one after the other, with streaming resamplers; the classical
  canceller (``--method nlms``) is such a streamer too. A silent far end
  (nothing to cancel) passes the microphone through with a warning.
- :func:`cancel_echo_array` does the same on arrays in memory.
- :func:`enhance` runs a model on one whole 16-kHz clip (the recipe's decode);
  :func:`delay_from_distribution` turns Align-CRUSE's delay distribution into
  one delay estimate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch

from toolkit.aec.delay_track import far_active
from toolkit.aec.streaming import AecStreamer, NlmsStreamer, OnnxAecStreamer
from toolkit.data.audio import SUBTYPES
from toolkit.dsp.ola import process_array, process_chunked
from toolkit.errors import AudioError, UserError
from toolkit.fsutil import atomic_file
from toolkit.models.aec_blocks import HOP, SR_HZ, istft, log_power, stft
from toolkit.train.packing import load_model_dir

log = logging.getLogger(__name__)
SR = SR_HZ
#: Offline chunking: seconds per model call and seconds two calls share.
CHUNK_S, OVERLAP_S = 20.0, 4.0
#: A far end whose samples all stay below this is silent (-100 dBFS).
SILENT = 1e-5
Streamer = AecStreamer | OnnxAecStreamer | NlmsStreamer


@dataclass
class Pair:
    """A microphone file and its far end: sample rate and lengths (frames)."""

    mic: Path
    ref: Path
    rate: int
    mic_frames: int
    ref_frames: int


def check_pair(mic_path: str | Path, ref_path: str | Path) -> Pair:
    """Header checks a user needs: both readable, mono, one sample rate.

    Raises:
        AudioError: a missing or unreadable file, several channels or two rates.
    """
    infos = {}
    for role, path in (("mic", mic_path), ("ref", ref_path)):
        try:
            info = sf.info(str(path))
        except (sf.LibsndfileError, RuntimeError, OSError) as e:
            missing = not Path(path).is_file()
            raise AudioError(f"{path}: {'no such file' if missing else 'cannot read it'} "
                             f"({'give the ' + role + ' signal' if missing else e})") from None
        if info.channels != 1:
            raise AudioError(f"{path}: has {info.channels} channels; the {role} signal must be "
                             "mono (extract one channel first, e.g. sox IN OUT remix 1)")
        infos[role] = info
    m, r = infos["mic"], infos["ref"]
    if m.samplerate != r.samplerate:
        raise AudioError(f"{mic_path} is {m.samplerate} Hz but {ref_path} is {r.samplerate} "
                         "Hz; give both at one rate (any rate: the model resamples)")
    if m.frames != r.frames:
        log.warning("%s has %d samples but %s has %d; the reference is %s to the microphone's "
                    "length", ref_path, r.frames, mic_path, m.frames,
                    "zero-padded" if r.frames < m.frames else "cut")
    return Pair(Path(mic_path), Path(ref_path), m.samplerate, m.frames, r.frames)


def far_end_silent(ref_path: str | Path, frames: int, block: int = 1 << 16) -> bool:
    """Whether the first ``frames`` samples of the far end all stay below :data:`SILENT`."""
    with sf.SoundFile(str(ref_path)) as f:
        done = 0
        while done < frames:
            x = f.read(min(block, frames - done), dtype="float32")
            if not len(x):
                break
            if np.abs(x).max() >= SILENT:
                return False
            done += len(x)
    return True


def load_aec_model(path: str | Path, device: str = "cpu") -> torch.nn.Module:
    """An echo-cancellation model in eval mode (an error for a model of another task)."""
    task, _, model = load_model_dir(path, device)
    if task.name != "aec":
        raise UserError(f"{path} is a '{task.name}' model; cancel-echo needs an echo-cancellation "
                        "(aec) model: leave --model out for the shipped one")
    return model


@torch.no_grad()
def enhance(model: torch.nn.Module, mic: np.ndarray, far: np.ndarray, device: str = "cpu"
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Offline echo cancellation of one whole 16-kHz clip.

    Returns:
        ``(enhanced (samples,), delay distribution (frames, d_max) or None)``.
    """
    m = torch.from_numpy(np.asarray(mic, np.float32))[None].to(device)
    f = torch.from_numpy(np.asarray(far, np.float32))[None].to(device)
    spec = stft(m)
    mask, dist = model(log_power(spec), log_power(stft(f)))
    y = istft(spec * mask, m.shape[-1])[0].cpu().numpy()
    return y, (dist[0].cpu().numpy() if dist is not None else None)


def delay_from_distribution(dist: np.ndarray, far: np.ndarray | None = None) -> float:
    """Delay (seconds) at the peak of the time-averaged delay distribution.

    Frames where the far end is more than 40 dB below its loudest frame are
    left out (there the distribution carries no information).
    """
    weights = np.ones(len(dist))
    if far is not None:
        active = far_active(far, len(dist), min_dbfs=-np.inf)
        if active.any():
            weights = active.astype(float)
    return float(np.argmax((dist * weights[:, None]).sum(0)) * HOP / SR_HZ)


def _resample(x: np.ndarray, sr_in: int, sr_out: int, n: int | None = None) -> np.ndarray:
    """``x (channels, samples)`` at ``sr_out``, cut or zero-padded to ``n`` samples."""
    y = x if sr_in == sr_out else soxr.resample(np.ascontiguousarray(x.T), sr_in, sr_out).T
    y = np.asarray(y, np.float32).reshape(x.shape[0], -1)
    return y if n is None else np.pad(y[:, :n], ((0, 0), (0, max(0, n - y.shape[1]))))


def _offline_fn(model: torch.nn.Module, rate: int, device: str):
    """``(2, n)`` mic + far chunk at ``rate`` -> ``(n,)`` output at ``rate``."""
    def fn(chunk: np.ndarray) -> np.ndarray:
        x = _resample(chunk, rate, SR)
        y, _ = enhance(model, x[0], x[1], device)
        return _resample(y[None], SR, rate, chunk.shape[-1])[0]
    return fn


class _StreamEngine:
    """A streamer behind streaming resamplers: blocks at ``rate`` in, blocks at ``rate`` out."""

    def __init__(self, streamer: Streamer, rate: int):
        streamer.reset()
        self.s, self.rate = streamer, rate
        self.rin = soxr.ResampleStream(rate, SR, 2, dtype="float32") if rate != SR else None
        self.rout = soxr.ResampleStream(SR, rate, 1, dtype="float32") if rate != SR else None
        self.buf = np.zeros((2, 0), np.float32)
        self.skip = HOP  # the streamer's output is one block late

    def _run(self, x16: np.ndarray, last: bool = False) -> np.ndarray:
        buf = np.concatenate([self.buf, x16], axis=1)
        if last and buf.shape[1] % HOP:
            buf = np.pad(buf, ((0, 0), (0, HOP - buf.shape[1] % HOP)))
        k = buf.shape[1] // HOP * HOP
        out = [self.s.process(buf[0, i:i + HOP], buf[1, i:i + HOP]) for i in range(0, k, HOP)]
        if last:
            out.append(self.s.flush())
        self.buf = buf[:, k:]
        y = np.concatenate(out) if out else np.zeros(0, np.float32)
        cut = min(self.skip, len(y))
        self.skip -= cut
        return y[cut:]

    def feed(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        """``x (2, n)`` at ``rate`` -> the output samples now ready at ``rate``."""
        x = np.asarray(x, np.float32)
        x16 = x if self.rin is None else self.rin.resample_chunk(
            np.ascontiguousarray(x.T), last=last).T
        y16 = self._run(np.asarray(x16, np.float32).reshape(2, -1), last)
        return y16 if self.rout is None else self.rout.resample_chunk(y16, last=last)


def cancel_echo_array(mic: np.ndarray, far: np.ndarray, rate: int,
                      model: torch.nn.Module | None = None, device: str = "cpu",
                      streamer: Streamer | None = None, chunk_s: float = CHUNK_S,
                      overlap_s: float = OVERLAP_S) -> np.ndarray:
    """Cancel the echo of ``far`` in ``mic`` (both ``(samples,)`` at ``rate``).

    Args:
        model: runs offline in chunks (when ``streamer`` is None).
        streamer: runs frame by frame instead (PyTorch or ONNX).
        chunk_s, overlap_s: seconds per offline chunk (memory bound) and seconds two
            chunks share (the first and last quarter are dropped, the middle cross-faded).

    Returns:
        ``(samples,)`` float32 at ``rate``; the microphone itself when the far end is silent.
    """
    mic = np.asarray(mic, np.float32)
    far = np.pad(np.asarray(far, np.float32), (0, max(0, len(mic) - len(far))))[: len(mic)]
    if np.abs(far).max(initial=0.0) < SILENT:
        log.warning("the far end is silent: no echo to cancel; the microphone passes through")
        return mic.copy()
    x = np.stack([mic, far])
    if streamer is not None:
        eng = _StreamEngine(streamer, rate)
        y = np.concatenate([eng.feed(x), eng.feed(np.zeros((2, 0)), last=True)])
        return np.pad(y[: len(mic)], (0, max(0, len(mic) - len(y))))
    if model is None:
        raise ValueError("give a model or a streamer")
    chunk, overlap = int(chunk_s * rate), int(overlap_s * rate)
    return process_array(x, _offline_fn(model, rate, device), chunk, overlap)


def cancel_echo_file(mic_path: str | Path, ref_path: str | Path, out_path: str | Path,
                     model: torch.nn.Module | None = None, device: str = "cpu",
                     streamer: Streamer | None = None, chunk_s: float = CHUNK_S,
                     overlap_s: float = OVERLAP_S, progress=None) -> dict:
    """Cancel the echo in a microphone file; write the output at its sample rate.

    Memory stays bounded by ``chunk_s`` (offline) or one block (streaming), whatever
    the length. The output is written under a temporary name and renamed at the end.

    Args:
        mic_path, ref_path: microphone and far-end files (mono, one sample rate).
        out_path: output file (format from the extension).
        model, device: the offline model and its device (when ``streamer`` is None).
        streamer: a frame-by-frame streamer instead of the offline model.
        chunk_s, overlap_s: seconds per offline chunk and seconds two chunks share.
        progress: ``progress(samples done)`` (optional).

    Returns:
        ``{"seconds", "rate", "passed_through"}``.
    """
    pair = check_pair(mic_path, ref_path)
    n, rate = pair.mic_frames, pair.rate
    silent = far_end_silent(ref_path, min(n, pair.ref_frames))
    if silent:
        log.warning("%s: the far end is silent: no echo to cancel; the microphone passes "
                    "through", ref_path)
    ext = Path(out_path).suffix.lower()
    with sf.SoundFile(str(mic_path)) as fm, sf.SoundFile(str(ref_path)) as fr, \
            atomic_file(out_path) as tmp, \
            sf.SoundFile(str(tmp), "w", rate, 1, subtype=SUBTYPES.get(ext)) as fo:
        def read(start: int, count: int) -> np.ndarray:
            fm.seek(start)
            m = fm.read(count, dtype="float32")
            r = np.zeros(count, np.float32)
            if start < pair.ref_frames:
                fr.seek(start)
                got = fr.read(min(count, pair.ref_frames - start), dtype="float32")
                r[: len(got)] = got
            return np.stack([m, r])

        def write(y: np.ndarray) -> None:
            fo.write(np.clip(y, -1.0, 1.0))

        if silent or n == 0:
            for start in range(0, n, 1 << 16):
                write(read(start, min(1 << 16, n - start))[0])
        elif streamer is not None:
            eng, done, block = _StreamEngine(streamer, rate), 0, max(rate // 2, 1)
            for start in range(0, n, block):
                y = eng.feed(read(start, min(block, n - start)))
                y = y[: n - done]
                write(y)
                done += len(y)
                if progress:
                    progress(min(start + block, n))
            y = eng.feed(np.zeros((2, 0)), last=True)[: n - done]
            write(np.pad(y, (0, n - done - len(y))))
        else:
            if model is None:
                raise ValueError("give a model or a streamer")
            process_chunked(read, n, _offline_fn(model, rate, device),
                            lambda b: write(b[""]), int(chunk_s * rate),
                            int(overlap_s * rate), progress)
    return {"seconds": n / rate, "rate": rate, "passed_through": silent}


def load_pair(mic_path: str | Path, ref_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Microphone and far end as float32 ``(samples,)`` at 16 kHz, same length (checked)."""
    pair = check_pair(mic_path, ref_path)
    mic = sf.read(str(mic_path), dtype="float32")[0]
    ref = sf.read(str(ref_path), dtype="float32")[0]
    ref = np.pad(ref, (0, max(0, len(mic) - len(ref))))[: len(mic)]
    x = _resample(np.stack([mic, ref]), pair.rate, SR)
    return x[0], x[1]
