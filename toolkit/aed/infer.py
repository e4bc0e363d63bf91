"""``classify`` as library functions: batched, windowed, in bounded memory.

A clip is cut into windows of ``data.target_frames`` fbank frames (the length the
model was trained on; 5.12 s for the shipped model). Windows start every ``hop``
samples (default: one window, so they tile the clip); the last, partial window is
kept and zero-padded as in training. A file's posterior is the mean of its windows'
posteriors weighted by the frames each window covers, so a short tail counts for
what it holds. Windows of all files are classified in batches of ``batch_size``;
the audio is read window by window (libsndfile formats), so memory does not grow
with the length of a file: one batch of windows plus the model.

- :class:`Classifier`: a model loaded once, with its config and window geometry;
- :func:`window_posteriors`: posteriors of precomputed features (``decode``);
- :func:`classify_files`: a stream of window and file results for many files;
- :func:`classify_file` / :func:`classify_array`: one file / one waveform.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.aed.data import fit_frames, pad_to_window, window_samples
from toolkit.aed.windows import Win, iter_windows, prefetch, window_starts
from toolkit.data.audio import audio_info, resample
from toolkit.dsp.features import extract
from toolkit.errors import AudioError, UserError
from toolkit.train.packing import default_model_dir, load_model_dir

log = logging.getLogger(__name__)

PATCH_FRAMES = 16  # the smallest patch of the models: shorter clips are mostly padding


@dataclass
class Classifier:
    """A loaded classifier: model (eval mode, on ``device``), config and class names."""

    model: torch.nn.Module
    cfg: Any
    device: str = "cpu"
    source: str = ""

    @classmethod
    def load(cls, model_dir: str | Path | None = None, device: str = "cpu") -> Classifier:
        """Load an experiment or packed model (default: the shipped classifier)."""
        path = Path(model_dir) if model_dir else default_model_dir("aed")
        task, cfg, model = load_model_dir(path, device)
        if task.name != "aed":
            raise UserError(f"{path} holds a '{task.name}' model, not an aed classifier")
        return cls(model, cfg, device, str(path))

    @property
    def classes(self) -> list[str]:
        return list(self.cfg.data.classes)

    @property
    def sample_rate(self) -> int:
        return self.cfg.features.sample_rate

    @property
    def window(self) -> int:
        """Samples of one window of ``target_frames`` frames."""
        fc = self.cfg.features
        return (self.cfg.data.target_frames - 1) * fc.hop_length + window_samples(fc)

    @property
    def default_hop(self) -> int:
        """Samples between windows that tile a clip: ``target_frames`` frame shifts."""
        return self.cfg.data.target_frames * self.cfg.features.hop_length

    def frames_of(self, n_samples: int) -> int:
        """Fbank frames of ``n_samples`` samples (at least one: short input is padded)."""
        fc = self.cfg.features
        win = window_samples(fc)
        return 1 + (max(n_samples, win) - win) // fc.hop_length

    def features(self, wave: np.ndarray) -> np.ndarray:
        """``(target_frames, n_mels)`` input of one window ``(samples,)`` (padded)."""
        feats = extract(pad_to_window(wave, self.cfg.features), self.cfg.features)
        return fit_frames(feats, self.cfg.data.target_frames, None)

    @torch.no_grad()
    def posteriors(self, windows: np.ndarray) -> np.ndarray:
        """Class probabilities ``(batch, n_classes)`` of ``(batch, frames, n_mels)`` inputs:
        softmax for single-label models, sigmoid for multi-label ones."""
        x = torch.from_numpy(np.ascontiguousarray(windows, np.float32)).to(self.device)
        logits = self.model(x).float()
        prob = torch.sigmoid(logits) if self.cfg.data.multilabel else torch.softmax(logits, -1)
        return prob.cpu().numpy()


def window_posteriors(clf: Classifier, feats: np.ndarray) -> np.ndarray:
    """Posterior ``(n_classes,)`` of a clip's ``(frames, n_mels)`` features: the
    frame-weighted mean over windows of ``target_frames`` that tile the clip (the
    ``decode`` path; equal to :func:`classify_files` with the default hop)."""
    n = clf.cfg.data.target_frames
    starts = list(range(0, max(feats.shape[0], 1), n))
    x = np.stack([fit_frames(feats[s:], n, None) for s in starts])
    weights = np.array([min(n, feats.shape[0] - s) for s in starts], np.float64)
    prob = clf.posteriors(x)
    return (weights[:, None] * prob).sum(0) / weights.sum()


@dataclass
class FileResult:
    """Result of one file: the weighted mean posterior and notes (silence, padding)."""

    file: str
    duration: float
    probs: np.ndarray
    notes: list[str] = field(default_factory=list)
    windows: int = 0


@dataclass
class WindowResult:
    """Result of one window: file index, start and end in seconds, probabilities."""

    index: int
    start: float
    end: float
    probs: np.ndarray


def classify_files(paths: Sequence[str | Path], clf: Classifier, hop: int | None = None,
                   batch_size: int = 16, on_window=None) -> Iterator[FileResult]:
    """Classify files; yields one :class:`FileResult` per file, in input order.

    Args:
        paths: audio files (any length).
        clf: the loaded classifier.
        hop: samples between window starts (default: windows tile the file).
        batch_size: windows per model call (memory: three times this many windows: one
            batch and two read ahead).
        on_window: called with each :class:`WindowResult` as soon as it is known.
    """
    hop = hop or clf.default_hop
    if hop < 1:
        raise UserError(f"window hop {hop} samples: give a positive hop")
    if batch_size < 1:
        raise UserError(f"batch size {batch_size}: give a number >= 1")
    sr = clf.sample_rate
    acc: dict[int, dict[str, Any]] = {}
    pending: list[Win] = []

    def flush() -> Iterator[FileResult]:
        probs = clf.posteriors(np.stack([w.feats for w in pending]))
        for w, p in zip(pending, probs, strict=True):
            if on_window is not None:
                on_window(WindowResult(w.index, w.start / sr, w.end / sr, p))
            a = acc[w.index]
            a["sum"] = a["sum"] + w.covered * p
            a["weight"] += w.covered
            if w.last:
                del acc[w.index]
                yield _finish(str(paths[w.index]), clf, a)
        pending.clear()

    for w in prefetch(iter_windows(paths, clf, hop), 2 * batch_size):
        a = acc.setdefault(w.index, {"sum": 0.0, "weight": 0, "windows": 0, "audible": False,
                                     "n": w.src.n})
        a["windows"] += 1
        a["audible"] = a["audible"] or w.audible
        pending.append(w)
        if len(pending) >= batch_size:
            yield from flush()
    if pending:
        yield from flush()


def window_features(paths: Sequence[str | Path], clf: Classifier, batch_size: int = 16,
                    hop: int | None = None) -> Iterator[list[np.ndarray]]:
    """The model inputs of the files' windows, ``batch_size`` at a time."""
    batch: list[np.ndarray] = []
    for w in prefetch(iter_windows(paths, clf, hop or clf.default_hop), 2 * batch_size):
        batch.append(w.feats)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _finish(path: str, clf: Classifier, a: dict[str, Any]) -> FileResult:
    notes = []
    if not a["audible"]:
        notes.append("silent clip (all samples zero): the scores are those of silence")
    frames = clf.frames_of(a["n"])
    if frames < PATCH_FRAMES:
        fc = clf.cfg.features
        notes.append(f"clip shorter than one patch ({frames} < {PATCH_FRAMES} frames, "
                     f"{PATCH_FRAMES * fc.hop_length / fc.sample_rate:.2f} s): zero-padded")
    for n in notes:
        log.warning("%s: %s", path, n)
    return FileResult(path, a["n"] / clf.sample_rate, a["sum"] / a["weight"], notes,
                      a["windows"])


def top_k(clf: Classifier, probs: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The ``k`` most likely ``(class, probability)`` pairs."""
    order = np.argsort(-probs, kind="stable")[: min(k, len(probs))]
    return [(clf.classes[i], float(probs[i])) for i in order]


def check_inputs(paths: Sequence[str | Path]) -> float:
    """Read every header before any output; return the total duration in seconds."""
    total = 0.0
    for p in paths:
        info = audio_info(p)
        if info.frames == 0:
            raise AudioError(f"{p}: empty audio (0 samples)")
        total += info.duration
    return total


def classify_file(path: str | Path, clf: Classifier, hop: int | None = None,
                  batch_size: int = 16) -> tuple[FileResult, list[WindowResult]]:
    """Classify one file: its result and the results of its windows."""
    windows: list[WindowResult] = []
    result = next(classify_files([path], clf, hop, batch_size, windows.append))
    return result, windows


def classify_array(wave: np.ndarray, sample_rate: int, clf: Classifier,
                   hop: int | None = None) -> tuple[np.ndarray, list[WindowResult]]:
    """Classify a mono waveform ``(samples,)``: file posterior and window results."""
    if wave.ndim != 1 or wave.size == 0:
        raise UserError(f"classify_array: want a non-empty mono waveform, got shape {wave.shape}")
    wave = resample(np.asarray(wave, np.float32), sample_rate, clf.sample_rate)
    hop = hop or clf.default_hop
    starts = window_starts(len(wave), clf.window, hop)
    segs = [wave[s: s + clf.window] for s in starts]
    probs = clf.posteriors(np.stack([clf.features(x) for x in segs]))
    weights = np.array([min(clf.cfg.data.target_frames, clf.frames_of(len(x))) for x in segs],
                       np.float64)
    rate = clf.sample_rate
    wins = [WindowResult(0, s / rate, (s + len(x)) / rate, p)
            for s, x, p in zip(starts, segs, probs, strict=True)]
    return (weights[:, None] * probs).sum(0) / weights.sum(), wins
