"""Reference rows of the tts score table, fitted in closed form.

:func:`fit_reference` writes an experiment directory (``config.yaml``, ``meta.yaml``,
``best.pt``, ``phone_set.json``) holding a :class:`toolkit.models.tts_linear.LinearTts`
(``mean``: a constant per speaker; ``ridge``: a linear map of the frame features plus a
speaker bias) over the recipe model's languages and speakers, so ``sptk-cli decode`` and
``sptk-cli score`` treat it like a trained model. The normalisation statistics come from
the same utterances as a trained model's (:meth:`toolkit.tts.task.TtsTask.prepare_model`).

Ridge regression solves, over the normalised frames ``x`` (``D`` dims) of every training
utterance and its speaker one-hot ``s`` (``K`` speakers)::

    [X'X + l2 N I   X'S] [W]   [X'Y]
    [S'X            S'S] [b] = [S'Y]

with ``N`` frames in all; memory is ``(D + K)^2``, whatever the corpus size.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.config import dump_yaml
from toolkit.fsutil import atomic_write_text, mark_done, skip_if_done
from toolkit.registry import build_model
from toolkit.train.checkpoint import save_checkpoint
from toolkit.train.config import ModelSpec
from toolkit.train.packing import write_exp_meta
from toolkit.tts.config import TtsConfig
from toolkit.tts.data import TtsDataset, load_phone_set
from toolkit.tts.task import TASK

log = logging.getLogger(__name__)


def reference_config(cfg: TtsConfig, kind: str, l2: float) -> TtsConfig:
    """``cfg`` with its model replaced by a ``tts_linear`` of the same languages and speakers."""
    base = dict(cfg.model.conf)
    out = copy.deepcopy(cfg)
    out.experiment.kind = "mlms"
    out.model = ModelSpec("tts_linear", {"phone_slots": base.get("phone_slots", 128),
                                         "languages": list(base.get("languages", ["en"])),
                                         "speakers": list(base.get("speakers", ["spk"])),
                                         "kind": kind, "l2": l2})
    return out


def fit_reference(cfg: TtsConfig, train_dir: Path, exp: Path, kind: str, l2: float = 1e-3,
                  overwrite: bool = False) -> dict[str, Any]:
    """Fit the ``kind`` reference on ``train_dir`` into ``exp`` (module doc).

    Returns:
        ``{"utterances", "frames", "train_mse"}`` (MSE of the normalised outputs).
    """
    if skip_if_done(exp, overwrite):
        return {"skipped": True}
    cfg = reference_config(cfg, kind, l2)
    model = build_model("tts", cfg.model)
    ds = TtsDataset(train_dir, cfg, model, False, load_phone_set(train_dir))
    TASK.prepare_model(model, cfg, ds, exp)
    d, k, o = model.in_dim, len(cfg.model.conf["speakers"]), model.conf.out_dim
    xtx, xts, cnt = np.zeros((d, d)), np.zeros((d, k)), np.zeros(k)
    xty, sty, yty = np.zeros((d, o)), np.zeros((k, o)), 0.0
    with torch.no_grad():
        for i in range(len(ds)):
            x, y = ds.arrays(i)
            xn = model.in_norm(torch.from_numpy(x).float()).double().numpy()
            yn = model.out_norm(torch.from_numpy(y).float()).double().numpy()
            s = ds.spk[i]
            xtx += xn.T @ xn
            xts[:, s] += xn.sum(0)
            cnt[s] += len(xn)
            xty += xn.T @ yn
            sty[s] += yn.sum(0)
            yty += float((yn * yn).sum())
    n = cnt.sum()
    if kind == "mean":
        weight, bias = np.zeros((d, o)), sty / np.maximum(cnt, 1)[:, None]
    else:
        a = np.block([[xtx + l2 * n * np.eye(d), xts], [xts.T, np.diag(np.maximum(cnt, 1))]])
        sol = np.linalg.solve(a, np.concatenate([xty, sty]))
        weight, bias = sol[:d], sol[d:]
    # training MSE from the sufficient statistics: E|y - Wx - b|^2 per output value
    theta = np.concatenate([weight, bias])
    a_full = np.block([[xtx, xts], [xts.T, np.diag(cnt)]])
    rhs = np.concatenate([xty, sty])
    sse = yty - 2 * float((theta * rhs).sum()) + float((theta * (a_full @ theta)).sum())
    model.set_solution(torch.from_numpy(weight).float(), torch.from_numpy(bias).float())
    exp.mkdir(parents=True, exist_ok=True)
    atomic_write_text(exp / "config.yaml", dump_yaml(cfg))
    save_checkpoint({"model": model.state_dict()}, exp / "best.pt")  # as a trained run
    write_exp_meta(exp, "tts", "tts_linear")
    stats = {"utterances": len(ds), "frames": int(n), "train_mse": sse / max(n * o, 1)}
    mark_done(exp)
    log.info("%s reference: %d utterances, %d frames, training MSE %.4f (normalised)",
             kind, stats["utterances"], stats["frames"], stats["train_mse"])
    return stats
