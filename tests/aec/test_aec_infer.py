"""Inference in bounded memory at any rate, and the ONNX host loop against PyTorch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import cli_env
from toolkit.aec.infer import cancel_echo_array, cancel_echo_file, enhance
from toolkit.aec.streaming import OnnxAecStreamer, stream_onnx, stream_signal
from toolkit.models.aec_onnx import METADATA, export_step
from toolkit.models.align_cruse import AlignCruse


def _model() -> AlignCruse:
    torch.manual_seed(0)
    model = AlignCruse(AlignCruse.Conf(d_max=30, smooth=[3, 3])).eval()
    for m in model.modules():  # non-trivial folded batch norms
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return model


def _pair(seconds: float, rate: int = 16000, seed: int = 0):
    rng = np.random.default_rng(seed)
    far = (0.1 * rng.standard_normal(int(seconds * rate))).astype(np.float32)
    mic = (0.5 * np.roll(far, rate // 10) + 0.01 * rng.standard_normal(len(far)))
    return mic.astype(np.float32), far


def test_onnx_host_loop_equals_pytorch_and_carries_its_framing(tmp_path):
    model = _model()
    path = export_step(model, tmp_path / "step.onnx")
    meta = OnnxAecStreamer(path).meta
    assert {k: meta[k] for k in METADATA} == METADATA
    assert meta["sample_rate"] == "16000" and meta["hop"] == "160" and "log10" in meta["feature"]
    mic, far = _pair(1.0)
    ref = stream_signal(model, mic, far)
    assert np.abs(stream_onnx(path, mic, far) - ref).max() < 1e-4
    assert np.abs(enhance(model, mic, far)[0] - ref).max() < 1e-4  # streaming = offline


class _Recorder(torch.nn.Module):
    """The model, remembering the longest input (frames) it was given."""

    def __init__(self, model):
        super().__init__()
        self.model, self.longest = model, 0

    def forward(self, mic, far):
        self.longest = max(self.longest, mic.shape[-2])
        return self.model(mic, far)


def test_offline_inference_runs_in_chunks_at_the_input_rate(tmp_path):
    rec = _Recorder(_model())
    mic, far = _pair(12.0, 8000)
    sf.write(tmp_path / "m.wav", mic, 8000)
    sf.write(tmp_path / "f.wav", far, 8000)
    info = cancel_echo_file(tmp_path / "m.wav", tmp_path / "f.wav", tmp_path / "o.wav", rec,
                            chunk_s=3.0, overlap_s=1.0)
    assert rec.longest <= 3.0 * 100 + 2  # frames of one 3-s chunk, never the 12-s file
    y, sr = sf.read(tmp_path / "o.wav")
    assert sr == 8000 and len(y) == len(mic) and info["rate"] == 8000
    whole = cancel_echo_array(mic, far, 8000, rec, chunk_s=60.0)
    assert np.abs(y - whole).max() < 0.05  # chunking changes the output only slightly


def _peak_rss_mb(tmp_path, seconds: float, *options: str) -> float:
    """Peak RSS (MB) of ``cancel-echo`` on a ``seconds``-long pair in a child process."""
    mic, far = _pair(seconds)
    sf.write(tmp_path / "long_mic.wav", mic, 16000)
    sf.write(tmp_path / "long_lpb.wav", far, 16000)
    args = ["cancel-echo", str(tmp_path / "long_mic.wav"), *options, "-o", str(tmp_path / "o.wav")]
    code = ("import resource, subprocess, sys; subprocess.run([sys.executable, '-m', 'toolkit', "
            f"*{args!r}], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], env=cli_env(), capture_output=True,
                         text=True, check=True, timeout=3600)
    assert len(sf.read(tmp_path / "o.wav")[0]) == len(mic)
    return int(out.stdout.split()[-1]) / 1024


@pytest.mark.slow
def test_a_long_input_stays_in_bounded_memory(tmp_path):
    """Five minutes through the shipped model: peak RSS well under the 2.5 GB the whole-file
    forward pass needed (about 0.5 GB per minute)."""
    peak_mb = _peak_rss_mb(tmp_path, 300.0)
    assert peak_mb < 900, peak_mb


def test_the_classical_streamer_equals_the_whole_signal_canceller():
    """--method nlms runs block by block (constant memory) and matches the whole-signal
    online GCC-PHAT + PBFDAF of the recipe's nlms system, delay changes included."""
    from toolkit.aec.streaming import NlmsStreamer, run_streamer
    from toolkit.dsp.adaptive import pbfdaf
    from toolkit.dsp.delay import align

    mic, far = _pair(6.0)
    mic[48000:] = 0.5 * np.roll(far, 4000)[48000:]  # the delay jumps from 100 to 250 ms
    whole = pbfdaf(mic, align(mic, far, "gcc_online", 16000)[0])
    streamed = run_streamer(NlmsStreamer(), mic, far)
    assert streamed.shape == mic.shape
    assert np.abs(streamed - whole).max() < 1e-5
    assert np.mean(streamed[24000:48000] ** 2) < 0.1 * np.mean(mic[24000:48000] ** 2)  # cancelled


@pytest.mark.slow
def test_the_classical_canceller_stays_in_bounded_memory(tmp_path):
    """Ten minutes with --method nlms: the whole-file version held ~0.3 GB per 10 min in
    float64 copies; the streamer holds a few seconds."""
    peak_mb = _peak_rss_mb(tmp_path, 600.0, "--method", "nlms")
    assert peak_mb < 400, peak_mb
