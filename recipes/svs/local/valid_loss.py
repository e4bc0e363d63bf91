#!/usr/bin/env python3
"""The validation L1 that ``sptk-cli train`` selects checkpoints on, for any model directories.

Picks among models that no single training produced (e.g. ``sptk-cli average`` of
two seeds) by the same measure as their trainings' ``valid/loss``: the task's
``valid_step`` over the validation items, with the batch size of CONFIG.

Usage: local/valid_loss.py CONFIG VALID_DIR MODEL [MODEL ...]
  e.g. local/valid_loss.py conf/default_mir1k_extra2.yaml data/default_mir1k/dev \
         exp/default_mir1k_extra2 exp/default_mir1k_extra2_s1 exp/extra2_avg
Prints one line per model: ``<model> valid/loss=<value>``.
"""

from __future__ import annotations

import sys

import torch
from torch.utils.data import DataLoader

from toolkit.config import load_config
from toolkit.registry import get_task
from toolkit.svs.data import SVSDataset
from toolkit.train.packing import load_model_dir


def valid_loss(model, task, dataset, batch_size: int) -> float:
    """Item-weighted mean of ``task.valid_step``'s loss over ``dataset``."""
    loader = DataLoader(dataset, batch_size=batch_size, collate_fn=task.collate)
    total, n = 0.0, 0
    for batch in loader:
        values, k = task.valid_step(model, batch)
        total += values["loss"] * k
        n += k
    return total / max(n, 1)


def main(argv: list[str]) -> None:
    if len(argv) < 3:
        sys.exit(__doc__)
    config, valid, models = argv[0], argv[1], argv[2:]
    task = get_task("svs")
    cfg = load_config(task.config_class, config, None)
    dataset = SVSDataset(valid, cfg, train=False)
    torch.set_num_threads(1)
    for m in models:
        _, _, model = load_model_dir(m)
        print(f"{m} valid/loss={valid_loss(model, task, dataset, cfg.trainer.batch_size):.6f}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
