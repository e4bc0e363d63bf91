"""Datasets of the se task: stored mixtures (the paper's modes) and dynamic mixing.

:class:`SEDataset` reads data directories (``wav.scp`` noisy, ``speech.scp``,
``noise.scp``) and pairs each item with one of a second domain's items when the
mode needs it (``uda.aux_data``). The second domain's labels are read only when
the mode may use them: srst's labelled source items. The classifier and DANN
modes see the target's noisy audio only, and crops are chosen on the noisy
signal whenever no label is loaded (the target's clean speech never steers them).

:func:`dynamic_datasets` is the general enhancer's data: mixtures drawn on the
fly over a speech pool (:mod:`toolkit.se.simulate`).

Each item carries the config of its run under ``"cfg"`` (through
:meth:`toolkit.se.task.SETask.collate`), so the training step reads its mode
and loss from its argument, never from state left on the task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir, read_kv
from toolkit.errors import DataDirError, UserError
from toolkit.se.config import MixConfig, SEConfig
from toolkit.se.simulate import DynamicMixDataset, MixSimulator, MixSources


def _crop(signals: list[np.ndarray | None], n: int, rng: np.random.Generator | None,
          ) -> list[np.ndarray | None]:
    """The same ``n``-sample window of every signal: random or from the start.

    Random windows prefer speech: the clean speech (``signals[1]``) when the item's
    labels were loaded, otherwise the noisy signal (``signals[0]``).
    """
    length = len(signals[0])
    if length <= n or rng is None:
        start = 0
    else:
        ref = signals[1] if signals[1] is not None else signals[0]
        floor = 1e-4 * float(np.mean(ref ** 2)) + 1e-12
        for _ in range(5):  # prefer windows that hold speech
            start = int(rng.integers(0, length - n + 1))
            if np.mean(ref[start:start + n] ** 2) > floor:
                break
    out = []
    for x in signals:
        if x is None:
            out.append(None)
            continue
        x = x[start:start + n]
        out.append(np.pad(x, (0, n - len(x))) if len(x) < n else x)
    return out


class _Items:
    """Audio of one data directory: noisy, and speech / noise when the mode uses them.

    Args:
        path: the data directory.
        sample_rate: rate to load at.
        need_labels: load ``speech.scp`` / ``noise.scp`` (an error when absent);
            False: never read them, even when the directory has them.
    """

    def __init__(self, path: str | Path, sample_rate: int, need_labels: bool):
        self.dir = DataDir(path)
        self.keys = self.dir.keys()
        self.sr = sample_rate
        self.labelled = need_labels
        if need_labels and not (self.dir.has("speech.scp") and self.dir.has("noise.scp")):
            raise DataDirError(f"{path} has no speech.scp and noise.scp; this training mode "
                               "needs clean speech and noise (or teacher estimates)")
        if not self.keys:
            raise DataDirError(f"{path} holds no utterances")

    def load(self, key: str) -> list[np.ndarray | None]:
        def get(role: str) -> np.ndarray:
            return load_mono(self.dir.read(role)[key], self.sr)[0]

        noisy = get("wav.scp")
        if not self.labelled:
            return [noisy, None, None]
        s, n = get("speech.scp"), get("noise.scp")
        m = min(len(noisy), len(s), len(n))
        return [noisy[:m], s[:m], n[:m]]


class SEDataset:
    """Items ``{"noisy", "speech", "noise": (samples,)}`` plus ``aux_*`` from a second set.

    The second set (``uda.aux_data``) pairs each item with one of its items: in
    order (cycled) for classifier / dann, from the top share of ``uda.aux_rank``
    (drawn per epoch and index) for srst. ``lam`` is the source-loss weight of
    the epoch.
    """

    def __init__(self, data_dir: Path, cfg: SEConfig, train: bool, aux_dir: str = ""):
        self.cfg, self.train, self.epoch = cfg, train, 0
        mode = cfg.uda.mode
        self.main = _Items(data_dir, cfg.data.sample_rate, need_labels=True)
        self.aux = None
        if mode in ("classifier", "dann", "srst"):
            if not aux_dir:
                raise UserError(f"uda.mode {mode} needs uda.aux_data (and uda.aux_valid): the "
                                "other domain's data directory")
            self.aux = _Items(aux_dir, cfg.data.sample_rate, need_labels=mode == "srst")
        self.rank = list(self.aux.keys) if self.aux else []
        if mode == "srst" and cfg.uda.aux_rank and train:
            scores = {k: float(v) for k, v in read_kv(cfg.uda.aux_rank).items()}
            self.rank = sorted(self.aux.keys, key=lambda k: (-scores.get(k, -1e9), k))
        seconds = cfg.data.segment if train else cfg.data.valid_segment
        self.n = int(round(seconds * cfg.data.sample_rate))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.main.keys)

    def share(self, epoch: int) -> float:
        """Share of the ranked source items srst draws from in ``epoch``."""
        u = self.cfg.uda
        return max(u.srst_start - epoch * u.srst_step, 0.0)

    def lam(self, epoch: int) -> float:
        u = self.cfg.uda
        return u.lambda0 * u.lambda_decay ** epoch if self.share(epoch) > 0 else 0.0

    def aux_key(self, i: int) -> str:
        """The second-domain item paired with item ``i`` in the current epoch."""
        if self.cfg.uda.mode == "srst" and self.train:
            top = max(1, int(round(self.share(self.epoch) * len(self.rank))))
            rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i, 2])
            return self.rank[int(rng.integers(top))]
        return self.rank[i % len(self.rank)]

    def __getitem__(self, i: int) -> dict[str, Any]:
        seed = self.cfg.trainer.seed
        rng = np.random.default_rng([seed, self.epoch, i]) if self.train else None
        noisy, s, n = _crop(self.main.load(self.main.keys[i]), self.n, rng)
        item = {"noisy": torch.from_numpy(noisy), "speech": torch.from_numpy(s),
                "noise": torch.from_numpy(n)}
        if self.aux is not None:
            key = self.aux_key(i)
            item["lam"] = torch.tensor(self.lam(self.epoch if self.train else 0))
            arng = np.random.default_rng([seed, self.epoch, i, 1]) if self.train else None
            a = _crop(self.aux.load(key), self.n, arng)
            item["aux_noisy"] = torch.from_numpy(a[0])
            if a[1] is not None:
                item["aux_speech"], item["aux_noise"] = (torch.from_numpy(x) for x in a[1:])
        item["cfg"] = self.cfg
        return item


def dynamic_datasets(cfg: SEConfig, train_dir: Path, valid_dir: Path | None,
                     ) -> tuple[DynamicMixDataset, DynamicMixDataset | None]:
    """Dynamic mixing over a speech pool: training talkers vs held-out validation talkers."""
    sr, m = cfg.data.sample_rate, cfg.mix
    n_train = int(round(cfg.data.segment * sr))
    n_valid = int(round(cfg.data.valid_segment * sr))
    train = DynamicMixDataset(MixSimulator(MixSources(train_dir, m, "train", sr), m, n_train),
                              m.items_per_epoch, cfg.trainer.seed, train=True, extra={"cfg": cfg})
    valid = None
    if m.n_valid:
        vm = MixConfig(**{**vars(m), "snr": m.valid_snr, "p_eq": 0.0})  # natural speech
        sim = MixSimulator(MixSources(valid_dir or train_dir, vm, "valid", sr), vm, n_valid)
        valid = DynamicMixDataset(sim, m.n_valid, cfg.trainer.seed, train=False,
                                  extra={"cfg": cfg})
    return train, valid


def build_datasets(cfg: SEConfig, train_dir: Path, valid_dir: Path | None) -> tuple[Any, Any]:
    """Training and validation sets of ``cfg``'s mode (dynamic mixing when ``mix`` has noise)."""
    if cfg.mix.noise or cfg.mix.esc:
        return dynamic_datasets(cfg, train_dir, valid_dir)
    u = cfg.uda
    valid = (SEDataset(valid_dir, cfg, train=False, aux_dir=u.aux_valid or u.aux_data)
             if valid_dir else None)
    return SEDataset(train_dir, cfg, train=True, aux_dir=u.aux_data), valid
