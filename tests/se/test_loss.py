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


def _batch_loss(est, speech, noise, **conf):
    out = {"speech": est, "noise": speech + noise - est}
    return float(general_loss(out, speech + noise, speech, noise,
                              LossConfig(kind="snr_spec", **conf))[0])


def test_near_clean_items_weigh_more_when_asked():
    speech, noise = _signals()
    # one noisy item (about 9 dB SNR) and one clean item, estimated with different errors
    speech2, noise2 = torch.cat([speech, speech]), torch.cat([noise, torch.zeros_like(noise)])
    est = torch.cat([0.8 * speech, 0.97 * speech])
    items = [_batch_loss(est[i:i + 1], speech2[i:i + 1], noise2[i:i + 1]) for i in range(2)]
    assert abs(items[0] - items[1]) > 1.0
    assert _batch_loss(est, speech2, noise2) == pytest.approx(sum(items) / 2, rel=1e-4)
    weighted = _batch_loss(est, speech2, noise2, near_clean_weight=3.0, near_clean_db=20.0)
    assert weighted == pytest.approx((items[0] + 3 * items[1]) / 4, rel=1e-4)
    # weight 0 on a batch of near-clean items only: no loss, not a division by zero
    clean_only = _batch_loss(est[1:], speech2[1:], noise2[1:], near_clean_weight=0.0)
    assert clean_only == 0.0
