"""Configuration sections shared by every task's training config.

A task's config is a dataclass deriving from :class:`TrainConfig` that adds its
own ``data`` (and ``features``) sections. In YAML::

    model: {name: tone_cnn, conf: {channels: 16}}
    optim: {name: adam, lr: 1.0e-3}
    trainer: {epochs: 10, batch_size: 16, metric: valid/acc, mode: max}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class ModelSpec:
    """Which registered model to build, and its hyperparameters."""

    name: str = ""
    conf: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimConfig:
    """Optimizer and learning-rate schedule.

    Attributes:
        name: adam | adamw | sgd.
        scheduler: none | plateau (factor/patience on the trainer's metric) |
            cosine (over all epochs) | step (gamma every step_epochs) |
            warmup (linear warm-up over warmup_steps, then constant).
        lr_scale: learning-rate multipliers by parameter-name prefix, e.g.
            ``{classifier: 10}`` lets DANN's domain classifier learn ten times faster
            than the encoder it is set against (the schedule acts on every group).
    """

    name: Literal["adam", "adamw", "sgd"] = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    momentum: float = 0.9
    scheduler: Literal["none", "plateau", "cosine", "step", "warmup"] = "none"
    factor: float = 0.5
    sched_patience: int = 2
    step_epochs: int = 10
    gamma: float = 0.5
    warmup_steps: int = 0
    min_lr: float = 0.0
    lr_scale: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainerConfig:
    """Training loop settings.

    Attributes:
        epochs: number of passes over the training set.
        batch_size: global batch size (split across processes under DDP).
        seed: seeds model init, data order and data augmentation.
        grad_clip: max global gradient norm (0 disables clipping).
        accum_grad: batches per optimizer step.
        max_steps_per_epoch: cap on batches per epoch (0: the whole set).
        metric: validation metric for best.pt and early stopping, e.g. ``valid/loss``;
            ``epoch`` with mode max makes best.pt the last epoch (a fixed schedule
            without a validation set, where a noisy training loss should not choose).
        mode: whether the metric should go down (min) or up (max).
        patience: epochs without improvement before stopping (0: never stop early).
        keep_last: epoch checkpoints kept in ``ckpt/`` (best.pt and last.pt always kept).
        save_every_steps: also checkpoint mid-epoch every N batches (0: only at epoch end).
        log_every_steps: plain-log interval when stderr is not a terminal.
        num_workers: DataLoader worker processes.
    """

    epochs: int = 10
    batch_size: int = 16
    seed: int = 0
    grad_clip: float = 5.0
    accum_grad: int = 1
    max_steps_per_epoch: int = 0
    metric: str = "valid/loss"
    mode: Literal["min", "max"] = "min"
    patience: int = 0
    keep_last: int = 2
    save_every_steps: int = 0
    log_every_steps: int = 50
    num_workers: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "accum_grad"):
            if getattr(self, name) < 1:
                raise ValueError(f"trainer.{name} must be >= 1")


@dataclass
class TrainConfig:
    """Base of every task config: model, optimizer and trainer sections."""

    model: ModelSpec = field(default_factory=ModelSpec)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
