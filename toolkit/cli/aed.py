"""``sptk-cli classify``: labels with probabilities per file and per window (files,
folders, globs; default model or --model); registers the ``aed`` group
(:mod:`toolkit.cli.aed_group`).
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path

import typer

from toolkit.cli import aed_group
from toolkit.cli.app import fail
from toolkit.cli.options import DEVICE, INPUTS, MODEL, OVERWRITE


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


def register(root: typer.Typer) -> None:
    """Add ``classify`` and the ``aed`` group to the root app."""
    root.command()(classify)
    root.add_typer(aed_group.app, name="aed")
