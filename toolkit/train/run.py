"""``sptk-cli train`` as a library function: config, model, data, trainer."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from toolkit.errors import UserError

log = logging.getLogger(__name__)


def train_task(task: str, config: Path | None, overrides: list[str] | None, train_dir: Path,
               valid_dir: Path | None, exp: Path, device: str = "auto",
               overwrite: bool = False) -> dict[str, float] | None:
    """Train ``task``'s model on a data directory into ``exp``.

    A rerun resumes from ``exp/last.pt``; a finished run (``exp/.done``) is skipped
    and returns None; resuming with a different resolved config is refused.

    Returns:
        The final validation metrics, or None when skipped.
    """
    from toolkit.config import dump_yaml, load_config
    from toolkit.fsutil import atomic_write_text, skip_if_done
    from toolkit.log import log_device, setup_logging
    from toolkit.registry import build_model, get_task
    from toolkit.train.distributed import dist_env, resolve_device
    from toolkit.train.packing import write_exp_meta
    from toolkit.train.trainer import Trainer, seed_everything

    info = dist_env()
    if not info.is_main:
        setup_logging(logging.WARNING)  # one process speaks
    t = get_task(task)
    cfg = load_config(t.config_class, config, overrides)
    for d in (train_dir, valid_dir):
        if d is not None and not Path(d).is_dir():
            raise UserError(f"data directory {d} does not exist")
    if overwrite and exp.exists() and info.is_main and not info.enabled:
        shutil.rmtree(exp)
    if skip_if_done(exp, overwrite=False):
        return None
    resolved = dump_yaml(cfg)
    saved = exp / "config.yaml"
    if (exp / "last.pt").exists() and saved.exists() and saved.read_text() != resolved:
        raise UserError(f"{exp} holds a run with another config ({saved}); resume it with the "
                        "same config, pass --overwrite to start again, or choose another --exp")
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
