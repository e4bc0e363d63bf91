"""Posterior-averaging ensembles of aed classifiers.

Several classifiers trained the same way from different seeds make fewer errors together
than alone: their class posteriors, averaged per window, are the ensemble's (issue 15, ESC-10:
three seeds averaged gained 0.7 to 3 points top-1 over one). An ensemble bundle is a
directory with

- ``ensemble.yaml``: ``members``, the member bundles' folder names, in order;
- one packed bundle per member (``member0/``, ``member1/``, ...; :func:`pack` of
  :mod:`toolkit.train.packing`, fp16);
- ``meta.yaml`` and ``config.yaml`` of the first member, and the ensemble's model card.

:func:`toolkit.train.packing.load_model_dir` loads the members and asks the task to
combine them: :func:`combine` returns one module, :class:`PosteriorMean`, whose outputs are
the logits of the mean posterior, so everything that takes a classifier's logits
(``classify``, ``decode``, ``aed export-onnx``) takes an ensemble unchanged. Members must
agree on everything the input and output depend on: features, window length, classes,
single- or multi-label.
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


def combine(models: list[nn.Module], cfgs: list[Any], source: Path) -> PosteriorMean:
    """The ensemble module of loaded members (the aed task's ``combine``; eval mode, on the
    members' device).

    Raises:
        UserError: members disagree on features, window, classes or label kind.
    """
    for i, cfg in enumerate(cfgs[1:], 1):
        if _signature(cfg) != _signature(cfgs[0]):
            raise UserError(f"{source}: member {i}'s features, window, classes or label kind "
                            "differ from member 0's; an ensemble's members must agree on them")
    return PosteriorMean(models, cfgs[0].data.multilabel).eval()


def pack_ensemble(exps: list[str | Path], out: str | Path, scores: list[Path] | None = None,
                  description: str = "", card: dict[str, Any] | None = None,
                  overwrite: bool = False) -> Path:
    """Pack finished aed experiments as one ensemble bundle (layout: module docstring).

    Raises:
        UserError: fewer than two experiments, one unfinished, or members that disagree.
    """
    from toolkit.config import dump_yaml
    from toolkit.fsutil import atomic_dir
    from toolkit.train.packing import (
        ENSEMBLE_FILE,
        load_model_dir,
        model_card,
        pack,
        read_card,
        read_scores,
    )

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
        _, cfg, module = load_model_dir(tmp)  # checks that the members agree
        text = model_card("aed", cfg, sum(p.numel() for p in module.parameters()),
                          Path(exps[0]), read_scores(scores), True,
                          f"Ensemble of {len(exps)} classifiers (mean posterior): "
                          f"{', '.join(str(e) for e in exps)}. {description}",
                          card or read_card(None))
        (tmp / "model_card.md").write_text(text, encoding="utf-8")
    log.info("packed an ensemble of %d classifiers into %s", len(exps), out)
    return Path(out)

