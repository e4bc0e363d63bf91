"""The ``sptk-cli aed`` group: the recipe's steps and the classifier's tools.

- ``aed corpus``: the built-in 16-class corpus (noise/effect types + GM families);
- ``aed prepare``: ESC-50 / ESC-10 / folder-per-class / data dir / csv -> data dirs by fold;
- ``aed plot-confusion``: the confusion matrix of a scores JSON as a PNG;
- ``aed macs``: multiply-accumulates and parameters of a model config;
- ``aed export-onnx``: the classifier as ONNX, checked against PyTorch;
- ``aed offset-stats``: where DATAR's deformable blocks move their keys;
- ``aed pack-ensemble``: several trained classifiers as one bundle (mean posterior).

Thin wrappers: the work is in :mod:`toolkit.aed` and
:mod:`toolkit.corpora.external.aed_layouts`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import INPUTS, MODEL, OVERWRITE

app = App(help="Audio event classification: built-in corpus, corpus layouts, plots, MACs, ONNX, "
               "offset statistics, ensembles.")


@app.command()
def corpus(
    out: Path = typer.Option(..., "--out", "-o", help="Data directory to write (audio inside)."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML whose corpus: section gives "
                                "per_class, duration, seed, families, noise_types."),
    per_class: int = typer.Option(None, "--per-class", help="Clips per class [40]."),
    duration: float = typer.Option(None, "--duration", help="Seconds per clip [5]."),
    seed: int = typer.Option(None, "--seed", help="Seed [0]."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rebuild a finished corpus."),
) -> None:
    """Build the offline 16-class corpus (see toolkit.aed.corpus)."""
    from toolkit.aed.config import AedCorpusConfig
    from toolkit.aed.corpus import build_aed_sounds
    from toolkit.config import from_dict, read_config
    from toolkit.fsutil import skip_if_done

    conf = from_dict(AedCorpusConfig, read_config(config).get("corpus") if config else None,
                     "corpus")
    for key, value in {"per_class": per_class, "duration": duration, "seed": seed}.items():
        if value is not None:
            setattr(conf, key, value)
    if not skip_if_done(out, overwrite):
        build_aed_sounds(out, conf.per_class, conf.duration, conf.seed,
                         conf.noise_types or None, conf.families or None, overwrite=overwrite)


@app.command()
def prepare(
    src: Path = typer.Argument(..., help="Corpus folder (or csv) in one of the layouts."),
    out_dir: Path = typer.Option(..., "--out-dir", "-o", help="Where the data dirs go."),
    layout: str = typer.Option("auto", "--layout", help="auto | esc50 | esc10 | datadir | "
                               "csv | folders."),
    folds: list[str] = typer.Option(None, "--folds", help="PART:F1,F2 (repeatable), e.g. "
                                    "--folds train:1,2 --folds test:3; without: OUT/all."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML whose corpus: section gives "
                                "train_folds and test_folds (when --folds is not given)."),
    test_fold: str = typer.Option(None, "--test-fold", help="Cross-validation: test on this "
                                  "fold, train on every other fold of the corpus (instead "
                                  "of --folds or the config's folds)."),
    esc10_only: bool = typer.Option(False, "--esc10", help="ESC-50 layout: keep ESC-10."),
    audio_root: Path = typer.Option(None, "--audio-root", help="csv layout: audio folder "
                                    "(default: the csv's folder)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo finished outputs."),
) -> None:
    """Read a corpus layout and write data directories (wav.scp, label, utt2fold)."""
    from toolkit.corpora.external.aed_layouts import read_corpus, split_by_fold
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    if test_fold is not None and folds:
        fail("give --test-fold or --folds, not both")
    parts: dict[str, list[str]] = {}
    for spec in folds or []:
        name, _, values = spec.partition(":")
        if not name or not values:
            fail(f"--folds {spec!r}: write PART:FOLD[,FOLD...], e.g. train:1,2")
        parts[name] = [v.strip() for v in values.split(",") if v.strip()]
    if not parts and config and test_fold is None:
        from toolkit.aed.config import AedCorpusConfig
        from toolkit.config import from_dict, read_config

        cc = from_dict(AedCorpusConfig, read_config(config).get("corpus"), "corpus")
        parts = {"train": [str(f) for f in cc.train_folds], "test": [str(f) for f in cc.test_folds]}
    targets = [out_dir / p for p in (("train", "test") if test_fold is not None else parts)]
    if all(skip_if_done(t, overwrite) for t in targets or [out_dir / "all"]):
        return
    files = read_corpus(src, layout, esc10_only, audio_root)
    if test_fold is not None:
        have = sorted(set(files.get("utt2fold", {}).values()))
        if test_fold not in have or len(have) < 2:
            fail(f"--test-fold {test_fold}: the corpus has folds {', '.join(have) or 'none'}; "
                 "give one of them (and a corpus with two folds or more)")
        parts = {"train": [f for f in have if f != test_fold], "test": [test_fold]}
    meta = {"task": "aed", "source": str(src), "sample_rate": _common_rate(files["wav.scp"])}
    outputs = split_by_fold(files, parts) if parts else {"all": files}
    for name, part in outputs.items():
        write_datadir(out_dir / name, part, {**meta, "folds": parts.get(name)},
                      overwrite=True)
        classes = sorted({c for v in part["label"].values() for c in v.split(",")})
        typer.echo(f"{out_dir / name}: {len(part['wav.scp'])} clips, {len(classes)} classes")


def _common_rate(wavs: dict[str, str]) -> int | None:
    """The sample rate shared by the first files (None when they differ)."""
    from toolkit.data.audio import audio_info

    rates = {audio_info(p).sample_rate for p in list(wavs.values())[:20]}
    return rates.pop() if len(rates) == 1 else None


@app.command("plot-confusion")
def plot_confusion_cmd(
    scores: Path = typer.Argument(..., help="scores JSON from 'sptk-cli score'."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write."),
    title: str = typer.Option("", "--title", help="Plot title."),
) -> None:
    """Draw the confusion matrix (rows: reference, columns: prediction)."""
    from toolkit.aed.score import plot_confusion

    if not scores.is_file():
        fail(f"scores file {scores} does not exist; run the scoring stage first")
    try:
        data = json.loads(scores.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        fail(f"{scores} is not JSON ({e.msg} at line {e.lineno})")
    typer.echo(str(plot_confusion(data, out, title)))


@app.command()
def macs(
    config: Path = typer.Option(..., "--config", "-c", help="YAML with model: and data:."),
    overrides: list[str] = typer.Option(None, "--set", help="Override a config value."),
    frames: int = typer.Option(0, "--frames", help="Input frames (default data.target_frames)."),
) -> None:
    """Multiply-accumulates per clip and parameters of the configured model (params_m_classifier
    leaves out the masked-patch pretraining head, which classification never uses)."""
    from toolkit.aed.config import AedConfig
    from toolkit.config import load_config
    from toolkit.models.complexity import count_macs
    from toolkit.registry import build_model

    cfg = load_config(AedConfig, config, overrides)
    model = build_model("aed", cfg.model)
    t = frames or cfg.data.target_frames
    shape = (1, t, cfg.features.n_mels)
    m, m_no_attn = count_macs(model, shape), count_macs(model, shape, attention=False)
    typer.echo(json.dumps({"model": cfg.model.name, "frames": t, "n_mels": cfg.features.n_mels,
                           "gmacs": round(m / 1e9, 4),
                           "gmacs_without_attention": round(m_no_attn / 1e9, 4),
                           "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6,
                                             4),
                           "params_m_classifier": round(sum(
                               p.numel() for n, p in model.named_parameters()
                               if not n.startswith("recon_head")) / 1e6, 4)}))


@app.command("export-onnx")
def export_onnx_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="ONNX file to write."),
    model: Path = MODEL,
    overwrite: bool = OVERWRITE,
) -> None:
    """Export the classifier as ONNX (fbank windows in, logits and probs out, dynamic batch)
    and check it against PyTorch with onnxruntime."""
    from toolkit.aed.export import check_onnx, export_onnx
    from toolkit.aed.infer import Classifier

    if out.is_dir():
        fail(f"-o {out}: is a folder; give the name of the .onnx file to write")
    if out.exists() and not overwrite:
        fail(f"-o {out}: exists; pass --overwrite to replace it")
    clf = Classifier.load(model, "cpu")
    export_onnx(clf, out)
    err = check_onnx(clf, out)
    typer.echo(json.dumps({"onnx": str(out), "classes": len(clf.classes),
                           "input": ["batch", clf.cfg.data.target_frames, clf.cfg.features.n_mels],
                           "max_abs_diff_probs": err}))


@app.command("offset-stats")
def offset_stats_cmd(
    inputs: list[str] = INPUTS,
    model: Path = MODEL,
    batch_size: int = typer.Option(16, "--batch-size", help="Windows per model call."),
) -> None:
    """Offsets of DATAR's deformable blocks on the windows of audio files: map and key
    grid sizes, offset range and mean |offset| in reference-grid cells, share of keys
    moved off the map (one JSON object per deformable block)."""
    import numpy as np
    import torch

    from toolkit.aed.infer import Classifier, check_inputs, window_features
    from toolkit.aed.offsets import deformable_blocks, offset_stats
    from toolkit.cli.inputs import expand_inputs

    files = expand_inputs(inputs)
    check_inputs([f.path for f in files])
    clf = Classifier.load(model, "cpu")
    members = getattr(clf.model, "members", [clf.model])  # an ensemble: each member
    if not all(deformable_blocks(m) for m in members):
        fail(f"{clf.source}: the model has no deformable attention block (a DATAR model has)")
    for i, member in enumerate(members):
        batches = (torch.from_numpy(np.stack(b)) for b in
                   window_features([f.path for f in files], clf, batch_size))
        for row in offset_stats(member, batches):
            typer.echo(json.dumps({"member": i, **row} if len(members) > 1 else row))


@app.command("pack-ensemble")
def pack_ensemble_cmd(
    exps: list[Path] = typer.Option(..., "--exp", "-e", help="A finished experiment; give "
                                    "--exp two or more times."),
    out: Path = typer.Option(..., "--out", "-o", help="Bundle directory to write."),
    scores: list[Path] = typer.Option(None, "--scores", help="Score JSON files for the card."),
    description: str = typer.Option("", "--description", help="Text for the model card."),
    card: Path = typer.Option(None, "--card", help="YAML with the card's header (see "
                              "'sptk-cli pack --help')."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Pack several classifiers trained alike (other seeds) as one bundle that averages
    their posteriors; classify, export-onnx and offset-stats take it as --model."""
    from toolkit.aed.ensemble import pack_ensemble
    from toolkit.fsutil import skip_if_done
    from toolkit.train.packing import read_card

    header = read_card(card)
    if not skip_if_done(out, overwrite):
        pack_ensemble(list(exps), out, scores, description, header, overwrite)
