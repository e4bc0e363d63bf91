"""Audio event classification (recipes/aed): AST and DATAR on Kaldi fbank features.

Data roles: ``wav.scp`` and ``label`` (one class, or comma-separated classes for
multi-label corpora such as AudioSet), optional ``utt2fold``. Features follow AST:
128-bin Kaldi fbank (25 ms / 10 ms, hanning), padded or cut to ``target_frames``,
normalised inside the model with the training set's global mean and ``2 * std``.

Training follows AST's recipe: SpecAugment (one frequency mask of up to ``freqm``
bins and one time mask of up to ``timem`` frames, value 0 on the log fbank, before
normalisation), mixup of waveforms with probability ``mixup`` and ``lambda ~
Beta(10, 10)`` mixing the targets too; cross-entropy (single label) or binary
cross-entropy (multi-label). ``data.pretrain`` switches to the self-supervised
masked-patch objective (MSE on masked 16 x 16 squares), ``data.init_from`` starts a
model from such a pretraining.

Decoding averages the posteriors of consecutive ``target_frames`` windows of a
clip; scoring reports top-1 / top-5 accuracy, per-class accuracy, the confusion
matrix and, for multi-label data, mAP.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from toolkit.data.datadir import DataDir
from toolkit.dsp.features import FeatureConfig, extract
from toolkit.errors import ConfigError, DataDirError
from toolkit.tasks.base import Task
from toolkit.train.config import ModelSpec, TrainConfig, TrainerConfig

log = logging.getLogger(__name__)


@dataclass
class AedDataConfig:
    """Data, augmentation and objective settings (the ``data:`` section).

    Attributes:
        classes: label set in output order.
        multilabel: labels are comma-separated sets (BCE loss, mAP).
        target_frames: frames per example (AST: 512 for 5-s clips); training cuts
            longer clips at a random offset, evaluation uses consecutive windows.
        freqm, timem: SpecAugment mask widths (AST ESC-50: 24 and 96).
        mixup: probability of mixing an example with another (AST ESC-50: 0).
        mixup_alpha: Beta(alpha, alpha) of the mixing weight (AST: 10).
        norm_mean, norm_std: dataset statistics; null computes them on the training set.
        stats_items: training items the statistics are computed on.
        pretrain: masked-spectrogram-patch pretraining instead of classification.
        mask_ratio, mask_patch: fraction and size of the masked squares (pretraining).
        init_from: experiment directory or checkpoint to initialise the encoder from.
    """

    classes: list[str] = field(default_factory=list)
    multilabel: bool = False
    target_frames: int = 512
    freqm: int = 24
    timem: int = 96
    mixup: float = 0.0
    mixup_alpha: float = 10.0
    norm_mean: float | None = None
    norm_std: float | None = None
    stats_items: int = 2000
    pretrain: bool = False
    mask_ratio: float = 0.5
    mask_patch: int = 16
    init_from: str = ""


@dataclass
class AedCorpusConfig:
    """The corpus: built-in corpus size (``sptk-cli aed corpus``) and the folds that
    ``sptk-cli aed prepare --config`` puts in the train and test data directories."""

    train_folds: list[str] = field(default_factory=lambda: ["1", "2", "3", "4"])
    test_folds: list[str] = field(default_factory=lambda: ["5"])
    per_class: int = 40
    duration: float = 5.0
    seed: int = 0
    families: list[str] = field(default_factory=list)
    noise_types: list[str] = field(default_factory=list)


@dataclass
class AedConfig(TrainConfig):
    """Config of the aed task."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("datar", {}))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=30, batch_size=16, metric="valid/acc", mode="max"))
    features: FeatureConfig = field(default_factory=lambda: FeatureConfig(
        kind="kaldi_fbank", sample_rate=16000, n_mels=128, hop_length=160, win_length=400))
    data: AedDataConfig = field(default_factory=AedDataConfig)
    corpus: AedCorpusConfig = field(default_factory=AedCorpusConfig)


def read_targets(d: DataDir, classes: list[str], multilabel: bool) -> dict[str, list[int]]:
    """Class indices per key; an unknown class is an error naming file and line."""
    index = {c: i for i, c in enumerate(classes)}
    out = {}
    for n, (key, value) in enumerate(d.read("label").items(), 1):
        names = [v.strip() for v in value.split(",")] if multilabel else [value.strip()]
        bad = [v for v in names if v not in index]
        if bad:
            raise DataDirError(f"{d.path / 'label'} line {n}: unknown class '{bad[0]}' "
                               f"(data.classes has {len(classes)}: "
                               f"{', '.join(classes[:10])}{' ...' if len(classes) > 10 else ''})")
        out[key] = [index[v] for v in names]
    return out


def clip_features(d: DataDir, key: str, conf: FeatureConfig) -> np.ndarray:
    """Precomputed ``(frames, n_mels)`` features, or computed from the audio."""
    if d.has("feats.scp"):
        return np.load(d.read("feats.scp")[key])
    return extract(load_wave(d, key, conf), conf)


def load_wave(d: DataDir, key: str, conf: FeatureConfig) -> np.ndarray:
    """The clip's mono waveform at ``conf.sample_rate``, at least one analysis window."""
    from toolkit.data.audio import load_mono

    path, offset, duration = d.audio_spec(key)
    wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
    win = conf.win_length or int(0.025 * conf.sample_rate)
    return np.pad(wave, (0, max(0, win - len(wave))))


def fit_frames(x: np.ndarray, frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """Pad with zeros (AST) or cut to ``frames``; a random cut when ``rng`` is given."""
    n = x.shape[0]
    if n < frames:
        return np.pad(x, ((0, frames - n), (0, 0)))
    start = int(rng.integers(0, n - frames + 1)) if rng is not None else 0
    return x[start: start + frames]


def spec_augment(x: np.ndarray, freqm: int, timem: int, rng: np.random.Generator) -> np.ndarray:
    """One frequency and one time mask (torchaudio's Frequency/TimeMasking as AST uses)."""
    x = x.copy()
    for axis, width in ((1, freqm), (0, timem)):
        if width > 0:
            w = int(rng.integers(0, width + 1))
            start = int(rng.integers(0, max(1, x.shape[axis] - w + 1)))
            idx = [slice(None)] * 2
            idx[axis] = slice(start, start + w)
            x[tuple(idx)] = 0.0
    return x


class AedDataset:
    """Items ``{"feats": (target_frames, n_mels), "target": (n_classes,)}``."""

    def __init__(self, data_dir: Path, cfg: AedConfig, train: bool):
        self.dir = DataDir(data_dir)
        self.cfg, self.train = cfg, train
        self.keys = self.dir.keys()
        dc = cfg.data
        self.labels = ({} if dc.pretrain else
                       read_targets(self.dir, dc.classes, dc.multilabel))
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def _target(self, key: str) -> np.ndarray:
        t = np.zeros(len(self.cfg.data.classes), np.float32)
        t[self.labels.get(key, [])] = 1.0
        return t

    def __getitem__(self, i: int) -> dict[str, Any]:
        dc, key = self.cfg.data, self.keys[i]
        rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i]) if self.train else None
        target = self._target(key)
        if rng is not None and dc.mixup > 0 and not dc.pretrain and rng.random() < dc.mixup:
            j = int(rng.integers(len(self.keys)))
            lam = float(rng.beta(dc.mixup_alpha, dc.mixup_alpha))
            a, b = (load_wave(self.dir, k, self.cfg.features) for k in (key, self.keys[j]))
            b = np.resize(b, len(a)) if len(b) < len(a) else b[: len(a)]
            feats = extract(lam * a + (1 - lam) * b, self.cfg.features)
            target = lam * target + (1 - lam) * self._target(self.keys[j])
        else:
            feats = clip_features(self.dir, key, self.cfg.features)
        x = fit_frames(feats, dc.target_frames, rng)
        if rng is not None and not dc.pretrain:
            x = spec_augment(x, dc.freqm, dc.timem, rng)
        return {"feats": torch.from_numpy(np.ascontiguousarray(x, np.float32)),
                "target": torch.from_numpy(target)}


def load_init(model: torch.nn.Module, path: str) -> int:
    """Copy the matching weights of a pretrained experiment or checkpoint; the
    classifier head and the normalisation statistics stay. Returns tensors copied."""
    from toolkit.errors import UserError
    from toolkit.train.checkpoint import load_checkpoint

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


class AedTask(Task):
    """Audio event classification."""

    data = AedDataConfig()

    name = "aed"
    config_class = AedConfig
    pack_files = ("norm_stats.json",)

    def build_datasets(self, cfg, train_dir, valid_dir):
        n = cfg.model.conf.get("n_classes", 10)
        if not cfg.data.pretrain and n != len(cfg.data.classes):
            raise ConfigError(f"model.conf.n_classes is {n} but data.classes lists "
                              f"{len(cfg.data.classes)} classes")
        self.data = cfg.data
        valid = AedDataset(valid_dir, cfg, train=False) if valid_dir else None
        return AedDataset(train_dir, cfg, train=True), valid

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Global mean / std of the training fbank (AST's dataset statistics)."""
        from toolkit.fsutil import atomic_write_text

        dc = cfg.data
        if dc.norm_mean is None or dc.norm_std is None:
            s = s2 = n = 0.0
            for k in train_set.keys[: dc.stats_items]:
                x = clip_features(train_set.dir, k, cfg.features).astype(np.float64)
                s, s2, n = s + x.sum(), s2 + (x * x).sum(), n + x.size
            mean = s / max(n, 1)
            std = float(np.sqrt(max(s2 / max(n, 1) - mean ** 2, 1e-12)))
        else:
            mean, std = dc.norm_mean, dc.norm_std
        dim = model.norm.mean.numel()
        model.norm.set_stats(torch.full((dim,), mean), torch.full((dim,), 2 * std))
        atomic_write_text(Path(exp_dir) / "norm_stats.json",
                          json.dumps({"mean": mean, "std": std, "items": len(train_set.keys[
                              : dc.stats_items])}, indent=1) + "\n")
        log.info("dataset statistics: mean %.4f std %.4f", mean, std)
        if dc.init_from:
            load_init(model, dc.init_from)

    def train_step(self, model, batch):
        dc = self.data  # set by build_datasets: the trainer passes only (model, batch)
        x, target = batch["feats"], batch["target"]
        if dc.pretrain:
            rec, spec, mask = model(x, mask_ratio=dc.mask_ratio, mask_patch=dc.mask_patch)
            return ((rec - spec) ** 2)[mask].mean(), {}
        logits = model(x)
        if dc.multilabel:
            loss = F.binary_cross_entropy_with_logits(logits, target)
        else:  # cross-entropy with soft (mixup) targets
            loss = torch.sum(-target * F.log_softmax(logits, -1), -1).mean()
        acc = (logits.argmax(-1) == target.argmax(-1)).float().mean()
        return loss, {"acc": float(acc)}

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        from toolkit.tasks.aed_infer import posteriors

        d = DataDir(data_dir)
        classes = cfg.data.classes
        labels, posts = {}, {}
        for key in keys:
            prob = posteriors(model, cfg, clip_features(d, key, cfg.features), device)
            if cfg.data.multilabel:
                chosen = [c for c, p in zip(classes, prob, strict=True) if p >= 0.5]
                labels[key] = ",".join(chosen or [classes[int(prob.argmax())]])
            else:
                labels[key] = classes[int(prob.argmax())]
            posts[key] = " ".join(f"{c}:{p:.5f}" for c, p in zip(classes, prob, strict=True))
        return {"label": labels, "posterior": posts}

    def score_keys(self, ref_dir, hyp_dir, keys):
        from toolkit.tasks.aed_infer import parse_posterior

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
        from toolkit.tasks.aed_infer import aggregate_scores

        return aggregate_scores(per_key)


TASK = AedTask()
