"""The ``sptk-cli aec`` group: the recipe's steps and task tools.

Thin wrappers: the work is in :mod:`toolkit.aec.simulate` (pools, sets),
:mod:`toolkit.aec.systems` (alignment front ends, NLMS), :mod:`toolkit.aec.score`,
:mod:`toolkit.aec.plot` and :mod:`toolkit.corpora.external.aec_challenge`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import MODEL, OVERWRITE, SHARD

log = logging.getLogger("toolkit")
app = App(help="Echo cancellation: simulated sets, alignment, DSP baseline, scoring, plots.")


def _model_dir(model: Path | None) -> Path:
    from toolkit.train.packing import default_model_dir

    return model if model is not None else default_model_dir("aec")


def _corpus_conf(config: Path | None):
    from toolkit.aec.config import AecConfig
    from toolkit.config import load_config

    return load_config(AecConfig, config, None)


def _write(out: Path, files: dict, meta: dict) -> None:
    from toolkit.data.datadir import write_datadir

    write_datadir(out, files, {"sample_rate": 16000, "task": "aec", **meta}, overwrite=True,
                  in_place=True)


def _keys(data: Path, shard: str | None) -> list[str]:
    from toolkit.data.datadir import DataDir
    from toolkit.data.ops import parse_shard, shard_keys

    keys = DataDir(data).keys()
    sh = parse_shard(shard)
    return shard_keys(keys, *sh) if sh else keys


@app.command()
def sets(config: Path = typer.Option(..., "--config", "-c", help="Recipe config."),
         test: bool = typer.Option(False, "--test", help="Only the test sets (not valid).")
         ) -> None:
    """Print the names of the fixed simulated sets of a config (corpus.sets)."""
    names = _corpus_conf(config).corpus.sets
    typer.echo(" ".join(n for n in names if not (test and n == "valid")))


@app.command()
def table(
    scores: list[Path] = typer.Argument(..., help="Score files <exp>/<system>/scores/<set>.json."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the Markdown here."),
) -> None:
    """Print the results in the shape of the paper's Table 1 (Markdown)."""
    from toolkit.aec.score import results_table
    from toolkit.fsutil import atomic_write_text

    text = results_table(scores)
    if out:
        atomic_write_text(out, text)
    typer.echo(text)


@app.command("baseline-config")
def baseline_config(
    config: Path = typer.Option(..., "--config", "-c", help="Recipe config."),
    out: Path = typer.Option(..., "--out", "-o", help="YAML to write."),
) -> None:
    """Write the CRUSE baseline's config (the recipe config with baseline.model/align) and
    print its path; print nothing when the config has no baseline (baseline.model.name "")."""
    from toolkit.aec.config import ALIGNS
    from toolkit.config import dump_yaml
    from toolkit.fsutil import atomic_write_text

    cfg = _corpus_conf(config)
    if not cfg.baseline.model.name:
        return
    if cfg.baseline.align not in ALIGNS:
        fail(f"{config}: baseline.align '{cfg.baseline.align}': use one of {', '.join(ALIGNS)}")
    cfg.model, cfg.data.align, cfg.init_from = cfg.baseline.model, cfg.baseline.align, ""
    atomic_write_text(out, dump_yaml(cfg))
    typer.echo(str(out))


@app.command()
def pools(
    config: Path = typer.Option(..., "--config", "-c", help="Recipe config (corpus:)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for speech/, noise/, rir_train/, "
                             "rir_test/."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Build the speech, noise and room pools the simulation draws from (stage 0)."""
    from toolkit.corpora.debian.speech_pool import build_speech_pool
    from toolkit.corpora.sounds.noise import build_noise_pool
    from toolkit.corpora.sounds.rooms import build_rir_pool
    from toolkit.fsutil import skip_if_done

    c = _corpus_conf(config).corpus
    build_speech_pool(out / "speech", c.speech_sources, max_per_lang=c.max_per_lang or None,
                      overwrite=overwrite)
    if not skip_if_done(out / "noise", overwrite):
        build_noise_pool(out / "noise", c.noise_sources, exclude_types=c.noise_exclude_types,
                         n_procedural=c.n_procedural, max_segments=c.max_segments,
                         overwrite=overwrite)
    for name, n, seed in (("rir_train", c.rir_train, 0), ("rir_test", c.rir_test, 1)):
        if not skip_if_done(out / name, overwrite):
            build_rir_pool(out / name, n, seed=seed, overwrite=overwrite)


@app.command()
def simulate(
    config: Path = typer.Option(..., "--config", "-c", help="Recipe config (corpus.sets)."),
    name: str = typer.Option(..., "--set", help="Which set of corpus.sets to build."),
    speech: Path = typer.Option(..., "--speech", help="Speech pool data directory."),
    noise: Path = typer.Option(None, "--noise", help="Noise pool data directory."),
    rir: Path = typer.Option(..., "--rir", help="RIR pool data directory (test rooms)."),
    out: Path = typer.Option(..., "--out", "-o", help="Data directory to write."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Build one fixed simulated set (valid, test_gen, test_ldm, test_ldh) from the pools."""
    from toolkit.aec.config import set_simulation
    from toolkit.aec.simulate import AecPools, build_aec_set

    cfg = _corpus_conf(config)
    if name not in cfg.corpus.sets:
        fail(f"--set {name}: {config} defines the sets {', '.join(cfg.corpus.sets)}")
    s = cfg.corpus.sets[name]
    sim = set_simulation(cfg, name)
    pools = AecPools(speech, noise, rir, cfg.corpus.test_speakers, part="test")
    build_aec_set(out, pools, sim, s.n, s.seed, prefix=f"{name}_", overwrite=overwrite)


@app.command("online-set")
def online_set(
    config: Path = typer.Option(..., "--config", "-c", help="Recipe config."),
    speech: Path = typer.Option(..., "--speech", help="Speech pool data directory."),
    noise: Path = typer.Option(None, "--noise", help="Noise pool data directory."),
    rir: Path = typer.Option(..., "--rir", help="RIR pool data directory (training rooms)."),
    out: Path = typer.Option(..., "--out", "-o", help="Training data directory to write."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Write the training directory of online synthesis (pools named in meta.yaml)."""
    from toolkit.aec.simulate import AecPools
    from toolkit.fsutil import skip_if_done

    if skip_if_done(out, overwrite):
        return
    cfg = _corpus_conf(config)
    pools = AecPools(speech, noise, rir, cfg.corpus.test_speakers, part="train")
    keys = sorted(k for ks in pools.by_spk.values() for k in ks)
    from toolkit.data.datadir import DataDir

    sd = DataDir(speech)
    files = {"wav.scp": {k: pools.speech[k] for k in keys},
             "utt2spk": {k: sd.read("utt2spk")[k] for k in keys}}
    online = {"speech": str(speech.resolve()), "rir": str(rir.resolve()),
              "noise": str(noise.resolve()) if noise else None,
              "held_out_speakers": list(cfg.corpus.test_speakers)}
    _write(out, files, {"online": online})
    log.info("%s: online synthesis from %d clips of %d speakers, %d noises, %d rooms", out,
             len(keys), len(pools.speakers), len(pools.noise), len(pools.rirs))


@app.command()
def align(
    data: Path = typer.Option(..., "--data", "-d", help="Data directory (wav.scp, ref.scp)."),
    method: str = typer.Option(..., "--method", help="gcc_online | gcc_global | oracle | none."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data directory."),
    max_delay: float = typer.Option(1.0, "--max-delay", help="Largest delay searched (s)."),
    history: float = typer.Option(
        0.0, "--history", help="gcc_online: seconds of past signal correlated (0: the power "
        "of two >= 2 max delay + 0.26 s; 4.1 s at 1 s). Must exceed --max-delay."),
    shard: str = SHARD,
    overwrite: bool = OVERWRITE,
) -> None:
    """Align the far end of a data directory (the CRUSE baselines' front ends)."""
    from toolkit.aec.config import ALIGNS
    from toolkit.aec.systems import align_datadir
    from toolkit.fsutil import skip_if_done

    if method not in ALIGNS:
        fail(f"--method {method}: use one of {', '.join(ALIGNS)}")
    if history and history <= max_delay:
        fail(f"--history {history}: the online aligner needs more past than --max-delay "
             f"{max_delay} s to find a delay; give a longer history or 0 for the default")
    keys = _keys(data, shard)
    if skip_if_done(out, overwrite):
        return
    _write(out, align_datadir(data, out, method, keys, max_delay, history or None),
           {"source": str(data), "align": method, "shard": shard,
            **({"history_s": history} if history else {})})


@app.command()
def nlms(
    data: Path = typer.Option(..., "--data", "-d", help="Data directory (wav.scp, ref.scp)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data directory."),
    partitions: int = typer.Option(16, "--partitions", help="Filter partitions of 10 ms."),
    mu: float = typer.Option(0.5, "--mu", help="NLMS step size."),
    shard: str = SHARD,
    overwrite: bool = OVERWRITE,
) -> None:
    """Classical baseline: online GCC-PHAT alignment + frequency-domain NLMS."""
    from toolkit.aec.systems import nlms_datadir
    from toolkit.fsutil import skip_if_done

    keys = _keys(data, shard)
    if skip_if_done(out, overwrite):
        return
    _write(out, nlms_datadir(data, out, keys, partitions=partitions, mu=mu),
           {"source": str(data), "system": "gcc_online+pbfdaf", "shard": shard})


@app.command()
def score(
    ref: Path = typer.Option(..., "--ref", "-r", help="Reference data directory."),
    hyp: Path = typer.Option(..., "--hyp", help="Decoded data directory."),
    aecmos_model: str = typer.Option(None, "--aecmos-model", help="AECMOS .onnx file or its "
                                     "folder (default: the models of the speechmos wheel; "
                                     "'none': no AECMOS)."),
    out: Path = typer.Option(None, "--out", "-o", help="Scores JSON (with --shard: the part)."),
    shard: str = SHARD,
) -> None:
    """ERLE, PESQ/STOI/SI-SDR, delay error and AECMOS; parts merge with score-merge."""
    import json

    from toolkit.aec.score import aggregate, score_keys
    from toolkit.cli.task import _write_scores
    from toolkit.fsutil import atomic_write_text

    if shard and out is None:
        fail("--shard needs --out (the part file that score-merge reads)")
    keys = _keys(ref, shard)
    per_key = score_keys(ref, hyp, keys, aecmos_model)
    if shard:
        atomic_write_text(out, json.dumps({"task": "aec", "shard": shard, "per_key": per_key})
                          + "\n")
        typer.echo(f"{out}: per-utterance results of {len(keys)} keys (shard {shard})")
        return
    _write_scores(aggregate(per_key), out)


@app.command("plot-alignment")
def plot_alignment(
    mic: Path = typer.Option(..., "--mic", help="Microphone audio (mono, any rate)."),
    ref: Path = typer.Option(..., "--ref", help="Far-end reference (same rate)."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write."),
    model: Path = MODEL,
    true_delay: float = typer.Option(None, "--true-delay", help="Draw this delay (s)."),
) -> None:
    """Plot Align-CRUSE's delay distribution over time for one clip (the alignment map)."""
    from toolkit.aec.infer import delay_from_distribution, enhance, load_aec_model, load_pair
    from toolkit.aec.plot import plot_alignment as plot

    m, r = load_pair(mic, ref)
    net = load_aec_model(_model_dir(model))
    if not getattr(net, "has_alignment", False):
        fail(f"the model in {_model_dir(model)} has no align block (use an align_cruse model)")
    _, dist = enhance(net, m, r)
    plot(dist, out, true_delay, title=f"{mic.name}: estimate "
         f"{delay_from_distribution(dist, r) * 1000:.0f} ms")
    typer.echo(f"wrote {out}")
