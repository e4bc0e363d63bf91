"""The template recipe's task: classify 1-s clips as noise, tone or chirp.

It is deliberately trivial: it exercises every stage of a recipe (corpus,
data directories, sharded feature extraction, training with checkpoints,
sharded decoding, scoring, packing) in seconds, and it is the example the
five real recipes copy. Data roles: ``wav.scp`` and ``label``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.datadir import DataDir
from toolkit.dsp.features import FeatureConfig, extract
from toolkit.errors import DataDirError
from toolkit.tasks.base import Task
from toolkit.train.config import ModelSpec, TrainConfig, TrainerConfig


@dataclass
class ToneDataConfig:
    """Data settings.

    Attributes:
        classes: the label set, in output order.
        crop_frames: frames per training example (random crop; centre crop in validation).
    """

    classes: list[str] = field(default_factory=lambda: ["noise", "tone", "chirp"])
    crop_frames: int = 64


@dataclass
class ToneCorpusConfig:
    """The built-in corpus (``sptk-cli corpus tones --config``): clips, seed, length."""

    n: int = 300
    seed: int = 0
    duration: float = 1.0
    sample_rate: int = 16000


@dataclass
class ToneConfig(TrainConfig):
    """Config of the tone task: model, optim, trainer, features, data."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("tone_cnn", {}))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=5, batch_size=16, metric="valid/acc", mode="max"))
    features: FeatureConfig = field(default_factory=FeatureConfig)
    data: ToneDataConfig = field(default_factory=ToneDataConfig)
    corpus: ToneCorpusConfig = field(default_factory=ToneCorpusConfig)


def read_labels(d: DataDir, classes: list[str]) -> dict[str, int]:
    """Class index per key; an unknown class is an error naming the line."""
    index = {c: i for i, c in enumerate(classes)}
    out = {}
    for n, (key, value) in enumerate(d.read("label").items(), 1):
        if value not in index:
            raise DataDirError(f"{d.path / 'label'} line {n}: unknown class '{value}' "
                               f"(data.classes: {', '.join(classes)})")
        out[key] = index[value]
    return out


def load_features(d: DataDir, key: str, conf: FeatureConfig) -> np.ndarray:
    """Precomputed features (feats.scp) when present, else computed from the audio."""
    if d.has("feats.scp"):
        return np.load(d.read("feats.scp")[key])
    from toolkit.data.audio import load_mono

    path, offset, duration = d.audio_spec(key)
    wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
    return extract(wave, conf)


def crop(feats: np.ndarray, frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """A ``frames``-long window (random when ``rng`` is given, else centred), zero-padded."""
    n = feats.shape[0]
    if n < frames:
        return np.pad(feats, ((0, frames - n), (0, 0)), mode="edge")
    start = int(rng.integers(0, n - frames + 1)) if rng is not None else (n - frames) // 2
    return feats[start : start + frames]


class ToneDataset:
    """Items ``{"feats": (crop_frames, n_mels), "label": int}``."""

    def __init__(self, data_dir: Path, cfg: ToneConfig, train: bool):
        self.dir = DataDir(data_dir)
        self.cfg, self.train = cfg, train
        self.keys = self.dir.keys()
        self.labels = read_labels(self.dir, cfg.data.classes)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> dict[str, Any]:
        key = self.keys[i]
        feats = load_features(self.dir, key, self.cfg.features)
        rng = (np.random.default_rng([self.cfg.trainer.seed, self.epoch, i])
               if self.train else None)
        x = crop(feats, self.cfg.data.crop_frames, rng)
        return {"feats": torch.from_numpy(np.ascontiguousarray(x)), "label": self.labels[key]}


class ToneTask(Task):
    """Tone / chirp / noise classification."""

    name = "tone"
    config_class = ToneConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        n_classes = cfg.model.conf.get("n_classes", 3)
        if n_classes != len(cfg.data.classes):
            from toolkit.errors import ConfigError

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
        logits = model(batch["feats"])
        loss = torch.nn.functional.cross_entropy(logits, batch["label"])
        acc = (logits.argmax(-1) == batch["label"]).float().mean()
        return loss, {"acc": float(acc)}

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        d = DataDir(data_dir)
        labels, posts = {}, {}
        model.eval()
        with torch.no_grad():
            for key in keys:
                feats = torch.from_numpy(load_features(d, key, cfg.features)).to(device)
                if feats.shape[0] < cfg.data.crop_frames:
                    feats = torch.from_numpy(crop(feats.cpu().numpy(), cfg.data.crop_frames,
                                                  None)).to(device)
                prob = torch.softmax(model(feats[None].float()), -1)[0].cpu().numpy()
                labels[key] = cfg.data.classes[int(prob.argmax())]
                posts[key] = " ".join(f"{c}:{p:.4f}" for c, p in zip(cfg.data.classes, prob,
                                                                     strict=True))
        return {"label": labels, "posterior": posts}

    def score_keys(self, ref_dir, hyp_dir, keys):
        ref, hyp = DataDir(ref_dir).read("label"), DataDir(hyp_dir).read("label")
        missing = [k for k in keys if k not in hyp]
        if missing:
            raise DataDirError(f"{hyp_dir}/label has no prediction for {len(missing)} "
                               f"key(s), first '{missing[0]}'; decode every utterance first")
        return {k: {"ref": ref[k], "hyp": hyp[k]} for k in keys}

    def aggregate(self, per_key):
        from toolkit.metrics.classification import accuracy_report

        return accuracy_report({k: v["ref"] for k, v in per_key.items()},
                               {k: v["hyp"] for k, v in per_key.items()})


TASK = ToneTask()
