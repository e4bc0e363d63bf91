"""The U-Net and the no-skip baseline: shapes, masks in [0, 1], a few steps reduce the L1 loss."""

from __future__ import annotations

import pytest
import torch

from toolkit.registry import build_model
from toolkit.svs.loss import separation_loss

SMALL = [4, 4, 8, 8, 16, 16]


@pytest.mark.parametrize("name", ["unet_svs", "unet_svs_noskip"])
@pytest.mark.parametrize("frames", [64])
def test_mask_shapes_and_range(name, frames):
    model = build_model("svs", {"name": name, "conf": {"channels": SMALL}}).eval()
    x = torch.rand(2, 512, frames)
    with torch.no_grad():
        masks = model(x)
    assert masks.shape == (2, 2, 512, frames)
    assert masks.min() >= 0 and masks.max() <= 1
    assert model(x.unsqueeze(1)).shape == masks.shape


def test_paper_architecture():
    unet = build_model("svs", {"name": "unet_svs", "conf": {}})
    net = unet.nets["vocals"]
    convs = [m for m in net.encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 128, 256, 512]
    assert all(c.kernel_size == (5, 5) and c.stride == (2, 2) for c in convs)
    assert all(any(isinstance(m, torch.nn.BatchNorm2d) for m in layer) for layer in net.encoder)
    assert all(any(isinstance(m, torch.nn.LeakyReLU) and m.negative_slope == 0.2 for m in layer)
               for layer in net.encoder)
    deconvs = [m for m in net.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [d.out_channels for d in deconvs] == [256, 128, 64, 32, 16, 1]
    # skips: every decoder layer after the first sees twice the channels
    assert [d.in_channels for d in deconvs] == [512, 512, 256, 128, 64, 32]
    dropouts = [i for i, layer in enumerate(net.decoder)
                if any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in layer)]
    assert dropouts == [0, 1, 2]
    base = build_model("svs", {"name": "unet_svs_noskip", "conf": {}}).nets["vocals"]
    deconvs = [m for m in base.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [d.in_channels for d in deconvs] == [512, 256, 128, 64, 32, 16]
    assert set(unet.nets) == {"vocals", "accomp"}  # two networks, Theta_v and Theta_i
    assert unet.nets["vocals"] is not unet.nets["accomp"]
    n_unet = sum(p.numel() for p in unet.parameters())
    assert 19.5e6 < n_unet < 19.8e6  # 9.82 M per network


@pytest.mark.parametrize("name", ["unet_svs", "unet_svs_noskip"])
def test_a_few_steps_reduce_the_loss(name):
    torch.manual_seed(0)
    model = build_model("svs", {"name": name, "conf": {"channels": SMALL, "dropout": 0.0}})
    mix = torch.rand(2, 512, 64)
    vocal_share = (torch.linspace(0, 1, 512)[None, :, None] * torch.ones(2, 512, 64))
    target = torch.stack([mix * vocal_share, mix * (1 - vocal_share)], dim=1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(12):
        loss, _ = separation_loss(model(mix), mix, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0], losses
