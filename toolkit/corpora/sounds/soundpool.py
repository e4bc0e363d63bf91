"""Shared machinery of the sound pool builders (noise, rooms, music).

A pool is a data directory that holds its own audio under ``DIR/audio``. The
builders share one contract, implemented here:

- items have sorted keys fixed before any audio is made; ``--shard J/N`` keeps
  the contiguous chunk J of N (:func:`toolkit.data.ops.shard_keys`), so the
  shards of a build, merged, are the unsharded build;
- every random choice of an item comes from :func:`item_rng` (the seed and the
  item's index in the unsharded list), never from a generator shared across
  items, so an item does not depend on which items were built before it;
- a finished pool has ``.done``; building again is skipped unless
  ``overwrite``; an unfinished one is cleared and rebuilt (items are
  deterministic, so a killed build restarted gives the same pool);
- ``meta.yaml`` records the seed, the shard, the parameters, the sources with
  their Debian package versions and licences, and the command line.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.data.ops import parse_shard, shard_keys
from toolkit.fsutil import DONE, is_done
from toolkit.progress import Progress as Reporter

SAMPLE_RATE = 16000
log = logging.getLogger(__name__)


def item_rng(seed: int, index: int, stream: int = 0) -> np.random.Generator:
    """The random generator of item ``index`` (``stream`` separates uses within an item)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(stream), int(index)]))


def select_shard(keys: list[str], shard: str | tuple[int, int] | None) -> list[str]:
    """The keys of shard ``"J/N"`` (all sorted keys when ``shard`` is None)."""
    js = parse_shard(shard) if isinstance(shard, str) or shard is None else shard
    keys = sorted(keys)
    return keys if js is None else shard_keys(keys, *js)


def dpkg_version(package: str) -> str | None:
    """Installed version of a Debian package (None when absent or not Debian)."""
    if not shutil.which("dpkg-query"):
        return None
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
                          capture_output=True, text=True)
    if proc.returncode != 0 or "install ok installed" not in proc.stdout:
        return None
    return proc.stdout.split("\t", 1)[1].strip()


def start_pool(out: str | Path, overwrite: bool, folders: tuple[str, ...] = ("audio",)) -> bool:
    """Prepare ``out`` for a build; False when it is finished and must be skipped.

    An unfinished (or overwritten) pool loses its marker and its old payload
    ``folders`` first, so nothing from an interrupted or different build survives.
    """
    out = Path(out)
    if is_done(out) and not overwrite:
        log.info("%s is complete (%s exists); skipping (use --overwrite to redo)", out, DONE)
        return False
    out.mkdir(parents=True, exist_ok=True)
    (out / DONE).unlink(missing_ok=True)
    for name in folders:
        shutil.rmtree(out / name, ignore_errors=True)
        (out / name).mkdir()
    return True


def finish_pool(out: str | Path, files: dict[str, dict[str, Any]], meta: dict[str, Any]) -> Path:
    """Write the key-value files, ``meta.yaml`` and, last, the ``.done`` marker."""
    from toolkit import __version__
    from toolkit.data.datadir import write_datadir

    meta = {"sample_rate": SAMPLE_RATE, **meta, "toolkit_version": __version__}
    return write_datadir(out, files, meta, overwrite=True, in_place=True)


class Progress(Reporter):
    """Build progress: log lines about every 10 % plus the audio statistics for ``meta.yaml``."""

    def __init__(self, what: str, total: int):
        super().__init__(what, total, unit="items", bar=False)
        self.audio_s = 0.0

    def step(self, audio_seconds: float = 0.0) -> None:
        """One item built, holding ``audio_seconds`` of audio."""
        self.audio_s += audio_seconds
        self.advance(1, note=f"{self.audio_s:.1f} s of audio")

    def summary(self) -> dict[str, float]:
        """Build statistics for ``meta.yaml``."""
        speed = self.audio_s / self.elapsed if self.elapsed > 0 else 0.0
        return {"items": self.done, "audio_seconds": round(self.audio_s, 2),
                "build_seconds": round(self.elapsed, 2), "audio_s_per_s": round(speed, 1)}


def fmt(x: float, digits: int = 3) -> str:
    """A float as a short fixed-point string for key-value files."""
    return "nan" if not np.isfinite(x) else f"{x:.{digits}f}"


def comma_list(values: Iterable[str] | str | None) -> list[str] | None:
    """Split ``"a,b"`` options (and repeated options) into a flat list; None stays None."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None
