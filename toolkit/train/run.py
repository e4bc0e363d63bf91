"""``sptk-cli train`` as a library function: config, model, data, trainer."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from toolkit.errors import UserError
from toolkit.fsutil import exclusive_lock

log = logging.getLogger(__name__)


def train_task(task: str, config: Path | None, overrides: list[str] | None, train_dir: Path,
               valid_dir: Path | None, exp: Path, device: str = "auto",
               overwrite: bool = False) -> dict[str, float] | None:
    """Train ``task``'s model on a data directory into ``exp``.

    A rerun resumes from ``exp/last.pt``; a finished run (``exp/.done``) is skipped
    and returns None (also when asked for fewer epochs); a run, finished or not, given
    another resolved config is refused (saved configs are read with this code's
    defaults, so a field added since does not count). A config that only raises
    ``trainer.epochs`` (wherever the config sets it, a recipe step's section included;
    not under a cosine schedule, which depends on it) extends the run instead, finished
    or not. A second training into the same
    ``exp`` while one runs is refused (``.<exp>.lock`` beside it).

    Returns:
        The final validation metrics, or None when skipped.
    """
    from toolkit.config import load_config
    from toolkit.log import setup_logging
    from toolkit.registry import get_task
    from toolkit.train.distributed import dist_env

    info = dist_env()
    if not info.is_main:
        setup_logging(logging.WARNING)  # one process speaks
    t = get_task(task)
    cfg = load_config(t.config_class, config, overrides)
    for d in (train_dir, valid_dir):
        if d is not None and not Path(d).is_dir():
            raise UserError(f"data directory {d} does not exist")
    if info.is_main and not info.enabled:
        lock = exp.parent / f".{exp.name}.lock"
        busy = (f"another training (pid {{pid}}) is running into {exp}; wait for it to end "
                "(or stop it), or choose another --exp")
        with exclusive_lock(lock, busy):
            return _train(t, cfg, train_dir, valid_dir, exp, device, overwrite, info)
    return _train(t, cfg, train_dir, valid_dir, exp, device, overwrite, info)


def _train(t: Any, cfg: Any, train_dir: Path, valid_dir: Path | None, exp: Path, device: str,
           overwrite: bool, info: Any) -> dict[str, float] | None:
    """The body of :func:`train_task` once the config is loaded and ``exp`` is ours."""
    from toolkit.config import dump_yaml
    from toolkit.fsutil import DONE, atomic_write_text, skip_if_done
    from toolkit.log import log_device
    from toolkit.registry import build_model
    from toolkit.train.distributed import resolve_device
    from toolkit.train.packing import write_exp_meta
    from toolkit.train.trainer import Trainer, seed_everything

    if overwrite and exp.exists() and info.is_main and not info.enabled:
        shutil.rmtree(exp)
    resolved = dump_yaml(cfg)
    saved = exp / "config.yaml"
    old = (_normalised(t, saved.read_text())
           if (exp / "last.pt").exists() and saved.exists() else resolved)
    changed = old != resolved
    before = extended_from(old, resolved) if changed else None
    fewer = changed and before is None and _epochs_only(old, resolved)
    if changed and before is None and not (fewer and (exp / DONE).exists()):
        # a finished run asked for fewer epochs is already trained; any other change would
        # be ignored by a skip, so it is refused, finished or not
        raise UserError(f"{exp} holds a run with another config ({saved}); resume it with "
                        "the same config (only trainer.epochs may grow), pass --overwrite "
                        "to start again, or choose another --exp")
    if before is not None:
        log.info("extending %s from %d to %d epochs", exp, before, cfg.trainer.epochs)
        if info.is_main:
            (exp / DONE).unlink(missing_ok=True)
    if skip_if_done(exp, overwrite=False):
        return None
    log_device(resolve_device(device, info))
    seed_everything(cfg.trainer.seed)
    model = build_model(t.name, cfg.model)
    train_set, valid_set = t.build_datasets(cfg, train_dir, valid_dir)
    if len(train_set) == 0:
        raise UserError(f"{train_dir} holds no training items")
    if info.is_main:
        exp.mkdir(parents=True, exist_ok=True)
        atomic_write_text(saved, resolved)
        write_exp_meta(exp, t.name, cfg.model.name)
    if not (exp / "last.pt").exists():
        t.prepare_model(model, cfg, train_set, exp)
    return Trainer(model, t, cfg, train_set, valid_set, exp, device).fit()


def _normalised(task: Any, saved: str) -> str:
    """A saved config text as this code would write it (fields added since then take their
    defaults, so they alone do not make a finished run look changed); the text itself
    when it no longer loads."""
    import yaml

    from toolkit.config import dump_yaml, from_dict
    from toolkit.errors import ConfigError

    try:
        return dump_yaml(from_dict(task.config_class, yaml.safe_load(saved)))
    except (ConfigError, yaml.YAMLError):  # a removed or retyped key: compare as they are
        return saved


def _without_epochs(data: Any) -> Any:
    """``data`` with every ``trainer.epochs`` (at any depth, e.g. a recipe's per-step
    ``steps.<name>.trainer``) removed."""
    if not isinstance(data, dict):
        return data
    out = {k: _without_epochs(v) for k, v in data.items()}
    if isinstance(out.get("trainer"), dict):
        out["trainer"] = {k: v for k, v in out["trainer"].items() if k != "epochs"}
    return out


def _epochs_only(saved: str, resolved: str) -> bool:
    """Whether two config texts differ in epochs only (see :func:`_without_epochs`)."""
    import yaml

    return _without_epochs(yaml.safe_load(saved)) == _without_epochs(yaml.safe_load(resolved))


def extended_from(saved: str, resolved: str) -> int | None:
    """The saved run's ``trainer.epochs`` when ``resolved`` differs from ``saved`` (both
    config YAML texts) only by more epochs (``trainer.epochs``, and the same key of any
    nested section that sets it, such as a recipe step's) and the schedule does not depend
    on them; None otherwise."""
    import yaml

    old, new = yaml.safe_load(saved), yaml.safe_load(resolved)
    try:
        before, after = old["trainer"]["epochs"], new["trainer"]["epochs"]
    except (KeyError, TypeError):
        return None
    cosine = (new.get("optim") or {}).get("scheduler") == "cosine"
    return before if _epochs_only(saved, resolved) and after > before and not cosine else None
