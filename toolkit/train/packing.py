"""Trained model directories: experiment directories and packed bundles.

Two layouts load the same way (:func:`load_model_dir`):

- an experiment directory from ``sptk-cli train``: ``meta.yaml`` (task,
  model), ``config.yaml`` and ``best.pt`` (or ``last.pt``);
- a packed bundle from ``sptk-cli pack`` (stage 9): ``meta.yaml``,
  ``config.yaml``, ``model.pt`` (weights only, fp16 by default), the task's
  extra files and ``model_card.md``. Default models shipped with the package
  are bundles under ``toolkit/assets/<task>/``.

A model card opens with a YAML front matter (:data:`CARD_KEYS`): the licence of
the weights, the training data with their licences, intended use and limitations,
read from ``sptk-cli pack --card FILE`` (see ``recipes/<task>/conf/model_card.yaml``).

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
ENSEMBLE_FILE = "ensemble.yaml"  # an ensemble bundle: its members' folder names
#: keys of a model card's front matter (all required in a --card file)
CARD_KEYS = ("license", "license_note", "training_data", "intended_use", "limitations")
UNSTATED_CARD = {"license": "unknown", "license_note": "no --card given to 'sptk-cli pack': "
                 "the licence of the weights and of their training data is not stated",
                 "training_data": [], "intended_use": "not stated", "limitations": "not stated"}


def read_card(path: str | Path | None) -> dict[str, Any]:
    """The front matter of a model card from a YAML file (one-line errors).

    The file maps :data:`CARD_KEYS` to text; ``training_data`` is a list of
    ``{name, license}`` mappings (``note`` optional). Without a file: the
    "not stated" card, with a warning.
    """
    import yaml

    if path is None:
        log.warning("no --card: the model card will say that the licence is unknown")
        return dict(UNSTATED_CARD)
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--card {path}: no such file (a YAML with {', '.join(CARD_KEYS)})")
    card = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(card, dict) or set(card) != set(CARD_KEYS):
        have = sorted(card) if isinstance(card, dict) else type(card).__name__
        raise UserError(f"--card {path}: needs exactly the keys {', '.join(CARD_KEYS)} "
                        f"(found {have})")
    for item in card["training_data"]:
        if not isinstance(item, dict) or not {"name", "license"} <= set(item):
            raise UserError(f"--card {path}: each training_data entry needs name and license "
                            f"(got {item!r})")
    return {k: card[k] for k in CARD_KEYS}


def card_front_matter(task: str, model: str, card: dict[str, Any]) -> str:
    """The ``---`` delimited YAML header of a model card."""
    import yaml

    head = {"task": task, "model": model, **card}
    return "---\n" + yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=88) + "---\n"


def read_front_matter(card_path: str | Path) -> dict[str, Any]:
    """The YAML header of a model card file ({} when it has none)."""
    import yaml

    text = Path(card_path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4:text.index("\n---\n", 4)]) or {}


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
    """The bundle shipped for ``task`` (error if the package has none): weights in
    ``model.pt``, or members listed in ``ensemble.yaml``."""
    path = ASSETS / task
    if not (path / "model.pt").is_file() and not (path / ENSEMBLE_FILE).is_file():
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


def load_model_dir(path: str | Path, device: str = "cpu",
                   weights: str | Path | None = None) -> tuple[Any, Any, Any]:
    """Load (task, config, model in eval mode) from an experiment or a bundle.

    ``weights`` names another checkpoint file of the experiment to load instead of its
    ``model.pt`` / ``best.pt`` / ``last.pt`` (e.g. ``EXP/ckpt/epoch-12.pt``).
    """
    import torch

    from toolkit.config import from_dict, read_yaml
    from toolkit.registry import build_model, get_task
    from toolkit.train.checkpoint import load_checkpoint

    path = Path(path)
    if (path / ENSEMBLE_FILE).is_file():
        return _load_ensemble(path, device)
    for name in ("meta.yaml", "config.yaml"):
        if not (path / name).is_file():
            raise UserError(f"{path} is not a model directory (no {name}); give an experiment "
                            "directory from 'sptk-cli train' or a bundle from 'sptk-cli pack'")
    meta = read_yaml(path / "meta.yaml", allow_empty=True)
    task = get_task(meta.get("task", ""))
    cfg = from_dict(task.config_class, read_yaml(path / "config.yaml"))
    model = build_model(task.name, cfg.model)
    if weights is not None:
        state = load_checkpoint(weights).get("model")
        if not isinstance(state, dict):
            raise UserError(f"{weights} holds no model weights (a training checkpoint has "
                            "'model')")
    elif (path / "model.pt").is_file():
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
        raise UserError(f"{weights or path}: weights do not fit the model in "
                        f"{path / 'config.yaml'} "
                        f"({str(e).splitlines()[0]})") from None
    model.to(torch.device(device)).eval()
    return task, cfg, model


def _load_ensemble(path: Path, device: str) -> tuple[Any, Any, Any]:
    """(task, first member's config, the task's combined model) of an ensemble bundle."""
    from toolkit.config import read_yaml

    names = (read_yaml(path / ENSEMBLE_FILE, allow_empty=True) or {}).get("members") or []
    if not names:
        raise UserError(f"{path / ENSEMBLE_FILE}: lists no 'members'; repack the ensemble")
    loaded = [load_model_dir(path / str(name), device) for name in names]
    task = loaded[0][0]
    if any(t.name != task.name for t, _, _ in loaded):
        raise UserError(f"{path}: the members are models of different tasks")
    model = task.combine([m for _, _, m in loaded], [c for _, c, _ in loaded], path)
    return task, loaded[0][1], model


def pack(exp: str | Path, out: str | Path, scores: list[Path] | None = None, fp16: bool = True,
         overwrite: bool = False, description: str = "",
         card: dict[str, Any] | None = None, allow_unfinished: bool = False) -> Path:
    """Bundle an experiment for inference: weights (fp16), config, extra files, model card.

    ``card`` is the model card's front matter (:func:`read_card`); None: not stated.

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
    results = read_scores(scores)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        torch.save(state, tmp / "model.pt")
        for name in ("meta.yaml", "config.yaml", *task.pack_files):
            if not (exp / name).is_file():
                raise UserError(f"{exp / name} is missing; the experiment is incomplete")
            shutil.copy2(exp / name, tmp / name)
        task.pack_extras(tmp, fp16)
        n_params = sum(p.numel() for p in model.parameters())
        text = model_card(task.name, cfg, n_params, ckpt, results, fp16, description,
                          card or read_card(None))
        (tmp / "model_card.md").write_text(text, encoding="utf-8")
    log.info("packed %s (%.2f MB) into %s", ckpt, (Path(out) / "model.pt").stat().st_size / 1e6,
             out)
    return Path(out)


def read_scores(scores: list[Path] | None) -> dict[str, Any]:
    """The scores files' contents by file stem (``test.json`` -> ``test``).

    Raises:
        UserError: a file does not exist.
    """
    results = {}
    for s in scores or []:
        if not Path(s).is_file():
            raise UserError(f"scores file {s} does not exist; run the scoring stage first")
        results[Path(s).stem] = json.loads(Path(s).read_text())
    return results


def model_card(task: str, cfg: Any, n_params: int, ckpt: Path, results: dict[str, Any],
               fp16: bool, description: str, card: dict[str, Any]) -> str:
    """The Markdown model card of a bundle, opening with its YAML front matter."""
    from toolkit import __version__
    from toolkit.config import dump_yaml
    from toolkit.log import git_commit

    lines = [card_front_matter(task, cfg.model.name, card), f"# {task} / {cfg.model.name}", "",
             description or "", "",
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
