"""``sptk-cli separate song.wav`` and the ``sptk-cli svs`` helpers of the svs recipe.

``separate`` is a thin wrapper over :func:`toolkit.tasks.svs_separate.separate_file`;
``svs corpus|prepare|dump|boxplot`` over :mod:`toolkit.corpora.svs_prepare` and
:mod:`toolkit.metrics.separation`. Decoding a data directory is ``sptk-cli decode``.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import typer

from toolkit.cli.app import App, fail

log = logging.getLogger("toolkit")
svs_app = App(help="Singing voice separation recipe helpers (corpora, splits, dumps, plots).")
CONFIG = typer.Option(..., "--config", "-c", help="The recipe's YAML config.")
OVERWRITE = typer.Option(False, "--overwrite", help="Redo a finished output.")


def separate(
    inputs: list[Path] = typer.Argument(..., help="Audio files (anything soundfile or librosa "
                                        "reads; any sample rate, mono or multichannel)."),
    out: Path = typer.Option(Path("separated"), "--out", "-o",
                             help="Output folder; each input gets OUT/<name>/<stem>.wav."),
    model_dir: Path = typer.Option(None, "--model", "-m", help="Packed model or experiment "
                                   "directory (default: the model shipped with sptk-cli)."),
    stems: str = typer.Option("vocals,accompaniment", "--stems",
                              help="Comma-separated stems to write: vocals, accompaniment."),
    reconstruction: str = typer.Option(None, "--reconstruction", help="fullrate (keeps rate "
                                       "and channels) or lowrate (the paper's 8192 Hz mono "
                                       "masking, resampled back); default: the model's config."),
    chunk_seconds: float = typer.Option(None, "--chunk-seconds", help="Audio separated at "
                                        "once (memory bound); default: the model's config."),
    pad: bool = typer.Option(False, "--pad", help="Zero-pad inputs shorter than one patch "
                             "(about 12 s) instead of refusing them."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda | cuda:N."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Separate songs into vocals and accompaniment with the U-Net masks."""
    from toolkit.log import log_device
    from toolkit.tasks.svs_separate import check_stems, separate_file
    from toolkit.train.distributed import resolve_device
    from toolkit.train.packing import default_model_dir, load_model_dir

    wanted = check_stems(stems)
    if reconstruction not in (None, "fullrate", "lowrate"):
        fail(f"--reconstruction {reconstruction}: use fullrate or lowrate")
    if chunk_seconds is not None and chunk_seconds <= 0:
        fail("--chunk-seconds must be positive")
    for p in inputs:
        if not p.is_file():
            fail(f"{p}: no such file")
    dev = resolve_device(device)
    log_device(dev)
    task, cfg, model = load_model_dir(model_dir or default_model_dir("svs"), dev)
    if task.name != "svs":
        fail(f"{model_dir} holds a {task.name} model, not a singing voice separation model")
    sep = cfg.decode
    sep.reconstruction = reconstruction or sep.reconstruction
    sep.chunk_seconds = chunk_seconds or sep.chunk_seconds
    for p in inputs:
        dst = out / p.stem
        if not overwrite and all((dst / f"{s}.wav").is_file() for s in wanted):
            log.info("%s: %s exists; skipping (use --overwrite to redo)", p, dst)
            continue
        t0 = time.time()
        with _Bar(p.name) as bar:
            written = separate_file(model, p, dst, cfg.features, sep, wanted, dev, pad, bar)
        log.info("%s: %s in %.1f s", p, ", ".join(str(w) for w in written.values()),
                 time.time() - t0)
        typer.echo(" ".join(str(w) for w in written.values()))


class _Bar:
    """A rich progress bar on a terminal, a log line every 10 % otherwise."""

    def __init__(self, label: str):
        self.label, self.bar, self.next = label, None, 0.1

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task(f"separating {self.label}", total=1.0)
        return self

    def __call__(self, done: int, total: int) -> None:
        frac = done / max(total, 1)
        if self.bar is not None:
            self.bar.update(self.task, completed=frac)
        elif frac >= self.next and frac < 1:
            log.info("%s: %d %%", self.label, int(100 * frac))
            self.next = (int(frac * 10) + 1) / 10

    def __exit__(self, *exc) -> bool:
        if self.bar is not None:
            self.bar.stop()
        return False


@svs_app.command("corpus")
def corpus(
    config: Path = CONFIG,
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the speech and song pools."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Build the built-in synthetic song corpus of the config's corpus section."""
    from toolkit.config import load_config
    from toolkit.corpora.svs_prepare import build_builtin
    from toolkit.tasks.svs import SVSConfig

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
    from toolkit.corpora.svs_prepare import prepare_and_split
    from toolkit.tasks.svs import SVSConfig

    cfg = load_config(SVSConfig, config, None)
    for name, path in prepare_and_split(src, out_dir, cfg.split, layout, overwrite).items():
        from toolkit.data.datadir import DataDir

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
    from toolkit.corpora.svs_prepare import dump_stems
    from toolkit.tasks.svs import SVSConfig

    cfg = load_config(SVSConfig, config, None)
    dump_stems(data, out, cfg.features, shard, overwrite)


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
