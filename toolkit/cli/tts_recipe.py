"""TTS recipe commands: the ``tts`` group (the ``vocoder`` group, ``align`` and
``align-score`` are in :mod:`toolkit.cli.tts_analysis`).

Thin wrappers over :mod:`toolkit.tts`; every
option that is a hyperparameter comes from the recipe YAML (``--config``, with
``--set`` overrides).
"""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import DEVICE, OVERWRITE, SET

tts_app = App(help="TTS recipe steps: splits, stage-2 features, phone set, figures, bundles.")
CONFIG = typer.Option(None, "--config", "-c", help="tts YAML config (defaults if omitted).")


def _config(config: Path | None, overrides: list[str] | None):
    from toolkit.config import load_config
    from toolkit.tts.config import TtsConfig

    if config is not None and not config.is_file():
        fail(f"config file {config} does not exist")
    return load_config(TtsConfig, config, overrides)


def _keys(data: Path, shard: str | None) -> list[str]:
    from toolkit.data.datadir import DataDir
    from toolkit.data.ops import parse_shard, shard_keys

    sh = parse_shard(shard)
    keys = DataDir(data).keys()
    return shard_keys(keys, *sh) if sh else keys


@tts_app.command("corpus")
def tts_corpus(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for pool/ and espeak/."),
    config: Path = CONFIG, overrides: list[str] = SET, overwrite: bool = OVERWRITE,
) -> None:
    """Stage 0: the speech pool of corpus.train_langs + adapt_langs, and espeak-ng test speech."""
    from toolkit.tts.prepare import build_corpus

    stats = build_corpus(_config(config, overrides).corpus, out, overwrite)
    if not stats.get("skipped"):
        typer.echo(f"{out}/pool: {stats['clips']} clips, {stats['seconds'] / 60:.1f} min")


@tts_app.command("prepare")
def tts_prepare(
    pool: Path = typer.Option(..., "--pool", help="Speech pool data dir (utt2lang, utt2spk)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for train/dev/test/adapt_* dirs."),
    config: Path = CONFIG, overrides: list[str] = SET, overwrite: bool = OVERWRITE,
) -> None:
    """Stage 1: per (language, speaker) splits; adaptation languages get little training data."""
    from toolkit.tts.prepare import prepare_splits

    counts = prepare_splits(pool, out, _config(config, overrides).corpus, overwrite)
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@tts_app.command("features")
def tts_features(
    data: Path = typer.Option(..., "--data", "-d", help="Data dir (wav.scp, text, utt2lang)."),
    aligner: Path = typer.Option(..., "--aligner", help="Trained aligner (sptk-cli align "
                                 "--save-model)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data dir."),
    shard: str = typer.Option(None, "--shard", help="Only shard J/N of the keys."),
    config: Path = CONFIG, overrides: list[str] = SET, overwrite: bool = OVERWRITE,
) -> None:
    """Stage 2: phrase labels, WORLD features and alignment (durations) per utterance."""
    from toolkit.tts.prepare import prepare_features

    if not aligner.is_file():
        fail(f"aligner model {aligner} does not exist; train it with sptk-cli align "
             "--save-model")
    stats = prepare_features(data, out, _config(config, overrides), aligner, _keys(data, shard),
                             overwrite)
    if not stats["skipped"]:
        typer.echo(f"{out}: {stats['utterances']} utterances ({stats['dropped']} without "
                   f"phones, {stats['not_aligned']} not aligned)")


@tts_app.command("split")
def tts_split(
    dump_all: Path = typer.Option(..., "--all", help="Stage-2 output of every utterance."),
    splits: Path = typer.Option(..., "--splits", help="Stage-1 folder (train, dev, ...)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the stage-2 splits."),
    config: Path = CONFIG, overrides: list[str] = SET, overwrite: bool = OVERWRITE,
) -> None:
    """Cut the stage-2 output back into the splits and write the phone set into each."""
    from toolkit.tts.prepare import split_dump

    cfg = _config(config, overrides)
    slots = int(cfg.model.conf.get("phone_slots", 128))
    counts = split_dump(dump_all, splits, out, slots, overwrite, tuple(cfg.corpus.adapt_sizes))
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@tts_app.command("phone-set")
def tts_phone_set(
    train: list[Path] = typer.Option(..., "--train", help="Dirs whose phones fill the slots, "
                                     "in order (training languages first)."),
    into: list[Path] = typer.Option(..., "--into", help="Dirs to write phone_set.json into."),
    config: Path = CONFIG, overrides: list[str] = SET,
) -> None:
    """The union phone inventory (phone_set.json) of the training and adaptation languages."""
    cfg = _config(config, overrides)
    from toolkit.tts.prepare import write_phone_set

    ps = write_phone_set(train, int(cfg.model.conf.get("phone_slots", 128)), into)
    typer.echo(f"{len(ps.phones)} of {ps.slots} slots used ({', '.join(ps.languages)})")


@tts_app.command("pairs")
def tts_pairs(data: Path = typer.Option(..., "--data", "-d", help="Data directory.")) -> None:
    """Print the 'language speaker' pairs of a data directory, one per line."""
    from toolkit.tts.prepare import language_speaker_pairs

    for lang, spk in language_speaker_pairs(data):
        typer.echo(f"{lang} {spk}")


@tts_app.command("experiments")
def tts_experiments(
    dump: Path = typer.Option(..., "--dump", help="Stage-2 folder (train, adapt_train, ...)."),
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment folder (gets conf/<name>.yaml)."),
    config: Path = typer.Option(..., "--config", "-c", help="Recipe YAML with experiments:."),
) -> None:
    """Resolve the config's experiments: into EXP/conf/<name>.yaml; print 'name train dev test
    fit' (fit: train, or the closed-form reference mean / ridge)."""
    from toolkit.tts.experiments import write_experiments

    if not config.is_file():
        fail(f"config file {config} does not exist")
    for e in write_experiments(config, dump, exp):
        typer.echo(f"{e.name} {e.train} {e.dev} {e.test} {e.fit}")


@tts_app.command("reference")
def tts_reference(
    train: Path = typer.Option(..., "--train", help="Stage-2 training set (dump/<tag>/train)."),
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment directory to write."),
    kind: str = typer.Option("ridge", "--kind", help="mean (a constant per speaker) | ridge "
                             "(a linear map of the frame features + a speaker bias)."),
    l2: float = typer.Option(1e-3, "--l2", help="Ridge penalty per frame."),
    config: Path = CONFIG, overrides: list[str] = SET, overwrite: bool = OVERWRITE,
) -> None:
    """Fit a closed-form reference acoustic model (MCD rows beside the trained ones)."""
    from toolkit.tts.reference import fit_reference

    if kind not in ("mean", "ridge"):
        fail(f"--kind {kind}: use mean or ridge")
    stats = fit_reference(_config(config, overrides), train, exp, kind, l2, overwrite)
    if not stats.get("skipped"):
        typer.echo(f"{exp}: {stats['utterances']} utterances, {stats['frames']} frames, "
                   f"training MSE {stats['train_mse']:.4f}")


@tts_app.command("merge")
def tts_merge(
    base: Path = typer.Option(..., "--base", help="The model the adaptations started from."),
    adapted: list[Path] = typer.Option(..., "--adapted", help="An adapted experiment (v1 or "
                                       "duration_adapt of --base); repeat for each language."),
    out: Path = typer.Option(..., "--out", "-o", help="Experiment directory to write."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Merge adapted languages into one model (tts.merge): a bundle that speaks them all."""
    from toolkit.tts.merge import merge_adapted

    res = merge_adapted(base, adapted, out, overwrite)
    if not res.get("skipped"):
        typer.echo(f"{out}: languages {' '.join(res['languages'])}")


@tts_app.command("heldout")
def tts_heldout(
    out: Path = typer.Option(..., "--out", "-o", help="Text-only data dir to write."),
    config: Path = CONFIG, overrides: list[str] = SET, overwrite: bool = OVERWRITE,
) -> None:
    """Stage 1: the held-out sentences of heldout.text as a text-only data dir (for ASR WER)."""
    from toolkit.tts.prepare import text_datadir

    h = _config(config, overrides).heldout
    if not h.text:
        fail("heldout.text is empty in the config: name a file of sentences")
    n = text_datadir(h.text, out, h.lang, h.speaker, h.max_sentences, overwrite)
    typer.echo(f"{out}: {n} sentences ({h.lang}, {h.speaker})")


@tts_app.command("synthesize-set")
def tts_synthesize_set(
    acoustic: Path = typer.Option(..., "--acoustic", help="Acoustic model (experiment/pack)."),
    duration: Path = typer.Option(..., "--duration", help="Duration model (experiment/pack)."),
    data: Path = typer.Option(..., "--data", "-d", help="Text-only data dir (tts heldout)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data dir (wav.scp, text, ...)."),
    device: str = DEVICE, overwrite: bool = OVERWRITE,
) -> None:
    """Stage 4: speak a text-only data dir with the whole system (predicted durations)."""
    from toolkit.train.distributed import resolve_device
    from toolkit.tts.decode import synthesize_datadir
    from toolkit.tts.synth import TtsSynthesizer

    for p in (acoustic, duration, data):
        if not p.is_dir():
            fail(f"{p} does not exist")
    synth = TtsSynthesizer(acoustic, resolve_device(device), duration=duration)
    stats = synthesize_datadir(synth, data, out, overwrite)
    if not stats["skipped"]:
        typer.echo(f"{out}: {stats['utterances']} utterances")


@tts_app.command("report")
def tts_report(
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment folder of a run.sh config."),
    out: Path = typer.Option(..., "--out", "-o", help="Markdown report (figures beside it)."),
) -> None:
    """Tables of the paper's comparisons and Figures 2 and 3 from the stage-5 scores."""
    from toolkit.tts.report import make_report

    typer.echo(make_report(exp, out))


@tts_app.command("bundle")
def tts_bundle(
    acoustic: Path = typer.Option(..., "--acoustic", help="Packed acoustic model."),
    duration: Path = typer.Option(..., "--duration", help="Packed duration model."),
    out: Path = typer.Option(..., "--out", "-o", help="Bundle folder (acoustic/, duration/)."),
    train_data: list[Path] = typer.Option(None, "--train-data", help="The acoustic model's "
                                          "training data dir (repeat for the adaptation "
                                          "data of merged languages): writes voices.yaml "
                                          "(speakers per language, the default = the one "
                                          "with most utterances)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Put a packed acoustic model and a packed duration model into one TTS bundle."""
    from toolkit.fsutil import skip_if_done
    from toolkit.tts.synth import make_bundle

    if skip_if_done(out, overwrite):
        return
    make_bundle(acoustic, duration, out, overwrite, list(train_data or []))
    typer.echo(str(out))


def register(app: typer.Typer) -> None:
    """Add the tts group, and the vocoder group and align commands, to ``app``."""
    from toolkit.cli import tts_analysis

    app.add_typer(tts_app, name="tts")
    tts_analysis.register(app)
