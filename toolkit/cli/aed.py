"""``sptk-cli classify`` and ``sptk-cli aed ...``: audio event classification commands.

- ``classify INPUT...``: labels with probabilities per file and per window (files, folders,
  globs; default model or --model);
- ``aed corpus``: the built-in 16-class corpus (noise/effect types + GM families);
- ``aed prepare``: ESC-50 / ESC-10 / folder-per-class / data dir / csv -> data dirs by fold;
- ``aed plot-confusion``: the confusion matrix of a scores JSON as a PNG;
- ``aed macs``: multiply-accumulates and parameters of a model config;
- ``aed export-onnx``: the classifier as ONNX, checked against PyTorch;
- ``aed offset-stats``: where DATAR's deformable blocks move their keys.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import DEVICE, INPUTS, MODEL, OVERWRITE

app = App(help="Audio event classification: built-in corpus, corpus layouts, plots, MACs, ONNX, "
               "offset statistics.")


def classify(
    inputs: list[str] = INPUTS,
    model: Path = MODEL,
    top_k: int = typer.Option(5, "--top-k", "-k", "--top", help="Classes per row."),
    windows: bool = typer.Option(False, "--windows", help="Also print one row per window "
                                 "(scope 'window') before each file's row."),
    hop: float = typer.Option(0.0, "--hop", help="Seconds between window starts (default: "
                              "the window length, so windows tile the file)."),
    batch_size: int = typer.Option(16, "--batch-size", help="Windows per model call."),
    threads: int = typer.Option(1, "--threads", help="CPU threads of the model (a second "
                                "thread reads and computes features beside it)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the rows to this file "
                             "(default: standard output)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file instead of "
                                 "TSV rows."),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
) -> None:
    """Print the most likely sound classes of audio files, per file and per window.

    Files are cut into windows of the model's input length (5.12 s for the shipped
    model); the last, partial window is kept. A file's probabilities are the mean over
    its windows weighted by the audio each covers. TSV columns: file, scope (file or
    window), start and end in seconds, then label_1, prob_1, ... label_K, prob_K.
    Memory: three batches of windows plus the model (about 420 MB with the shipped
    model), whatever the length of the files; formats libsndfile cannot read (m4a, ...)
    are decoded whole first.
    """
    import torch

    from toolkit.aed.infer import Classifier, check_inputs, classify_files
    from toolkit.cli.inputs import expand_inputs
    from toolkit.fsutil import atomic_file
    from toolkit.progress import Progress
    from toolkit.train.distributed import resolve_device

    if top_k < 1:
        fail(f"--top-k {top_k}: give a number >= 1")
    if hop < 0 or batch_size < 1 or threads < 1:
        fail("--hop must be >= 0 seconds, --batch-size and --threads >= 1")
    if out is not None and out.is_dir():
        fail(f"-o {out}: is a folder; give the name of the file to write")
    if out is not None and out.exists() and not overwrite:
        fail(f"-o {out}: exists; pass --overwrite to replace it")
    files = expand_inputs(inputs)
    total = check_inputs([f.path for f in files])
    torch.set_num_threads(threads)
    clf = Classifier.load(model, resolve_device(device))
    hop_samples = int(round(hop * clf.sample_rate)) or None
    with contextlib.ExitStack() as stack:
        if out is None:
            sink = sys.stdout
        else:
            sink = stack.enter_context(open(stack.enter_context(atomic_file(out)), "w",
                                            encoding="utf-8"))
        bar = stack.enter_context(Progress(f"classifying {len(files)} file(s)",
                                           math.ceil(total), "s of audio"))
        writer = _Rows(sink, clf, top_k, windows, as_json, [str(f.path) for f in files], bar)
        for result in classify_files([f.path for f in files], clf, hop_samples, batch_size,
                                     writer.window):
            writer.file(result)


class _Rows:
    """Writes classify's rows (TSV or JSON lines) as results arrive."""

    def __init__(self, sink, clf, k: int, windows: bool, as_json: bool, names: list[str],
                 bar):
        self.sink, self.clf, self.k, self.as_json = sink, clf, k, as_json
        self.show_windows, self.names, self.bar = windows, names, bar
        self.pending: list[dict] = []
        self.done_s = 0.0
        if not as_json:
            k = min(k, len(clf.classes))
            cols = [c for i in range(1, k + 1) for c in (f"label_{i}", f"prob_{i}")]
            self._emit("\t".join(["file", "scope", "start", "end", *cols]))

    def _emit(self, line: str) -> None:
        self.sink.write(line + "\n")
        self.sink.flush()

    def _tsv(self, name: str, scope: str, start: float, end: float, top) -> str:
        cells = [c for label, p in top for c in (label, f"{p:.4f}")]
        return "\t".join([name, scope, f"{start:.3f}", f"{end:.3f}", *cells])

    def window(self, w) -> None:
        from toolkit.aed.infer import top_k

        self.bar.update(int(self.done_s + w.end))
        if not self.show_windows:
            return
        top = top_k(self.clf, w.probs, self.k)
        if self.as_json:
            self.pending.append({"start": round(w.start, 3), "end": round(w.end, 3),
                                 "top": [{"label": c, "prob": round(p, 5)} for c, p in top]})
        else:
            self._emit(self._tsv(self.names[w.index], "window", w.start, w.end, top))

    def file(self, r) -> None:
        from toolkit.aed.infer import top_k

        self.done_s += r.duration
        top = top_k(self.clf, r.probs, self.k)
        if self.as_json:
            row = {"file": r.file, "duration": round(r.duration, 3), "model": self.clf.source,
                   "top": [{"label": c, "prob": round(p, 5)} for c, p in top],
                   "notes": r.notes}
            if self.show_windows:
                row["windows"] = self.pending
            self.pending = []
            self._emit(json.dumps(row, ensure_ascii=False))
        else:
            self._emit(self._tsv(r.file, "file", 0.0, r.duration, top))


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
    if not deformable_blocks(clf.model):
        fail(f"{clf.source}: the model has no deformable attention block (a DATAR model has)")
    batches = (torch.from_numpy(np.stack(b)) for b in
               window_features([f.path for f in files], clf, batch_size))
    for row in offset_stats(clf.model, batches):
        typer.echo(json.dumps(row))


def register(root: typer.Typer) -> None:
    """Add ``classify`` and the ``aed`` group to the root app."""
    root.command()(classify)
    root.add_typer(app, name="aed")
