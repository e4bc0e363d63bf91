"""The complex-STFT U-Net of recipes/se: shapes, gradient reversal, loss goes down."""

from __future__ import annotations

import pytest
import torch

from toolkit.errors import ConfigError
from toolkit.models.unet_se import UNetSE, grad_reverse
from toolkit.registry import build_model

SMALL = {"channels": [4, 8], "bottleneck": 16, "dilations": [1, 2], "classifier_hidden": 8}


def small_model() -> UNetSE:
    torch.manual_seed(0)
    return build_model("se", {"name": "unet_se", "conf": SMALL})


def test_shapes_and_bottleneck_dim():
    model = small_model()
    x = torch.randn(3, 16000)
    out = model(x)
    assert out["speech"].shape == out["noise"].shape == (3, 16000)
    frames = 16000 // 256 + 1
    assert out["bottleneck"].shape == (3, model.bottleneck_dim, frames)
    assert model.bottleneck_dim == 8 * 65  # 257 -> 129 -> 65 bins
    assert torch.allclose(model.bottleneck(x), out["bottleneck"])
    assert model.domain_logits(out["bottleneck"]).shape == (3,)


def test_output_follows_input_gain():
    """The model normalises the input level and restores it: gain in = gain out."""
    model = small_model().eval()
    x = torch.randn(1, 8000)
    with torch.no_grad():
        a, b = model(x)["speech"], model(10 * x)["speech"]
    assert torch.allclose(10 * a, b, rtol=1e-3, atol=1e-5)


def test_gradient_reversal_negates_and_scales():
    x = torch.ones(4, requires_grad=True)
    grad_reverse(x, 0.5).sum().backward()
    assert torch.allclose(x.grad, torch.full((4,), -0.5))


def test_classifier_without_reversal_does_not_touch_the_encoder():
    model = small_model()
    z = model.bottleneck(torch.randn(2, 8000))
    model.domain_logits(z, reverse=0.0).sum().backward()
    assert model.enc[0][0].weight.grad is None
    assert model.classifier.conv1.weight.grad is not None
    model.zero_grad()
    z = model.bottleneck(torch.randn(2, 8000))
    model.domain_logits(z, reverse=1.0).sum().backward()
    assert model.enc[0][0].weight.grad is not None


def _train(model: UNetSE, steps: int) -> list[float]:
    """``steps`` Adam updates on two tones in white noise; the enhancement losses."""
    from toolkit.se.loss import enhancement_loss

    g = torch.Generator().manual_seed(1)
    t = torch.arange(8000) / 16000
    speech = torch.stack([0.3 * torch.sin(2 * torch.pi * f * t) for f in (220.0, 330.0)])
    noise = 0.1 * torch.randn(2, 8000, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(steps):
        loss, _ = enhancement_loss(model(speech + noise), speech, noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


def test_a_few_steps_reduce_the_enhancement_loss():
    losses = _train(small_model(), 25)
    assert losses[-1] < losses[0] - 3.0, losses


def test_negate_outputs_flips_both_estimates_exactly():
    model = small_model().eval()
    x = torch.randn(2, 8000)
    with torch.no_grad():
        before = model(x)
        model.negate_outputs()
        after = model(x)
    assert torch.allclose(after["speech"], -before["speech"], atol=1e-6)
    assert torch.allclose(after["noise"], -before["noise"], atol=1e-6)


def test_the_recurrent_bottleneck_starts_as_the_identity_and_learns():
    """``rnn`` > 0 adds a residual BiGRU whose zero output layer keeps the model's function,
    so a warm start from a model without it begins where that model was; training moves it."""
    plain = small_model().eval()
    torch.manual_seed(0)
    rnn = build_model("se", {"name": "unet_se", "conf": {**SMALL, "rnn": 8}})
    missing, unexpected = rnn.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith(UNetSE.WARM_START_OPTIONAL)
                                              for k in missing)
    x = torch.randn(2, 8000)
    with torch.no_grad():
        assert torch.equal(rnn.eval()(x)["speech"], plain(x)["speech"])
    losses = _train(rnn.train(), 15)
    assert rnn.rnn.out.weight.abs().sum() > 0  # the branch left zero
    assert losses[-1] < losses[0] - 1.0, losses


def test_the_domain_layer_chooses_the_classifiers_features():
    x = torch.randn(2, 8000)
    deep = build_model("se", {"name": "unet_se", "conf": {**SMALL, "domain_layer": "tcn"}})
    z = deep(x)["bottleneck"]
    assert z.shape[1] == SMALL["bottleneck"] and torch.allclose(deep.bottleneck(x), z)
    assert small_model()(x)["bottleneck"].shape[1] == small_model().bottleneck_dim
    with pytest.raises(ConfigError, match="domain_layer"):
        build_model("se", {"name": "unet_se", "conf": {**SMALL, "domain_layer": "decoder"}})


def test_a_normalised_classifier_cannot_be_fooled_by_shrinking_the_features():
    torch.manual_seed(0)
    model = build_model("se", {"name": "unet_se", "conf": {**SMALL, "classifier_norm": True}})
    z = torch.randn(4, model.bottleneck_dim, 20)
    assert torch.allclose(model.domain_logits(z), model.domain_logits(0.05 * z), atol=1e-3)
    plain = small_model()
    assert not torch.allclose(plain.domain_logits(z), plain.domain_logits(0.05 * z), atol=1e-3)
