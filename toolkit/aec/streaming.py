"""Frame-by-frame echo cancellation: the PyTorch streamer and the ONNX host loop.

Both take 10-ms blocks (160 samples at 16 kHz) of the microphone and the far
end and return 160 output samples, one block late (the 20-ms window of frame
``t`` needs block ``t + 1``); :meth:`flush` returns the last block.

- :class:`AecStreamer` runs the model's ``step`` in PyTorch (batch norms folded);
- :class:`NlmsStreamer` is the classical canceller (online GCC-PHAT alignment
  + PBFDAF, ``cancel-echo --method nlms``) behind the same interface;
- :class:`OnnxAecStreamer` is the host loop a real-time application writes,
  in numpy around the exported step (``sptk-cli export-onnx``) under
  onnxruntime. Everything it needs is in the ONNX file's metadata
  (:data:`toolkit.models.aec_onnx.METADATA`)::

      frames = zeros(2, win)                       # mic, far: previous + new block
      frames[:, :hop] = frames[:, hop:]; frames[:, hop:] = mic_block, far_block
      spec = rfft(frames * sqrt(hann_periodic(win)))           # (2, win/2 + 1)
      feat = log10(|spec[:, :160]|^2 + 1e-9)                   # "feature"
      mask, [delay,] *state = session.run(mic=feat[0:1], far=feat[1:2], *state)
      y = irfft(spec[0] * mask[0]) * window                    # (win,)
      out = ola + y[:hop]; ola = y[hop:]                       # the output block

  :func:`stream_onnx` runs it over whole signals (tested against PyTorch).
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import torch

from toolkit.dsp.adaptive import Pbfdaf
from toolkit.dsp.delay import OnlineGccPhat
from toolkit.errors import AudioError, UserError
from toolkit.models.aec_blocks import HOP, WIN, fold_batchnorm, log_power, sqrt_hann
from toolkit.models.aec_onnx import FORMAT


class AecStreamer:
    """Frame-by-frame echo cancellation in PyTorch with the model's state kept between calls.

    Args:
        model: a CRUSE-family model (``init_state``, ``step``); an inference copy is
            made with the batch norms folded, the caller's model is kept.
    """

    def __init__(self, model: torch.nn.Module):
        self.model = fold_batchnorm(model)
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


class OnnxAecStreamer:
    """The numpy + onnxruntime host loop around an exported step (see the module doc).

    Args:
        path: ONNX file written by :func:`toolkit.models.aec_onnx.export_step`.
        threads: onnxruntime intra-op threads (1: a real-time audio thread).

    Raises:
        UserError: the file cannot be loaded or lacks the metadata of this format.
    """

    def __init__(self, path, threads: int = 1):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), opts,
                                                providers=["CPUExecutionProvider"])
        except Exception as e:
            raise UserError(f"{path}: onnxruntime cannot load it ({e}); export the model "
                            "with 'sptk-cli export-onnx'") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("format") != FORMAT:
            raise UserError(f"{path}: not an exported echo-canceller step (metadata format "
                            f"{meta.get('format')!r}, expected {FORMAT!r}); re-export it "
                            "with 'sptk-cli export-onnx'")
        self.meta = meta
        self.sample_rate, self.hop, self.win = (int(meta[k]) for k in ("sample_rate", "hop",
                                                                         "win"))
        self.bins = int(meta["feature_bins"])
        self.window = np.sqrt(np.hanning(self.win + 1)[:-1]).astype(np.float32)
        ins = self.session.get_inputs()
        self.state_names = [i.name for i in ins if i.name.startswith("state")]
        self.state_shapes = [[int(d) for d in i.shape] for i in ins if i.name.startswith("state")]
        self.n_out = len(self.session.get_outputs()) - len(self.state_names)
        self.reset()

    def reset(self) -> None:
        """Forget everything (start of a new call)."""
        self.state = [np.zeros(s, np.float32) for s in self.state_shapes]
        self.frames = np.zeros((2, self.win), np.float32)
        self.ola = np.zeros(self.hop, np.float32)
        self.last_dist: np.ndarray | None = None

    def process(self, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        """One block: ``mic, far (hop,)`` -> ``(hop,)`` output (one block late)."""
        hop, f = self.hop, self.frames
        if len(mic) != hop or len(far) != hop:
            raise AudioError(f"streaming blocks must be {hop} samples")
        f[:, :hop] = f[:, hop:]
        f[0, hop:], f[1, hop:] = mic, far
        spec = np.fft.rfft(f * self.window, n=self.win)
        s = spec[:, : self.bins]
        feat = np.log10(s.real ** 2 + s.imag ** 2 + 1e-9).astype(np.float32)
        feeds = {"mic": feat[:1], "far": feat[1:]}
        feeds.update(zip(self.state_names, self.state, strict=True))
        res = self.session.run(None, feeds)
        self.state = res[self.n_out:]
        self.last_dist = res[1][0] if self.n_out > 1 else None
        y = np.fft.irfft(spec[0] * res[0][0], n=self.win).astype(np.float32) * self.window
        out = self.ola + y[:hop]
        self.ola = y[hop:]
        return out

    def flush(self) -> np.ndarray:
        """The held-back last block (call once at the end, with no more input)."""
        return self.process(np.zeros(self.hop, np.float32), np.zeros(self.hop, np.float32))


class NlmsStreamer:
    """Online GCC-PHAT alignment + PBFDAF, block by block (equal to the whole-signal
    ``pbfdaf(mic, align(mic, far, "gcc_online", max_delay)[0])``, one block late).

    Args:
        max_delay: largest far-end delay in samples at 16 kHz (1 s).
        margin: samples the far end is delayed less than the estimate (as in
            :func:`toolkit.dsp.delay.align`), so taps before the echo peak stay causal.
    """

    def __init__(self, max_delay: int = 16000, margin: int = 48):
        self.max_delay, self.margin = max_delay, margin
        self.reset()

    def reset(self) -> None:
        """Forget everything (start of a new call)."""
        self.gcc = OnlineGccPhat(self.max_delay, HOP)
        self.canceller = Pbfdaf(HOP)
        self.far = np.zeros(self.max_delay + HOP)  # far-end history, newest last
        self.pending = np.zeros(HOP, np.float32)

    def process(self, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        """One block: ``mic, far (hop,)`` -> ``(hop,)`` output (one block late)."""
        if len(mic) != HOP or len(far) != HOP:
            raise AudioError(f"streaming blocks must be {HOP} samples")
        shift = max(self.gcc.push(mic, far) - self.margin, 0)
        self.far = np.concatenate([self.far[HOP:], far])
        n = len(self.far)
        e = self.canceller.process(mic, self.far[n - HOP - shift: n - shift])
        out, self.pending = self.pending, e.astype(np.float32)
        return out

    def flush(self) -> np.ndarray:
        """The held-back last block (call once at the end, with no more input)."""
        out, self.pending = self.pending, np.zeros(HOP, np.float32)
        return out


def run_streamer(streamer: AecStreamer | OnnxAecStreamer | NlmsStreamer, mic: np.ndarray,
                 far: np.ndarray) -> np.ndarray:
    """Run a streamer over whole 16-kHz signals; the output is re-aligned to the input."""
    n = len(mic)
    pad = (-n) % HOP
    mic, far = np.pad(mic, (0, pad)), np.pad(far, (0, pad))
    out = [streamer.process(mic[i:i + HOP], far[i:i + HOP]) for i in range(0, len(mic), HOP)]
    out.append(streamer.flush())
    return np.concatenate(out)[HOP: HOP + n]


def stream_signal(model: torch.nn.Module, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
    """:class:`AecStreamer` over whole signals (equal to offline processing)."""
    return run_streamer(AecStreamer(model), mic, far)


def stream_onnx(path, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
    """:class:`OnnxAecStreamer` over whole signals (equal to :func:`stream_signal`)."""
    return run_streamer(OnnxAecStreamer(path), mic, far)
