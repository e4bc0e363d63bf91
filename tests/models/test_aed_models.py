"""AST and DATAR: shapes, few-step training, pretraining, deformable attention, MACs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolkit.aed.data import patch_mask
from toolkit.models.complexity import count_macs
from toolkit.registry import build_model

SMALL_DATAR = {"n_mels": 32, "target_frames": 64, "n_classes": 4, "dims": [8, 16, 16, 32],
               "heads": [1, 2, 2, 4], "stage_spec": [["L"], ["L"], ["D"], ["D"]],
               "groups": [1, 1, 1, 2], "drop_path": 0.0}
SMALL_AST = {"n_mels": 32, "target_frames": 64, "n_classes": 4, "size": "custom",
             "embed_dim": 32, "depth": 2, "heads": 2}


def _model(name: str, **conf):
    torch.manual_seed(0)
    base = SMALL_DATAR if name == "datar" else SMALL_AST
    return build_model("aed", {"name": name, "conf": {**base, **conf}})


@pytest.mark.parametrize("name", ["ast", "datar"])
@pytest.mark.parametrize("frames", [64, 50, 130, 5])
def test_output_shape_for_any_length(name, frames):
    m = _model(name).eval()
    assert m(torch.randn(2, frames, 32)).shape == (2, 4)


def _train_steps(model, steps=12, lr=3e-3):
    torch.manual_seed(1)
    x = torch.randn(8, 64, 32)
    y = torch.arange(8) % 4
    x[torch.arange(8), :, y * 8] += 3.0  # a learnable cue: one loud band per class
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name,conf", [
    ("ast", {}), ("ast", {"fstride": 16, "tstride": 16}),
    ("datar", {}), ("datar", {"deformable": False, "adaptor": "none"}),
    ("datar", {"adaptor": "gaussian"}), ("datar", {"adaptor": "laplacian"}),
    ("datar", {"adaptor_lambda": 0.2})])
def test_a_few_training_steps_reduce_the_loss(name, conf):
    losses = _train_steps(_model(name, **conf))
    assert losses[-1] < 0.7 * losses[0], losses


@pytest.mark.parametrize("name", ["ast", "datar"])
def test_masked_patch_pretraining_learns(name):
    m = _model(name)
    torch.manual_seed(2)
    t = torch.linspace(0, 6.28, 64)
    x = torch.sin(t[None, :, None] * torch.arange(1, 33)[None, None]).repeat(4, 1, 1)
    m.norm.set_stats(torch.zeros(32), torch.ones(32))
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    mask_in = torch.from_numpy(np.stack([patch_mask(64, 32, 8, 0.5, np.random.default_rng(i))
                                         for i in range(4)]))
    losses = []
    for _ in range(15):
        rec, spec, mask = m(x, mask=mask_in)
        assert rec.shape == spec.shape == mask.shape and mask.dtype == torch.bool
        assert 0.3 < mask.float().mean() < 0.8
        loss = ((rec - spec) ** 2)[mask].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses


def test_deformable_points_stay_within_s_cells_and_ablation_keeps_the_grid():
    from toolkit.models.deformable_attention import DeformableAttention, _ref_points

    attn = DeformableAttention(16, 2, (8, 16), groups=2, stride=2, offset_range=1.5)
    with torch.no_grad():
        for p in attn.offset_net.parameters():
            p.normal_(0, 5.0)  # saturate tanh
    q = torch.randn(3, 8 * 16, 16)
    pos = attn.sample_points(q, 8, 16)
    ref = _ref_points(4, 8, q.device, q.dtype)
    cells = (pos - ref).abs() / torch.tensor([2 / 4, 2 / 8])
    assert pos.shape == (6, 4, 8, 2)
    assert cells.max() <= 1.5 + 1e-5 and cells.max() > 1.0  # bounded by s, and used
    fixed = DeformableAttention(16, 2, (8, 16), groups=2, stride=2, deformable=False)
    assert not hasattr(fixed, "offset_net")
    torch.testing.assert_close(fixed.sample_points(q, 8, 16), ref.expand(6, 4, 8, 2))
    assert attn(q, hw=(8, 16)).shape == q.shape


def test_offset_generator_is_the_papers():
    from torch import nn

    from toolkit.models.deformable_attention import DeformableAttention

    net = DeformableAttention(32, 4, (4, 4), groups=2, stride=1).offset_net
    dw, act, pw = net
    assert dw.kernel_size == (5, 5) and dw.groups == dw.in_channels == 16
    assert isinstance(act, nn.GELU)
    assert pw.kernel_size == (1, 1) and pw.out_channels == 2 and pw.bias is None


def test_input_adaptor_equation_and_perturbations():
    from toolkit.models.aed_layers import InputAdaptor

    x = torch.randn(2, 1, 8, 12)
    a = InputAdaptor("learnable", lam=0.2)
    torch.testing.assert_close(a(x), x + 0.2 * a.conv(x))
    for mode in ("gaussian", "laplacian"):
        p = InputAdaptor(mode, scale=0.005)
        noise = p.train()(x) - x
        assert 0.002 < noise.std() < 0.012
        torch.testing.assert_close(p.eval()(x), x)  # no perturbation at inference


def test_laplacian_perturbation_is_finite_when_rand_returns_zero(monkeypatch):
    from toolkit.models.aed_layers import InputAdaptor

    monkeypatch.setattr(torch, "rand_like", lambda x: torch.zeros_like(x))
    out = InputAdaptor("laplacian", scale=0.005).train()(torch.zeros(1, 1, 4, 4))
    assert torch.isfinite(out).all()


def test_ast_sizes_and_macs_of_the_paper_setting():
    for size, (dim, depth) in {"tiny": (192, 12), "small": (384, 12)}.items():
        m = build_model("aed", {"name": "ast", "conf": {"size": size}})
        assert m.conf.embed_dim == dim and len(m.blocks) == depth
    # AST-base on a 1024-frame, 128-bin fbank: 12 x 101 patches; the paper reports 103.4 G
    m = build_model("aed", {"name": "ast", "conf": {"size": "base", "target_frames": 1024}})
    assert m.grid == (12, 101)
    tokens, d = 1 + 12 * 101, 768
    analytic = 12 * (tokens * 12 * d * d + 2 * tokens * tokens * d) + 12 * 101 * 256 * d
    macs = count_macs(m, (1, 1024, 128))
    assert abs(macs - analytic) / analytic < 0.01
    without_attention = count_macs(m, (1, 1024, 128), attention=False)
    attention = 12 * 2 * tokens * tokens * d
    assert abs(macs - without_attention - attention) / attention < 0.01
    assert 100e9 < without_attention < 106e9  # the paper: 103.4 G


def test_model_conf_errors():
    with pytest.raises(ValueError, match="stage_spec"):
        _model("datar", stage_spec=[["L"], ["X"], ["D"], ["D"]])
    with pytest.raises(ValueError, match="heads"):
        _model("datar", heads=[1, 2])
    with pytest.raises(ValueError, match="size"):
        _model("ast", size="huge")
