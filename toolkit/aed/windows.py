"""Reading clips window by window for ``classify``, ahead of the model.

A file is read one window at a time (libsndfile formats by seeking; others are
decoded whole by :func:`toolkit.data.audio.load_mono`), resampled to the model's
rate with a little context on each side, and turned into features;
:func:`prefetch` runs that in a background thread beside the model, a bounded
number of windows ahead. Memory: the prefetched windows, independent of file length.

Example:
    >>> window_starts(10, window=4, hop=4)
    [0, 4, 8]
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import soundfile as sf

from toolkit.data.audio import load_mono, resample
from toolkit.errors import AudioError

if TYPE_CHECKING:
    from toolkit.aed.infer import Classifier


def window_starts(n: int, window: int, hop: int) -> list[int]:
    """Start samples of the windows over ``n`` samples; the last one reaches the end."""
    starts = [0]
    while starts[-1] + window < n:
        starts.append(starts[-1] + hop)
    return starts



class WindowSource:
    """Mono audio at the model's rate, read window by window.

    libsndfile formats are read by seeking (memory: one window); other formats
    (decoded by librosa/audioread) are loaded whole.
    """

    def __init__(self, path: str, rate: int):
        self.path, self.rate = path, rate
        try:
            info = sf.info(path)
            self.native, self.frames, self.whole = int(info.samplerate), int(info.frames), None
        except Exception:  # not libsndfile's: decode whole (checks and errors of load_mono)
            self.whole, _ = load_mono(path, rate)
            self.native, self.frames = rate, len(self.whole)
        self.n = (self.frames if self.native == rate
                  else int(round(self.frames * rate / self.native)))
        if self.n == 0:
            raise AudioError(f"{path}: empty audio (0 samples)")

    def read(self, start: int, length: int) -> np.ndarray:
        """Samples ``[start, start + length)`` at the model's rate (cut at the end)."""
        if self.whole is not None:
            return self.whole[start: start + length]
        if self.native == self.rate:
            x = sf.read(self.path, frames=length, start=start, dtype="float32",
                        always_2d=True)[0]
            y = x.mean(1)
        else:  # resample a slightly longer stretch so that the filter has context
            ratio = self.native / self.rate
            margin = int(0.02 * self.native)
            a = max(0, int(start * ratio) - margin)
            b = min(self.frames, int(np.ceil((start + length) * ratio)) + margin)
            x = sf.read(self.path, frames=b - a, start=a, dtype="float32", always_2d=True)[0]
            y = resample(x.mean(1), self.native, self.rate)
            off = int(round((start * ratio - a) / ratio))
            y = y[off: off + min(length, self.n - start)]
        if not np.isfinite(y).all():
            raise AudioError(f"{self.path}: contains NaN or Inf samples")
        return y.astype(np.float32, copy=False)


class Win(NamedTuple):
    """One window of one file: where it lies (samples), its features and its source."""

    index: int
    start: int
    end: int
    covered: int  # frames of real audio
    last: bool
    feats: np.ndarray
    audible: bool  # any non-zero sample
    src: WindowSource


def iter_windows(paths: Sequence[str | Path], clf: Classifier, hop: int) -> Iterator[Win]:
    """The windows of every file, in order, each read when it is needed."""
    for i, path in enumerate(paths):
        src = WindowSource(str(path), clf.sample_rate)
        starts = window_starts(src.n, clf.window, hop)
        for k, s in enumerate(starts):
            wave = src.read(s, clf.window)
            covered = min(clf.cfg.data.target_frames, clf.frames_of(len(wave)))
            yield Win(i, s, s + len(wave), covered, k == len(starts) - 1, clf.features(wave),
                       bool(np.any(wave)), src)


def prefetch(items: Iterator[Any], size: int) -> Iterator[Any]:
    """Run the iterator ``items`` in a background thread, at most ``size`` items ahead
    (reading and fbank beside the model: two cores busy; memory: ``size`` items)."""
    q: queue.Queue = queue.Queue(maxsize=max(1, size))
    stop = threading.Event()
    done = object()

    def put(entry: tuple[Any, BaseException | None]) -> bool:
        """Queue ``entry`` unless the consumer has stopped; False when it has."""
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as e:  # re-raised in the consumer
            put((done, e))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item, error = q.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
