"""Importers of public corpora that a user downloads and points at with a path.

Each module opens with a paragraph describing the corpus, the layout it reads
and its licence, and exposes ``prepare(path, dst, ..., overwrite=False)``
that writes Kaldi-style data directories referring to (or derived from) the
files in place. :data:`IMPORTERS` names them for the one command that runs
them all::

    sptk-cli corpus prepare NAME --path P --dst DIR [--opt KEY=VALUE ...]
    sptk-cli corpus prepare --list

Extra options are the keyword parameters of the module's ``prepare`` after
``path`` and ``dst``; :func:`parse_options` converts their text values
(``a,b`` for lists, ``true``/``false`` for flags).
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

from toolkit.errors import UserError

#: the importers, named as their modules (the name a user types)
IMPORTERS: tuple[str, ...] = ("aec_challenge", "dns_challenge", "librispeech_wham", "arctic",
                              "vctk", "css10", "mir1k", "ikala", "musdb", "aed_layouts")

_FIXED = ("path", "dst", "overwrite")


def importer(name: str) -> ModuleType:
    """The module of importer ``name`` (one-line error listing the known ones)."""
    if name not in IMPORTERS:
        raise UserError(f"unknown corpus '{name}'; known: {', '.join(IMPORTERS)} "
                        "(see 'sptk-cli corpus prepare --list')")
    return importlib.import_module(f"{__name__}.{name}")


def description(name: str) -> str:
    """The first paragraph of the importer's module docstring, on one line."""
    doc = inspect.getdoc(importer(name)) or ""
    return " ".join(doc.split("\n\n")[0].split())


def options(name: str) -> dict[str, inspect.Parameter]:
    """The extra keyword parameters of ``prepare`` (beyond path, dst, overwrite)."""
    params = inspect.signature(importer(name).prepare).parameters
    return {k: p for k, p in params.items() if k not in _FIXED}


def _convert(name: str, key: str, param: inspect.Parameter, text: str) -> Any:
    """``text`` as the type the parameter's annotation (a string) names."""
    kind = str(param.annotation)
    if kind.startswith("bool") or isinstance(param.default, bool):
        if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise UserError(f"--opt {key}={text}: {name} wants true or false")
        return text.lower() in ("1", "true", "yes")
    if kind.startswith("list"):
        return [v.strip() for v in text.split(",") if v.strip()]
    if "Path" in kind:
        return Path(text)
    if kind.startswith("int"):
        try:
            return int(text)
        except ValueError:
            raise UserError(f"--opt {key}={text}: {name} wants an integer") from None
    return text


def parse_options(name: str, pairs: list[str]) -> dict[str, Any]:
    """``["key=value", ...]`` -> keyword arguments of importer ``name``'s ``prepare``."""
    known = options(name)
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UserError(f"--opt {pair!r}: write KEY=VALUE, e.g. --opt subset=real")
        if key not in known:
            have = ", ".join(known) or "none"
            raise UserError(f"--opt {key}: {name} has no such option (its options: {have})")
        kwargs[key] = _convert(name, key, known[key], value)
    return kwargs


def usage(name: str) -> str:
    """``key=default`` for each extra option of ``name``."""
    shown = []
    for key, p in options(name).items():
        default = p.default
        if isinstance(default, list):
            default = ",".join(map(str, default))
        shown.append(f"{key}={'' if default is None else default}")
    return " ".join(shown)


def prepare(name: str, path: str | Path, dst: str | Path, opts: dict[str, Any] | None = None,
            overwrite: bool = False) -> Path:
    """Run importer ``name`` on the corpus at ``path``, writing under ``dst``."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"--path {path}: no such file or folder (the {name} corpus)")
    importer(name).prepare(path, Path(dst), **(opts or {}), overwrite=overwrite)
    return Path(dst)


def written_datadirs(dst: str | Path) -> list[Path]:
    """The data directories under ``dst`` (itself, or its sub-folders with a wav.scp)."""
    dst = Path(dst)
    if (dst / "wav.scp").is_file():
        return [dst]
    return sorted(p.parent for p in dst.glob("*/wav.scp"))
