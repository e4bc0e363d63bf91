"""Posterior-averaging ensembles of aed classifiers.

Several classifiers trained the same way from different seeds make fewer errors together
than alone: their class posteriors, averaged per window, are the ensemble's (issue 15: three
seeds of the shipped recipe gain about 3 points top-1 over one). An ensemble bundle is a
directory with

- ``ensemble.yaml``: ``members``, the member bundles' folder names, in order;
- one packed bundle per member (``member0/``, ``member1/``, ...; :func:`pack` of
  :mod:`toolkit.train.packing`, fp16);
- ``meta.yaml`` and ``config.yaml`` of the first member, and the ensemble's model card.

:func:`load_ensemble` returns one module, :class:`PosteriorMean`, whose outputs are the
logits of the mean posterior, so everything that takes a classifier's logits (``classify``,
``aed export-onnx``) takes an ensemble unchanged. Members must agree on everything the
input and output depend on: features, window length, classes, single- or multi-label.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn

from toolkit.errors import UserError

log = logging.getLogger(__name__)
ENSEMBLE_FILE = "ensemble.yaml"
EPS = 1e-7


class PosteriorMean(nn.Module):
    """Mean class posterior of several classifiers, returned as logits.

    Args:
        members: classifiers mapping ``(batch, frames, n_mels)`` to logits
            ``(batch, n_classes)``.
        multilabel: sigmoid posteriors (returned as their logit) instead of softmax ones
            (returned as their log, whose softmax is the mean posterior again).
    """

    def __init__(self, members: list[nn.Module], multilabel: bool = False):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.multilabel = multilabel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)`` of the mean posterior of ``x`` ``(batch, frames,
        n_mels)``."""
        if self.multilabel:
            p = torch.stack([torch.sigmoid(m(x).float()) for m in self.members]).mean(0)
            return torch.logit(p.clamp(EPS, 1 - EPS))
        p = torch.stack([torch.softmax(m(x).float(), -1) for m in self.members]).mean(0)
        return torch.log(p.clamp_min(EPS))


def _signature(cfg: Any) -> tuple:
    """What members must share: the input they read and the outputs they give."""
    return (cfg.features, cfg.data.target_frames, tuple(cfg.data.classes), cfg.data.multilabel)


def load_ensemble(path: str | Path, device: str = "cpu") -> tuple[Any, PosteriorMean]:
    """The first member's config and the ensemble module (eval mode, on ``device``).

    Raises:
        UserError: ``ensemble.yaml`` names no member, a member is missing or not an aed
            classifier, or members disagree on features, window, classes or label kind.
    """
    from toolkit.config import read_yaml
    from toolkit.train.packing import load_model_dir

    path = Path(path)
    names = (read_yaml(path / ENSEMBLE_FILE, allow_empty=True) or {}).get("members") or []
    if not names:
        raise UserError(f"{path / ENSEMBLE_FILE}: lists no 'members'; repack the ensemble "
                        "with 'sptk-cli aed pack-ensemble'")
    cfgs, models = [], []
    for name in names:
        task, cfg, model = load_model_dir(path / str(name), device)
        if task.name != "aed":
            raise UserError(f"{path / str(name)} holds a '{task.name}' model, not an aed "
                            "classifier")
        if cfgs and _signature(cfg) != _signature(cfgs[0]):
            raise UserError(f"{path / str(name)}: features, window, classes or label kind "
                            f"differ from {path / str(names[0])}; an ensemble's members "
                            "must agree on them")
        cfgs.append(cfg)
        models.append(model)
    module = PosteriorMean(models, cfgs[0].data.multilabel).to(torch.device(device)).eval()
    return cfgs[0], module


def pack_ensemble(exps: list[str | Path], out: str | Path, scores: list[Path] | None = None,
                  description: str = "", card: dict[str, Any] | None = None,
                  overwrite: bool = False) -> Path:
    """Pack finished aed experiments as one ensemble bundle (layout: module docstring).

    Raises:
        UserError: fewer than two experiments, one unfinished, or members that disagree.
    """
    from toolkit.config import dump_yaml
    from toolkit.fsutil import atomic_dir
    from toolkit.train.packing import model_card, pack, read_card, read_scores

    if len(exps) < 2:
        raise UserError("an ensemble needs at least two experiments (--exp A --exp B ...)")
    names = [f"member{i}" for i in range(len(exps))]
    with atomic_dir(out, overwrite=overwrite) as tmp:
        for name, exp in zip(names, exps, strict=True):
            pack(exp, tmp / name, scores, description=f"member {name} of {out}: {exp}",
                 card=card)
        (tmp / ENSEMBLE_FILE).write_text(dump_yaml({"members": names, "from": [
            str(e) for e in exps]}), encoding="utf-8")
        for f in ("meta.yaml", "config.yaml"):
            shutil.copy2(tmp / names[0] / f, tmp / f)
        cfg, module = load_ensemble(tmp)  # checks that the members agree
        text = model_card("aed", cfg, sum(p.numel() for p in module.parameters()),
                          Path(exps[0]), read_scores(scores), True,
                          f"Ensemble of {len(exps)} classifiers (mean posterior): "
                          f"{', '.join(str(e) for e in exps)}. {description}",
                          card or read_card(None))
        (tmp / "model_card.md").write_text(text, encoding="utf-8")
    log.info("packed an ensemble of %d classifiers into %s", len(exps), out)
    return Path(out)

