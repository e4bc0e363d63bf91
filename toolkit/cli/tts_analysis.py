"""Speech analysis commands of the tts recipe: the ``vocoder`` group, ``align``, ``align-score``.

Thin wrappers over :mod:`toolkit.dsp.world`, :mod:`toolkit.tts.align` and
:mod:`toolkit.tts.labels`; hyperparameters come from the recipe YAML (``--config``,
with ``--set`` overrides).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import OVERWRITE, SET
from toolkit.cli.tts_recipe import CONFIG, _config, _keys

vocoder_app = App(help="WORLD vocoder features (40 mcep, log F0 + V/UV, 7 band aperiodicities).")


@vocoder_app.command("analyze")
def vocoder_analyze(
    wav: Path = typer.Argument(None, help="One audio file (or use --data)."),
    out: Path = typer.Option(..., "--out", "-o", help="features .npy (file) or data dir (--data)."),
    data: Path = typer.Option(None, "--data", "-d", help="Data directory with wav.scp."),
    shard: str = typer.Option(None, "--shard", help="Only shard J/N of the keys."),
    config: Path = CONFIG,
    overrides: list[str] = SET,
    overwrite: bool = OVERWRITE,
) -> None:
    """Audio -> (frames, 49) features: 40 mcep, log F0, V/UV, 7 band aperiodicities (5 ms)."""
    import numpy as np

    from toolkit.fsutil import atomic_file
    from toolkit.tts.prepare import analyze_datadir

    cfg = _config(config, overrides)
    if (wav is None) == (data is None):
        fail("give one audio file or --data DIR")
    if data is not None:
        analyze_datadir(data, out, cfg.vocoder, _keys(data, shard), overwrite)
        return
    from toolkit.data.audio import load_mono
    from toolkit.dsp.world import analyze

    x, _ = load_mono(wav, cfg.vocoder.sample_rate)
    with atomic_file(out, suffix=".npy") as tmp:
        np.save(tmp, analyze(x, cfg.vocoder))
    typer.echo(f"{out}: {len(np.load(out))} frames x 49")


@vocoder_app.command("synthesize")
def vocoder_synthesize(
    feats: Path = typer.Argument(..., help="(frames, 49) features .npy."),
    out: Path = typer.Option(..., "--out", "-o", help="Output audio file."),
    no_postfilter: bool = typer.Option(False, "--no-postfilter", help="Skip the postfilter."),
    config: Path = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Features -> waveform with WORLD (cepstral postfilter unless --no-postfilter)."""
    import numpy as np

    from toolkit.data.audio import save_audio
    from toolkit.dsp.world import synthesize

    cfg = _config(config, overrides)
    if not feats.is_file():
        fail(f"features file {feats} does not exist")
    try:
        y = np.load(feats)
    except ValueError:
        fail(f"{feats} is not a .npy array")
    wave = synthesize(y, cfg.vocoder, postfilter_beta=0.0 if no_postfilter else None)
    save_audio(out, wave, cfg.vocoder.sample_rate)
    typer.echo(f"{out}: {len(wave) / cfg.vocoder.sample_rate:.2f} s")


@vocoder_app.command("ceiling")
def vocoder_ceiling(
    data: Path = typer.Option(..., "--data", "-d", help="Data directory with wav.scp."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the scores as JSON here."),
    max_utts: int = typer.Option(50, "--max-utts", help="Utterances to use (first in key order)."),
    config: Path = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Copy-synthesis MCD / F0 RMSE / V/UV error: the vocoder's ceiling, per language."""
    from toolkit.fsutil import atomic_write_text
    from toolkit.tts.score import vocoder_ceiling

    result = vocoder_ceiling(data, _config(config, overrides).vocoder, max_utts)
    if out:
        atomic_write_text(out, json.dumps(result, indent=1) + "\n")
    typer.echo(" ".join(f"{k}={v:.4g}" for k, v in result.items() if not isinstance(v, dict)))


def align(
    data: Path = typer.Option(..., "--data", "-d", help="Data dir: wav.scp, text, utt2lang "
                              "(phones are made when missing)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data dir (durations, "
                             "phone_times, align/phones.ctm, align/textgrid/)."),
    model: Path = typer.Option(None, "--model", "-m", help="A trained aligner (.npz); "
                               "default: train one on --data (flat start)."),
    save_model: Path = typer.Option(None, "--save-model", help="Write the trained aligner here."),
    config: Path = CONFIG,
    overrides: list[str] = SET,
    overwrite: bool = OVERWRITE,
) -> None:
    """Forced alignment with a flat-start monophone HMM (3 states, MFCC + deltas)."""
    import tempfile

    from toolkit.data.datadir import DataDir
    from toolkit.fsutil import skip_if_done
    from toolkit.tts.labels import add_labels, align_datadir

    cfg = _config(config, overrides)
    if skip_if_done(out, overwrite):
        return
    if model is not None and not model.is_file():
        fail(f"aligner model {model} does not exist")
    d = DataDir(data)
    with tempfile.TemporaryDirectory() as tmp:
        src = data
        if not d.has("phones") or "/" not in next(iter(d.read("phones").values()), "/"):
            src = Path(tmp) / "labels"
            add_labels(data, src, cfg.frontend.voices)
        stats = align_datadir(src, out, cfg.align, model, save_model, overwrite=True)
    typer.echo(f"{out}: {stats['aligned']} aligned, {stats['rejected']} did not align")


def align_score(
    ref: Path = typer.Option(..., "--ref", "-r", help="Data dir with the true phone_times."),
    hyp: Path = typer.Option(..., "--hyp", help="Aligner output (phone_times)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the scores as JSON here."),
) -> None:
    """Share of phone boundaries within 10, 20 and 50 ms of the reference."""
    from toolkit.fsutil import atomic_write_text
    from toolkit.tts.labels import score_boundaries

    result = score_boundaries(ref, hyp)
    if out:
        atomic_write_text(out, json.dumps(result, indent=1) + "\n")
    typer.echo(" ".join(f"{k}={v:.4g}" for k, v in result.items()))


def register(app: typer.Typer) -> None:
    """Add the vocoder group and the align commands to ``app``."""
    app.add_typer(vocoder_app, name="vocoder")
    app.command("align")(align)
    app.command("align-score")(align_score)
