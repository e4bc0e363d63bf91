"""Optimizers and learning-rate schedules from :class:`OptimConfig`."""

from __future__ import annotations

from typing import Any

import torch

from toolkit.train.config import OptimConfig, TrainerConfig


def build_optimizer(model: torch.nn.Module, conf: OptimConfig) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD over the trainable parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    if conf.name == "adam":
        return torch.optim.Adam(params, lr=conf.lr, betas=conf.betas,
                                weight_decay=conf.weight_decay)
    if conf.name == "adamw":
        return torch.optim.AdamW(params, lr=conf.lr, betas=conf.betas,
                                 weight_decay=conf.weight_decay)
    return torch.optim.SGD(params, lr=conf.lr, momentum=conf.momentum,
                           weight_decay=conf.weight_decay)


def build_scheduler(opt: torch.optim.Optimizer, conf: OptimConfig, tc: TrainerConfig) -> Any:
    """The scheduler named by ``conf.scheduler`` (None for ``none``)."""
    s = torch.optim.lr_scheduler
    if conf.scheduler == "plateau":
        return s.ReduceLROnPlateau(opt, mode=tc.mode, factor=conf.factor,
                                   patience=conf.sched_patience, min_lr=conf.min_lr)
    if conf.scheduler == "cosine":
        return s.CosineAnnealingLR(opt, T_max=tc.epochs, eta_min=conf.min_lr)
    if conf.scheduler == "step":
        return s.StepLR(opt, step_size=conf.step_epochs, gamma=conf.gamma)
    if conf.scheduler == "warmup":
        warm = max(conf.warmup_steps, 1)
        return s.LambdaLR(opt, lambda step: min(1.0, (step + 1) / warm))
    return None


def step_scheduler(sched: Any, conf: OptimConfig, per: str, metric: float | None = None) -> None:
    """Advance the schedule: ``warmup`` per optimizer step, the others per epoch."""
    if sched is None:
        return
    if conf.scheduler == "warmup":
        if per == "step":
            sched.step()
    elif per == "epoch":
        if conf.scheduler == "plateau":
            sched.step(metric)
        else:
            sched.step()
