"""Data-directory steps of the echo-cancellation recipe besides the model's decode.

- :func:`align_datadir`: the alignment front ends of the CRUSE baselines as a
  data-preparation step. It writes a copy of a data directory whose ``ref.scp``
  points at the far end shifted by a GCC-PHAT estimate (online: per 10-ms
  frame, past only; global: one delay per clip) or by the true delay, plus
  ``utt2delay_est`` (global: the delay; online: the median of the per-frame
  estimates over the second half of the clip) and the per-frame
  ``utt2delay_track`` (:mod:`toolkit.aec.delay_track`). CRUSE then decodes that
  directory like any other.
- :func:`nlms_datadir`: the classical canceller (online GCC-PHAT alignment,
  then the partitioned-block frequency-domain NLMS of
  :mod:`toolkit.dsp.adaptive`) over a data directory: a decode output without a
  trained model.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from toolkit.aec.delay_track import encode as encode_track
from toolkit.data.audio import load_mono, save_audio
from toolkit.data.datadir import DataDir
from toolkit.dsp.adaptive import pbfdaf
from toolkit.dsp.delay import align
from toolkit.errors import DataDirError

log = logging.getLogger(__name__)
SR = 16000


def _load(d: DataDir, role: str, key: str, n: int | None = None) -> np.ndarray:
    x = load_mono(d.read(role)[key], SR)[0]
    if n is not None:
        x = np.pad(x, (0, max(0, n - len(x))))[:n]
    return x


def align_datadir(data: str | Path, out: str | Path, method: str, keys: list[str],
                  max_delay_s: float = 1.0, history_s: float | None = None
                  ) -> dict[str, dict[str, str]]:
    """Align the far end of ``keys``; returns the files of the output data directory.

    ``history_s``: seconds of past signal the online GCC-PHAT correlates (None: its
    default, the power of two >= 2 ``max_delay_s`` + 0.26 s, 4.1 s at 1 s).
    """
    window = int(history_s * SR) if history_s else None
    d = DataDir(data)
    true = d.read("utt2delay") if d.has("utt2delay") else {}
    files = {r: {k: d.read(r)[k] for k in keys} for r in d.roles() if r != "ref.scp"}
    files["ref.scp"], files["utt2delay_est"], files["utt2delay_track"] = {}, {}, {}
    for key in keys:
        mic = _load(d, "wav.scp", key)
        far = _load(d, "ref.scp", key, len(mic))
        if method == "oracle" and key not in true:
            raise DataDirError(f"{data} has no utt2delay for '{key}'; oracle alignment needs it")
        t = int(round(float(true[key]) * SR)) if key in true else None
        aligned, delays = align(mic, far, method, int(max_delay_s * SR), t, window=window)
        path = Path(out) / "audio" / f"{key}_ref.wav"
        save_audio(path, aligned, SR, subtype="FLOAT")
        files["ref.scp"][key] = str(path.resolve())
        est = np.median(delays[len(delays) // 2:]) if len(delays) else 0
        files["utt2delay_est"][key] = f"{est / SR:.4f}"
        files["utt2delay_track"][key] = encode_track(delays / SR)
    return files


def nlms_datadir(data: str | Path, out: str | Path, keys: list[str],
                 max_delay_s: float = 1.0, **nlms) -> dict[str, dict[str, str]]:
    """Online GCC-PHAT alignment + PBFDAF for ``keys``; returns the output files."""
    d = DataDir(data)
    wav, est, track = {}, {}, {}
    for key in keys:
        mic = _load(d, "wav.scp", key)
        far = _load(d, "ref.scp", key, len(mic))
        aligned, delays = align(mic, far, "gcc_online", int(max_delay_s * SR))
        y = pbfdaf(mic, aligned, **nlms)
        path = Path(out) / "audio" / f"{key}.wav"
        save_audio(path, y, SR, subtype="FLOAT")
        wav[key] = str(path.resolve())
        est[key] = f"{np.median(delays[len(delays) // 2:]) / SR:.4f}"
        track[key] = encode_track(delays / SR)
    return {"wav.scp": wav, "utt2delay_est": est, "utt2delay_track": track}
