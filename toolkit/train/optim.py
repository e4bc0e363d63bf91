"""Optimizers and learning-rate schedules from :class:`OptimConfig`."""

from __future__ import annotations

from typing import Any

import torch

from toolkit.train.config import OptimConfig, TrainerConfig


def param_groups(model: torch.nn.Module, conf: OptimConfig) -> list[dict[str, Any]]:
    """The trainable parameters, one group per ``conf.lr_scale`` prefix (learning rate
    ``conf.lr`` times its scale; the first matching prefix wins) and one for the rest
    (first, at ``conf.lr``). Empty groups are left out."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    scales = list(conf.lr_scale.items())
    groups: list[list[torch.nn.Parameter]] = [[] for _ in range(len(scales) + 1)]
    for name, p in named:
        name = name.removeprefix("module.")  # the same names under DistributedDataParallel
        i = next((j + 1 for j, (prefix, _) in enumerate(scales) if name.startswith(prefix)), 0)
        groups[i].append(p)
    lrs = [conf.lr, *(conf.lr * float(v) for _, v in scales)]
    return [{"params": g, "lr": lr} for g, lr in zip(groups, lrs, strict=True) if g]


def build_optimizer(model: torch.nn.Module, conf: OptimConfig) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD over the trainable parameters (groups: :func:`param_groups`)."""
    params = param_groups(model, conf)
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
