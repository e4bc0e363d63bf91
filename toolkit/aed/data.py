"""Data of the aed task: targets, features, augmentation and the training dataset.

Data roles: ``wav.scp`` and ``label`` (one class, or comma-separated classes for
multi-label corpora such as AudioSet), optional ``utt2fold``. Features follow AST:
Kaldi fbank (25 ms windows, hanning), padded or cut to ``target_frames``,
normalised inside the model with the training set's global mean and ``2 * std``.

Training follows AST's recipe: SpecAugment (``spec_masks`` frequency masks of up to
``freqm`` bins and as many time masks of up to ``timem`` frames, value 0 on the log
fbank, before normalisation), mixup of waveforms with probability ``mixup`` and
``lambda ~ Beta(mixup_alpha, mixup_alpha)`` mixing the targets too. Waveform
augmentation beyond AST's (what lifts ESC-10 from 240 clips, RESULTS.md): a random
circular time shift (``time_roll``), a random gain (``gain_db``) and label smoothing;
``cache_audio`` keeps the decoded clips in memory. ``data.pretrain`` makes items for the
self-supervised masked-patch objective: the dataset draws the mask, so the
objective is fixed by the items themselves (:mod:`toolkit.aed.loss`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.aed.config import AedConfig
from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.features import FeatureConfig, extract
from toolkit.errors import DataDirError


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


def load_wave(d: DataDir, key: str, conf: FeatureConfig) -> np.ndarray:
    """The clip's mono waveform at ``conf.sample_rate``, at least one analysis window."""
    path, offset, duration = d.audio_spec(key)
    wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
    return pad_to_window(wave, conf)


def window_samples(conf: FeatureConfig) -> int:
    """Samples of one analysis window: ``win_length``, or Kaldi fbank's 25 ms when 0."""
    return conf.win_length or int(0.025 * conf.sample_rate)


def pad_to_window(wave: np.ndarray, conf: FeatureConfig) -> np.ndarray:
    """``wave`` zero-padded to at least one analysis window (one fbank frame)."""
    win = window_samples(conf)
    return np.pad(wave, (0, max(0, win - len(wave))))


def clip_features(d: DataDir, key: str, conf: FeatureConfig) -> np.ndarray:
    """Precomputed ``(frames, n_mels)`` features, or computed from the audio."""
    if d.has("feats.scp"):
        return np.load(d.read("feats.scp")[key])
    return extract(load_wave(d, key, conf), conf)


def fit_frames(x: np.ndarray, frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """Pad with zeros (AST) or cut to ``frames``; a random cut when ``rng`` is given."""
    n = x.shape[0]
    if n < frames:
        return np.pad(x, ((0, frames - n), (0, 0)))
    start = int(rng.integers(0, n - frames + 1)) if rng is not None else 0
    return x[start: start + frames]


def spec_augment(x: np.ndarray, freqm: int, timem: int, rng: np.random.Generator,
                 masks: int = 1) -> np.ndarray:
    """``masks`` frequency and ``masks`` time masks (torchaudio's Frequency/TimeMasking
    as AST uses, AST: one of each)."""
    x = x.copy()
    for axis, width in ((1, freqm), (0, timem)) * masks:
        if width > 0:
            w = int(rng.integers(0, width + 1))
            start = int(rng.integers(0, max(1, x.shape[axis] - w + 1)))
            idx = [slice(None)] * 2
            idx[axis] = slice(start, start + w)
            x[tuple(idx)] = 0.0
    return x


def patch_mask(frames: int, bins: int, patch: int, ratio: float,
               rng: np.random.Generator) -> np.ndarray:
    """Masked-patch pretraining mask ``(frames, bins)`` bool: ``ratio`` of the
    ``patch x patch`` squares (at least one) are True."""
    gt, gf = -(-frames // patch), -(-bins // patch)
    k = max(1, int(round(ratio * gt * gf)))
    grid = np.zeros(gt * gf, bool)
    grid[rng.permutation(gt * gf)[:k]] = True
    full = np.repeat(np.repeat(grid.reshape(gt, gf), patch, 0), patch, 1)
    return full[:frames, :bins]


class AedDataset:
    """Items of the aed task.

    Classification: ``{"feats": (target_frames, n_mels), "target": (n_classes,)}``
    with ``target`` a distribution (single-label; mixup mixes it), or ``"labels"``
    (multi-hot, multi-label corpora) instead of ``"target"``. Pretraining:
    ``{"feats", "mask": (target_frames, n_mels) bool}``.
    """

    def __init__(self, data_dir: Path, cfg: AedConfig, train: bool):
        self.dir = DataDir(data_dir)
        self.cfg, self.train = cfg, train
        self.keys = self.dir.keys()
        dc = cfg.data
        self.labels = ({} if dc.pretrain else
                       read_targets(self.dir, dc.classes, dc.multilabel))
        self.epoch = 0
        self._cache: dict[str, np.ndarray] = {}

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def _target(self, key: str) -> np.ndarray:
        t = np.zeros(len(self.cfg.data.classes), np.float32)
        t[self.labels.get(key, [])] = 1.0
        return t

    def _wave(self, key: str, rng: np.random.Generator) -> np.ndarray:
        """A training waveform: cut at random to the samples ``target_frames`` cover,
        circularly shifted (``time_roll``) and scaled (``gain_db``)."""
        dc, fc = self.cfg.data, self.cfg.features
        wave = self._cache.get(key)
        if wave is None:
            wave = load_wave(self.dir, key, fc)
            if dc.cache_audio:
                self._cache[key] = wave
        n = (dc.target_frames - 1) * fc.hop_length + window_samples(fc)
        if len(wave) > n:
            start = int(rng.integers(0, len(wave) - n + 1))
            wave = wave[start: start + n]
        if dc.time_roll:
            wave = np.roll(wave, int(rng.integers(0, len(wave))))
        low, high = dc.gain_db
        return wave * np.float32(10 ** (rng.uniform(low, high) / 20)) if high > low else wave

    def __getitem__(self, i: int) -> dict[str, Any]:
        dc, key = self.cfg.data, self.keys[i]
        rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i]) if self.train else None
        if dc.pretrain:
            x = fit_frames(clip_features(self.dir, key, self.cfg.features), dc.target_frames, rng)
            mrng = rng or np.random.default_rng([self.cfg.trainer.seed, i])  # fixed in validation
            mask = patch_mask(x.shape[0], x.shape[1], dc.mask_patch, dc.mask_ratio, mrng)
            return {"feats": torch.from_numpy(np.ascontiguousarray(x, np.float32)),
                    "mask": torch.from_numpy(mask)}
        target = self._target(key)
        wave_aug = dc.time_roll or dc.gain_db[1] > dc.gain_db[0]
        if rng is not None and dc.mixup > 0 and rng.random() < dc.mixup:
            j = int(rng.integers(len(self.keys)))
            lam = float(rng.beta(dc.mixup_alpha, dc.mixup_alpha))
            a, b = self._wave(key, rng), self._wave(self.keys[j], rng)
            b = np.resize(b, len(a)) if len(b) < len(a) else b[: len(a)]
            feats = extract(lam * a + (1 - lam) * b, self.cfg.features)
            target = lam * target + (1 - lam) * self._target(self.keys[j])
        elif rng is not None and wave_aug:
            feats = extract(self._wave(key, rng), self.cfg.features)
        else:
            feats = clip_features(self.dir, key, self.cfg.features)
        x = fit_frames(feats, dc.target_frames, rng)
        if rng is not None:
            x = spec_augment(x, dc.freqm, dc.timem, rng, dc.spec_masks)
            if dc.label_smoothing > 0 and not dc.multilabel:
                target = target * (1 - dc.label_smoothing) + dc.label_smoothing / len(target)
        return {"feats": torch.from_numpy(np.ascontiguousarray(x, np.float32)),
                "labels" if dc.multilabel else "target": torch.from_numpy(target)}
