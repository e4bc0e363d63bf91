"""Loss of the aec task and its training monitors.

:func:`complex_compressed_mse`: the masked microphone spectrum is transformed
back to a waveform and analysed again (STFT consistency, Wisdom et al. 2019),
then compared with the target by the complex compressed MSE (Ephrat et al.
2018): ``beta * mean|S^c - Y^c|^2 + (1 - beta) * mean(|S|^c - |Y|^c)^2``, where
``X^c = |X|^c e^{j angle X}``, ``c = 0.3``, ``beta = 0.7``.

Departures that keep the near-end talker (0 in the paper; ``loss.*`` of the
config, see :class:`toolkit.aec.config.AecLossConfig`): frame weights for
near-end and double-talk frames (:func:`frame_weights`), a one-sided
over-suppression term, and the auxiliary delay cross-entropy of Align-CRUSE
(:func:`delay_cross_entropy`).
"""

from __future__ import annotations

import math

import torch

from toolkit.aec.config import HOP_S, AecLossConfig
from toolkit.models.aec_blocks import HOP, WIN, istft, log_power, stft

#: Order of the loss constants every training item carries (:func:`loss_constants`).
CONSTANTS = ("compression", "beta", "suppress_weight", "delay_weight", "active_db")


def loss_constants(cfg: AecLossConfig) -> torch.Tensor:
    """The scalar loss settings as a ``(5,)`` tensor in the order of :data:`CONSTANTS`."""
    return torch.tensor([float(getattr(cfg, k)) for k in CONSTANTS])


def prepare_batch(batch: dict[str, torch.Tensor], cfg: AecLossConfig
                  ) -> dict[str, torch.Tensor]:
    """A batch of ``mic``, ``far``, ``near`` (and optionally ``echo``, ``delay``) with what
    :func:`aec_loss` reads from the config added (the data sets add it per item).

    A missing ``echo`` is taken as ``mic - near``; a missing ``delay`` as unknown.
    """
    b = batch["mic"].shape[0]
    echo = batch.get("echo", batch["mic"] - batch["near"])
    return {"echo": echo, "delay": torch.full((b,), -1.0), **batch,
            "weights": frame_weights(batch["near"], echo, cfg),
            "loss_conf": loss_constants(cfg).expand(b, -1)}


def aec_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]
             ) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss and monitors of one batch (the task's ``train_step`` and ``valid_step``).

    Args:
        model: a CRUSE-family model ``(mic log power, far log power) -> (mask, dist)``.
        batch: ``mic``, ``far``, ``near``, ``echo`` ``(B, samples)``, ``delay`` ``(B,)``
            (s, negative: unknown), ``weights`` ``(B, frames)`` from
            :func:`frame_weights` and ``loss_conf`` ``(B, 5)`` from :func:`loss_constants`
            (the data set puts both in every item, from the config it was given).

    Returns:
        ``(loss, monitors)``; in eval mode the monitors include :func:`keep_metrics`.
    """
    c, beta, suppress, delay_weight, active_db = (float(v) for v in batch["loss_conf"][0])
    mic, far, near = batch["mic"], batch["far"], batch["near"]
    spec = stft(mic)
    far_lp = log_power(stft(far))
    mask, dist = model(log_power(spec), far_lp)
    y = istft(spec * mask, mic.shape[-1])
    loss = complex_compressed_mse(stft(y), stft(near), c, beta, batch["weights"], suppress)
    values = {}
    if not model.training:
        values.update(keep_metrics(mic, y.detach(), near, batch["echo"], active_db))
    if dist is not None:
        values.update(delay_metrics(dist.detach(), far_lp, batch["delay"]))
        if delay_weight > 0 and model.training:
            ce = delay_cross_entropy(dist, far_lp, batch["delay"])
            values["delay_ce"] = float(ce.detach())
            loss = loss + delay_weight * ce
    return loss, values


def complex_compressed_mse(est: torch.Tensor, ref: torch.Tensor, c: float = 0.3,
                           beta: float = 0.7, weights: torch.Tensor | None = None,
                           suppress: float = 0.0) -> torch.Tensor:
    """Complex compressed MSE between complex spectra ``(B, T, F)`` (see the module doc).

    Args:
        est, ref: complex spectra ``(B, T, F)``.
        c, beta: compression exponent and complex-term weight.
        weights: frame weights ``(B, T)`` (None: all 1, the paper's plain mean).
        suppress: weight of the one-sided over-suppression term
            ``relu(|S|^c - |Y|^c)^2`` (0: off).
    """
    def compress(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mag = (x.real.square() + x.imag.square() + 1e-12).sqrt()
        mc = mag.pow(c)
        return mc, x * (mc / mag)

    em, ec = compress(est)
    rm, rc = compress(ref)
    per_frame = (beta * (ec - rc).abs().square().mean(-1)
                 + (1 - beta) * (em - rm).square().mean(-1))  # (B, T)
    if suppress:
        per_frame = per_frame + suppress * torch.relu(rm - em).square().mean(-1)
    if weights is None:
        return per_frame.mean()
    return (per_frame * weights).sum() / weights.sum().clamp(min=1e-8)


def frame_activity(x: torch.Tensor, active_db: float = 35.0) -> torch.Tensor:
    """Frames of :func:`toolkit.models.aec_blocks.stft` where ``x (B, samples)`` is active.

    Returns:
        ``(B, frames)`` bool: the frame's energy (20-ms frames, hop 10 ms) is within
        ``active_db`` dB of the clip's loudest frame and above -70 dBFS.
    """
    n = x.shape[-1]
    blocks = -(-n // HOP)
    frames = torch.nn.functional.pad(x, (HOP, (blocks + 1) * HOP - n)).unfold(-1, WIN, HOP)
    db = 10 * torch.log10(frames.square().mean(-1) + 1e-12)
    return (db > db.amax(-1, keepdim=True) - active_db) & (db > -70.0)


def frame_weights(near: torch.Tensor, echo: torch.Tensor, cfg: AecLossConfig) -> torch.Tensor:
    """Frame loss weights ``(B, frames)``: ``1 + near_weight [near] + dt_weight [near, echo]``.

    Args:
        near: near-end speech at the microphone ``(B, samples)``.
        echo: echo at the microphone ``(B, samples)``.
        cfg: the loss config (``near_weight``, ``dt_weight``, ``active_db``).
    """
    near_on = frame_activity(near, cfg.active_db).float()
    echo_on = frame_activity(echo, cfg.active_db).float()
    return 1.0 + cfg.near_weight * near_on + cfg.dt_weight * near_on * echo_on


def delay_metrics(dist: torch.Tensor, far_lp: torch.Tensor, true_s: torch.Tensor
                  ) -> dict[str, float]:
    """Delay estimate of a batch against the truth (a training monitor).

    Args:
        dist: delay distributions ``(B, T, d_max)``.
        far_lp: far-end log power spectra ``(B, T, 160)`` (frames more than 40 dB
            below the loudest are left out of the time average, as in
            :func:`toolkit.aec.infer.delay_from_distribution`).
        true_s: true delays ``(B,)`` in seconds, negative where unknown.

    Returns:
        ``{"delay_err_ms": mean |error|, "delay_hit": share within 20 ms}`` over the
        examples with a known delay (empty when there are none).
    """
    known = true_s >= 0
    if not bool(known.any()):
        return {}
    level = 10 * torch.logsumexp(far_lp * math.log(10), dim=-1) / math.log(10)  # dB (B, T)
    active = (level > level.amax(-1, keepdim=True) - 40).to(dist.dtype)
    est = (dist * active[..., None]).sum(1).argmax(-1).to(true_s.dtype) * HOP_S
    err = (est - true_s).abs()[known] * 1000
    return {"delay_err_ms": float(err.mean()), "delay_hit": float((err <= 20).float().mean())}


def delay_cross_entropy(dist: torch.Tensor, far_lp: torch.Tensor, true_s: torch.Tensor
                        ) -> torch.Tensor:
    """Mean ``-log D[t, d*]`` over the frames whose echo is present.

    Args:
        dist: delay distributions ``(B, T, d_max)``.
        far_lp: far-end log power spectra ``(B, T, 160)``.
        true_s: true delays ``(B,)`` in seconds, negative where unknown.

    Frames count where ``t >= d*`` and the far end at ``t - d*`` is within 40 dB of
    its loudest frame; examples with an unknown delay or ``d* >= d_max`` do not count.
    """
    b, t, d_max = dist.shape
    d = torch.round(true_s / HOP_S).long()
    level = 10 * torch.logsumexp(far_lp * math.log(10), dim=-1) / math.log(10)
    active = level > level.amax(-1, keepdim=True) - 40  # (B, T)
    frames = torch.arange(t, device=dist.device)[None] - d.clamp(0, d_max - 1)[:, None]
    src = active.gather(1, frames.clamp(min=0))
    use = (src & (frames >= 0) & ((true_s >= 0) & (d < d_max))[:, None]).to(dist.dtype)
    logp = torch.log(dist.gather(-1, d.clamp(0, d_max - 1)[:, None, None].expand(b, t, 1))[..., 0]
                     + 1e-8)
    return -(logp * use).sum() / use.sum().clamp(min=1)


def keep_metrics(mic: torch.Tensor, out: torch.Tensor, near: torch.Tensor, echo: torch.Tensor,
                 active_db: float = 35.0) -> dict[str, float]:
    """Validation monitors of near-end keeping and echo removal, per clip, then batch means.

    Each clip gets its own dB value and the batch reports their mean over the clips
    that qualify, as the benchmark and the scorer average clips (energy pooled over a
    batch let one loud clip decide the value).

    Args:
        mic, out, near, echo: ``(B, samples)`` microphone, output, near end, echo.
        active_db: activity threshold of :func:`frame_activity`.

    Returns:
        ``near_kept_db``: output minus near-end energy (dB) over the frames where the
        near end talks (0: kept; negative: suppressed), and ``echo_removed_db``: mic
        minus output energy over the echo-only frames (an ERLE); a key is absent when
        no clip of the batch qualifies.
    """
    def energy(x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        blocks = -(-n // HOP)
        fr = torch.nn.functional.pad(x, (HOP, (blocks + 1) * HOP - n)).unfold(-1, WIN, HOP)
        return fr.square().sum(-1)

    def clip_db(num: torch.Tensor, den: torch.Tensor, mask: torch.Tensor) -> float | None:
        ok = mask.any(-1)
        if not bool(ok.any()):
            return None
        db = 10 * torch.log10((num * mask).sum(-1) / ((den * mask).sum(-1) + 1e-12) + 1e-12)
        return float(db[ok].mean())

    near_on = frame_activity(near, active_db)
    echo_only = frame_activity(echo, active_db) & ~near_on
    values = {"near_kept_db": clip_db(energy(out), energy(near), near_on),
              "echo_removed_db": clip_db(energy(mic), energy(out), echo_only)}
    return {k: v for k, v in values.items() if v is not None}
