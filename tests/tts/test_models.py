"""MLMS, the single-speaker baseline and the duration model: shapes, learning, freezing."""

from __future__ import annotations

import pytest
import torch

from toolkit.errors import UserError
from toolkit.models.tts_blocks import RecurrentOutput, frame_dim, phone_dim
from toolkit.registry import build_model

SMALL = {"phone_slots": 8, "proj_dim": 16, "cells": 16, "lstm_proj": 8, "layers": 2,
         "proj_mode": "output"}


def mlms(**kw):
    conf = {**SMALL, "languages": ["en", "fr", "it"], "speakers": ["a", "b", "c"], "n_basis": 3,
            **kw}
    return build_model("tts", {"name": "mlms", "conf": conf})


def batch(in_dim: int, n: int = 4, t: int = 30, out: int = 49):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, t, in_dim, generator=g)
    y = torch.tanh(x[..., :out].cumsum(1) / 5) if in_dim >= out else torch.randn(n, t, out)
    return {"x": x, "y": y[..., :out], "mask": torch.ones(n, t),
            "lang": torch.tensor([0, 1, 2, 0][:n]), "spk": torch.tensor([0, 1, 2, 1][:n])}


def fit(model, b, steps: int = 30) -> tuple[float, float]:
    from toolkit.tts.loss import masked_mse

    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    first = float(masked_mse(model, b))
    for _ in range(steps):
        opt.zero_grad()
        masked_mse(model, b).backward()
        opt.step()
    return first, float(masked_mse(model, b))


def test_mlms_paper_sizes():
    m = mlms(**{"proj_dim": 256, "cells": 256, "lstm_proj": 128, "layers": 3, "n_basis": 6,
                "proj_mode": "recurrent"})
    assert m.mean.proj.out_features == 256 and m.mean.lstm.proj_size == 128
    assert m.mean.lstm.num_layers == 3 and m.mean.lstm.hidden_size == 256
    assert len(m.basis) == 6 and m.code.shape == (3, 6)
    out = m.spk_out[0]
    assert out.forward_proj.weight.shape == (49, 128) and out.recurrent.weight.shape == (49, 49)
    y = m(torch.randn(2, 7, frame_dim(8)), torch.tensor([0, 2]), torch.tensor([1, 2]))
    assert y.shape == (2, 7, 49)


def test_tower_projection_modes():
    from toolkit.models.tts_blocks import Tower

    x = torch.randn(2, 5, 10)
    for mode in ("recurrent", "output"):
        t = Tower(10, 16, 16, 8, 2, mode)
        assert t(x).shape == (2, 5, 8) and t.out_dim == 8
    with pytest.raises(UserError, match="proj_mode"):
        Tower(10, 16, 16, 8, 2, "sideways")


def test_tower_dropout_acts_in_training_only():
    from toolkit.models.tts_blocks import Tower

    x = torch.randn(2, 5, 10)
    for mode in ("recurrent", "output"):
        torch.manual_seed(0)
        plain = Tower(10, 16, 16, 8, 2, mode)
        torch.manual_seed(0)
        dropped = Tower(10, 16, 16, 8, 2, mode, dropout=0.5)
        assert not torch.allclose(dropped.train()(x), plain.train()(x))
        assert torch.allclose(dropped.eval()(x), plain.eval()(x))
    with pytest.raises(UserError, match="dropout"):
        Tower(10, 16, 16, 8, 2, "output", dropout=1.0)
    with pytest.raises(UserError, match="dropout"):
        Tower(10, 16, 16, 8, 2, "recurrent", dropout=1.5)
    assert mlms(dropout=0.2).mean.drop.p == 0.2


def test_recurrent_output_is_the_linear_recurrence():
    layer = RecurrentOutput(3, 2)
    torch.nn.init.normal_(layer.recurrent.weight)
    h = torch.randn(1, 5, 3)
    y = layer(h)[0]
    prev = torch.zeros(2)
    for t in range(5):
        prev = layer.forward_proj(h[0, t]) + layer.recurrent.weight @ prev
        assert torch.allclose(y[t], prev, atol=1e-5)


@pytest.mark.parametrize("name", ["mlms", "lstm_sss"])
def test_acoustic_models_learn(name):
    torch.manual_seed(0)
    m = mlms() if name == "mlms" else build_model("tts", {"name": name, "conf": SMALL})
    first, last = fit(m, batch(frame_dim(8)))
    assert last < 0.7 * first


@pytest.mark.parametrize("extra", [{}, {"bidirectional": True, "dropout": 0.2, "layers": 2}])
def test_duration_model_learns_and_generates(extra):
    torch.manual_seed(0)
    m = build_model("tts", {"name": "tts_duration", "conf": {
        "phone_slots": 8, "languages": ["en", "fr", "it"], "speakers": ["a", "b", "c"],
        "proj_dim": 16, "cells": 16, "layers": 1, **extra}})
    b = batch(phone_dim(8), out=1)
    first, last = fit(m, b)
    assert last < 0.7 * first
    x = torch.randn(6, phone_dim(8))
    d = m.generate(x, "fr", "b")
    assert d.shape == (6,) and bool((d >= 0).all())
    if extra:  # eval mode: no dropout; the last phone changes the first one's duration
        m.eval()
        assert torch.equal(m.generate(x, "fr", "b"), d)
        x2 = x.clone()
        x2[-1] += 1.0
        li, si = torch.tensor([1]), torch.tensor([1])
        assert m(x2[None], li, si)[0, 0] != m(x[None], li, si)[0, 0]


def test_adaptation_groups_freeze_the_rest():
    m = mlms(trainable=["code", "speaker"])  # v1
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    assert "code" in trainable and all(n.startswith(("code", "spk_out")) for n in trainable)
    m = mlms(trainable=["mean", "speaker"])  # v3
    trainable = {n.split(".")[0] for n, p in m.named_parameters() if p.requires_grad}
    assert trainable == {"mean", "spk_out"}
    with pytest.raises(UserError, match="unknown group"):
        mlms(trainable=["towers"])


def test_code_inits():
    assert torch.equal(mlms(code_init="onehot").code.data, torch.eye(3))
    fixed = mlms(code_init="onehot_fixed")
    assert not fixed.code.requires_grad
    before = fixed.code.clone()
    fit(fixed, batch(frame_dim(8)), steps=3)
    assert torch.equal(fixed.code, before)
    with pytest.raises(UserError, match="n_basis"):
        mlms(code_init="onehot", n_basis=2)


def test_unknown_language_and_speaker_are_listed():
    m = mlms()
    with pytest.raises(UserError, match="knows: en, fr, it"):
        m.generate(torch.randn(3, frame_dim(8)), "de", "a")
    with pytest.raises(UserError, match="speaker 'z'"):
        m.generate(torch.randn(3, frame_dim(8)), "en", "z")


def test_adaptation_refuses_an_init_with_moved_phone_slots(tmp_path):
    from toolkit.tts.frontend import PhoneSet
    from toolkit.tts.task import _check_slots

    init = PhoneSet(slots=8)
    init.add(["a", "b"], "en")
    init.add(["x", "z"], "bg")  # an adaptation language: slots the model never trained
    init.save(tmp_path / "phone_set.json")
    assert PhoneSet.load(tmp_path / "phone_set.json").filled == {"en": 4, "bg": 6}
    more_bg = PhoneSet(slots=8)
    more_bg.add(["a", "b"], "en")
    more_bg.add(["x", "y", "z"], "bg")  # a new bg phone moves z: fine for an en model
    _check_slots(str(tmp_path), more_bg, ["en"])
    with pytest.raises(UserError, match="phone '[yz]'"):
        _check_slots(str(tmp_path), more_bg, [])  # not told where en ends: all compared
    moved = PhoneSet(slots=8)
    moved.add(["a", "c"], "en")
    moved.add(["b"], "bg")
    with pytest.raises(UserError, match="phone 'c'|phone 'b'"):
        _check_slots(str(tmp_path), moved, ["en"])
