"""The training loop shared by every task.

The task supplies the data and the loss (see :class:`toolkit.train.task.Task`):
``collate(items)``, ``train_step(model, batch) -> (loss, {name: value})`` and
``valid_step(model, batch) -> ({name: value}, n)``. The trainer owns the rest:
seeding, batching, gradient clipping and accumulation, checkpoints, resume,
early stopping, logs and DistributedDataParallel.

Exact resume: the order of the training set in epoch ``e`` is a permutation
drawn from ``(seed, e)``; datasets that augment derive their randomness from
``(seed, epoch, index)`` through :meth:`set_epoch`; model randomness (dropout)
uses torch's global RNG, whose state is saved in every checkpoint. A run killed
at any point and restarted from ``last.pt`` therefore ends with the same
weights as an uninterrupted run (tested in tests/train/test_resume.py).

Left-overs of a killed run are cleaned at start: temporary checkpoints of a
save that was killed half-way (``.last.*.tmp.pt`` and the like) are removed,
and ``scalars.log`` is cut back to the resumed step so no line appears twice.
A diverging run stops with :class:`~toolkit.train.guards.TrainingDiverged`
(one line, exit 2, no ``.done``); see :mod:`toolkit.train.guards`.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.fsutil import atomic_write_text, mark_done
from toolkit.log import LogFile
from toolkit.progress import Progress
from toolkit.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from toolkit.train.config import TrainConfig
from toolkit.train.distributed import all_reduce_sums, init_distributed, resolve_device
from toolkit.train.guards import check_divergence, remove_stale_temporaries
from toolkit.train.optim import build_optimizer, build_scheduler, step_scheduler
from toolkit.train.scalars import ScalarWriter

log = logging.getLogger(__name__)
def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The training order of epoch ``epoch``: a permutation fixed by (seed, epoch)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g).tolist()


def to_device(batch: Any, device: str) -> Any:
    """Move tensors in nested dicts/lists/tuples to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


class Trainer:
    """Train ``model`` on ``train_set`` for ``cfg.trainer.epochs`` epochs.

    Args:
        model: the model (unwrapped; DDP wrapping happens here).
        task: provides collate, train_step and valid_step.
        cfg: the resolved task config (saved into checkpoints).
        train_set: a map-style dataset (``__len__``, ``__getitem__``).
        valid_set: a map-style dataset or None (then the metric must be a train metric).
        exp_dir: experiment directory (checkpoints, logs).
        device: auto | cpu | cuda | cuda:N.
    """

    def __init__(self, model: torch.nn.Module, task: Any, cfg: TrainConfig, train_set: Any,
                 valid_set: Any, exp_dir: str | Path, device: str = "auto"):
        self.task, self.cfg, self.tc = task, cfg, cfg.trainer
        self.train_set, self.valid_set = train_set, valid_set
        self.exp = Path(exp_dir)
        self.dist = init_distributed(device if device != "auto" else
                                     ("cuda" if torch.cuda.is_available() else "cpu"))
        self.device = resolve_device(device, self.dist)
        from toolkit.errors import UserError

        if self.tc.batch_size % self.dist.world_size:
            raise UserError(f"trainer.batch_size {self.tc.batch_size} is not divisible by "
                            f"the {self.dist.world_size} processes")
        if self.tc.metric.startswith("valid/") and (valid_set is None or not len(valid_set)):
            raise UserError(f"trainer.metric {self.tc.metric} needs a validation set: pass "
                            "--valid DIR, or choose a train/ metric or 'epoch'")
        self.local_batch = self.tc.batch_size // self.dist.world_size
        self.model = model.to(self.device)
        self.optimizer = build_optimizer(self.model, cfg.optim)
        self.scheduler = build_scheduler(self.optimizer, cfg.optim, cfg.trainer)
        self.ddp = self.model
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            ids = [torch.device(self.device).index] if self.device.startswith("cuda") else None
            self.ddp = DistributedDataParallel(self.model, device_ids=ids)
        self.state = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "best": None,
                      "best_epoch": None, "bad_epochs": 0, "stopped": False,
                      "loss_ref": None}

    # ---------------------------------------------------------------- state
    def _checkpoint(self) -> dict[str, Any]:
        from toolkit.config import to_dict

        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "rng": rng_state(), "config": to_dict(self.cfg), **self.state}

    def _save(self, name: str) -> None:
        if self.dist.is_main:
            save_checkpoint(self._checkpoint(), self.exp / name)

    def _resume(self) -> bool:
        last = self.exp / "last.pt"
        if not last.exists():
            return False
        ck = load_checkpoint(last, map_location=self.device)
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        if self.scheduler and ck.get("scheduler"):
            self.scheduler.load_state_dict(ck["scheduler"])
        for k in self.state:
            self.state[k] = ck.get(k, self.state[k])  # older checkpoints lack loss_ref
        set_rng_state(ck["rng"])
        log.info("resumed from %s: epoch %d, batch %d, step %d", last, self.state["epoch"] + 1,
                 self.state["step_in_epoch"], self.state["global_step"])
        return True

    # ---------------------------------------------------------------- loop
    def _loader(self, dataset: Any, indices: list[int], epoch: int) -> Any:
        from torch.utils.data import DataLoader

        # A generator of our own, so that creating the iterator never consumes
        # the global torch RNG (which would break exact mid-epoch resume).
        g = torch.Generator().manual_seed(self.tc.seed * 7919 + epoch)
        return DataLoader(dataset, batch_size=self.local_batch, sampler=indices,
                          collate_fn=self.task.collate, num_workers=self.tc.num_workers,
                          generator=g, persistent_workers=False)

    def _rank_indices(self, order: list[int]) -> list[int]:
        w = self.dist.world_size
        if w == 1:
            return order
        # Pad to whole global batches, then give each rank its slice of each batch,
        # so that a global batch is the same set of items as in a 1-process run.
        bs = self.tc.batch_size
        padded = order + order[: (-len(order)) % bs]
        lb = self.local_batch
        r = self.dist.rank
        return [i for b in range(0, len(padded), bs) for i in padded[b + r * lb: b + (r + 1) * lb]]

    def _steps_per_epoch(self) -> int:
        n = math.ceil(len(self._rank_indices(list(range(len(self.train_set))))) / self.local_batch)
        return min(n, self.tc.max_steps_per_epoch) if self.tc.max_steps_per_epoch else n

    def fit(self) -> dict[str, float]:
        """Train (resuming from last.pt when present); return the final validation metrics."""
        self.exp.mkdir(parents=True, exist_ok=True)
        file_handler = None
        toolkit_log = logging.getLogger("toolkit")
        old_level = toolkit_log.level
        if self.dist.is_main:
            from toolkit.log import DATEFMT, FORMAT

            file_handler = LogFile(self.exp / "train.log", encoding="utf-8")
            file_handler.setFormatter(logging.Formatter(FORMAT, DATEFMT))
            file_handler.setLevel(logging.INFO)
            logging.getLogger().addHandler(file_handler)
            if toolkit_log.getEffectiveLevel() > logging.INFO:
                toolkit_log.setLevel(logging.INFO)  # train.log gets INFO even when quiet
        try:
            return self._fit()
        finally:
            toolkit_log.setLevel(old_level)
            if file_handler:
                logging.getLogger().removeHandler(file_handler)
                file_handler.close()

    def _fit(self) -> dict[str, float]:
        seed_everything(self.tc.seed)
        if self.dist.is_main:
            remove_stale_temporaries(self.exp)
        resumed = self._resume()
        n_params = sum(p.numel() for p in self.model.parameters())
        log.info("model %s: %.3fM parameters; %d training items, %d steps per epoch; device %s, "
                 "%d process(es)", type(self.model).__name__, n_params / 1e6, len(self.train_set),
                 self._steps_per_epoch(), self.device, self.dist.world_size)
        writer = ScalarWriter(self.exp, enabled=self.dist.is_main,
                              purge_step=self.state["global_step"] if resumed else None)
        metrics: dict[str, float] = {}
        try:
            while self.state["epoch"] < self.tc.epochs and not self.state["stopped"]:
                train_metrics = self._train_epoch(writer)
                metrics = {**train_metrics, **self._validate()}
                self._end_epoch(metrics, writer)
        finally:
            writer.close()
        if self.dist.is_main:
            atomic_write_text(self.exp / "final_metrics.json", json.dumps(
                {"best": self.state["best"], "best_epoch": self.state["best_epoch"],
                 "epochs": self.state["epoch"], **metrics}, indent=1) + "\n")
            mark_done(self.exp)
        if self.dist.enabled:
            import torch.distributed as dist

            dist.barrier()  # no process leaves while another still talks to it
            dist.destroy_process_group()
        return metrics

    def _train_epoch(self, writer: ScalarWriter) -> dict[str, float]:
        epoch, skip = self.state["epoch"], self.state["step_in_epoch"]
        if hasattr(self.train_set, "set_epoch"):
            self.train_set.set_epoch(epoch)
        order = self._rank_indices(epoch_order(len(self.train_set), self.tc.seed, epoch))
        total = self._steps_per_epoch()
        indices = order[skip * self.local_batch: total * self.local_batch]
        self.ddp.train()
        sums: dict[str, float] = {}
        count = 0
        t0 = time.time()
        progress = Progress(f"epoch {epoch + 1}/{self.tc.epochs}", total, unit="batches",
                            every=self.tc.log_every_steps / max(total, 1), start=skip)
        accum = self.tc.accum_grad
        self.optimizer.zero_grad(set_to_none=True)
        for i, batch in enumerate(self._loader(self.train_set, indices, epoch), start=skip):
            batch = to_device(batch, self.device)
            loss, values = self.task.train_step(self.ddp, batch)
            value = float(loss.detach())
            if self.state["loss_ref"] is None:
                self.state["loss_ref"] = value  # the model at initialisation
            check_divergence(value, self.state["loss_ref"], epoch, i,
                             self.optimizer.param_groups[0]["lr"])
            (loss / accum).backward()
            values = {"loss": float(loss.detach()), **values}
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v
            count += 1
            if (i + 1) % accum == 0 or i + 1 == total:
                if self.tc.grad_clip > 0:
                    params = self.model.parameters()
                    values["grad_norm"] = float(
                        torch.nn.utils.clip_grad_norm_(params, self.tc.grad_clip))
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                step_scheduler(self.scheduler, self.cfg.optim, per="step")
                self.state["global_step"] += 1
                self.state["step_in_epoch"] = i + 1
                gs = self.state["global_step"]
                if gs % self.tc.log_every_steps == 0:
                    writer.add({f"train/{k}": v for k, v in values.items()}, gs, epoch + 1)
                if (self.tc.save_every_steps and (i + 1) % self.tc.save_every_steps == 0
                        and i + 1 < total):
                    self._save("last.pt")
            progress.update(i + 1, note=f"loss {values['loss']:.4g}")
        progress.close()
        self.state["step_in_epoch"] = 0
        n = max(count, 1)
        out = {f"train/{k}": v / n for k, v in sums.items()}
        out["train/seconds"] = time.time() - t0
        return out

    @torch.no_grad()
    def _validate(self) -> dict[str, float]:
        if self.valid_set is None or len(self.valid_set) == 0:
            return {}
        self.model.eval()
        order = list(range(len(self.valid_set)))
        mine = order[self.dist.rank:: self.dist.world_size]
        sums: dict[str, float] = {}
        total = 0.0
        for batch in self._loader(self.valid_set, mine, 0):
            batch = to_device(batch, self.device)
            values, n = self.task.valid_step(self.model, batch)
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + float(v) * n
            total += n
        sums["__n__"] = total
        sums = all_reduce_sums(sums, self.dist)
        n = max(sums.pop("__n__"), 1.0)
        return {f"valid/{k}": v / n for k, v in sums.items()}

    def _end_epoch(self, metrics: dict[str, float], writer: ScalarWriter) -> None:
        epoch = self.state["epoch"] + 1
        name = self.tc.metric
        if name not in metrics and name != "epoch":
            from toolkit.errors import UserError

            raise UserError(f"trainer.metric '{name}' is not among the metrics "
                            f"({', '.join(sorted([*metrics, 'epoch']))})")
        value = float(epoch) if name == "epoch" else metrics[name]
        best = self.state["best"]
        better = best is None or (value < best if self.tc.mode == "min" else value > best)
        step_scheduler(self.scheduler, self.cfg.optim, per="epoch", metric=value)
        metrics["lr"] = self.optimizer.param_groups[0]["lr"]
        writer.add(metrics, self.state["global_step"], epoch)
        shown = " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if not k.endswith("seconds"))
        log.info("epoch %d/%d %s%s", epoch, self.tc.epochs, shown, " (best)" if better else "")
        self.state["epoch"] = epoch
        if better:
            self.state.update(best=value, best_epoch=epoch, bad_epochs=0)
        else:
            self.state["bad_epochs"] += 1
            if self.tc.patience and self.state["bad_epochs"] >= self.tc.patience:
                log.info("early stop: %s has not improved for %d epochs (best %.4g at epoch %d)",
                         name, self.tc.patience, self.state["best"], self.state["best_epoch"])
                self.state["stopped"] = True
        if better:
            self._save("best.pt")
        self._save(f"ckpt/epoch-{epoch}.pt")
        self._save("last.pt")
        if self.dist.is_main:
            kept = sorted((self.exp / "ckpt").glob("epoch-*.pt"),
                          key=lambda p: int(p.stem.split("-")[1]))
            for old in kept[: max(len(kept) - self.tc.keep_last, 0)]:
                old.unlink()
