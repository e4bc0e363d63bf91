"""Operations on data directories: shard, subset, merge, combine, export.

All of them write a new directory atomically (with ``.done``) and keep every
file consistent: an utterance dropped from ``wav.scp`` is dropped from every
role, ``spk2utt`` is rebuilt from ``utt2spk``, and recordings no longer used by
``segments`` leave ``wav.scp``. They refuse inputs they would turn into wrong
outputs: a directory whose files hold different key sets
(:meth:`~toolkit.data.datadir.DataDir.check_consistent`), shards without
``.done`` (a job that did not finish), keys present in several inputs.
"""

from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path
from typing import Any

from toolkit.data.datadir import (
    RECORDING_FILES,
    SPEAKER_FILES,
    DataDir,
    read_kv,
    write_datadir,
)
from toolkit.data.text import check_unique_keys
from toolkit.errors import DataDirError, UserError

log = logging.getLogger(__name__)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """Parse ``"J/N"`` (1-based job J of N) into (J, N); None passes through."""
    if text is None or text == "":
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise UserError(f"--shard {text!r}: expected J/N, for example 2/8")
    j, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= j <= n:
        raise UserError(f"--shard {text}: J must be between 1 and N (N >= 1)")
    return j, n


def shard_keys(keys: list[str], j: int, n: int) -> list[str]:
    """Contiguous chunk J of N of the sorted keys (sizes differ by at most one)."""
    keys = sorted(keys)
    base, extra = divmod(len(keys), n)
    start = (j - 1) * base + min(j - 1, extra)
    return keys[start : start + base + (1 if j <= extra else 0)]


def files_for(src: DataDir, keys: list[str]) -> dict[str, dict[str, str]]:
    """Every file of ``src`` restricted to ``keys`` (speaker/recording files rebuilt)."""
    keep = set(keys)
    files: dict[str, dict[str, str]] = {}
    for role in src.roles():
        files[role] = {k: v for k, v in src.read(role).items() if k in keep}
    if src.has_segments:
        recos = {v.split()[0] for v in files["segments"].values()}
        for name in ("wav.scp", *RECORDING_FILES):
            if src.has(name):
                files[name] = {k: v for k, v in src.read(name).items() if k in recos}
    if "utt2spk" in files:
        spks = set(files["utt2spk"].values())
        for name in SPEAKER_FILES:
            if name != "spk2utt" and src.has(name):
                files[name] = {k: v for k, v in src.read(name).items() if k in spks}
    return files


def subset(src: str | Path, dst: str | Path, keys: list[str], note: str = "",
           overwrite: bool = False) -> Path:
    """Write the utterances ``keys`` of ``src`` to ``dst``.

    Raises:
        DataDirError: a key is not in ``src``.
    """
    d = DataDir(src)
    d.check_consistent()
    known = set(d.keys())
    missing = [k for k in keys if k not in known]
    if missing:
        raise DataDirError(f"{len(missing)} key(s) not in {d.path}, first '{missing[0]}'")
    meta = dict(d.meta)
    meta["derived_from"] = f"{d.path}{' ' + note if note else ''}"
    meta.pop("created_by", None)
    return write_datadir(dst, files_for(d, keys), meta, overwrite=overwrite)


def select_keys(src: str | Path, first: int | None = None, last: int | None = None,
                random_n: int | None = None, seed: int = 0, key_file: str | Path | None = None,
                speakers: list[str] | None = None) -> list[str]:
    """Choose keys of ``src`` by position, at random, from a list file or by speaker.

    ``first``, ``last`` and ``random_n`` exclude each other; each combines with
    ``key_file`` and ``speakers``, which are applied first.

    Raises:
        UserError: more than one of first/last/random, or more random keys than there are.
    """
    given = [name for name, v in (("--first", first), ("--last", last), ("--random", random_n))
             if v is not None]
    if len(given) > 1:
        raise UserError(f"{' and '.join(given)} exclude each other; give one of them")
    d = DataDir(src)
    keys = d.keys()
    if key_file is not None:
        wanted = list(read_kv(key_file, allow_empty=True))
        keys = wanted
    if speakers is not None:
        utt2spk = d.read("utt2spk")
        spk = set(speakers)
        keys = [k for k in keys if utt2spk.get(k) in spk]
    if first is not None:
        keys = keys[:first]
    if last is not None:
        keys = keys[-last:] if last else []
    if random_n is not None:
        if random_n > len(keys):
            raise UserError(f"--random {random_n}: {d.path} has only {len(keys)} utterances")
        keys = sorted(random.Random(seed).sample(keys, random_n))
    return keys


def parse_parts(text: str) -> list[tuple[str, float]]:
    """Parse ``"train:0.8,dev:0.1,test:0.1"`` into [(name, fraction), ...]."""
    parts = []
    for item in text.split(","):
        name, sep, frac = item.strip().partition(":")
        try:
            value = float(frac)
        except ValueError:
            value = -1.0
        if not sep or not name or not value > 0 or value == float("inf"):
            raise UserError(f"--parts {text!r}: expected name:fraction,... e.g. train:0.8,dev:0.2")
        if name in (".", "..") or "/" in name or name.startswith("."):
            raise UserError(f"--parts {text!r}: part name {name!r} must be a plain folder name")
        if name in dict(parts):
            raise UserError(f"--parts {text!r}: part name {name!r} is given twice; "
                            "each part needs its own name")
        parts.append((name, value))
    total = sum(f for _, f in parts)
    if abs(total - 1.0) > 1e-6:
        raise UserError(f"--parts {text!r}: the fractions add up to {total:g}, not 1")
    return parts


def split(src: str | Path, out_dir: str | Path, parts: list[tuple[str, float]], seed: int = 0,
          by_speaker: bool = False, overwrite: bool = False) -> list[Path]:
    """Split at random into disjoint parts (by utterance, or by speaker with ``by_speaker``).

    Units (utterances or speakers) are shuffled with ``seed`` and cut by the
    cumulative fractions; every part gets at least one unit.
    """
    d = DataDir(src)
    d.check_consistent()
    keys = d.keys()
    if by_speaker:
        utt2spk = d.read("utt2spk")
        units = sorted(set(utt2spk.values()))
    else:
        units = keys
    if len(units) < len(parts):
        raise UserError(f"{d.path}: {len(units)} {'speakers' if by_speaker else 'utterances'} "
                        f"cannot make {len(parts)} non-empty parts")
    order = units[:]
    random.Random(seed).shuffle(order)
    bounds, acc = [], 0.0
    for _, frac in parts:
        acc += frac
        bounds.append(round(acc * len(order)))
    outs, start = [], 0
    for i, (name, _) in enumerate(parts):
        end = max(bounds[i], start + 1)
        end = min(end, len(order) - (len(parts) - 1 - i))
        chosen = set(order[start:end])
        start = end
        picked = [k for k in keys if (d.read("utt2spk")[k] if by_speaker else k) in chosen]
        outs.append(subset(src, Path(out_dir) / name, picked, note=f"split {name}",
                           overwrite=overwrite))
    return outs


def shard(src: str | Path, dst: str | Path, j: int, n: int, overwrite: bool = False) -> Path:
    """Write shard J of N (contiguous sorted keys) of ``src`` to ``dst``."""
    keys = shard_keys(DataDir(src).keys(), j, n)
    return subset(src, dst, keys, note=f"shard {j}/{n}", overwrite=overwrite)


def _union(dirs: list[DataDir], prefixes: list[str] | None,
           common: bool = False) -> dict[str, dict[str, str]]:
    files: dict[str, dict[str, str]] = {}
    names = [set(d.files()) - {"spk2utt"} for d in dirs]
    if any(n != names[0] for n in names[1:]):
        diff = sorted(set.union(*names) - set.intersection(*names))
        if not common:
            raise DataDirError(f"the directories hold different files ({', '.join(diff)}); "
                               "every input needs the same roles (or use combine --common)")
        names[0] = set.intersection(*names)
        if "wav.scp" not in names[0]:
            raise DataDirError("combine --common: not every input has a wav.scp")
        log.warning("combine --common: left out %s (not in every input)", ", ".join(diff))
    for i, d in enumerate(dirs):
        pre = prefixes[i] if prefixes else ""
        for name in sorted(names[0]):
            out = files.setdefault(name, {})
            for k, v in d.read(name).items():
                key = pre + k
                if name == "segments" and pre:
                    parts = v.split()
                    v = " ".join([pre + parts[0], *parts[1:]])
                elif name in ("utt2spk",) and pre:
                    v = pre + v
                if key in out and out[key] != v:
                    raise DataDirError(f"key '{key}' of {name} is in more than one input "
                                       f"(again in {d.path}); use combine --prefix")
                out[key] = v
    return files


def merge(srcs: list[str | Path], dst: str | Path, overwrite: bool = False) -> Path:
    """Merge shards of one directory (same roles and meta, disjoint keys).

    Raises:
        DataDirError: a shard without ``.done`` (its job did not finish), shards
            with different files or overlapping keys, a shard whose files disagree.
    """
    from toolkit.fsutil import DONE, is_done

    if not srcs:
        raise UserError("merge needs at least one input directory")
    dirs = [DataDir(s) for s in srcs]
    unfinished = [d for d in dirs if not is_done(d.path)]
    if unfinished:
        raise DataDirError(f"{unfinished[0].path} is not complete (no {DONE}): the job that "
                           f"writes it did not finish ({len(unfinished)} of {len(dirs)} inputs); "
                           "rerun it (e.g. sptk-cli run --pick incomplete) before merging")
    if len({d.path.resolve() for d in dirs}) != len(dirs):
        raise DataDirError("the same directory is given twice; each shard once")
    for d in dirs:
        d.check_consistent()
    check_unique_keys(((d.path, d.keys()) for d in dirs), "shards must not overlap")
    rates = {d.sample_rate for d in dirs}
    if len(rates) > 1:
        raise DataDirError(f"inputs have different sample rates {sorted(map(str, rates))}")
    meta = {k: v for k, v in dirs[0].meta.items()
            if k not in ("created_by", "derived_from", "shard")}
    meta["merged_from"] = [str(d.path) for d in dirs]
    return write_datadir(dst, _union(dirs, None), meta, overwrite=overwrite)


def combine(srcs: list[str | Path], dst: str | Path, prefix: bool = False,
            overwrite: bool = False, common: bool = False,
            names: list[str] | None = None) -> Path:
    """Combine different data directories (optionally prefixing keys with the dir name).

    Unlike :func:`merge`, inputs may come from different corpora: with
    ``prefix`` each key (and speaker) becomes ``<dirname>-<key>`` so that
    identical keys do not collide; ``names`` (one per input) gives the prefixes
    instead of the folder names (e.g. two corpora whose folders are both ``train``).
    Sample rates must agree. Inputs must hold the same files unless ``common``,
    which keeps only the files every input has (e.g. MIR-1K with a corpus that
    also has drums and bass stems). Meta values on which every input agrees are
    kept; differing licences are all listed.
    """
    if not srcs:
        raise UserError("combine needs at least one input directory")
    dirs = [DataDir(s) for s in srcs]
    if len({d.path.resolve() for d in dirs}) != len(dirs):
        raise DataDirError("the same directory is given twice; give each input once")
    for d in dirs:
        d.check_consistent()
    rates = {d.sample_rate for d in dirs}
    if len(rates) > 1:
        raise DataDirError(f"inputs have different sample rates {sorted(map(str, rates))}; "
                           "resample one of them first")
    if names is not None and len(names) != len(dirs):
        raise UserError(f"combine --prefix-name: {len(names)} names for {len(dirs)} inputs; "
                        "give one per input, in order")
    prefixes = ([f"{n}-" for n in names] if names is not None
                else [f"{d.path.name}-" for d in dirs] if prefix else None)
    if prefixes and len(set(prefixes)) != len(prefixes):
        raise UserError("combine --prefix needs input directories with different names "
                        "(or different --prefix-name values)")
    if prefixes and any(p == "-" or any(c.isspace() for c in p) for p in prefixes):
        raise UserError("combine --prefix-name: names must be non-empty, without spaces")
    tasks = {d.meta.get("task") for d in dirs} - {None}
    meta: dict[str, Any] = {"sample_rate": dirs[0].sample_rate}
    if len(tasks) == 1:
        meta["task"] = tasks.pop()
    skip = {"created_by", "combined_from", "merged_from", "source", "licence"}
    for k, v in dirs[0].meta.items():
        if k not in meta and k not in skip and all(d.meta.get(k) == v for d in dirs[1:]):
            meta[k] = v
    licences = [d.meta["licence"] for d in dirs if d.meta.get("licence")]
    if licences:
        meta["licence"] = "; ".join(dict.fromkeys(licences))
    meta["combined_from"] = [str(d.path) for d in dirs]
    return write_datadir(dst, _union(dirs, prefixes, common), meta, overwrite=overwrite)


def to_jsonl(src: str | Path, out: str | Path) -> Path:
    """Export one JSON object per utterance: ``{"key": ..., "wav": ..., "label": ...}``.

    Field names are the file names without ``.scp``; ``meta`` is not included.
    """
    from toolkit.fsutil import atomic_write_text

    d = DataDir(src)
    d.check_consistent()
    lines = []
    for key in d.keys():
        row: dict[str, Any] = {"key": key}
        for role, value in d.entry(key).items():
            row[role.removesuffix(".scp")] = value
        if d.has_segments:
            row["recording"] = d.read("wav.scp")[d.read("segments")[key].split()[0]]
        lines.append(json.dumps(row, ensure_ascii=False))
    atomic_write_text(out, "\n".join(lines) + ("\n" if lines else ""))
    return Path(out)
