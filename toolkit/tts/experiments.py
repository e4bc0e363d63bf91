"""The recipe's experiments, declared in the config's ``experiments:`` section.

Each entry names one model to train, decode and score::

    experiments:
      mlms_rand: {}
      mlms_onehot: {set: {model: {conf: {code_init: onehot}}}}
      duration: {set: {experiment: {kind: duration}}}
      base_{lang}_{spk}: {pairs: train, set: {experiment: {kind: baseline}}}
      adapt_v3_{lang}_{spk}: {pairs: adapt_train, init: adapt_v1_{lang}_{spk},
                              set: {experiment: {kind: adapt, variant: v3}}}

- ``set``: a nested section merged into the recipe config (the hyperparameters of
  the experiment: nothing is set in shell);
- ``pairs``: the entry stands for one experiment per (language, speaker) pair of
  that stage-2 set (``{lang}`` and ``{spk}`` in its name filled in; the pair
  becomes ``experiment.language`` / ``experiment.speaker``). Pair experiments of
  ``adapt_train`` (or of a smaller ``adapt_train_<n>``, ``corpus.adapt_sizes``) train
  on that set and are evaluated on ``adapt_dev`` / ``adapt_test``; the others train on
  ``train`` and are evaluated on ``dev`` / ``test``;
- ``init``: the experiment whose weights an adaptation starts from (its folder
  under the experiment folder becomes ``experiment.init``), or a trained model's folder
  given as a path (with a ``/``; relative paths from where the recipe runs), e.g.
  ``exp/default/mlms_small`` to adapt the model of another config;
- ``reference``: ``mean`` or ``ridge``: not trained but fitted in closed form over the
  model's languages and speakers (``sptk-cli tts reference``,
  :mod:`toolkit.tts.reference`): the constant-mean and linear rows of the score table.

Entries run in the order written (an ``init`` must come earlier).
:func:`write_experiments` resolves every entry into a complete config file
``EXP/conf/<name>.yaml``, which ``sptk-cli train --config`` then uses as it is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.config import dump_yaml, from_dict, read_config
from toolkit.errors import ConfigError
from toolkit.fsutil import atomic_write_text
from toolkit.tts.config import TtsConfig
from toolkit.tts.prepare import language_speaker_pairs

ENTRY_KEYS = {"set", "pairs", "init", "reference"}
REFERENCES = ("mean", "ridge")
PAIR_SETS = {"train": ("train", "dev", "test"),
             "adapt_train": ("adapt_train", "adapt_dev", "adapt_test")}


def pair_sets(train: str) -> tuple[str, str, str] | None:
    """``(train, dev, test)`` of a ``pairs:`` set (``adapt_train_<n>`` too); None if unknown."""
    size = train.removeprefix("adapt_train_")
    if size != train and size.isdigit():
        return train, "adapt_dev", "adapt_test"
    return PAIR_SETS.get(train)


@dataclass(frozen=True)
class Experiment:
    """One resolved experiment: its name, its data sets and its config file."""

    name: str
    train: str
    dev: str
    test: str
    config: Path
    fit: str = "train"  # train, or the closed-form reference (mean | ridge)


def _merge(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in given.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def plan(config: Path, dump: Path, exp: Path) -> list[tuple[str, str, dict[str, Any], str]]:
    """``(name, train set, config dict, fit)`` of every experiment of ``config`` (module doc).

    Raises:
        ConfigError: an entry with unknown keys, an unknown ``pairs`` set, or an
            ``init`` that names no earlier experiment.
    """
    raw = read_config(config)
    entries = raw.get("experiments") or {}
    if not entries:
        raise ConfigError(f"{config} has no experiments: section (module toolkit.tts.experiments)")
    base = {k: v for k, v in raw.items() if k != "experiments"}
    out: list[tuple[str, str, dict[str, Any], str]] = []
    for pattern, entry in entries.items():
        entry = entry or {}
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            raise ConfigError(f"experiments.{pattern}: unknown key(s) {sorted(unknown)} "
                              f"(known: {', '.join(sorted(ENTRY_KEYS))})")
        fit = entry.get("reference", "train")
        if fit != "train" and fit not in REFERENCES:
            raise ConfigError(f"experiments.{pattern}.reference: '{fit}' is not one of "
                              f"{', '.join(REFERENCES)}")
        pairs_of = entry.get("pairs", "")
        if pairs_of and pair_sets(pairs_of) is None:
            raise ConfigError(f"experiments.{pattern}.pairs: '{pairs_of}' is not one of "
                              f"{', '.join(PAIR_SETS)}, adapt_train_<n>")
        if pairs_of and not (dump / pairs_of).is_dir():
            raise ConfigError(f"experiments.{pattern}.pairs: {dump / pairs_of} does not exist "
                              "(stage 2 writes it; adapt_train_<n> needs n in "
                              "corpus.adapt_sizes)")
        pairs = language_speaker_pairs(dump / pairs_of) if pairs_of else [("", "")]
        for lang, spk in pairs:
            name = pattern.format(lang=lang, spk=spk)
            data = _merge(base, entry.get("set") or {})
            if pairs_of:
                data = _merge(data, {"experiment": {"language": lang, "speaker": spk}})
            if entry.get("init"):
                init = entry["init"].format(lang=lang, spk=spk)
                if "/" in init:
                    if not (Path(init) / "config.yaml").is_file():
                        raise ConfigError(f"experiments.{pattern}.init: {init} is no trained "
                                          "model folder (no config.yaml)")
                    data = _merge(data, {"experiment": {"init": init}})
                elif init not in {n for n, *_ in out}:
                    raise ConfigError(f"experiments.{pattern}.init: '{init}' is no earlier "
                                      "experiment (or a model folder: a path with '/')")
                else:
                    data = _merge(data, {"experiment": {"init": str(exp / init)}})
            from_dict(TtsConfig, data)  # a bad entry fails here, with the key's path
            out.append((name, pairs_of or "train", data, fit))
    return out


def write_experiments(config: Path, dump: Path, exp: Path) -> list[Experiment]:
    """Write ``exp/conf/<name>.yaml`` for every experiment; return them in order."""
    result = []
    for name, train, data, fit in plan(config, dump, exp):
        path = exp / "conf" / f"{name}.yaml"
        text = dump_yaml(data)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write_text(path, text)
        _, dev, test = pair_sets(train)
        result.append(Experiment(name, train, dev, test, path, fit))
    return result
