"""Inputs and outputs of the single-file commands, one way for all five.

``separate``, ``enhance``, ``cancel-echo``, ``classify`` and ``synthesize`` take
files, folders or glob patterns and write one output per input:

* :func:`expand_inputs` turns the command line into a sorted list of
  :class:`InputFile` (a folder contributes every audio file below it, a glob its
  matches; a name given twice is used once; a folder or glob that matches
  nothing, or a missing file, is an error).
* :func:`plan_outputs` gives every input its own output path. ``-o`` names a
  file when there is one input and a folder when there are several (or when the
  command writes several files per input, such as ``separate``'s stems). Inputs
  in different folders keep their relative layout under the output folder; two
  inputs that would still land on one name (``x.wav`` and ``x.flac``) get their
  extension in the output name. Two inputs never share an output.
* :func:`check_existing` refuses to replace outputs unless ``--overwrite`` (or
  skips them, loudly, with ``--skip-existing`` for resumable batch runs).
"""

from __future__ import annotations

import glob
import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import UserError

log = logging.getLogger("toolkit")

AUDIO_EXTS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aif", ".aiff",
              ".au", ".caf", ".w64", ".wv")


@dataclass(frozen=True)
class InputFile:
    """One input of a command.

    Attributes:
        path: the file.
        rel: the name its outputs are derived from: the file name for a file given
            by name, the path below the folder for a file found in a folder.
    """

    path: Path
    rel: Path


def _is_glob(spec: str) -> bool:
    return any(c in spec for c in "*?[")


def expand_inputs(specs: Sequence[str | Path], exts: Sequence[str] = AUDIO_EXTS,
                  what: str = "audio file") -> list[InputFile]:
    """Expand files, folders and glob patterns into a list of inputs.

    Args:
        specs: command-line arguments. A file is taken whatever its extension; a
            folder contributes the files below it (recursively) whose extension is
            in ``exts``; a pattern (``*``, ``?``, ``[``) its matching files.
        exts: lower-case extensions that count as inputs inside folders.
        what: the kind of input, for error messages.

    Returns:
        Inputs in command-line order, folder contents sorted; each file once.

    Raises:
        UserError: no input given, a missing path, or a folder / pattern that
            matches no ``what``.
    """
    if not specs:
        raise UserError(f"no {what} given; pass files, folders or glob patterns")
    out: list[InputFile] = []
    seen: set[str] = set()

    def add(path: Path, rel: Path) -> None:
        key = os.path.realpath(path)
        if key in seen:
            log.warning("%s: given more than once; processed once", path)
            return
        seen.add(key)
        out.append(InputFile(path, rel))

    wanted = tuple(e.lower() for e in exts)
    for spec in specs:
        p = Path(spec)
        if p.is_file():
            add(p, Path(p.name))
        elif p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and f.suffix.lower() in wanted and not f.name.startswith("."))
            if not found:
                raise UserError(f"{p}: folder holds no {what} ({', '.join(wanted[:4])} ...)")
            for f in found:
                add(f, f.relative_to(p))
        elif _is_glob(str(spec)):
            found = sorted(Path(f) for f in glob.glob(str(spec), recursive=True)
                           if Path(f).is_file())
            if not found:
                raise UserError(f"{spec}: pattern matches no file")
            for f in found:
                add(f, Path(f.name))
        else:
            raise UserError(f"{p}: no such file or folder")
    return out


def _disambiguate(inputs: list[InputFile]) -> list[Path]:
    """Output stems (no extension) for ``inputs``, unique by construction."""
    stems = [i.rel.with_suffix("") for i in inputs]
    groups: dict[Path, list[int]] = defaultdict(list)
    for k, s in enumerate(stems):
        groups[s].append(k)
    for idx in groups.values():
        if len(idx) < 2:
            continue
        parents = [os.path.realpath(inputs[k].path.parent) for k in idx]
        root = os.path.commonpath(parents)
        for k in idx:
            rel = Path(os.path.relpath(os.path.realpath(inputs[k].path), root))
            stems[k] = rel.with_suffix("")
    counts: dict[Path, int] = defaultdict(int)
    for s in stems:
        counts[s] += 1
    for k, s in enumerate(stems):
        if counts[s] > 1:  # same folder, same stem: x.wav and x.flac
            ext = inputs[k].path.suffix.lstrip(".").lower() or "noext"
            stems[k] = s.with_name(f"{s.name}_{ext}")
    if len(set(stems)) != len(stems):  # pragma: no cover - guarded above
        raise UserError("two inputs would write the same output; rename one of them")
    return stems


def plan_outputs(inputs: Sequence[InputFile], out: Path | None, default_dir: Path,
                 suffix: str = "", ext: str = ".wav", as_dir: bool = False) -> list[Path]:
    """One output path per input, never two inputs on one path.

    Args:
        inputs: from :func:`expand_inputs`.
        out: the ``-o`` option. With one input it is the output file (an existing
            folder means "write into it") or, when ``as_dir``, the folder of that
            input's files; with several inputs a folder. None means ``default_dir``.
        default_dir: the folder used when ``out`` is None.
        suffix: appended to the output stem, e.g. ``"_enhanced"`` (folders only).
        ext: extension of output files (ignored when ``as_dir``).
        as_dir: each input writes a folder of files (``separate``'s stems).

    Returns:
        Output paths (files, or folders when ``as_dir``) in input order.
    """
    inputs = list(inputs)
    if out is not None and len(inputs) == 1 and as_dir:
        return [out]  # the folder of the one input's files, existing or not
    if out is not None and len(inputs) == 1 and not out.is_dir():
        if out.suffix:
            return [out]
        raise UserError(f"-o {out}: give a file name with an extension (e.g. {out}{ext}) or "
                        "an existing folder")
    folder = default_dir if out is None else out
    if folder.exists() and not folder.is_dir():
        raise UserError(f"-o {folder}: is a file; with several inputs -o names a folder")
    stems = _disambiguate(inputs)
    if as_dir:
        return [folder / s for s in stems]
    return [folder / s.with_name(f"{s.name}{suffix}{ext}") for s in stems]


def check_existing(inputs: Sequence[InputFile], outputs: Sequence[Path], overwrite: bool,
                   skip_existing: bool = False, done=None) -> list[int]:
    """Indices of the inputs to process, given outputs that already exist.

    Args:
        done: ``done(path) -> bool`` telling whether an output is complete
            (default: the path exists).
        overwrite: replace existing outputs.
        skip_existing: keep existing outputs and skip their inputs (logged).

    Raises:
        UserError: outputs exist and neither flag is given.
    """
    done = done or (lambda p: Path(p).exists())
    exists = [k for k, o in enumerate(outputs) if done(o)]
    if not exists or overwrite:
        return list(range(len(inputs)))
    if skip_existing:
        log.warning("skipping %d input(s) whose output exists (first: %s); --overwrite redoes "
                    "them", len(exists), outputs[exists[0]])
        return [k for k in range(len(inputs)) if k not in set(exists)]
    raise UserError(f"{outputs[exists[0]]} exists ({len(exists)} of {len(outputs)} outputs "
                    "do); pass --overwrite to replace or --skip-existing to keep them")


def self_output(inputs: Sequence[InputFile], outputs: Sequence[Path]) -> None:
    """Refuse outputs that would replace one of the inputs."""
    ins = {os.path.realpath(i.path) for i in inputs}
    for o in outputs:
        if os.path.realpath(o) in ins:
            raise UserError(f"{o}: the output would replace an input; choose another -o")
