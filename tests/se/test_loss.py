"""The general enhancer's loss sees sign and level; the paper's SI-SDR loss does not."""

from __future__ import annotations

import pytest
import torch

from toolkit.se.loss import LossConfig, enhancement_loss, general_loss, si_sdr_torch, snr_torch


def _signals():
    g = torch.Generator().manual_seed(0)
    t = torch.arange(16000) / 16000
    speech = torch.stack([0.2 * torch.sin(2 * torch.pi * 180 * t) * (1 + torch.sin(3 * t))])
    noise = 0.05 * torch.randn(1, 16000, generator=g)
    return speech, noise


def _loss(est, speech, noise):
    out = {"speech": est, "noise": speech + noise - est}
    return float(general_loss(out, speech + noise, speech, noise, LossConfig(kind="snr_spec"))[0])


def test_general_loss_penalises_inverted_polarity_and_wrong_level():
    speech, noise = _signals()
    good = _loss(speech, speech, noise)
    assert _loss(-speech, speech, noise) > good + 10
    assert _loss(0.5 * speech, speech, noise) > good + 5
    # the paper's SI-SDR cannot tell: same value for the inverted estimate
    same = float(si_sdr_torch(speech, speech))
    assert float(si_sdr_torch(-speech, speech)) == pytest.approx(same)
    out = {"speech": -speech, "noise": -noise}
    inverted = float(enhancement_loss(out, speech, noise)[0])
    assert inverted == pytest.approx(float(enhancement_loss({"speech": speech, "noise": noise},
                                                              speech, noise)[0]), abs=1e-3)


def test_thresholded_snr_is_capped():
    speech, _ = _signals()
    assert float(snr_torch(speech, speech, tau_db=30.0)) == pytest.approx(30.0, abs=0.01)
    assert float(snr_torch(speech + 0.1 * speech, speech, tau_db=30.0)) < 20.1


def test_clean_items_have_no_noise_term():
    speech, _ = _signals()
    zero = torch.zeros_like(speech)
    out = {"speech": speech, "noise": torch.randn_like(speech)}
    loss, values = general_loss(out, speech, speech, zero, LossConfig(kind="snr_spec"))
    assert torch.isfinite(loss) and values["snr"] > 45
