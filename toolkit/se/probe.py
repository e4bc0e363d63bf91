"""How well the domains can be told apart from an enhancer's bottleneck (a fresh probe).

DANN (Ganin et al., 2016) trains the encoder until its features no longer reveal the
domain. The adversarial classifier trained beside it is a poor witness: it chases a moving
encoder, and its accuracy can sit near 0.5 while a classifier given time would still
separate the domains. The measure here freezes the model, takes the bottleneck of fixed
crops of the source and target mixtures (the noisy signal only: the target's labels are
never read), standardises each feature dimension on the training items (so an encoder
that merely rescales its features cannot slow the probe down), trains a fresh classifier
of the model's own domain-classifier architecture until a held-out part of the training
items stops improving, and reports its accuracy on the dev mixtures: 0.5 means the domains
are aligned, 1.0 fully separable.

Example::

    from toolkit.se.probe import probe_domains
    probe_domains("exp/gap/dann", Path("corpus/gap/mix"))["accuracy"]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.errors import UserError
from toolkit.models.unet_se import DOMAIN_LAYERS, DomainClassifier
from toolkit.train.packing import load_model_dir


def crop_features(model: torch.nn.Module, data_dir: Path, n: int, segment: int, rate: int,
                  seed: int, batch: int = 16) -> torch.Tensor:
    """Bottlenecks of ``n`` items of a data directory (its ``wav.scp``, the noisy signal).

    Each item contributes the centre ``segment`` samples (zero-padded when shorter), so
    memory is bounded by ``n`` and ``segment``, not by the recordings' length.

    Args:
        model: a :class:`~toolkit.models.unet_se.UNetSE` in eval mode.
        data_dir: a data directory with ``wav.scp``.
        n: items to draw (all when the directory holds fewer).
        segment: samples per crop.
        rate: the model's sample rate.
        seed: seed of the draw.
        batch: items per encoder pass.

    Returns:
        ``(items, dim, frames)`` bottleneck features.
    """
    wavs = DataDir(data_dir).read("wav.scp")
    keys = sorted(wavs)
    if not keys:
        raise UserError(f"{data_dir}/wav.scp lists no items; give a mixed data directory")
    pick = np.random.default_rng(seed).permutation(len(keys))[:n]
    crops = []
    for i in sorted(pick):
        x, _ = load_mono(wavs[keys[i]], rate)
        start = max(0, (len(x) - segment) // 2)
        x = x[start:start + segment]
        crops.append(np.pad(x, (0, segment - len(x))))
    out = []
    with torch.no_grad():
        for b in range(0, len(crops), batch):
            out.append(model.bottleneck(torch.from_numpy(np.stack(crops[b:b + batch])).float()))
    return torch.cat(out)


def _accuracy(clf: DomainClassifier, z: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(((clf(z) > 0).float() == y).float().mean())


def train_probe(z: torch.Tensor, y: torch.Tensor, hidden: int, epochs: int, lr: float,
                seed: int, batch: int = 32) -> tuple[DomainClassifier, int]:
    """A fresh classifier on features ``z`` ``(items, dim, frames)`` and labels ``y``
    ``(items,)`` (1 = target); the epoch with the best accuracy on a held-out fifth of
    the items is kept. Returns the classifier and that epoch (1-based)."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    order = torch.randperm(len(z), generator=g)
    n_hold = max(1, len(z) // 5)
    hold, fit = order[:n_hold], order[n_hold:]
    clf = DomainClassifier(z.shape[1], hidden)
    opt = torch.optim.Adam(clf.parameters(), lr=lr)
    best, best_epoch = -1.0, 0
    best_state = {k: v.clone() for k, v in clf.state_dict().items()}
    for epoch in range(1, epochs + 1):
        for b in fit[torch.randperm(len(fit), generator=g)].split(batch):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(clf(z[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = _accuracy(clf, z[hold], y[hold])
        if acc > best:
            best, best_epoch = acc, epoch
            best_state = {k: v.clone() for k, v in clf.state_dict().items()}
    clf.load_state_dict(best_state)
    return clf, best_epoch


def probe_domains(model_dir: str | Path, data: Path, weights: str | Path | None = None,
                  n_train: int = 800, n_dev: int = 200, seconds: float = 2.0,
                  epochs: int = 30, lr: float = 1e-3, seed: int = 0,
                  layer: str | None = None) -> dict[str, Any]:
    """Dev accuracy of a fresh domain classifier on a frozen model's bottleneck.

    Args:
        model_dir: an se experiment or bundle (a UNetSE).
        data: the corpus folder with ``source_train``, ``target_train``, ``source_dev``
            and ``target_dev``.
        weights: another checkpoint of the experiment (``EXP/ckpt/epoch-N.pt``).
        n_train: training items per domain; n_dev: dev items per domain.
        seconds: crop length.
        epochs: probe training epochs (the best on a held-out fifth is kept).
        lr: the probe's Adam learning rate.
        seed: seed of the draws and the probe's initialisation.
        layer: probe these features (``encoder`` or ``tcn``, see
            ``UNetSE.Conf.domain_layer``) instead of the model's own domain layer.

    Returns:
        ``accuracy`` on the dev items with its 95 % binomial half-width ``ci95``,
        ``train_accuracy``, ``epoch`` (the one kept) and the item counts.
    """
    _, cfg, model = load_model_dir(model_dir, weights=weights)
    if not hasattr(model, "bottleneck") or not hasattr(model, "bottleneck_dim"):
        raise UserError(f"{model_dir}: not an enhancer with a bottleneck (UNetSE); "
                        "give an se experiment")
    if layer is not None:
        if layer not in DOMAIN_LAYERS:
            raise UserError(f"--layer {layer!r}: use one of {', '.join(DOMAIN_LAYERS)}")
        model.conf.domain_layer = layer
    for part in ("source_train", "target_train", "source_dev", "target_dev"):
        if not (data / part / "wav.scp").is_file():
            raise UserError(f"{data / part}/wav.scp is missing; give the corpus folder of "
                            "'sptk-cli se corpus' (OUT/mix)")
    rate = cfg.data.sample_rate
    seg = int(round(seconds * rate))

    def both(split: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        zs = crop_features(model, data / f"source_{split}", n, seg, rate, seed)
        zt = crop_features(model, data / f"target_{split}", n, seg, rate, seed + 1)
        return torch.cat([zs, zt]), torch.cat([torch.zeros(len(zs)), torch.ones(len(zt))])

    z_tr, y_tr = both("train", n_train)
    z_dev, y_dev = both("dev", n_dev)
    mean = z_tr.mean(dim=(0, 2), keepdim=True)
    std = z_tr.std(dim=(0, 2), keepdim=True) + 1e-6
    z_tr, z_dev = (z_tr - mean) / std, (z_dev - mean) / std
    clf, epoch = train_probe(z_tr, y_tr, model.conf.classifier_hidden, epochs, lr, seed)
    acc = _accuracy(clf, z_dev, y_dev)
    return {"model": str(model_dir), "weights": str(weights) if weights else None,
            "layer": model.conf.domain_layer,
            "accuracy": acc, "ci95": 1.96 * math.sqrt(acc * (1 - acc) / len(y_dev)),
            "train_accuracy": _accuracy(clf, z_tr, y_tr), "epoch": epoch,
            "n_train": len(y_tr), "n_dev": len(y_dev)}
