"""Merge adapted languages into one model, so that a bundle speaks them all.

An adaptation run of kind ``adapt`` with variant v1 (MLMS: the new language's code
vector and the new speaker's output layer) or of kind ``duration_adapt`` (the duration
model: the new language's and speaker's embeddings) leaves every shared weight of the
model it started from untouched. :func:`merge_adapted` therefore rebuilds one model
that knows the base languages and speakers plus those of every adapted run, exactly:

- MLMS: towers and normalisation from the base, one row of ``code`` per language, one
  ``spk_out`` layer per speaker;
- duration model: the network from the base, one embedding row per language and speaker.

A run that changed a shared weight (v2-v4 train the mean tower) is refused with the
name of the first weight that differs. The result is an experiment directory
(``config.yaml``, ``meta.yaml``, ``best.pt``, ``phone_set.json``, ``.done``) that ``sptk-cli
pack``, ``decode`` and ``tts bundle`` take like a trained one.
"""

from __future__ import annotations

import copy
import logging
import shutil
from pathlib import Path
from typing import Any

import torch

from toolkit.config import dump_yaml
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_text, mark_done, skip_if_done
from toolkit.registry import build_model
from toolkit.train.checkpoint import save_checkpoint
from toolkit.train.packing import load_model_dir, write_exp_meta
from toolkit.tts.data import PHONE_SET

log = logging.getLogger(__name__)


def _per_name(model: Any) -> tuple[str, str]:
    """Names of the per-language and per-speaker tensors (or module prefix) of ``model``."""
    return ("code", "spk_out.") if hasattr(model, "code") else ("lang_emb.weight",
                                                                "spk_emb.weight")


def _shared(model: Any) -> dict[str, torch.Tensor]:
    lang_key, spk_key = _per_name(model)
    return {k: v for k, v in model.state_dict().items()
            if k != lang_key and not k.startswith(spk_key)}


def merge_adapted(base: Path, adapted: list[Path], out: Path,
                  overwrite: bool = False) -> dict[str, Any]:
    """Write ``base`` extended by the languages and speakers of ``adapted`` into ``out``.

    Returns:
        ``{"languages": [...], "speakers": [...]}`` of the merged model.

    Raises:
        UserError: an adapted model of another kind, or one whose shared weights differ
            from the base's (not a v1 / duration_adapt run of this base).
    """
    if skip_if_done(out, overwrite):
        return {"skipped": True}
    _, cfg, model = load_model_dir(base)
    lang_key, spk_key = _per_name(model)
    shared = _shared(model)
    # name -> (model, index) of every language and speaker: the base's, then the new ones
    lang_src = {n: (model, model.languages(n)) for n in model.languages.names}
    spk_src = {n: (model, model.speakers(n)) for n in model.speakers.names}
    for path in adapted:
        _, _, a = load_model_dir(path)
        if type(a) is not type(model):
            raise UserError(f"{path} holds a {type(a).__name__}; {base} a {type(model).__name__}")
        for k, v in _shared(a).items():
            if k not in shared or shared[k].shape != v.shape or not torch.equal(shared[k], v):
                raise UserError(f"{path}: weight '{k}' differs from {base}'s; only adaptation "
                                "runs that keep the shared weights merge (v1 for MLMS, "
                                "duration_adapt for the duration model)")
        for n in a.languages.names:
            lang_src.setdefault(n, (a, a.languages(n)))
        for n in a.speakers.names:
            spk_src.setdefault(n, (a, a.speakers(n)))
    new_langs = list(lang_src)[len(model.languages.names):]
    new_spks = list(spk_src)[len(model.speakers.names):]
    cfg = copy.deepcopy(cfg)
    cfg.model.conf = {**cfg.model.conf, "trainable": [], "languages": list(lang_src),
                      "speakers": list(spk_src)}
    merged = build_model("tts", cfg.model)
    state = merged.state_dict()
    state.update(shared)
    for i, (src, j) in enumerate(lang_src.values()):
        state[lang_key][i] = src.get_parameter(lang_key)[j].detach()
    for i, (src, j) in enumerate(spk_src.values()):
        if spk_key.endswith("."):  # one output layer per speaker
            for k, v in src.spk_out[j].state_dict().items():
                state[f"{spk_key}{i}.{k}"] = v
        else:
            state[spk_key][i] = src.get_parameter(spk_key)[j].detach()
    merged.load_state_dict(state)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.yaml", dump_yaml(cfg))
    save_checkpoint({"model": merged.state_dict()}, out / "best.pt")  # as a trained run
    write_exp_meta(out, "tts", cfg.model.name)
    if (Path(base) / PHONE_SET).is_file():
        shutil.copy2(Path(base) / PHONE_SET, out / PHONE_SET)
    mark_done(out)
    log.info("%s: %s + languages %s, speakers %s", out, base, new_langs, new_spks)
    return {"languages": list(merged.languages.names), "speakers": list(merged.speakers.names)}
