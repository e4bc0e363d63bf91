"""The aed task as the trainer, ``sptk-cli decode`` and ``sptk-cli score`` call it.

Data and augmentation are in :mod:`toolkit.aed.data`, the losses in
:mod:`toolkit.aed.loss` (the objective follows from what a batch holds, so a task
object keeps no config), windowed inference in :mod:`toolkit.aed.infer` and scoring
in :mod:`toolkit.aed.score`. Decoding averages the posteriors of consecutive
``target_frames`` windows of a clip; scoring reports top-1 / top-5 accuracy,
per-class accuracy, the confusion matrix and, for multi-label data, mAP.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from toolkit.aed.config import AedConfig
from toolkit.aed.data import AedDataset, clip_features
from toolkit.aed.infer import Classifier, window_posteriors
from toolkit.aed.loss import batch_loss
from toolkit.aed.score import aggregate_scores, parse_posterior
from toolkit.data.datadir import DataDir
from toolkit.errors import ConfigError, DataDirError, UserError
from toolkit.fsutil import atomic_write_text
from toolkit.train.checkpoint import load_checkpoint
from toolkit.train.task import Task

log = logging.getLogger(__name__)


def load_init(model: torch.nn.Module, path: str) -> int:
    """Copy the matching weights of a pretrained experiment or checkpoint; the
    classifier head and the normalisation statistics stay. Returns tensors copied."""
    p = Path(path)
    if p.is_dir():
        p = next((p / n for n in ("best.pt", "last.pt", "model.pt") if (p / n).is_file()), p)
    if not p.is_file():
        raise UserError(f"data.init_from {path}: no checkpoint there (best.pt, last.pt, model.pt)")
    state = load_checkpoint(p)
    state = state.get("model", state)
    own = model.state_dict()
    keep = {k: v.to(own[k].dtype) for k, v in state.items()
            if k in own and own[k].shape == v.shape and not k.startswith(("head.", "norm."))}
    if not keep:
        raise UserError(f"data.init_from {p}: no weight fits this model (another architecture?)")
    model.load_state_dict(keep, strict=False)
    log.info("initialised %d of %d tensors from %s", len(keep), len(own), p)
    return len(keep)


def dataset_stats(train_set: AedDataset, cfg: AedConfig) -> tuple[float, float]:
    """Global mean and std of the training fbank (AST's dataset statistics)."""
    dc = cfg.data
    if dc.norm_mean is not None and dc.norm_std is not None:
        return dc.norm_mean, dc.norm_std
    s = s2 = n = 0.0
    for k in train_set.keys[: dc.stats_items]:
        x = clip_features(train_set.dir, k, cfg.features).astype(np.float64)
        s, s2, n = s + x.sum(), s2 + (x * x).sum(), n + x.size
    mean = s / max(n, 1)
    return mean, float(np.sqrt(max(s2 / max(n, 1) - mean ** 2, 1e-12)))


class AedTask(Task):
    """Audio event classification."""

    name = "aed"
    config_class = AedConfig
    pack_files = ("norm_stats.json",)

    def combine(self, models, cfgs, source):
        """The members' mean posterior (:mod:`toolkit.aed.ensemble`)."""
        from toolkit.aed.ensemble import combine

        return combine(models, cfgs, source)

    def build_datasets(self, cfg, train_dir, valid_dir):
        n = cfg.model.conf.get("n_classes", 10)
        if not cfg.data.pretrain and n != len(cfg.data.classes):
            raise ConfigError(f"model.conf.n_classes is {n} but data.classes lists "
                              f"{len(cfg.data.classes)} classes")
        dc = cfg.data
        if len(dc.gain_db) != 2 or dc.gain_db[0] > dc.gain_db[1]:
            raise ConfigError(f"data.gain_db must be [low, high] in dB, got {dc.gain_db}")
        if dc.mixup > 1 or dc.label_smoothing >= 1:
            raise ConfigError("data.mixup must lie in [0, 1] and data.label_smoothing in [0, 1)")
        valid = AedDataset(valid_dir, cfg, train=False) if valid_dir else None
        return AedDataset(train_dir, cfg, train=True), valid

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Normalisation statistics (saved as norm_stats.json) and ``data.init_from``."""
        mean, std = dataset_stats(train_set, cfg)
        dim = model.norm.mean.numel()
        model.norm.set_stats(torch.full((dim,), mean), torch.full((dim,), 2 * std))
        items = len(train_set.keys[: cfg.data.stats_items])
        atomic_write_text(Path(exp_dir) / "norm_stats.json",
                          json.dumps({"mean": mean, "std": std, "items": items}, indent=1) + "\n")
        log.info("dataset statistics: mean %.4f std %.4f", mean, std)
        if cfg.data.init_from:
            load_init(model, cfg.data.init_from)

    def train_step(self, model, batch):
        return batch_loss(model, batch)

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        d = DataDir(data_dir)
        clf = Classifier(model, cfg, device)
        classes = cfg.data.classes
        labels, posts = {}, {}
        for key in keys:
            prob = window_posteriors(clf, clip_features(d, key, cfg.features))
            if cfg.data.multilabel:
                chosen = [c for c, p in zip(classes, prob, strict=True) if p >= 0.5]
                labels[key] = ",".join(chosen or [classes[int(prob.argmax())]])
            else:
                labels[key] = classes[int(prob.argmax())]
            posts[key] = " ".join(f"{c}:{p:.5f}" for c, p in zip(classes, prob, strict=True))
        return {"label": labels, "posterior": posts}

    def score_keys(self, ref_dir, hyp_dir, keys):
        ref, hyp = DataDir(ref_dir).read("label"), DataDir(hyp_dir)
        labels = hyp.read("label")
        post = hyp.read("posterior") if hyp.has("posterior") else {}
        missing = [k for k in keys if k not in labels]
        if missing:
            raise DataDirError(f"{hyp_dir}/label has no prediction for {len(missing)} "
                               f"key(s), first '{missing[0]}'; decode every utterance first")
        return {k: {"ref": ref[k], "hyp": labels[k],
                    "post": parse_posterior(post[k]) if k in post else None} for k in keys}

    def aggregate(self, per_key):
        return aggregate_scores(per_key)


TASK = AedTask()
