"""Echo cancellation inference: offline, streaming (10-ms frames), input checks, delay maps.

- :func:`load_pair` reads a microphone and a far-end file with the checks a
  user needs (same sample rate, mono, a non-silent reference; lengths are
  matched with a logged warning);
- :func:`enhance` runs a CRUSE-family model on whole signals (batch STFT);
- :class:`AecStreamer` runs the same model one 10-ms block at a time with its
  state kept between calls; its output is the offline output delayed by one
  hop (160 samples: the 20-ms window needs the next block), and
  :meth:`AecStreamer.flush` returns the last block;
- :func:`delay_from_distribution` turns Align-CRUSE's delay distribution into
  one delay estimate; :func:`plot_alignment` draws it over time (the paper's
  alignment map).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from toolkit.errors import AudioError
from toolkit.models.aec_blocks import HOP, SR_HZ, WIN, istft, log_power, sqrt_hann, stft

log = logging.getLogger(__name__)


def load_pair(mic_path: str | Path, ref_path: str | Path,
              sample_rate: int = SR_HZ) -> tuple[np.ndarray, np.ndarray]:
    """Microphone and far end as float32 ``(samples,)`` at ``sample_rate``, same length.

    Raises:
        AudioError: stereo input, different sample rates, a silent far end, or a
            rate other than ``sample_rate``.
    """
    from toolkit.data.audio import audio_info, load_audio

    infos = {}
    for role, path in (("mic", mic_path), ("ref", ref_path)):
        info = audio_info(str(path))
        if info.channels != 1:
            raise AudioError(f"{path}: has {info.channels} channels; the {role} signal must be "
                             "mono (extract one channel first, e.g. sox IN OUT remix 1)")
        infos[role] = info
    if infos["mic"].sample_rate != infos["ref"].sample_rate:
        raise AudioError(f"{mic_path} is {infos['mic'].sample_rate} Hz but {ref_path} is "
                         f"{infos['ref'].sample_rate} Hz; give both at {sample_rate} Hz")
    if infos["mic"].sample_rate != sample_rate:
        raise AudioError(f"{mic_path}: sample rate {infos['mic'].sample_rate} Hz; the model "
                         f"works at {sample_rate} Hz (resample both files first)")
    mic = load_audio(mic_path, channels=1)[0][0]
    ref = load_audio(ref_path, channels=1)[0][0]
    if not np.any(ref):
        raise AudioError(f"{ref_path}: the far-end reference is silent (all zeros); give the "
                         "signal played by the loudspeaker")
    if len(ref) != len(mic):
        log.warning("%s has %d samples but %s has %d; the reference is %s to the microphone's "
                    "length", ref_path, len(ref), mic_path, len(mic),
                    "zero-padded" if len(ref) < len(mic) else "cut")
        ref = np.pad(ref, (0, max(0, len(mic) - len(ref))))[: len(mic)]
    return mic.astype(np.float32), ref.astype(np.float32)


@torch.no_grad()
def enhance(model: torch.nn.Module, mic: np.ndarray, far: np.ndarray, device: str = "cpu"
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Offline echo cancellation of one clip.

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
        blocks = np.pad(far, (0, (-len(far)) % HOP)).reshape(-1, HOP)
        level = 10 * np.log10(np.mean(blocks**2, axis=1) + 1e-12)
        active = level > level.max() - 40
        n = min(len(active), len(dist))
        weights = np.zeros(len(dist))
        weights[:n] = active[:n]
        if not weights.any():
            weights[:] = 1
    return float(np.argmax((dist * weights[:, None]).sum(0)) * HOP / SR_HZ)


class AecStreamer:
    """Frame-by-frame echo cancellation with the model's state kept between calls.

    Args:
        model: a CRUSE-family model (``init_state``, ``step``).

    Each :meth:`process` call takes 160 new samples of the microphone and the
    far end and returns 160 output samples, delayed by 160 samples relative to
    the input (the output of block ``k`` completes when block ``k + 1`` is in).
    """

    def __init__(self, model: torch.nn.Module):
        from toolkit.models.aec_blocks import fold_batchnorm

        self.model = fold_batchnorm(model)  # an inference copy; the caller's model is kept
        self.window = sqrt_hann().numpy()
        self.reset()

    def reset(self) -> None:
        """Forget everything (start of a new call)."""
        self.state = self.model.init_state(1)
        self.frames = np.zeros((2, WIN), np.float32)  # mic, far: previous block, new block
        self.ola = np.zeros(HOP, np.float32)
        self.last_dist: np.ndarray | None = None

    @torch.no_grad()
    def process(self, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        """One 10-ms block: ``mic, far (160,)`` -> ``(160,)`` output (one block late)."""
        if len(mic) != HOP or len(far) != HOP:
            raise AudioError(f"streaming blocks must be {HOP} samples (10 ms at 16 kHz)")
        f = self.frames
        f[:, :HOP] = f[:, HOP:]
        f[0, HOP:], f[1, HOP:] = mic, far
        spec = torch.fft.rfft(torch.from_numpy(f * self.window), n=WIN)  # (2, 161)
        lp = log_power(spec)
        mask, dist, self.state = self.model.step(lp[:1], lp[1:], self.state)
        self.last_dist = dist[0].numpy() if dist is not None else None
        frame = torch.fft.irfft(spec[0] * mask[0], n=WIN).numpy() * self.window
        out = self.ola + frame[:HOP]
        self.ola = frame[HOP:]
        return out.astype(np.float32)

    def flush(self) -> np.ndarray:
        """The held-back last block (call once at the end, with no more input)."""
        return self.process(np.zeros(HOP, np.float32), np.zeros(HOP, np.float32))


def stream_signal(model: torch.nn.Module, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
    """Run :class:`AecStreamer` over whole signals; returns the output re-aligned to the input."""
    s = AecStreamer(model)
    n = len(mic)
    pad = (-n) % HOP
    mic, far = np.pad(mic, (0, pad)), np.pad(far, (0, pad))
    out = [s.process(mic[i:i + HOP], far[i:i + HOP]) for i in range(0, len(mic), HOP)]
    out.append(s.flush())
    return np.concatenate(out)[HOP: HOP + n]


def plot_alignment(dist: np.ndarray, out: str | Path, true_delay: float | None = None,
                   title: str = "") -> Path:
    """Save the delay distribution over time ``(frames, d_max)`` as a PNG image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.fsutil import atomic_file

    t = len(dist) * HOP / SR_HZ
    dmax = dist.shape[1] * HOP / SR_HZ * 1000
    fig, ax = plt.subplots(figsize=(8, 3.2))
    im = ax.imshow(dist.T, origin="lower", aspect="auto", extent=(0, t, 0, dmax), cmap="magma")
    if true_delay is not None:
        ax.axhline(true_delay * 1000, color="cyan", ls="--", lw=1, label="true delay")
        ax.legend(loc="upper right")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("delay (ms)")
    ax.set_title(title or "Align-CRUSE delay distribution")
    fig.colorbar(im, ax=ax, label="probability")
    fig.tight_layout()
    with atomic_file(out) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return Path(out)
