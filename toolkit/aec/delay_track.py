"""Per-frame delay tracks: the delay an aligner holds at each 10-ms frame, and how well it follows.

One delay per clip (``utt2delay_est``) cannot describe a device whose delay jumps
inside a call, nor say how long an online aligner needs before it is right: at
the start of a call and just after a change it has little history. A track can:
one delay per ``HOP`` (10 ms) frame, frame ``k`` covering samples
``[k HOP, (k + 1) HOP)``.

- :func:`encode` / :func:`decode`: a track as one line of a data directory's
  ``utt2delay_track``: run-length pairs ``start_s:delay_s`` (the decode step of
  Align-CRUSE and the GCC-PHAT front ends write it);
- :func:`true_track`: the simulated truth, from ``utt2delay`` and the
  ``delay_jump=+J@T`` event of ``utt2info`` (the delay after the jump is taken
  as ``delay + J``, floored at 0: where the simulator floored the device delay
  at 0 instead, this is off by the room's direct-path time, a few ms);
- :func:`track_from_distribution`: Align-CRUSE's per-frame delay: the peak of
  its delay distribution, held through frames where the far end is silent;
- :func:`score_track`: those metrics for one clip of a reference data directory;
- :func:`track_metrics`: hit rates (estimate within 20 ms of the truth) over the
  frames that carry echo (far end active ``true delay`` earlier): all of them,
  the first second of them (``start``: the aligner's short history at the start
  of a call), the first second after a jump (``after_jump``) and the rest
  (``settled``: after the first second, and after the first second past a jump).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.data.audio import load_mono
from toolkit.models.aec_blocks import HOP, SR_HZ

FRAME_S = HOP / SR_HZ
#: An estimate within this many seconds of the truth is a hit (as ``delay_hit`` in training).
TOLERANCE_S = 0.020
#: Echo-carrying frames counted as the "first second" at the start and after a jump.
WINDOW_FRAMES = 100


def encode(track: np.ndarray) -> str:
    """``(frames,)`` delays in seconds -> ``"0.00:0.1230 2.35:0.1550 ..."`` (changes only)."""
    track = np.round(np.asarray(track, float), 4)
    if track.size == 0:
        return ""
    starts = np.flatnonzero(np.r_[True, track[1:] != track[:-1]])
    return " ".join(f"{k * FRAME_S:.2f}:{track[k]:.4f}" for k in starts)


def decode(text: str, frames: int) -> np.ndarray:
    """Inverse of :func:`encode`: ``(frames,)`` delays in seconds (the last value runs on).

    Raises:
        ValueError: a pair that is not ``start:delay``.
    """
    out = np.zeros(frames)
    pairs = [p.split(":") for p in text.split()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"a delay track is 'start_s:delay_s' pairs, got {text[:40]!r}")
    for i, (start, delay) in enumerate(pairs):
        a = int(round(float(start) / FRAME_S))
        b = int(round(float(pairs[i + 1][0]) / FRAME_S)) if i + 1 < len(pairs) else frames
        out[max(a, 0):max(min(b, frames), 0)] = float(delay)
    return out


def jump_of(info: str) -> tuple[float, float] | None:
    """``(jump_s, at_s)`` of a ``delay_jump=+0.120@3.45`` event in an ``utt2info`` line."""
    for event in info.split():
        if event.startswith("delay_jump="):
            jump, at = event.split("=", 1)[1].split("@")
            return float(jump), float(at)
    return None


def true_track(frames: int, delay_s: float, info: str = "") -> np.ndarray:
    """``(frames,)`` true delays (s): ``delay_s``, then ``delay_s + jump`` after a jump."""
    track = np.full(frames, float(delay_s))
    jump = jump_of(info)
    if jump is not None:
        track[int(round(jump[1] / FRAME_S)):] = max(delay_s + jump[0], 0.0)
    return track


def far_active(far: np.ndarray, frames: int, floor_db: float = 40.0,
               min_dbfs: float = -70.0) -> np.ndarray:
    """``(frames,)`` bool: the far end's ``HOP`` frame level within ``floor_db`` of its
    loudest and above ``min_dbfs``."""
    x = np.pad(np.asarray(far, float), (0, max(0, frames * HOP - len(far))))[: frames * HOP]
    db = 10 * np.log10(np.mean(x.reshape(frames, HOP) ** 2, axis=1) + 1e-12)
    return (db > db.max(initial=-120.0) - floor_db) & (db > min_dbfs)


def track_from_distribution(dist: np.ndarray, far: np.ndarray) -> np.ndarray:
    """Align-CRUSE's per-frame delay (s): the peak of ``dist (frames, d_max)`` over delays,
    the last active frame's peak held where the far end (``(samples,)``) is silent."""
    peaks = np.argmax(dist, axis=1) * FRAME_S
    active = far_active(far, len(dist))
    track = np.empty(len(dist))
    last = peaks[np.flatnonzero(active)[0]] if active.any() else peaks[0]
    for k in range(len(dist)):
        last = peaks[k] if active[k] else last
        track[k] = last
    return track


def track_metrics(est: np.ndarray, true: np.ndarray, far: np.ndarray,
                  jump_at_s: float | None = None) -> dict[str, float]:
    """Hit rates of ``est`` against ``true`` (both ``(frames,)`` seconds) over echo frames.

    Args:
        est, true: per-frame delays in seconds (``est`` cut or padded to ``true``'s length).
        far: ``(samples,)`` far end, to find the frames that carry echo.
        jump_at_s: time of a delay jump, or None.

    Returns:
        ``delay_hit`` (all echo frames), ``delay_hit_start`` (the first
        ``WINDOW_FRAMES`` of them), ``delay_hit_after_jump`` (the first
        ``WINDOW_FRAMES`` after the jump; only with a jump) and ``delay_hit_settled``
        (the rest); a key is left out when it has no frames.
    """
    n = len(true)
    est = np.pad(np.asarray(est, float)[:n], (0, max(0, n - len(est))), mode="edge")
    active = far_active(far, n)
    src = np.arange(n) - np.round(true / FRAME_S).astype(int)
    echo = np.zeros(n, bool)
    ok = src >= 0
    echo[ok] = active[src[ok]]
    hit = np.abs(est - true) <= TOLERANCE_S + 1e-9
    idx = np.flatnonzero(echo)
    windows = {"delay_hit": idx, "delay_hit_start": idx[:WINDOW_FRAMES]}
    settled = idx[WINDOW_FRAMES:]
    if jump_at_s is not None:
        after = idx[idx >= int(round(jump_at_s / FRAME_S))]
        windows["delay_hit_after_jump"] = after[:WINDOW_FRAMES]
        settled = np.setdiff1d(settled, after[:WINDOW_FRAMES])
    windows["delay_hit_settled"] = settled
    return {name: float(hit[i].mean()) for name, i in windows.items() if len(i)}


def score_track(ref: Any, key: str, n: int, text: str) -> dict[str, float]:
    """:func:`track_metrics` of the track ``text`` for clip ``key`` (``n`` samples) of a
    reference :class:`~toolkit.data.datadir.DataDir` (``utt2delay``, ``ref.scp``, ``utt2info``).

    Raises:
        ValueError: ``text`` is not a track.
    """
    frames = -(-n // HOP)
    info = ref.read("utt2info").get(key, "") if ref.has("utt2info") else ""
    jump = jump_of(info)
    far = load_mono(ref.read("ref.scp")[key], SR_HZ)[0]
    true = true_track(frames, float(ref.read("utt2delay")[key]), info)
    return track_metrics(decode(text, frames), true, far, jump[1] if jump else None)
