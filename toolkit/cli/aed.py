"""``sptk-cli classify`` and ``sptk-cli aed ...``: audio event classification commands.

- ``classify CLIP...``: labels with probabilities for audio files (default model or --model);
- ``aed corpus``: the built-in 16-class corpus (noise/effect types + GM families);
- ``aed prepare``: ESC-50 / ESC-10 / folder-per-class / data dir / csv -> data dirs by fold;
- ``aed plot-confusion``: the confusion matrix of a scores JSON as a PNG;
- ``aed macs``: multiply-accumulates and parameters of a model config.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.app import App, fail

app = App(help="Audio event classification: built-in corpus, corpus layouts, plots, MACs.")


def classify(
    clips: list[Path] = typer.Argument(..., help="Audio files (wav, flac, ogg, mp3, ...)."),
    model: Path = typer.Option(None, "--model", "-m", help="Packed model or experiment "
                               "(default: the classifier shipped in toolkit/assets/aed)."),
    top: int = typer.Option(5, "--top", help="How many classes to print per clip."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per clip."),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | auto."),
) -> None:
    """Print the most likely sound classes of each clip with their probabilities."""
    from toolkit.tasks.aed_infer import classify_file
    from toolkit.train.distributed import resolve_device

    if top < 1:
        fail(f"--top {top}: give a number >= 1")
    dev = resolve_device(device)
    for clip in clips:
        if not clip.is_file():
            fail(f"audio file {clip} does not exist")
        r = classify_file(clip, model, top, dev)
        if as_json:
            typer.echo(json.dumps({**r, "top": [{"label": c, "prob": round(p, 5)}
                                                for c, p in r["top"]]}, ensure_ascii=False))
        else:
            typer.echo(f"{clip}: " + "  ".join(f"{c} {p:.3f}" for c, p in r["top"]))


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
    """Build the offline 16-class corpus (see toolkit.corpora.aed_sounds)."""
    from toolkit.config import from_dict, read_yaml
    from toolkit.corpora.aed_sounds import build_aed_sounds
    from toolkit.fsutil import skip_if_done
    from toolkit.tasks.aed import AedCorpusConfig

    conf = from_dict(AedCorpusConfig, read_yaml(config).get("corpus") if config else None,
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
    esc10_only: bool = typer.Option(False, "--esc10", help="ESC-50 layout: keep ESC-10."),
    audio_root: Path = typer.Option(None, "--audio-root", help="csv layout: audio folder "
                                    "(default: the csv's folder)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo finished outputs."),
) -> None:
    """Read a corpus layout and write data directories (wav.scp, label, utt2fold)."""
    from toolkit.corpora.external.aed_layouts import read_corpus, split_by_fold
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    parts: dict[str, list[str]] = {}
    for spec in folds or []:
        name, _, values = spec.partition(":")
        if not name or not values:
            fail(f"--folds {spec!r}: write PART:FOLD[,FOLD...], e.g. train:1,2")
        parts[name] = [v.strip() for v in values.split(",") if v.strip()]
    if not parts and config:
        from toolkit.config import from_dict, read_yaml
        from toolkit.tasks.aed import AedCorpusConfig

        cc = from_dict(AedCorpusConfig, read_yaml(config).get("corpus"), "corpus")
        parts = {"train": [str(f) for f in cc.train_folds], "test": [str(f) for f in cc.test_folds]}
    targets = [out_dir / p for p in parts] or [out_dir / "all"]
    if all(skip_if_done(t, overwrite) for t in targets):
        return
    files = read_corpus(src, layout, esc10_only, audio_root)
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
    from toolkit.tasks.aed_infer import plot_confusion

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
    """Multiply-accumulates per clip and parameters of the configured model."""
    from toolkit.config import load_config
    from toolkit.models.complexity import count_macs
    from toolkit.registry import build_model
    from toolkit.tasks.aed import AedConfig

    cfg = load_config(AedConfig, config, overrides)
    model = build_model("aed", cfg.model)
    t = frames or cfg.data.target_frames
    shape = (1, t, cfg.features.n_mels)
    m, m_no_attn = count_macs(model, shape), count_macs(model, shape, attention=False)
    typer.echo(json.dumps({"model": cfg.model.name, "frames": t, "n_mels": cfg.features.n_mels,
                           "gmacs": round(m / 1e9, 4),
                           "gmacs_without_attention": round(m_no_attn / 1e9, 4),
                           "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6,
                                             4)}))


def register(root: typer.Typer) -> None:
    """Add ``classify`` and the ``aed`` group to the root app."""
    root.command()(classify)
    root.add_typer(app, name="aed")
