"""Trained model directories: experiment directories and packed bundles.

Two layouts load the same way (:func:`load_model_dir`):

- an experiment directory from ``sptk-cli train``: ``meta.yaml`` (task,
  model), ``config.yaml`` and ``best.pt`` (or ``last.pt``);
- a packed bundle from ``sptk-cli pack`` (stage 9): ``meta.yaml``,
  ``config.yaml``, ``model.pt`` (weights only, fp16 by default), the task's
  extra files and ``model_card.md``. Default models shipped with the package
  are bundles under ``toolkit/assets/<task>/``.

An experiment directory is finished when training wrote its ``.done``; before
that ``last.pt`` is a mid-training state. Stages that ship or use a model
(``decode``, ``pack``) call :func:`check_finished` so that ``run.sh --stage 4``
after a killed stage 3 fails instead of shipping a half-trained model, unless
the user asks for it with ``--allow-unfinished``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from toolkit.errors import UserError

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parents[1] / "assets"


def write_exp_meta(exp: Path, task: str, model_name: str) -> None:
    """Record which task and model an experiment directory holds."""
    import yaml

    from toolkit import __version__
    from toolkit.fsutil import atomic_write_text, command_line
    from toolkit.log import git_commit

    meta = {"task": task, "model": model_name, "created_by": command_line(),
            "version": __version__, "commit": git_commit()}
    atomic_write_text(exp / "meta.yaml", yaml.safe_dump(meta, sort_keys=False))


def default_model_dir(task: str) -> Path:
    """The bundle shipped for ``task`` (error if the package has none)."""
    path = ASSETS / task
    if not (path / "model.pt").is_file():
        raise UserError(f"no default {task} model ships with this installation; "
                        "pass --model DIR (an experiment or a packed model)")
    return path


def check_finished(path: str | Path, allow_unfinished: bool = False) -> None:
    """Refuse an experiment directory whose training has not finished (no ``.done``).

    Packed bundles (``model.pt``) are finished by construction and pass.

    Args:
        path: an experiment directory or a bundle.
        allow_unfinished: accept a mid-training ``last.pt`` (with a warning).

    Raises:
        UserError: ``path`` is an experiment without ``.done``.
    """
    from toolkit.fsutil import DONE, is_done

    path = Path(path)
    experiment = any((path / name).is_file() for name in ("last.pt", "best.pt"))
    if (path / "model.pt").is_file() or is_done(path) or not experiment:
        return  # a bundle, a finished run, or no experiment (load_model_dir says what it is)
    if allow_unfinished:
        log.warning("%s: training has not finished (no %s); using its checkpoint anyway",
                    path, DONE)
        return
    raise UserError(f"{path}: training has not finished (no {DONE}; last.pt is a mid-training "
                    "state); finish it by rerunning 'sptk-cli train', or pass "
                    "--allow-unfinished to use it as it is")


def load_model_dir(path: str | Path, device: str = "cpu") -> tuple[Any, Any, Any]:
    """Load (task, config, model in eval mode) from an experiment or a bundle."""
    import torch

    from toolkit.config import from_dict, read_yaml
    from toolkit.registry import build_model, get_task
    from toolkit.train.checkpoint import load_checkpoint

    path = Path(path)
    for name in ("meta.yaml", "config.yaml"):
        if not (path / name).is_file():
            raise UserError(f"{path} is not a model directory (no {name}); give an experiment "
                            "directory from 'sptk-cli train' or a bundle from 'sptk-cli pack'")
    meta = read_yaml(path / "meta.yaml", allow_empty=True)
    task = get_task(meta.get("task", ""))
    cfg = from_dict(task.config_class, read_yaml(path / "config.yaml"))
    model = build_model(task.name, cfg.model)
    if (path / "model.pt").is_file():
        state = load_checkpoint(path / "model.pt")
        state = state.get("model", state)
    else:
        ckpt = next((path / n for n in ("best.pt", "last.pt") if (path / n).is_file()), None)
        if ckpt is None:
            raise UserError(f"{path} holds no checkpoint (best.pt, last.pt or model.pt)")
        state = load_checkpoint(ckpt)["model"]
    ref = model.state_dict()
    state = {k: v.to(ref[k].dtype) if k in ref else v for k, v in state.items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise UserError(f"{path}: weights do not fit the model in config.yaml "
                        f"({str(e).splitlines()[0]})") from None
    model.to(torch.device(device)).eval()
    return task, cfg, model


def pack(exp: str | Path, out: str | Path, scores: list[Path] | None = None, fp16: bool = True,
         overwrite: bool = False, description: str = "", allow_unfinished: bool = False) -> Path:
    """Bundle an experiment for inference: weights (fp16), config, extra files, model card.

    Raises:
        UserError: the experiment has not finished training (see :func:`check_finished`).
    """
    exp = Path(exp)
    check_finished(exp, allow_unfinished)  # before the heavy imports: a quick refusal

    import torch

    from toolkit.fsutil import atomic_dir
    from toolkit.train.checkpoint import load_checkpoint

    task, cfg, model = load_model_dir(exp)
    ckpt = exp / ("best.pt" if (exp / "best.pt").is_file() else "last.pt")
    state = load_checkpoint(ckpt)["model"]
    if fp16:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    results = {}
    for s in scores or []:
        if not Path(s).is_file():
            raise UserError(f"scores file {s} does not exist; run the scoring stage first")
        results[Path(s).stem] = json.loads(Path(s).read_text())
    with atomic_dir(out, overwrite=overwrite) as tmp:
        torch.save(state, tmp / "model.pt")
        for name in ("meta.yaml", "config.yaml", *task.pack_files):
            if not (exp / name).is_file():
                raise UserError(f"{exp / name} is missing; the experiment is incomplete")
            shutil.copy2(exp / name, tmp / name)
        n_params = sum(p.numel() for p in model.parameters())
        (tmp / "model_card.md").write_text(model_card(task.name, cfg, n_params, ckpt, results,
                                                      fp16, description), encoding="utf-8")
    log.info("packed %s (%.2f MB) into %s", ckpt, (Path(out) / "model.pt").stat().st_size / 1e6,
             out)
    return Path(out)


def model_card(task: str, cfg: Any, n_params: int, ckpt: Path, results: dict[str, Any],
               fp16: bool, description: str) -> str:
    """The Markdown model card of a bundle."""
    from toolkit import __version__
    from toolkit.config import dump_yaml
    from toolkit.log import git_commit

    lines = [f"# {task} / {cfg.model.name}", "", description or "", "",
             f"- parameters: {n_params / 1e6:.3f} M ({'fp16' if fp16 else 'fp32'} weights)",
             f"- from checkpoint: {ckpt}",
             f"- packed: {dt.datetime.now().isoformat(timespec='seconds')}, sptk-cli "
             f"{__version__}, commit {git_commit()}", "", "## Scores", ""]
    if not results:
        lines.append("(none given to `sptk-cli pack --scores`)")
    for name, values in results.items():
        flat = {k: v for k, v in values.items() if isinstance(v, int | float)}
        lines.append(f"- {name}: " + ", ".join(f"{k} = {v:.4g}" for k, v in flat.items()))
    lines += ["", "## Config", "", "```yaml", dump_yaml(cfg).rstrip(), "```", ""]
    return "\n".join(lines)
