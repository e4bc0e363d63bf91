"""``sptk-cli separate`` and the ``sptk-cli svs`` group (recipe helpers, ONNX export).

Thin commands over :mod:`toolkit.svs.infer` (separation), :mod:`toolkit.svs.prepare`
(corpora, splits, dumps), :mod:`toolkit.svs.onnx` and
:mod:`toolkit.metrics.separation` (plots, tables). Heavy imports stay inside the
commands so that ``sptk-cli --help`` starts fast.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import CONFIG, DEVICE, INPUTS, MODEL, OVERWRITE, SKIP_EXISTING

log = logging.getLogger("toolkit")
svs_app = App(help="Singing voice separation: recipe helpers (corpora, splits, dumps, plots) "
              "and ONNX export.")


def separate(
    inputs: list[str] = INPUTS,
    out: Path = typer.Option(None, "--out", "-o", help="For one input: the folder of its "
                             "stems (OUT/vocals.wav ...). For several: a folder with one "
                             "sub-folder per input (sub-folders mirrored). Default: "
                             "separated/<name>/."),
    model_dir: Path = MODEL,
    stems: str = typer.Option("vocals,accompaniment", "--stems",
                              help="Comma-separated stems to write: vocals, accompaniment."),
    reconstruction: str = typer.Option(None, "--reconstruction", help="fullrate (keeps rate "
                                       "and channels) or lowrate (the paper's 8192 Hz mono "
                                       "masking, resampled back); default: the model's config."),
    chunk_seconds: float = typer.Option(None, "--chunk-seconds", help="Audio separated at "
                                        "once: the memory bound (the default 60 s of 44.1 kHz "
                                        "stereo stays under 1 GB, whatever the input length)."),
    device: str = DEVICE,
    engine: str = typer.Option("auto", "--engine", help="auto: the model's bundled ONNX "
                               "network (separator.onnx) through onnxruntime when it runs "
                               "on the CPU, else PyTorch | onnx | torch."),
    overwrite: bool = OVERWRITE,
    skip_existing: bool = SKIP_EXISTING,
) -> None:
    """Separate songs into vocals and accompaniment (any length, rate and channel count).

    Memory is bounded by --chunk-seconds, independently of the input's length; the
    model is loaded once for all inputs. On the CPU a packed model runs through
    onnxruntime without importing PyTorch (the same masks within 1e-3; faster start).
    """
    from toolkit.cli.inputs import check_existing, expand_inputs, plan_outputs
    from toolkit.log import log_device
    from toolkit.progress import Progress
    from toolkit.svs.infer import check_stems, separate_file
    from toolkit.svs.onnx import load_onnx_bundle, torch_free_cpu
    from toolkit.train.packing import default_model_dir

    wanted = check_stems(stems)
    if reconstruction not in (None, "fullrate", "lowrate"):
        fail(f"--reconstruction {reconstruction}: use fullrate or lowrate")
    if engine not in ("auto", "onnx", "torch"):
        fail(f"--engine {engine}: use auto, onnx or torch")
    if chunk_seconds is not None and chunk_seconds <= 0:
        fail("--chunk-seconds must be positive")
    files = expand_inputs(inputs)
    dirs = plan_outputs(files, out, Path("separated"), as_dir=True)
    todo = check_existing(files, dirs, overwrite, skip_existing,
                          done=lambda d: all((d / f"{s}.wav").is_file() for s in wanted))
    if not todo:
        return
    mdir = model_dir or default_model_dir("svs")
    bundle = None
    if engine == "onnx" or (engine == "auto" and torch_free_cpu(device)):
        bundle = load_onnx_bundle(mdir, required=engine == "onnx")
    if bundle is not None:
        cfg, model = bundle
        dev = "cpu"
        log.info("device cpu (onnxruntime, %s)", model.path.name)
    else:
        from toolkit.train.distributed import resolve_device
        from toolkit.train.packing import load_model_dir

        dev = resolve_device(device)
        log_device(dev)
        task, cfg, model = load_model_dir(mdir, dev)
        if task.name != "svs":
            fail(f"{model_dir} holds a {task.name} model, not a singing voice separation model")
    sep = cfg.decode
    sep.reconstruction = reconstruction or sep.reconstruction
    sep.chunk_seconds = chunk_seconds or sep.chunk_seconds
    sep.overlap_seconds = min(sep.overlap_seconds, sep.chunk_seconds / 4)
    for k in todo:
        f, dst = files[k], dirs[k]
        t0 = time.time()
        with Progress(f"separating {f.path.name}", total=0, unit="samples") as bar:
            def progress(done: int, total: int, bar=bar) -> None:
                bar.total = total
                bar.update(done)
            written = separate_file(model, f.path, dst, cfg.features, sep, wanted, dev, progress)
        log.info("%s: %s in %.1f s", f.path, ", ".join(str(w) for w in written.values()),
                 time.time() - t0)
        typer.echo(" ".join(str(w) for w in written.values()))


@svs_app.command("export-onnx")
def export_onnx(
    model_dir: Path = MODEL,
    out: Path = typer.Option(None, "--out", "-o", help="ONNX file to write."),
    bundle: bool = typer.Option(False, "--bundle", help="Write MODEL/separator.onnx, the file "
                                "`separate` runs on the CPU without PyTorch (float16 weights, "
                                "tied to MODEL/model.pt by checksum); needs a packed model."),
    fp16_weights: bool = typer.Option(False, "--fp16-weights", help="Store the weights as "
                                      "float16 (computation stays float32)."),
    overwrite: bool = OVERWRITE,
    check: bool = typer.Option(True, "--check/--no-check", help="Compare with PyTorch on "
                               "random patches through onnxruntime."),
) -> None:
    """Export the separator's mask network (normalised patches -> two masks) to ONNX."""
    from toolkit.svs.onnx import BUNDLED, export_checked
    from toolkit.train.packing import default_model_dir, load_model_dir

    mdir = model_dir or default_model_dir("svs")
    if bundle:
        if out is not None:
            fail("--bundle writes MODEL/separator.onnx; leave out --out")
        if not (mdir / "model.pt").is_file():
            fail(f"--bundle: {mdir} is not a packed model (no model.pt); run sptk-cli pack")
        out, fp16_weights, overwrite = mdir / BUNDLED, True, True
    if out is None:
        fail("give --out FILE (or --bundle for a packed model)")
    if out.exists() and not overwrite:
        fail(f"{out} exists; pass --overwrite to replace it")
    task, cfg, model = load_model_dir(mdir)
    if task.name != "svs":
        fail(f"{model_dir} holds a {task.name} model, not a singing voice separation model")
    err = export_checked(model, cfg.features, out, fp16_weights,
                         source=mdir / "model.pt" if bundle else None, check=check)
    typer.echo(str(out) if err is None else
               f"{out}: onnxruntime matches PyTorch (max abs mask diff {err:.2e})")


@svs_app.command("corpus")
def corpus(
    config: Path = CONFIG,
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the speech and song pools."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Build the built-in synthetic song corpus of the config's corpus section."""
    from toolkit.config import load_config
    from toolkit.svs.config import SVSConfig
    from toolkit.svs.prepare import build_builtin

    cfg = load_config(SVSConfig, config, None)
    typer.echo(str(build_builtin(cfg.corpus, out, overwrite)))


@svs_app.command("prepare")
def prepare(
    src: Path = typer.Option(..., "--src", help="Corpus: a data directory, MIR-1K, iKala or "
                             "MUSDB18 (decoded stems)."),
    out_dir: Path = typer.Option(..., "--out-dir", "-o", help="Writes all/, train/, dev/, test/."),
    config: Path = CONFIG,
    layout: str = typer.Option("auto", "--layout", help="auto | datadir | mir1k | ikala | musdb."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Prepare a corpus and split it into train / dev / test (the config's split section)."""
    from toolkit.config import load_config
    from toolkit.data.datadir import DataDir
    from toolkit.svs.config import SVSConfig
    from toolkit.svs.prepare import prepare_and_split

    cfg = load_config(SVSConfig, config, None)
    for name, path in prepare_and_split(src, out_dir, cfg.split, layout, overwrite).items():
        typer.echo(f"{name}: {path} ({len(DataDir(path))} clips)")


@svs_app.command("dump")
def dump(
    data: Path = typer.Option(..., "--data", "-d", help="Data directory with the stems."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data directory (stems.scp)."),
    config: Path = CONFIG,
    shard: str = typer.Option(None, "--shard", help="Only shard J/N of the keys."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Stage 2: stems resampled to the model rate, stored as .npy for training."""
    from toolkit.config import load_config
    from toolkit.svs.config import SVSConfig
    from toolkit.svs.prepare import dump_stems

    cfg = load_config(SVSConfig, config, None)
    dump_stems(data, out, cfg.features, shard, overwrite)


@svs_app.command("revoice")
def revoice(
    data: Path = typer.Option(..., "--data", "-d", help="svs data directory with the stems "
                              "(vocals.scp, accomp.scp)."),
    out: Path = typer.Option(..., "--out", "-o", help="Data directory to write (FLAC audio)."),
    copies: int = typer.Option(1, "--copies", help="Revoiced versions per clip."),
    semitones: str = typer.Option("-8:-3", "--semitones", help="LOW:HIGH pitch change drawn "
                                  "per version."),
    formant: str = typer.Option("0.85:0.95", "--formant", help="LOW:HIGH formant scale drawn "
                                "per version (below 1: formants lower, a longer vocal tract)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Other singers from one: each clip's vocal resynthesised (WORLD) at another pitch and
    formant scale over its own accompaniment, for training (keys <key>-rv<copy>)."""
    from toolkit.svs.revoice import revoice_datadir

    ranges = []
    for name, text in (("semitones", semitones), ("formant", formant)):
        try:
            lo, hi = (float(v) for v in text.split(":"))
        except ValueError:
            fail(f"--{name} {text!r}: give LOW:HIGH, e.g. --{name} "
                 f"{'-8:-3' if name == 'semitones' else '0.85:0.95'}")
        ranges.append((lo, hi))
    typer.echo(str(revoice_datadir(data, out, copies, ranges[0], ranges[1], seed, overwrite)))


@svs_app.command("boxplot")
def boxplot(
    systems: list[str] = typer.Argument(..., help="NAME=scores.json pairs (sptk-cli score "
                                        "outputs; NAME:PREFIX=file picks e.g. lowrate/)."),
    out: Path = typer.Option(..., "--out", "-o", help="Image file (.png, .pdf, .svg)."),
    title: str = typer.Option("", "--title", help="Figure title."),
) -> None:
    """Box plots of per-clip NSDR, SIR and SAR (the paper's Figure 2)."""
    import json

    from toolkit.metrics.separation import box_plot

    data = {}
    for item in systems:
        name, sep, path = item.partition("=")
        name, _, prefix = name.partition(":")
        if not sep or not Path(path).is_file():
            fail(f"{item!r}: give NAME=scores.json with an existing file")
        try:
            per_clip = json.loads(Path(path).read_text())["per_clip"]
        except (json.JSONDecodeError, KeyError):
            fail(f"{path}: not an svs scores file (no per_clip)")
        data[name] = {k: {s: v.get(f"{prefix}{s}") for s in ("vocals", "accomp")}
                      for k, v in per_clip.items() if "skipped" not in v}
    typer.echo(str(box_plot(data, out, title)))


@svs_app.command("clips")
def clips(
    scores: Path = typer.Argument(..., help="An svs scores file (sptk-cli score output)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the table here (TSV)."),
    prefix: str = typer.Option("", "--prefix", help="Another reconstruction, e.g. lowrate/."),
) -> None:
    """Per-clip SDR / SIR / SAR / NSDR table of a scores file."""
    import json

    from toolkit.fsutil import atomic_write_text
    from toolkit.metrics.separation import clip_table

    try:
        per_clip = json.loads(scores.read_text())["per_clip"]
    except (OSError, json.JSONDecodeError, KeyError):
        fail(f"{scores}: not an svs scores file (no per_clip)")
    if prefix and not any(f"{prefix}vocals" in v for v in per_clip.values()):
        fail(f"{scores} has no '{prefix}' scores (try lowrate/ or fullrate/)")
    table = clip_table(per_clip, prefix)
    if out:
        atomic_write_text(out, table)
    else:
        typer.echo(table, nl=False)


def register(app: typer.Typer) -> None:
    """Add ``separate`` and the ``svs`` group to ``app``."""
    app.command("separate")(separate)
    app.add_typer(svs_app, name="svs")
