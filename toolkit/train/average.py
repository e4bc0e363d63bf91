"""Weight averaging of trained models: ``sptk-cli average``.

Several trainings of one network (other seeds, or the last epochs of one run) often
generalise better as the element-wise mean of their weights than any one of them, at
no inference cost (the checkpoint averaging of Kaldi and ESPnet recipes). The members
must be the same task and the same ``model:`` section of the config; each is an
experiment directory (its ``best.pt``, else ``last.pt``), a packed bundle, or one
checkpoint file of an experiment (``EXP/ckpt/epoch-12.pt``, ``EXP/last.pt``: the
epochs of one run; the trainer keeps the last ``trainer.keep_last`` of them).

The output is an experiment directory like one ``sptk-cli train`` writes and
finishes (``meta.yaml``, the first member's ``config.yaml`` and task files,
``best.pt`` holding the mean weights, ``averaged_from.txt``, ``.done``), so
``sptk-cli decode``, ``score`` and ``pack`` take it as they take a trained model.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from toolkit.errors import UserError

log = logging.getLogger(__name__)


def mean_state(states: list[dict[str, Any]]) -> dict[str, Any]:
    """Element-wise mean of state dicts with the same keys and shapes.

    Floating-point tensors are averaged in float64 and cast back to the first
    member's dtype; integer tensors (e.g. BatchNorm's ``num_batches_tracked``) are
    taken from the first member.

    Args:
        states: two or more ``{name: tensor}``.

    Returns:
        ``{name: tensor}`` of the first member's dtypes.

    Raises:
        UserError: fewer than two states, or keys or shapes that differ.
    """
    if len(states) < 2:
        raise UserError("averaging needs at least two models")
    first = states[0]
    for i, s in enumerate(states[1:], start=2):
        if set(s) != set(first):
            extra = sorted(set(s) ^ set(first))[:3]
            raise UserError(f"model {i} has other weights than model 1 ({', '.join(extra)}); "
                            "average only trainings of the same network")
        for k, v in s.items():
            if tuple(v.shape) != tuple(first[k].shape):
                raise UserError(f"weight {k} of model {i} has shape {tuple(v.shape)}, model 1 "
                                f"{tuple(first[k].shape)}; average only the same network")
    out = {}
    for k, v in first.items():
        if v.is_floating_point():
            total = sum(s[k].double() for s in states)
            out[k] = (total / len(states)).to(v.dtype)
        else:
            out[k] = v.clone()
    return out


def _experiment_of(ckpt: Path) -> Path:
    """The experiment directory a checkpoint file belongs to (``EXP/x.pt``, ``EXP/ckpt/x.pt``)."""
    for exp in (ckpt.parent, ckpt.parent.parent):
        if (exp / "config.yaml").is_file() and (exp / "meta.yaml").is_file():
            return exp
    raise UserError(f"{ckpt}: a checkpoint file outside an experiment directory (no "
                    "config.yaml and meta.yaml beside it or one level up); give the "
                    "experiment's own checkpoint files")


def _load_member(p: Path, allow_unfinished: bool) -> tuple[Any, Any, dict, Path]:
    """(task, config, state dict, experiment or bundle directory) of one member."""
    from toolkit.train.packing import ENSEMBLE_FILE, check_finished, load_model_dir

    if p.is_file():  # one checkpoint of a run: a complete state, finished or not
        exp = _experiment_of(p)
        task, cfg, model = load_model_dir(exp, weights=p)
        return task, cfg, model.state_dict(), exp
    if (p / ENSEMBLE_FILE).is_file():
        raise UserError(f"{p} is an ensemble bundle; average its members instead")
    check_finished(p, allow_unfinished)
    task, cfg, model = load_model_dir(p)
    return task, cfg, model.state_dict(), p


def average_models(srcs: list[str | Path], out: str | Path, overwrite: bool = False,
                   allow_unfinished: bool = False) -> Path:
    """Write the experiment directory ``out`` whose weights are the mean of ``srcs``.

    Args:
        srcs: two or more experiment directories, bundles or checkpoint files of one task
            and network.
        out: the experiment directory to write (atomically; finished with ``.done``).
        overwrite: replace a finished ``out``.
        allow_unfinished: accept members whose training has not finished (a warning each).

    Returns:
        ``out``.

    Raises:
        UserError: fewer than two members, a member given twice, members of
            different tasks or ``model:`` sections, or an unfinished training.
    """
    import torch

    from toolkit.fsutil import atomic_dir

    paths = [Path(s) for s in srcs]
    if len(paths) < 2:
        raise UserError("sptk-cli average needs at least two models (--model A --model B)")
    if len({p.resolve() for p in paths}) != len(paths):
        raise UserError("the same model is given twice; give each member once")
    for p in paths:
        if not p.exists():
            raise UserError(f"{p} does not exist; give experiment directories, bundles or "
                            "their checkpoint files")
    loaded = [_load_member(p, allow_unfinished) for p in paths]
    task, cfg, _, first = loaded[0]
    for p, (t, c, _, _) in zip(paths[1:], loaded[1:], strict=True):
        if t.name != task.name:
            raise UserError(f"{p} is a {t.name} model, {paths[0]} a {task.name} model; "
                            "average models of one task")
        if c.model != cfg.model:
            raise UserError(f"{p}: its config's model section differs from {paths[0]}'s; "
                            "average only trainings of the same network")
    state = mean_state([m for _, _, m, _ in loaded])
    with atomic_dir(out, overwrite=overwrite) as tmp:
        for name in ("meta.yaml", "config.yaml", *task.pack_files):
            if not (first / name).is_file():
                raise UserError(f"{first / name} is missing; the model directory is "
                                "incomplete")
            shutil.copy2(first / name, tmp / name)
        torch.save({"model": state, "averaged_from": [str(p) for p in paths]}, tmp / "best.pt")
        (tmp / "averaged_from.txt").write_text(
            "".join(f"{p.resolve()}\n" for p in paths), encoding="utf-8")
    log.info("averaged %d %s models into %s", len(paths), task.name, out)
    return Path(out)
