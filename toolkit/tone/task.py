"""The tone task as the trainer, ``sptk-cli decode`` and ``sptk-cli score`` call it.

Everything the task knows lives in the modules beside this one; this class only
connects them to the shared commands (and keeps no state between calls).
"""

from __future__ import annotations

import numpy as np
import torch

from toolkit.data.datadir import DataDir
from toolkit.errors import ConfigError
from toolkit.tone import score
from toolkit.tone.config import ToneConfig
from toolkit.tone.data import ToneDataset, load_features
from toolkit.tone.infer import posteriors
from toolkit.tone.loss import batch_loss
from toolkit.train.task import Task


class ToneTask(Task):
    """Tone / chirp / noise classification."""

    name = "tone"
    config_class = ToneConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        n_classes = cfg.model.conf.get("n_classes", 3)
        if n_classes != len(cfg.data.classes):
            raise ConfigError(f"model.conf.n_classes is {n_classes} but data.classes lists "
                              f"{len(cfg.data.classes)} classes")
        valid = ToneDataset(valid_dir, cfg, train=False) if valid_dir else None
        return ToneDataset(train_dir, cfg, train=True), valid

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Per-band mean and std of the training features (first 500 items)."""
        feats = np.concatenate([load_features(train_set.dir, k, cfg.features)
                                for k in train_set.keys[:500]])
        model.norm.set_stats(torch.from_numpy(feats.mean(0)), torch.from_numpy(feats.std(0)))

    def train_step(self, model, batch):
        return batch_loss(model, batch)

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        d = DataDir(data_dir)
        labels, posts = {}, {}
        model.eval()
        for key in keys:
            prob = posteriors(model, cfg, load_features(d, key, cfg.features), device)
            labels[key] = cfg.data.classes[int(prob.argmax())]
            posts[key] = " ".join(f"{c}:{p:.4f}" for c, p in zip(cfg.data.classes, prob,
                                                                 strict=True))
        return {"label": labels, "posterior": posts}

    def score_keys(self, ref_dir, hyp_dir, keys):
        return score.score_keys(ref_dir, hyp_dir, keys)

    def aggregate(self, per_key):
        return score.aggregate(per_key)


TASK = ToneTask()
