"""The shared trainer: loss goes down, checkpoints, early stop, logs, bad metric names."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from toolkit.errors import UserError
from toolkit.train.config import ModelSpec, OptimConfig, TrainConfig, TrainerConfig
from toolkit.train.task import Task
from toolkit.train.trainer import Trainer, epoch_order


class Regression(Task):
    """y = x @ w_true + noise, with a dropout model so the RNG matters."""

    name = "toy"

    def train_step(self, model, batch):
        pred = model(batch["x"])
        loss = torch.nn.functional.mse_loss(pred, batch["y"])
        return loss, {"mae": float((pred.detach() - batch["y"]).abs().mean())}


def make_data(n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = x @ (torch.arange(8.0) / 8).unsqueeze(1) + 0.01 * torch.randn(n, 1, generator=g)
    return [{"x": x[i], "y": y[i]} for i in range(n)]


def make_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Dropout(0.1),
                               torch.nn.Linear(16, 1))


def config(**trainer) -> TrainConfig:
    base = {"epochs": 4, "batch_size": 8, "log_every_steps": 1}
    return TrainConfig(ModelSpec("toy"), OptimConfig(lr=1e-2),
                       TrainerConfig(**{**base, **trainer}))


def test_loss_goes_down_and_files_are_written(tmp_path):
    cfg = config(keep_last=2)
    trainer = Trainer(make_model(), Regression(), cfg, make_data(64), make_data(16, 1), tmp_path)
    trainer.fit()
    lines = (tmp_path / "scalars.log").read_text().splitlines()
    losses = [float(x.split("valid/loss=")[1].split()[0]) for x in lines if "valid/loss=" in x]
    assert len(losses) == 4 and losses[-1] < 0.5 * losses[0]
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["epoch-3.pt", "epoch-4.pt"]
    for name in ("best.pt", "last.pt", "train.log", "final_metrics.json", ".done"):
        assert (tmp_path / name).is_file(), name
    if any((tmp_path / "tb").glob("events.*")) is False:
        pytest.skip("tensorboard not installed")


def test_early_stopping_on_a_named_metric(tmp_path):
    # lr 0 never improves: stops after `patience` epochs without improvement
    cfg = dataclasses.replace(config(epochs=20, patience=2, metric="valid/mae"),
                              optim=OptimConfig(lr=0.0))
    trainer = Trainer(make_model(), Regression(), cfg, make_data(16), make_data(8, 1), tmp_path)
    trainer.fit()
    assert trainer.state["stopped"] and trainer.state["epoch"] == 3
    assert "early stop" in (tmp_path / "train.log").read_text()


def test_unknown_metric_is_a_user_error(tmp_path):
    cfg = config(metric="valid/nope")
    with pytest.raises(UserError, match="valid/nope"):
        Trainer(make_model(), Regression(), cfg, make_data(16), make_data(8), tmp_path).fit()


def test_a_validation_metric_without_a_validation_set_is_refused_before_training(tmp_path):
    with pytest.raises(UserError, match="needs a validation set"):
        Trainer(make_model(), Regression(), config(metric="valid/loss"), make_data(16), None,
                tmp_path)
    assert not (tmp_path / "last.pt").exists()
    trainer = Trainer(make_model(), Regression(), config(epochs=1, metric="train/loss"),
                      make_data(16), None, tmp_path)
    trainer.fit()
    assert (tmp_path / ".done").is_file()


def test_epoch_order_is_a_fixed_permutation():
    assert epoch_order(10, 0, 3) == epoch_order(10, 0, 3)
    assert sorted(epoch_order(10, 0, 3)) == list(range(10))
    assert epoch_order(10, 0, 3) != epoch_order(10, 0, 4)


def test_resume_in_process_matches_uninterrupted(tmp_path):
    """Stop after epoch 2 (epochs=2), continue to 4: same weights as 4 straight epochs."""
    full = Trainer(make_model(), Regression(), config(), make_data(40), make_data(8, 1),
                   tmp_path / "a")
    full.fit()
    first = Trainer(make_model(), Regression(), config(epochs=2), make_data(40), make_data(8, 1),
                    tmp_path / "b")
    first.fit()
    (tmp_path / "b" / ".done").unlink()
    second = Trainer(make_model(), Regression(), config(), make_data(40), make_data(8, 1),
                     tmp_path / "b")
    second.fit()
    for k, v in full.model.state_dict().items():
        assert torch.equal(v, second.model.state_dict()[k]), k


def test_stale_temporary_checkpoints_are_removed_at_start(tmp_path):
    (tmp_path / "ckpt").mkdir(parents=True)
    stale = [tmp_path / ".last.k3j2h1.tmp.pt", tmp_path / ".best.a1.tmp.pt",
             tmp_path / "ckpt" / ".epoch-3.zz.tmp.pt"]
    for path in stale:
        path.write_bytes(b"half a checkpoint")
    (tmp_path / "notes.txt").write_text("kept")
    Trainer(make_model(), Regression(), config(epochs=1), make_data(16), make_data(8, 1),
            tmp_path).fit()
    assert not any(p.exists() for p in stale)
    assert (tmp_path / "notes.txt").read_text() == "kept"


def _steps(path):
    return [(int(ln.split()[1].removeprefix("step=")), "valid/loss=" in ln)
            for ln in path.read_text().splitlines()]


def test_resume_does_not_repeat_scalar_lines(tmp_path):
    cfg2, cfg4 = config(epochs=2), config(epochs=4)
    straight = Trainer(make_model(), Regression(), cfg4, make_data(40), make_data(8, 1),
                       tmp_path / "a")
    straight.fit()
    exp = tmp_path / "b"
    Trainer(make_model(), Regression(), cfg2, make_data(40), make_data(8, 1), exp).fit()
    (exp / ".done").unlink()
    with open(exp / "scalars.log", "a") as f:  # what a run killed after its checkpoint logged
        f.write("epoch=3 step=11 train/loss=0.5\nepoch=3 step=12 train/lo")
    Trainer(make_model(), Regression(), cfg4, make_data(40), make_data(8, 1), exp).fit()
    assert _steps(exp / "scalars.log") == _steps(tmp_path / "a" / "scalars.log")


@pytest.mark.parametrize("lr, needle", [(1e12, "training diverged at epoch 1"),
                                        (1e30, "training diverged at epoch 1")])
def test_diverging_loss_stops_without_done(tmp_path, lr, needle):
    from toolkit.train.guards import TrainingDiverged

    cfg = dataclasses.replace(config(epochs=3), optim=OptimConfig(name="sgd", lr=lr))
    trainer = Trainer(make_model(), Regression(), cfg, make_data(64), make_data(8, 1), tmp_path)
    with pytest.raises(TrainingDiverged) as e:
        trainer.fit()
    assert needle in str(e.value) and "lower optim.lr" in str(e.value)
    assert isinstance(e.value, UserError) and not (tmp_path / ".done").exists()
