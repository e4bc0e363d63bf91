"""Speech enhancement commands: ``enhance``, ``adapt``, ``dnsmos`` and the ``se`` group.

Thin wrappers over :mod:`toolkit.se.infer` (enhance), :mod:`toolkit.se.steps`
(the stage-3 training steps), :mod:`toolkit.se.probe` (domain separability),
:mod:`toolkit.se.adapt` (adaptation from a folder
of noisy audio), :mod:`toolkit.se.corpus` (the source / target corpus),
:mod:`toolkit.se.mixset` (fixed mixture sets) and :mod:`toolkit.metrics.dnsmos`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from toolkit.cli.app import App
from toolkit.cli.options import DEVICE, INPUTS, MODEL, OUT, OVERWRITE, SKIP_EXISTING

log = logging.getLogger("toolkit")
group = App(help="Speech enhancement (recipes/se): corpus, training steps, mixture sets, "
            "real-corpus preparation.")


@group.command("corpus")
def corpus(
    config: Path = typer.Option(..., "--config", "-c", help="Recipe config (corpus section)."),
    out: Path = typer.Option(..., "--out", "-o", help="Corpus folder to build."),
    speech: Path = typer.Option(None, "--speech", help="Speech pool data directory (default: "
                                "build one from the Debian packages under OUT/speech)."),
    source_noise: Path = typer.Option(None, "--source-noise", help="Source noise pool "
                                      "(default: built under OUT/noise_source)."),
    target_noise: Path = typer.Option(None, "--target-noise", help="Target noise pool "
                                      "(default: built under OUT/noise_target)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Build the source / target corpus: speech and noise pools, then the mixtures."""
    from toolkit.config import load_config
    from toolkit.se.config import SEConfig
    from toolkit.se.corpus import SETS, SOURCE_LANG_TEST, mix_uda_corpus

    cc = load_config(SEConfig, config).corpus
    if speech is None:
        from toolkit.corpora.debian.speech_pool import build_speech_pool

        speech = out / "speech"
        build_speech_pool(speech, cc.speech_sources, cc.source_langs + cc.target_langs,
                          cc.max_per_lang or None, cc.seed, None, overwrite)
    from toolkit.corpora.sounds.noise import build_noise_pool

    for name, types, given in (("noise_source", cc.source_noise_types, source_noise),
                               ("noise_target", cc.target_noise_types, target_noise)):
        if given is None:
            build_noise_pool(out / name, cc.noise_sources or None, types, seed=cc.seed,
                             n_procedural=cc.n_procedural, overwrite=overwrite)
    rirs = None
    if cc.target_reverb > 0:
        from toolkit.corpora.sounds.rooms import build_rir_pool

        rirs = build_rir_pool(out / "rirs", cc.n_rooms, seed=cc.seed, overwrite=overwrite)
    mix_uda_corpus(out / "mix", speech, source_noise or out / "noise_source",
                   target_noise or out / "noise_target", cc, overwrite, rirs)
    made = [s for s in (*SETS, SOURCE_LANG_TEST) if (out / "mix" / s / "wav.scp").is_file()]
    typer.echo(f"{out / 'mix'}: {' '.join(made)}")


@group.command("step")
def step(
    name: str = typer.Argument(..., help="source | target | classifier | dann | remixit | "
                               "dann_remixit | srst | srst_random"),
    config: Path = typer.Option(..., "--config", "-c", help="Recipe config."),
    data: Path = typer.Option(..., "--data", "-d", help="Folder with source_train, source_dev, "
                              "target_train, target_dev."),
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment root (one folder per step)."),
    overrides: list[str] = typer.Option(None, "--set", help="Config override (repeatable)."),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
) -> None:
    """Run one stage-3 training step (resumes; skips when done)."""
    from toolkit.se.steps import run_step

    final = run_step(name, config, data, exp, overrides, device, overwrite)
    typer.echo(str(final))


@group.command("table")
def table(
    exps: list[Path] = typer.Option(..., "--exp", "-e", help="Experiment root (one folder "
                                    "per step); repeat it for seeds (mean ± sd)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the Markdown table here."),
) -> None:
    """Tables 1 and 2 of the paper from the scores of every step (one seed or several)."""
    from toolkit.errors import UserError
    from toolkit.fsutil import atomic_write_text
    from toolkit.se.table import tables_markdown

    for e in exps:
        if not e.is_dir():
            raise UserError(f"--exp {e}: no such experiment folder; give exp/<config>[_sN]")
    text = tables_markdown(exps)
    if out:
        atomic_write_text(out, text)
    typer.echo(text, nl=False)


@group.command("probe")
def probe(
    models: list[Path] = typer.Option(..., "--model", "-m", help="se experiment, or one of "
                                      "its checkpoints (EXP/ckpt/epoch-N.pt); repeatable."),
    data: Path = typer.Option(..., "--data", "-d", help="Corpus folder with source_train, "
                              "target_train, source_dev, target_dev."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the results here (JSON)."),
    n_train: int = typer.Option(800, "--n-train", help="Training items per domain."),
    epochs: int = typer.Option(30, "--epochs", help="Probe training epochs."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws and of the probe."),
    layer: str = typer.Option(None, "--layer", help="Probe these features (encoder | tcn) "
                              "instead of each model's own domain layer."),
) -> None:
    """Domain separability of each model's bottleneck: a fresh classifier's dev accuracy
    (0.5 = the domains are aligned; DANN's aim)."""
    import json

    from toolkit.errors import UserError
    from toolkit.fsutil import atomic_write_text
    from toolkit.se.probe import probe_domains

    if n_train < 10 or epochs < 1:
        raise UserError("--n-train must be >= 10 and --epochs >= 1")
    results = []
    for m in models:
        if not m.exists():
            raise UserError(f"--model {m}: no such experiment or checkpoint")
        weights = m if m.suffix == ".pt" else None
        # EXP/best.pt or EXP/ckpt/epoch-N.pt: the experiment is the folder with config.yaml
        model_dir = (m.parent if (m.parent / "config.yaml").is_file() else m.parent.parent
                     ) if weights else m
        r = probe_domains(model_dir, data, weights, n_train=n_train, epochs=epochs, seed=seed,
                          layer=layer)
        results.append(r)
        typer.echo(f"{m} ({r['layer']}): dev accuracy {r['accuracy']:.3f} ± {r['ci95']:.3f} "
                   f"(train {r['train_accuracy']:.3f}, {r['n_dev']} dev items)")
    if out:
        atomic_write_text(out, json.dumps(results, indent=1) + "\n")


@group.command("mix-set")
def mix_set(
    config: Path = typer.Option(..., "--config", "-c", help="Config with a 'mix' section "
                                "(held-out talkers, noise pools, ESC folds)."),
    speech: Path = typer.Option(..., "--speech", help="Speech pool data directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Data directory to write."),
    split: str = typer.Option("test", "--split", help="valid | test: whose talkers and "
                              "noise recordings."),
    snrs: str = typer.Option("-5,0,5,20,30,inf", "--snrs", help="SNRs in dB; inf = clean."),
    n: int = typer.Option(30, "--n", help="Utterances (each mixed at every SNR)."),
    noise_from: str = typer.Option("all", "--noise-from", help="all | pool | esc: which "
                                   "held-out noises."),
    min_seconds: float = typer.Option(0.0, "--min-seconds", help="Join consecutive "
                                      "utterances of one talker (0.3-s pauses) into items "
                                      "of at least this length (0: one utterance each)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """A fixed mixture set of held-out talkers and noise recordings at given SNRs.

    Writes ``utt2parts`` beside the usual files: the speech pool keys of each item.
    """
    import dataclasses

    from toolkit.config import load_config
    from toolkit.errors import UserError
    from toolkit.se.config import SEConfig
    from toolkit.se.mixset import write_mixture_set
    from toolkit.se.simulate import SPLITS

    if split not in SPLITS[1:]:
        raise UserError(f"--split {split}: use valid or test (training talkers are not held out)")
    if noise_from not in ("all", "pool", "esc"):
        raise UserError(f"--noise-from {noise_from}: use all, pool or esc")
    try:
        levels = [float(v) for v in snrs.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"--snrs {snrs}: give comma-separated numbers (inf = clean)") from None
    if not 0 <= min_seconds <= 60:
        raise UserError(f"--min-seconds {min_seconds:g}: give 0 (single utterances) to 60")
    m = load_config(SEConfig, config).mix
    m = dataclasses.replace(m, rirs="", noise=[] if noise_from == "esc" else m.noise,
                            esc="" if noise_from == "pool" else m.esc)
    write_mixture_set(out, speech, m, split, levels, n, overwrite=overwrite,
                      min_seconds=min_seconds)
    typer.echo(str(out))


def enhance(
    inputs: list[str] = INPUTS,
    out: Path = OUT,
    model: Path = MODEL,
    noise_out: Path = typer.Option(None, "--noise-out", help="Also write the noise estimates "
                                   "into this folder (same names as the outputs)."),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    skip_existing: bool = SKIP_EXISTING,
) -> None:
    """Remove background noise from speech: files, folders or globs; any rate, any channels.

    Outputs keep the input's rate and channels (each channel enhanced on its own).
    Default -o: ./enhanced/<name>.wav. Files are streamed in 30-s chunks, so memory
    does not grow with length (about 0.8 GB in all for a 4-minute stereo file, 0.7 GB
    for 40 s).
    """
    from toolkit.cli.inputs import check_existing, expand_inputs, plan_outputs, self_output
    from toolkit.log import log_device
    from toolkit.progress import Progress
    from toolkit.se.infer import enhance_file, load_enhancer
    from toolkit.train.distributed import resolve_device

    files = expand_inputs(inputs)
    outs = plan_outputs(files, out, Path("enhanced"), suffix="", ext=".wav")
    self_output(files, outs)
    noise_outs = [noise_out / o.name for o in outs] if noise_out else [None] * len(outs)
    if noise_out and len({str(p) for p in noise_outs}) < len(noise_outs):
        noise_outs = plan_outputs(files, noise_out, noise_out, ext=".wav")
    todo = check_existing(files, outs, overwrite, skip_existing)
    dev = resolve_device(device)
    log_device(dev)
    cfg, net = load_enhancer(model, dev)
    audio = spent = 0.0
    with Progress("enhancing", len(todo), "files", bar=None if len(todo) > 1 else False) as bar:
        for k in todo:
            r = enhance_file(net, files[k].path, outs[k], dev, noise_outs[k],
                             cfg.data.sample_rate)
            audio, spent = audio + r["seconds"], spent + r["spent"]
            bar.advance()
            typer.echo(str(outs[k]))
    log.info("enhanced %d file(s), %.1f s of audio, real-time factor %.3f", len(todo), audio,
             spent / max(audio, 1e-9))


def adapt(
    model: Path = typer.Option(None, "--model", "-m", help="Source model (default: the "
                               "shipped one)."),
    target: Path = typer.Option(..., "--target", "-t", help="Unlabelled noisy audio of the new "
                                "domain: a folder of files or a data directory (wav.scp)."),
    out: Path = typer.Option(..., "--out", "-o", help="Adapted model bundle to write."),
    source: Path = typer.Option(None, "--source", help="Labelled source data directory "
                                "(wav.scp, speech.scp, noise.scp; default: built from the "
                                "offline pools like the recipe's source domain)."),
    config: Path = typer.Option(None, "--config", "-c", help="Adaptation config (default: "
                                "recipes/se/conf/adapt.yaml settings built in)."),
    work: Path = typer.Option(None, "--work", help="Working folder (default OUT.work); a "
                              "rerun resumes from it."),
    overrides: list[str] = typer.Option(None, "--set", help="Config override (repeatable)."),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
) -> None:
    """Adapt an enhancement model to a new domain from unlabelled noisy audio (DANN, then SRST)."""
    from toolkit.se.adapt import adapt_model

    adapt_model(model, target, out, source, config, work, overrides, device, overwrite)
    typer.echo(str(out))


def dnsmos(
    inputs: list[Path] = typer.Argument(..., help="Data directories, audio files or folders."),
    dnsmos_model: Path = typer.Option(None, "--dnsmos-model", help="Folder with "
                                      "sig_bak_ovr.onnx (default $SPTK_DNSMOS_MODEL)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the scores as JSON here."),
    shard: str = typer.Option(None, "--shard", help="Score only shard J/N of the keys."),
    p808: bool = typer.Option(False, "--p808", help="Also the P.808 MOS (model_v8.onnx)."),
) -> None:
    """DNSMOS P.835 (SIG, BAK, OVRL) and P.808 of enhanced or unlabelled audio (no reference)."""
    import json

    from toolkit.data.audio import load_mono
    from toolkit.data.ops import parse_shard, shard_keys
    from toolkit.fsutil import atomic_write_text
    from toolkit.metrics.dnsmos import DNSMOS, aggregate

    sh = parse_shard(shard)
    items = dnsmos_items(inputs)
    scorer = DNSMOS(dnsmos_model, p808=p808)
    keys = sorted(items)
    if sh:
        keys = shard_keys(keys, *sh)
    per_key = {k: scorer.score(load_mono(items[k], 16000)[0]) for k in keys}
    result = {**aggregate(per_key), "per_key": per_key}
    if out:
        atomic_write_text(out, json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    typer.echo(" ".join(f"{k}={v:.4g}" for k, v in result.items() if isinstance(v, int | float)))


def dnsmos_items(inputs: list[Path]) -> dict[str, str]:
    """``{key: audio}`` of data directories, files, folders or globs; no input drops another.

    One data directory keeps its keys; with several inputs a data directory's keys
    become ``<dir>/<key>``, so two directories sharing a key are both scored. Files
    are keyed by their path.
    """
    from toolkit.cli.inputs import expand_inputs
    from toolkit.data.datadir import DataDir

    items: dict[str, str] = {}
    for p in inputs:
        if (Path(p) / "wav.scp").is_file():
            wav = DataDir(p).read("wav.scp")
            prefix = f"{p}/" if len(inputs) > 1 else ""
            new = {f"{prefix}{k}": v for k, v in wav.items()}
        else:
            new = {str(f.path): str(f.path) for f in expand_inputs([p])}
        items.update({k: v for k, v in new.items() if k not in items})
    return items


def register(app: typer.Typer) -> None:
    """Add enhance, adapt, dnsmos and the se group to ``app``."""
    app.command()(enhance)
    app.command()(adapt)
    app.command()(dnsmos)
    app.add_typer(group, name="se")
