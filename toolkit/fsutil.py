"""Atomic outputs and ``.done`` markers (DESIGN.md principle 3).

Every step that writes a file or a directory writes it under a temporary name
in the same folder and renames it when complete, so a killed step never leaves
something a later stage could mistake for a finished output. A finished
directory holds a ``.done`` marker with the command line that made it; a step
whose output has a marker skips itself unless asked to overwrite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from toolkit.errors import UserError

DONE = ".done"
log = logging.getLogger(__name__)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(path: str | Path, directory: bool = False) -> None:
    """Give a temporary file/folder the permissions a plain open()/mkdir() would have.

    mkstemp/mkdtemp create them private (0600/0700); outputs on a shared
    cluster file system must stay readable by the group like any other file.
    """
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def _prog() -> str:
    name = Path(sys.argv[0]).name
    return "sptk-cli" if name in ("__main__.py", "-m") else name


def command_line() -> str:
    """The current command line, as a shell would read it back."""
    return shlex.join([_prog()] + sys.argv[1:])


def is_done(path: str | Path) -> bool:
    """True when ``path`` is a finished output directory (has a marker)."""
    return (Path(path) / DONE).is_file()


def mark_done(path: str | Path, note: str | None = None) -> None:
    """Write the ``.done`` marker holding the command line (or ``note``)."""
    atomic_write_text(Path(path) / DONE, (note or command_line()) + "\n")


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file through a temporary name and an atomic rename."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_file(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    Args:
        path: final file name.
        suffix: suffix of the temporary name (default: the final suffix, so
            writers that choose a format from the extension still work).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _publish(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | Path, overwrite: bool = False, done: bool = True) -> Iterator[Path]:
    """Build a directory under a temporary name; rename it into place on success.

    The caller writes into the yielded folder. On success an existing ``path``
    is replaced (only when ``overwrite`` or when it has no ``.done`` marker)
    and, if ``done``, the marker is written. On failure the temporary folder is
    removed and ``path`` is left as it was.

    Raises:
        UserError: ``path`` is finished and ``overwrite`` is false (callers that
            want to skip check :func:`is_done` first).
    """
    path = Path(path)
    if is_done(path) and not overwrite:
        raise UserError(f"{path} is already complete (has {DONE}); pass --overwrite to redo it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    _publish(tmp, directory=True)
    try:
        yield tmp
        if done:
            mark_done(tmp)
        if path.exists() or path.is_symlink():
            old = path.with_name(f".{path.name}.old.{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def skip_if_done(path: str | Path, overwrite: bool) -> bool:
    """Log and return True when ``path`` is finished and not to be redone."""
    if is_done(path) and not overwrite:
        log.info("%s is complete (%s exists); skipping (use --overwrite to redo)", path, DONE)
        return True
    return False
