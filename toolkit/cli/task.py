"""``sptk-cli train | decode | score | pack | average | summarize``: the task commands.

Each is a thin wrapper: the task (``toolkit/<name>/task.py``) supplies data,
loss, inference and scoring; the trainer and the packer are shared.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from toolkit.cli.app import fail
from toolkit.cli.options import DEVICE, OVERWRITE, SET

log = logging.getLogger("toolkit")
ALLOW_UNFINISHED = typer.Option(False, "--allow-unfinished", help="Use an experiment whose "
                                "training has not finished (no .done: a mid-training last.pt).")


def train(
    task: str = typer.Option(..., "--task", "-t", help="Task name (tone, aec, se, aed, tts, svs)."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML config (defaults if omitted)."),
    train_dir: Path = typer.Option(..., "--train", help="Training data directory."),
    valid_dir: Path = typer.Option(None, "--valid", help="Validation data directory."),
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment directory (resumes from it)."),
    overrides: list[str] = SET,
    device: str = DEVICE,
    nproc: int = typer.Option(1, "--nproc", help="Processes per node (torch.distributed: "
                              "torchrun locally, srun with --backend slurm)."),
    nodes: int = typer.Option(1, "--nodes", help="Nodes (with --backend slurm)."),
    backend: str = typer.Option("local", "--backend", help="local | slurm (launch through srun)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Train a model; a rerun resumes from EXP/last.pt, a finished run is skipped."""
    from toolkit.train.distributed import dist_env
    from toolkit.train.launch import launch_distributed
    from toolkit.train.run import train_task

    if nproc < 1 or nodes < 1:
        fail("--nproc and --nodes must be >= 1")
    if backend not in ("local", "slurm"):
        fail(f"--backend {backend!r}: use local or slurm")
    if backend == "local" and nodes > 1:
        fail("--nodes > 1 needs --backend slurm")
    if not dist_env().enabled and (nproc > 1 or backend == "slurm"):
        args = ["train", "--task", task, "--train", str(train_dir), "--exp", str(exp),
                "--device", device]
        args += ["--config", str(config)] if config else []
        args += ["--valid", str(valid_dir)] if valid_dir else []
        for o in overrides or []:
            args += ["--set", o]
        args += ["--overwrite"] if overwrite else []
        raise typer.Exit(launch_distributed(args, nproc, nodes, backend))
    train_task(task, config, overrides, train_dir, valid_dir, exp, device, overwrite)


def decode(
    model_dir: Path = typer.Option(None, "--model", "-m", help="Experiment or packed model "
                                   "(default: the model shipped for --task)."),
    task: str = typer.Option(None, "--task", "-t", help="Task of the default model."),
    data: Path = typer.Option(..., "--data", "-d", help="Input data directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data directory."),
    shard: str = typer.Option(None, "--shard", help="Decode only shard J/N of the keys."),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    allow_unfinished: bool = ALLOW_UNFINISHED,
) -> None:
    """Run inference on a data directory; the output is a data directory too.

    An experiment directory must have finished training (.done) unless --allow-unfinished.
    """
    from toolkit.data.datadir import DataDir, write_datadir
    from toolkit.data.ops import parse_shard, shard_keys
    from toolkit.fsutil import skip_if_done
    from toolkit.train.packing import check_finished, default_model_dir, load_model_dir

    sh = parse_shard(shard)  # bad input first, before loading anything
    if skip_if_done(out, overwrite):
        return
    if model_dir is None:
        if task is None:
            fail("give --model DIR, or --task T to use the default model of task T")
        model_dir = default_model_dir(task)
    check_finished(model_dir, allow_unfinished)

    from toolkit.log import log_device
    from toolkit.train.distributed import resolve_device

    dev = resolve_device(device)
    log_device(dev)
    t, cfg, model = load_model_dir(model_dir, dev)
    d = DataDir(data)
    keys = d.keys()
    if sh:
        keys = shard_keys(keys, *sh)
    files = t.decode(model, cfg, d.path, out, keys, dev)
    meta = {"sample_rate": d.sample_rate, "task": t.name, "model": str(model_dir),
            "source": str(data), "shard": shard}
    write_datadir(out, files, meta, overwrite=True, in_place=True)
    log.info("decoded %d utterances into %s", len(keys), out)


def score(
    ref: Path = typer.Option(..., "--ref", "-r", help="Reference data directory."),
    hyp: Path = typer.Option(..., "--hyp", help="Decoded data directory."),
    task: str = typer.Option(None, "--task", "-t", help="Task (default: from hyp meta.yaml)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the scores as JSON here."),
    shard: str = typer.Option(None, "--shard", help="Score only shard J/N of the keys and write "
                              "per-utterance results to --out for 'sptk-cli score-merge'."),
) -> None:
    """Compare a decode output with its reference and print the scores."""
    import json

    from toolkit.data.datadir import DataDir
    from toolkit.data.ops import parse_shard, shard_keys
    from toolkit.fsutil import atomic_write_text
    from toolkit.registry import get_task

    sh = parse_shard(shard)
    if sh and out is None:
        fail("--shard needs --out (the part file that score-merge reads)")
    task = task or DataDir(hyp).meta.get("task") or DataDir(ref).meta.get("task")
    if not task:
        fail(f"neither {hyp}/meta.yaml nor {ref}/meta.yaml names the task; pass --task")
    t = get_task(task)
    if sh:
        keys = shard_keys(DataDir(ref).keys(), *sh)
        part = {"task": task, "shard": shard, "per_key": t.score_keys(ref, hyp, keys)}
        atomic_write_text(out, json.dumps(part, ensure_ascii=False) + "\n")
        typer.echo(f"{out}: per-utterance results of {len(keys)} keys (shard {shard})")
        return
    _write_scores(t.score(ref, hyp), out)


def score_merge(
    parts: list[Path] = typer.Argument(..., help="Part files from 'score --shard J/N --out'."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the scores as JSON here."),
) -> None:
    """Aggregate per-shard scoring parts into the scores of the whole set."""
    import json

    from toolkit.registry import get_task

    per_key: dict = {}
    tasks = set()
    for p in parts:
        if not p.is_file():
            fail(f"score part {p} does not exist; did every scoring job succeed?")
        try:
            part = json.loads(_read_json_text(p))
            tasks.add(part["task"])
            overlap = set(per_key) & set(part["per_key"])
            per_key.update(part["per_key"])
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            fail(f"{p} is not a part file written by 'sptk-cli score --shard'")
        if overlap:
            fail(f"{p} repeats key '{sorted(overlap)[0]}' of another part")
    if len(tasks) != 1:
        fail(f"the parts come from different tasks ({', '.join(sorted(tasks))})")
    _write_scores(get_task(tasks.pop()).aggregate(per_key), out)


def _read_json_text(path: Path) -> str:
    """Text of a JSON file; a byte that is not UTF-8 is a one-line error naming the file."""
    from toolkit.data.text import decode_text

    return decode_text(path.read_bytes(), path)


def _write_scores(result: dict, out: Path | None) -> None:
    import json

    from toolkit.fsutil import atomic_write_text

    if out:
        atomic_write_text(out, json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    flat = {k: v for k, v in result.items() if isinstance(v, int | float)}
    typer.echo(" ".join(f"{k}={v:.4g}" for k, v in flat.items()))


def pack(
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Bundle directory to write."),
    scores: list[Path] = typer.Option(None, "--scores", help="Score JSON files for the card."),
    fp32: bool = typer.Option(False, "--fp32", help="Keep fp32 weights (default fp16)."),
    description: str = typer.Option("", "--description", help="Text for the model card "
                                    "(training data, intended use)."),
    card: Path = typer.Option(None, "--card", help="YAML with the card's header: license, "
                              "license_note, training_data (name, license), intended_use, "
                              "limitations (e.g. recipes/<task>/conf/model_card.yaml)."),
    overwrite: bool = OVERWRITE,
    allow_unfinished: bool = ALLOW_UNFINISHED,
) -> None:
    """Bundle a trained model for inference (stage 9); training must have finished (.done)."""
    from toolkit.fsutil import skip_if_done
    from toolkit.train.packing import pack as pack_model
    from toolkit.train.packing import read_card

    header = read_card(card)
    if not skip_if_done(out, overwrite):
        pack_model(exp, out, scores, fp16=not fp32, overwrite=overwrite, description=description,
                   card=header, allow_unfinished=allow_unfinished)


def average(
    models: list[Path] = typer.Option(..., "--model", "-m", help="A member: an experiment "
                                      "directory, a packed model, or a checkpoint file of a "
                                      "run (EXP/ckpt/epoch-N.pt); give two or more."),
    out: Path = typer.Option(..., "--out", "-o", help="Experiment directory to write."),
    overwrite: bool = OVERWRITE,
    allow_unfinished: bool = ALLOW_UNFINISHED,
) -> None:
    """Average the weights of trainings of one network (other seeds, or epochs of one run).

    The output is a finished experiment directory (best.pt holds the mean weights) that
    decode, score and pack take like a trained model.
    """
    from toolkit.fsutil import skip_if_done
    from toolkit.train.average import average_models

    if not skip_if_done(out, overwrite):
        average_models(models, out, overwrite, allow_unfinished)


def summarize(
    files: list[Path] = typer.Argument(..., help="Score JSON files (from sptk-cli score)."),
    brief: bool = typer.Option(False, "--brief", help="A few headline metrics per recipe in "
                               "80 columns, and where the full results are."),
) -> None:
    """Print the numeric scores of several JSON files, one table per experiment folder.

    Files of one folder (one recipe's systems and test sets) share a table whose columns
    are the union of their metrics ("-" where a file lacks one); a table with more metrics
    than fit across the screen lists the metrics as rows and the files as columns, named
    without the folder, ``scores_`` and ``.json``. ``--brief`` keeps the recipe's
    headline metrics (at most 4) within 80 columns.
    """
    from toolkit.metrics.summary import print_summary

    print_summary(files, brief)


def register(app: typer.Typer) -> None:
    """Add the task commands to ``app``."""
    for fn in (train, decode, score, pack, average, summarize):
        app.command()(fn)
    app.command("score-merge")(score_merge)
