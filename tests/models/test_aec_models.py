"""CRUSE / Align-CRUSE: sizes, streaming = offline, custom autograd, loss, training, ONNX."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolkit.aec.config import AecConfig, AecLossConfig
from toolkit.aec.loss import complex_compressed_mse, prepare_batch
from toolkit.aec.task import TASK
from toolkit.models.aec_blocks import istft, n_params, stft
from toolkit.registry import build_model

NAMES = ("cruse", "align_cruse")
# Streaming variants: Align-CRUSE also with the score smoothing over (time, delay).
VARIANTS = ("cruse", "align_cruse", "align_cruse+smooth")


def make(name: str, **conf) -> torch.nn.Module:
    torch.manual_seed(0)
    if name.endswith("+smooth"):
        name, conf = name.split("+")[0], {**conf, "smooth": [5, 3]}
    return build_model("aec", {"name": name, "conf": conf})


def randomise_norms(model: torch.nn.Module) -> None:
    """Non-trivial batch-norm statistics, so eval mode is really exercised."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def test_parameter_counts_match_the_paper():
    # Paper: CRUSE 0.74M, Align-CRUSE 0.75M (Table 1).
    cruse, align = n_params(make("cruse")), n_params(make("align_cruse"))
    assert 0.70e6 < cruse < 0.75e6
    assert 0.745e6 < align < 0.76e6
    assert 0 < align - cruse < 0.05e6


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_mask_range(name):
    model = make(name).eval()
    mask, dist = model(torch.randn(2, 30, 160), torch.randn(2, 30, 160))
    assert mask.shape == (2, 30, 161)
    assert torch.all(mask >= 0) and torch.all(mask <= model.dec.mask.gain.item() + 1e-6)
    if name == "align_cruse":
        assert dist.shape == (2, 30, 100)
        assert torch.allclose(dist.sum(-1), torch.ones(2, 30), atol=1e-5)
    else:
        assert dist is None


@pytest.mark.parametrize("name", VARIANTS)
def test_step_equals_offline(name):
    model = make(name, **({"d_max": 20} if name.startswith("align") else {})).eval()
    randomise_norms(model)
    mic, far = torch.randn(2, 45, 160) - 3, torch.randn(2, 45, 160) - 3
    with torch.no_grad():
        mask, dist = model(mic, far)
        state, masks, dists = model.init_state(2), [], []
        for t in range(45):
            m, d, state = model.step(mic[:, t], far[:, t], state)
            masks.append(m)
            dists.append(d)
    assert torch.allclose(torch.stack(masks, 1), mask, atol=1e-5)
    if dist is not None:
        assert torch.allclose(torch.stack(dists, 1), dist, atol=1e-5)


@pytest.mark.parametrize("name", VARIANTS)
def test_streaming_api_equals_offline_processing(name):
    from toolkit.aec.infer import enhance
    from toolkit.aec.streaming import stream_signal

    model = make(name).eval()
    randomise_norms(model)
    rng = np.random.default_rng(0)
    far = (0.1 * rng.standard_normal(16000 + 77)).astype(np.float32)
    mic = (np.roll(far, 800) * 0.5 + 0.01 * rng.standard_normal(len(far))).astype(np.float32)
    offline, _ = enhance(model, mic, far)
    streamed = stream_signal(model, mic, far)
    assert streamed.shape == offline.shape == mic.shape
    assert np.abs(streamed - offline).max() < 1e-5
    assert np.abs(offline).max() > 1e-3  # not trivially zero


def test_stft_roundtrip_is_exact():
    x = torch.randn(2, 5000)
    assert torch.allclose(istft(stft(x), 5000), x, atol=1e-5)


def test_delay_weighted_sum_gradients():
    from toolkit.models.align_cruse import delay_weighted_sum

    x = torch.randn(2, 3, 9, dtype=torch.double, requires_grad=True)
    w = torch.softmax(torch.randn(2, 9, 4, dtype=torch.double), -1).requires_grad_()
    for block in (2, 4, 128):  # blocks that split the clip and one that does not
        def fn(x, w, block=block):
            return delay_weighted_sum(x, w, block)
        assert torch.autograd.gradcheck(fn, (x, w))
        # Reference: the unfolded sum it replaces.
        xp = torch.nn.functional.pad(x, (3, 0)).unfold(-1, 4, 1).flip(-1)  # (B, C, T, d)
        ref = (xp * w[:, None]).sum(-1)
        assert torch.allclose(fn(x, w), ref)


def test_align_block_finds_a_planted_delay():
    """With identity projections the distribution peaks at the delay between the inputs."""
    from toolkit.models.align_cruse import AlignBlock

    block = AlignBlock(40, 40, 40, d_max=10, pool=4)
    far = torch.randn(1, 4, 50, 40, generator=torch.Generator().manual_seed(0))
    centre = torch.nn.functional.max_pool2d(far, (1, 4)).mean()
    with torch.no_grad():
        for lin in (block.q, block.k):  # centred identity projections
            lin.weight.copy_(torch.eye(40) * 3)
            lin.bias.fill_(-3 * float(centre))
    mic = torch.nn.functional.pad(far, (0, 0, 6, 0))[:, :, :50]
    _, dist = block(mic, far)
    assert (dist[0, 10:].argmax(-1) == 6).float().mean() > 0.9


def test_loss_is_zero_only_for_equal_spectra():
    s = torch.randn(2, 10, 161, dtype=torch.cfloat)
    assert complex_compressed_mse(s, s) < 1e-8
    assert complex_compressed_mse(s * 0.5, s) > 1e-3
    assert complex_compressed_mse(s * 1j, s) > 1e-3  # the phase matters


@pytest.mark.parametrize("name", NAMES)
def test_a_few_training_steps_reduce_the_loss(name):
    torch.manual_seed(0)
    model = make(name)
    g = torch.Generator().manual_seed(0)
    near = torch.randn(2, 8000, generator=g) * 0.05
    far = torch.randn(2, 8000, generator=g) * 0.1
    mic = near + 0.5 * torch.nn.functional.pad(far, (320, 0))[:, :8000]
    batch = prepare_batch({"mic": mic, "far": far, "near": near}, AecConfig().loss)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        loss, _ = TASK.train_step(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize("name", VARIANTS)
def test_onnx_export_matches_pytorch(tmp_path, name):
    pytest.importorskip("onnx")
    from toolkit.models.aec_onnx import check_onnx, export_step

    model = make(name).eval()
    randomise_norms(model)
    path = export_step(model, tmp_path / "m.onnx")
    assert check_onnx(model, path, frames=40) < 1e-4


def _bursts(g: torch.Generator, b: int, n: int) -> torch.Tensor:
    """Coloured noise switched on and off every 50 ms: speech-like activity, no speech."""
    x = torch.nn.functional.conv1d(torch.randn(b, 1, n, generator=g),
                                   torch.randn(1, 1, 9, generator=g) / 3, padding=4)[:, 0]
    on = (torch.rand(b, n // 800, generator=g) > 0.4).float().repeat_interleave(800, -1)
    return 0.1 * x * on


def _pure_delay_batch(g: torch.Generator, b: int = 4, n: int = 16000, max_frames: int = 25):
    """Echo = the far end delayed by a whole number of frames; the near end is the same kind
    of signal, so only the reference (aligned) tells echo from near end."""
    far = _bursts(g, b, n)
    d = torch.randint(0, max_frames, (b,), generator=g)
    echo = torch.stack([torch.nn.functional.pad(far[i], (int(d[i]) * 160, 0))[:n]
                        for i in range(b)])
    near = 0.5 * _bursts(g, b, n) * (torch.rand(b, 1, generator=g) > 0.5)
    return {"mic": 0.5 * echo + near, "far": far, "near": near, "delay": d.float() / 100}


def test_align_cruse_learns_a_pure_delay():
    """A few dozen updates (with the auxiliary delay loss) put the argmax delay on the truth."""
    model = make("align_cruse+smooth", d_max=30)
    cfg = AecLossConfig(delay_weight=0.1)
    g = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    before = None
    for _ in range(80):
        loss, values = TASK.train_step(model, prepare_batch(_pure_delay_batch(g), cfg))
        before = values["delay_err_ms"] if before is None else before
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    batch = prepare_batch(_pure_delay_batch(torch.Generator().manual_seed(99), 8), cfg)
    _, values = TASK.train_step(model, batch)
    assert values["delay_hit"] >= 0.75, values
    assert values["delay_err_ms"] < before
