"""Stage 3 of recipes/se: the training steps of the SRST paper, chained.

Each step is one run of the shared trainer (``toolkit.train.run.train_task``)
in its own experiment directory, so each resumes from its ``last.pt`` and skips
itself once done. The steps and what they start from::

    source        supervised on source pairs                      -> EXP/source
    target        supervised on labelled target pairs (oracle)    -> EXP/target
    classifier    domain classifier, frozen encoder (init source)  -> EXP/classifier
    dann          DANN, beta * BCE through a GRL (init classifier) -> EXP/dann
    remixit       RemixIT, teacher = source (rounds: teacher updates)
    dann_remixit  RemixIT, teacher = dann
    srst          SRST, teacher = dann, source items ranked by a domain classifier
                  trained afresh on the frozen DANN encoder (Algorithm 1: "apply DAT;
                  train a source-target classifier; select the source samples
                  classified as targets")                       -> EXP/ranks/classifier
    srst_random   SRST with the source items in random order

Pseudo-labels (teacher estimates of speech and noise on the target sets) are
data directories under ``EXP/pseudo/<teacher>/``; the SRST ranking is
``EXP/ranks/<step>`` (``<key> <P(target)>``). Both are computed once and reused.
Data come from one folder holding ``source_train``, ``source_dev``,
``target_train``, ``target_dev`` (:mod:`toolkit.se.corpus`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from toolkit.config import load_config
from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir, write_datadir, write_kv
from toolkit.errors import UserError
from toolkit.fsutil import atomic_write_text, is_done
from toolkit.se.config import SEConfig
from toolkit.train.distributed import resolve_device
from toolkit.train.packing import load_model_dir
from toolkit.train.run import train_task

log = logging.getLogger(__name__)
STEPS = ("source", "target", "classifier", "dann", "remixit", "dann_remixit", "srst",
         "srst_random")
TEACHER = {"remixit": "source", "dann_remixit": "dann", "srst": "dann", "srst_random": "dann"}


def flatten(prefix: str, value: Any) -> list[str]:
    """``{a: {b: 1}}`` -> ``["a.b=1"]`` (YAML flow values for lists)."""

    if isinstance(value, dict):
        return [s for k, v in value.items() for s in flatten(f"{prefix}{k}.", v)]
    text = yaml.safe_dump(value, default_flow_style=True).strip()
    text = text[:-4].strip() if text.endswith("\n...") or text.endswith(" ...") else text
    return [f"{prefix[:-1]}={text}"]


def pseudo_label(teacher: Path, data: Path, out: Path, device: str = "cpu",
                 overwrite: bool = False) -> Path:
    """Teacher estimates on ``data`` as a data directory (``speech.scp``, ``noise.scp``).

    ``wav.scp`` stays the original noisy audio; labels in ``data`` are not copied
    (the adaptation never sees target references).
    """

    if is_done(out) and not overwrite:
        return out
    task, cfg, model = load_model_dir(teacher, device)
    d = DataDir(data)
    keys = d.keys()
    log.info("pseudo-labels: teacher %s on %s (%d utterances)", teacher, data, len(keys))
    files = task.decode(model, cfg, d.path, out, keys, device)
    result = {"wav.scp": {k: d.read("wav.scp")[k] for k in keys},
              "speech.scp": files["wav.scp"], "noise.scp": files["noise.scp"]}
    for extra in ("utt2domain", "utt2lang", "utt2dur"):
        if d.has(extra):
            result[extra] = d.read(extra)
    write_datadir(out, result, {"sample_rate": d.sample_rate, "task": "se",
                                "teacher": str(teacher), "source": str(data)},
                  overwrite=True, in_place=True)
    return out


def rank_source(model_dir: Path, data: Path, out: Path, random_seed: int | None = None,
                device: str = "cpu") -> Path:
    """``<key> <score>`` over ``data``: P(target) by the model's domain classifier.

    With ``random_seed`` the scores are a random permutation instead (the
    "random source" variant). A summary with the mean probabilities goes to
    ``out.json``.
    """


    if out.is_file():
        return out
    d = DataDir(data)
    keys = d.keys()
    if random_seed is not None:
        order = np.random.default_rng(random_seed).permutation(len(keys))
        scores = {k: float(1 - r / len(keys)) for k, r in zip(keys, order, strict=True)}
    else:
        _, cfg, model = load_model_dir(model_dir, device)
        scores = {}
        with torch.no_grad():
            for k in keys:
                x, _ = load_mono(d.read("wav.scp")[k], cfg.data.sample_rate)
                z = model.bottleneck(torch.from_numpy(x)[None].to(device))
                scores[k] = float(torch.sigmoid(model.domain_logits(z))[0])
    write_kv(out, {k: f"{v:.6f}" for k, v in scores.items()})
    vals = np.array(list(scores.values()))
    atomic_write_text(out.with_suffix(".json"), json.dumps(
        {"n": len(vals), "mean": float(vals.mean()), "top30_mean":
         float(np.sort(vals)[::-1][: max(1, len(vals) * 3 // 10)].mean()),
         "random": random_seed is not None}, indent=1) + "\n")
    return out


def step_plan(step: str, data: Path, exp: Path) -> list[dict[str, Any]]:
    """The trainer runs of one step: train / valid dirs, uda settings, exp dir, pseudo jobs."""
    if step not in STEPS:
        raise UserError(f"unknown step '{step}'; steps: {', '.join(STEPS)}")
    src_tr, src_dev = data / "source_train", data / "source_dev"
    tgt_tr, tgt_dev = data / "target_train", data / "target_dev"
    if step in ("source", "target"):
        tr, dev = (src_tr, src_dev) if step == "source" else (tgt_tr, tgt_dev)
        return [{"exp": exp / step, "train": tr, "valid": dev, "uda": {"mode": step}}]
    if step in ("classifier", "dann"):
        init = exp / ("source" if step == "classifier" else "classifier")
        return [{"exp": exp / step, "train": src_tr, "valid": src_dev,
                 "uda": {"mode": step, "init": str(init), "aux_data": str(tgt_tr),
                         "aux_valid": str(tgt_dev)}}]
    teacher = exp / TEACHER[step]
    pseudo = exp / "pseudo" / TEACHER[step]
    run = {"exp": exp / step, "train": pseudo / "target_train", "valid": pseudo / "target_dev",
           "pseudo": (teacher, pseudo), "uda": {"mode": "remixit", "init": str(teacher)}}
    if step.startswith("srst"):
        run["uda"].update(mode="srst", aux_data=str(src_tr), aux_valid=str(src_dev),
                          aux_rank=str(exp / "ranks" / step))
        ranker = exp / "ranks" / "classifier"
        run["rank"] = (ranker, src_tr, exp / "ranks" / step, step == "srst_random")
        if step == "srst":
            run["ranker"] = {"exp": ranker, "train": src_tr, "valid": src_dev,
                             "uda": {"mode": "classifier", "init": str(teacher),
                                     "reset_classifier": True, "aux_data": str(tgt_tr),
                                     "aux_valid": str(tgt_dev)}}
    return [run]


def run_step(step: str, config: Path, data: Path, exp: Path, overrides: list[str] | None = None,
             device: str = "auto", overwrite: bool = False) -> Path:
    """Run one stage-3 step (all its RemixIT rounds); return the final model directory."""

    cfg = load_config(SEConfig, config, overrides)
    step_over = flatten("", cfg.steps[step]) if cfg.steps.get(step) else []
    base = load_config(SEConfig, config, [*(overrides or []), *step_over])
    rounds = base.uda.remixit_rounds if step in ("remixit", "dann_remixit") else 1
    dev = resolve_device(device)
    (run,) = step_plan(step, data, exp)
    final = run["exp"]
    teacher = run.get("pseudo", (None, None))[0]
    for r in range(1, rounds + 1):
        target = final if r == rounds else final / "rounds" / str(r)
        uda = dict(run["uda"])
        if "pseudo" in run:
            pseudo = run["pseudo"][1] if r == 1 else final / "rounds" / f"pseudo{r}"
            for part in ("target_train", "target_dev"):
                pseudo_label(teacher, data / part, pseudo / part, dev, overwrite)
            uda["init"] = str(teacher)
            train, valid = pseudo / "target_train", pseudo / "target_dev"
        else:
            train, valid = run["train"], run["valid"]
        if "ranker" in run and r == 1:
            rk = run["ranker"]
            cls_over = flatten("", cfg.steps["classifier"]) if cfg.steps.get("classifier") else []
            log.info("step %s: domain classifier for the ranking: %s", step, rk["exp"])
            train_task("se", config, [*(overrides or []), *cls_over, *flatten("uda.", rk["uda"])],
                       rk["train"], rk["valid"], rk["exp"], device, overwrite)
        if "rank" in run:
            t, src, out, random = run["rank"]
            out.parent.mkdir(parents=True, exist_ok=True)
            rank_source(t, src, out, random_seed=base.trainer.seed if random else None,
                        device=dev)
        sets = [*(overrides or []), *step_over, *flatten("uda.", uda)]
        log.info("step %s%s: %s", step, f" round {r}/{rounds}" if rounds > 1 else "", target)
        train_task("se", config, sets, train, valid, target, device, overwrite)
        teacher = target
    return final
