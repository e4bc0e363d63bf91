"""What a task provides to the shared commands (train, decode, score, pack).

A task module ``toolkit/<name>/task.py`` defines a subclass of :class:`Task`
and exposes an instance as ``TASK``. The shared trainer calls
:meth:`Task.train_step` / :meth:`Task.valid_step`; ``sptk-cli decode`` calls
:meth:`Task.decode` on a shard of a data directory and ``sptk-cli score``
compares two data directories with :meth:`Task.score`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.data.roles import RoleSpec, role_spec
from toolkit.train.config import TrainConfig


class Task:
    """Base class of the tasks (override what the task needs)."""

    name: str = ""
    config_class: type[TrainConfig] = TrainConfig
    #: Extra files an experiment directory holds that a packed model needs.
    pack_files: tuple[str, ...] = ()

    def roles(self) -> RoleSpec:
        return role_spec(self.name)

    def pack_extras(self, bundle: Path, fp16: bool) -> None:
        """Write what a bundle needs beyond its weights and copied files (``sptk-cli pack``
        calls it on the bundle being written, ``model.pt`` and ``config.yaml`` in place)."""

    def combine(self, models: list[Any], cfgs: list[Any], source: Path) -> Any:
        """One model of several trained alike (an ensemble bundle, ``ensemble.yaml``, read by
        :func:`toolkit.train.packing.load_model_dir`); a task without ensembles refuses."""
        from toolkit.errors import UserError

        raise UserError(f"{source}: an ensemble of '{self.name}' models; this task does not "
                        "combine several models into one")

    def build_datasets(self, cfg: Any, train_dir: Path, valid_dir: Path | None) -> tuple[Any, Any]:
        """Map-style training and validation datasets."""
        raise NotImplementedError

    def prepare_model(self, model: Any, cfg: Any, train_set: Any, exp_dir: Path) -> None:
        """Fit anything data-dependent before training (normalisation statistics)."""

    def collate(self, items: list[Any]) -> Any:
        from torch.utils.data import default_collate

        return default_collate(items)

    def train_step(self, model: Any, batch: Any) -> tuple[Any, dict[str, float]]:
        """Return (loss tensor, {metric: float}) for one training batch."""
        raise NotImplementedError

    def valid_step(self, model: Any, batch: Any) -> tuple[dict[str, float], int]:
        """Return ({metric: batch mean}, batch size); the trainer averages over items."""
        import torch

        with torch.no_grad():
            loss, values = self.train_step(model, batch)
        n = len(next(iter(batch.values()))) if isinstance(batch, dict) else len(batch[0])
        return {"loss": float(loss), **values}, n

    def decode(self, model: Any, cfg: Any, data_dir: Path, out_dir: Path, keys: list[str],
               device: str) -> dict[str, dict[str, str]]:
        """Run inference on ``keys`` of ``data_dir``; return the files of the output data dir.

        Audio outputs are written under ``out_dir`` (``out_dir/audio/``) and
        referenced from the returned ``*.scp`` mappings.
        """
        raise NotImplementedError

    def score_keys(self, ref_dir: Path, hyp_dir: Path, keys: list[str]) -> dict[str, Any]:
        """Per-utterance results for ``keys`` (JSON-serialisable), to be aggregated.

        Scoring is split this way so that ``sptk-cli score --shard J/N`` can run
        as many jobs (PESQ on thousands of files) and ``sptk-cli score-merge``
        aggregates their parts into exactly the scores of a single job.
        """
        raise NotImplementedError

    def aggregate(self, per_key: dict[str, Any]) -> dict[str, Any]:
        """Corpus-level scores from the per-utterance results of :meth:`score_keys`."""
        raise NotImplementedError

    def score(self, ref_dir: Path, hyp_dir: Path) -> dict[str, Any]:
        """Compare a decode output with its reference; return {metric: value}."""
        from toolkit.data.datadir import DataDir

        return self.aggregate(self.score_keys(ref_dir, hyp_dir, DataDir(ref_dir).keys()))
