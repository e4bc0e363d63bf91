"""Optimizer parameter groups: learning-rate multipliers by parameter-name prefix."""

from __future__ import annotations

import pytest
import torch

from toolkit.train.config import OptimConfig, TrainerConfig
from toolkit.train.optim import build_optimizer, build_scheduler


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Linear(3, 3)
        self.classifier = torch.nn.Linear(3, 1)


def test_lr_scale_gives_a_prefix_its_own_learning_rate_under_the_schedule():
    net = _Net()
    opt = build_optimizer(net, OptimConfig(lr=1e-3, lr_scale={"classifier": 10.0},
                                           scheduler="step", step_epochs=1, gamma=0.5))
    lrs = [g["lr"] for g in opt.param_groups]
    assert lrs == pytest.approx([1e-3, 1e-2])
    assert [len(g["params"]) for g in opt.param_groups] == [2, 2]
    sched = build_scheduler(opt, OptimConfig(scheduler="step", step_epochs=1, gamma=0.5),
                            TrainerConfig())
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([5e-4, 5e-3])


def test_without_lr_scale_one_group_of_the_trainable_parameters():
    net = _Net()
    net.encoder.weight.requires_grad_(False)
    opt = build_optimizer(net, OptimConfig(lr=1e-3))
    assert len(opt.param_groups) == 1 and len(opt.param_groups[0]["params"]) == 3
    only = build_optimizer(net, OptimConfig(lr=1e-3, lr_scale={"classifier": 2.0,
                                                               "nothing": 3.0}))
    assert [g["lr"] for g in only.param_groups] == pytest.approx([1e-3, 2e-3])


def test_lr_scale_names_the_parameters_as_the_model_does_inside_a_wrapper():
    wrapped = torch.nn.Module()
    wrapped.module = _Net()  # how DistributedDataParallel names its model's parameters
    opt = build_optimizer(wrapped, OptimConfig(lr=1e-3, lr_scale={"classifier": 10.0}))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([1e-3, 1e-2])
