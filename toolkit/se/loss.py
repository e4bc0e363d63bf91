"""Losses of the se task: the paper's SI-SDR loss and the general enhancer's loss.

The SRST paper trains on ``-SI-SDR(speech) - SI-SDR(noise)``; SI-SDR is blind
to scale and sign, so a model trained on it alone may return speech at any
level and polarity (the first shipped model came out polarity-inverted). The
general enhancer's loss therefore sees both:

- a soft-thresholded SNR (Wisdom et al., "Unsupervised sound separation using
  mixture invariant training", NeurIPS 2020): ``10 log10(|s|^2 / (|s - e|^2 +
  tau |s|^2))``; it is maximal only for ``e = s`` (same sign and level) and
  ``tau`` caps it at ``-10 log10(tau)`` dB, so clean items do not dominate;
- a compressed complex spectral term (Braun and Tashev, "A consolidated view of
  loss functions for supervised deep learning-based speech enhancement", TSD
  2021): magnitudes compressed by ``|X|^0.3``, 0.3 x complex + 0.7 x magnitude
  mean squared errors, on signals normalised by the mixture RMS.
"""

from __future__ import annotations

import torch

from toolkit.dsp.stft import stft
from toolkit.se.config import LossConfig

EPS = 1e-8


def si_sdr_torch(est: torch.Tensor, ref: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """SI-SDR in dB per item (the paper's eq. 5).

    Args:
        est, ref: ``(batch, samples)``.

    Returns:
        ``(batch,)``.
    """
    est = est - est.mean(-1, keepdim=True)
    ref = ref - ref.mean(-1, keepdim=True)
    alpha = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps)
    target = alpha * ref
    return 10 * torch.log10((target.pow(2).sum(-1) + eps) / ((target - est).pow(2).sum(-1) + eps))


def snr_torch(est: torch.Tensor, ref: torch.Tensor, tau_db: float = 50.0,
              eps: float = EPS) -> torch.Tensor:
    """Soft-thresholded SNR in dB per item: sign and level matter.

    Args:
        est, ref: ``(batch, samples)``.
        tau_db: the value is at most about this many dB.

    Returns:
        ``(batch,)``.
    """
    p = ref.pow(2).sum(-1)
    err = (ref - est).pow(2).sum(-1)
    return 10 * torch.log10((p + eps) / (err + 10 ** (-tau_db / 10) * p + eps))


def compressed_spectral_loss(est: torch.Tensor, ref: torch.Tensor, scale: torch.Tensor,
                             c: float = 0.3, n_fft: int = 512, hop: int = 128) -> torch.Tensor:
    """0.3 x complex + 0.7 x magnitude MSE of ``|X|^c e^{j angle X}`` per item.

    Args:
        est, ref: ``(batch, samples)``.
        scale: ``(batch, 1)`` level both are divided by (the mixture RMS).

    Returns:
        ``(batch,)``.
    """
    e = stft(est / scale, n_fft, hop)
    r = stft(ref / scale, n_fft, hop)
    e_mag, r_mag = e.abs().clamp_min(EPS), r.abs().clamp_min(EPS)
    e_c = e * (e_mag.pow(c) / e_mag)
    r_c = r * (r_mag.pow(c) / r_mag)
    cplx = (e_c - r_c).abs().pow(2).mean(dim=(-2, -1))
    mag = (e_mag.pow(c) - r_mag.pow(c)).pow(2).mean(dim=(-2, -1))
    return 0.3 * cplx + 0.7 * mag


def enhancement_loss(out: dict[str, torch.Tensor], speech: torch.Tensor, noise: torch.Tensor,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's ``-SI-SDR(speech) - SI-SDR(noise)`` over items with a non-silent target.

    Returns:
        (loss scalar, speech SI-SDR per item ``(batch,)`` detached).
    """
    s = si_sdr_torch(out["speech"], speech)
    n = si_sdr_torch(out["noise"], noise)
    live = ((speech.pow(2).mean(-1) > 1e-10) & (noise.pow(2).mean(-1) > 1e-10)).float()
    loss = -((s + n) * live).sum() / live.sum().clamp_min(1.0)
    return loss, s.detach()


def general_loss(out: dict[str, torch.Tensor], noisy: torch.Tensor, speech: torch.Tensor,
                 noise: torch.Tensor, conf: LossConfig) -> tuple[torch.Tensor, dict[str, float]]:
    """``-SNR_tau(speech) + w_spec * spectral - w_noise * SNR_tau(noise)`` (batch mean).

    Items without noise (clean inputs) contribute no noise term. With
    ``conf.near_clean_weight`` != 1, items whose input SNR is at least
    ``conf.near_clean_db`` weigh that much in the (weighted) batch mean.

    Args:
        out: the model's ``speech`` and ``noise`` ``(batch, samples)``.
        noisy, speech, noise: ``(batch, samples)`` input and targets.
        conf: loss weights.

    Returns:
        (loss scalar, {"snr", "si_sdr", "spec"} batch means).
    """
    scale = noisy.pow(2).mean(-1, keepdim=True).sqrt() + 1e-5
    s_snr = snr_torch(out["speech"], speech, conf.tau_db)
    spec = compressed_spectral_loss(out["speech"], speech, scale, conf.compress)
    live = (noise.pow(2).mean(-1) > 1e-6 * scale.squeeze(-1).pow(2)).float()
    n_snr = snr_torch(out["noise"], noise, conf.tau_db) * live
    per_item = -s_snr + conf.spec_weight * spec - conf.noise_weight * n_snr
    weight = torch.ones_like(per_item)
    if conf.near_clean_weight != 1.0:
        snr_in = 10 * torch.log10(speech.pow(2).sum(-1) / (noise.pow(2).sum(-1) + EPS) + EPS)
        weight = torch.where(snr_in >= conf.near_clean_db, conf.near_clean_weight, 1.0).to(per_item)
    loss = (per_item * weight).sum() / weight.sum().clamp_min(EPS)  # weight 0: no loss
    with torch.no_grad():
        si = si_sdr_torch(out["speech"], speech)
    return loss, {"snr": float(s_snr.detach().mean()), "si_sdr": float(si.mean()),
                  "spec": float(spec.detach().mean())}
