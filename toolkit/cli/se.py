"""Speech enhancement commands: ``enhance``, ``adapt``, ``dnsmos`` and the ``se-uda`` group.

Thin wrappers over :mod:`toolkit.tasks.se` (model, inference, scoring),
:mod:`toolkit.tasks.se_steps` (the stage-3 training steps),
:mod:`toolkit.tasks.se_adapt` (adaptation from a folder of noisy audio),
:mod:`toolkit.corpora.se_uda` (the source / target corpus) and
:mod:`toolkit.metrics.dnsmos`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from toolkit.cli.app import App, fail

log = logging.getLogger("toolkit")
group = App(help="Speech enhancement with domain adaptation (recipes/se_uda): corpus, "
            "training steps, real-corpus preparation.")
MODEL = typer.Option(None, "--model", "-m", help="Experiment or packed model directory "
                     "(default: the model shipped in toolkit/assets/se).")
DEVICE = typer.Option("auto", "--device", help="auto | cpu | cuda | cuda:N.")
OVERWRITE = typer.Option(False, "--overwrite", help="Redo a finished output.")
AUDIO_EXT = (".wav", ".flac", ".ogg", ".mp3", ".opus")


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
    from toolkit.corpora.se_uda import mix_uda_corpus
    from toolkit.tasks.se import SEConfig

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
    mix_uda_corpus(out / "mix", speech, source_noise or out / "noise_source",
                   target_noise or out / "noise_target", cc, overwrite)
    typer.echo(f"{out / 'mix'}: source_train source_dev target_train target_dev target_test")


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
    from toolkit.tasks.se_steps import run_step

    final = run_step(name, config, data, exp, overrides, device, overwrite)
    typer.echo(str(final))


@group.command("table")
def table(
    exp: Path = typer.Option(..., "--exp", "-e", help="Experiment root (one folder per step)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the Markdown table here."),
) -> None:
    """Table 1 of the paper from the scores of every step, with the share of the gap closed."""
    from toolkit.fsutil import atomic_write_text
    from toolkit.tasks.se_table import markdown_table

    text = markdown_table(exp)
    if out:
        atomic_write_text(out, text)
    typer.echo(text, nl=False)


@group.command("prepare-librispeech-wham")
def prepare_librispeech_wham(
    librispeech: Path = typer.Option(..., "--librispeech", help="LibriSpeech root (holds "
                                     "train-clean-100/ ...)."),
    wham: Path = typer.Option(..., "--wham", help="wham_noise root (holds tr/ cv/ tt/)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for speech/ and noise/ pools."),
    subsets: str = typer.Option("train-clean-100", "--subsets", help="LibriSpeech subsets."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Source domain from LibriSpeech + WHAM! noise (pools for 'se-uda corpus')."""
    from toolkit.corpora.external.librispeech_wham import prepare

    prepare(librispeech, out, wham, [s for s in subsets.split(",") if s], overwrite)


@group.command("prepare-dns")
def prepare_dns(
    dns: Path = typer.Option(..., "--dns", help="DNS Challenge 'datasets' folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for speech/ and noise/ pools."),
    langs: str = typer.Option("fr,de,it,zh,ru,es", "--langs", help="Languages to keep."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Target domain from the DNS Challenge clean speech and noise (pools)."""
    from toolkit.corpora.external.dns_challenge import prepare

    prepare(dns, out, [s for s in langs.split(",") if s], overwrite)


def _inputs(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_EXT)
        if not files:
            fail(f"{path} holds no audio files ({', '.join(AUDIO_EXT)})")
        return files
    if not path.exists():
        fail(f"{path}: no such file or folder")
    return [path]


def enhance(
    noisy: Path = typer.Argument(..., help="Noisy audio file, or a folder of them."),
    out: Path = typer.Option(..., "--out", "-o", help="Enhanced file (or folder for a folder)."),
    model: Path = MODEL,
    noise_out: Path = typer.Option(None, "--noise-out", help="Also write the noise estimate."),
    device: str = DEVICE,
) -> None:
    """Remove background noise from speech (any rate in; written at the input's rate)."""
    import time

    from toolkit.data.audio import load_mono, resample, save_audio
    from toolkit.log import log_device
    from toolkit.tasks.se import enhance_array
    from toolkit.train.distributed import resolve_device
    from toolkit.train.packing import default_model_dir, load_model_dir

    files = _inputs(noisy)
    if noisy.is_dir() and out.suffix:
        fail(f"{noisy} is a folder: give --out a folder, not a file ({out})")
    dev = resolve_device(device)
    log_device(dev)
    task, cfg, net = load_model_dir(model or default_model_dir("se"), dev)
    if task.name != "se":
        fail(f"{model} is a '{task.name}' model, not a speech enhancement (se) model")
    sr_model = cfg.data.sample_rate
    total_audio = total_time = 0.0
    for f in files:
        x, sr = load_mono(f)
        t0 = time.perf_counter()
        s, n = enhance_array(net, resample(x, sr, sr_model), dev)
        total_time += time.perf_counter() - t0
        total_audio += len(x) / sr
        dst = out / f.relative_to(noisy).with_suffix(".wav") if noisy.is_dir() else out
        save_audio(dst, resample(s, sr_model, sr), sr)
        if noise_out:
            nd = noise_out / f.relative_to(noisy).with_suffix(".wav") if noisy.is_dir() \
                else noise_out
            save_audio(nd, resample(n, sr_model, sr), sr)
    log.info("enhanced %d file(s), %.1f s of audio, real-time factor %.3f", len(files),
             total_audio, total_time / max(total_audio, 1e-9))
    typer.echo(f"{out}")


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
                                "recipes/se_uda/conf/adapt.yaml settings built in)."),
    work: Path = typer.Option(None, "--work", help="Working folder (default OUT.work); a "
                              "rerun resumes from it."),
    overrides: list[str] = typer.Option(None, "--set", help="Config override (repeatable)."),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
) -> None:
    """Adapt an enhancement model to a new domain from unlabelled noisy audio (DANN, then SRST)."""
    from toolkit.tasks.se_adapt import adapt_model

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
    scorer = DNSMOS(dnsmos_model, p808=p808)
    items: dict[str, str] = {}
    for p in inputs:
        if (p / "wav.scp").is_file():
            from toolkit.data.datadir import DataDir

            items.update(DataDir(p).read("wav.scp"))
        else:
            items.update({str(f): str(f) for f in _inputs(p)})
    keys = sorted(items)
    if sh:
        keys = shard_keys(keys, *sh)
    per_key = {k: scorer.score(load_mono(items[k], 16000)[0]) for k in keys}
    result = {**aggregate(per_key), "per_key": per_key}
    if out:
        atomic_write_text(out, json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    typer.echo(" ".join(f"{k}={v:.4g}" for k, v in result.items() if isinstance(v, int | float)))


def register(app: typer.Typer) -> None:
    """Add enhance, adapt, dnsmos and the se-uda group to ``app``."""
    app.command()(enhance)
    app.command()(adapt)
    app.command()(dnsmos)
    app.add_typer(group, name="se-uda")
