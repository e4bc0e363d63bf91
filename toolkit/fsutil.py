"""Atomic outputs and ``.done`` markers (DESIGN.md principle 3).

Every step that writes a file or a directory writes it under a temporary name
in the same folder and renames it when complete, so a killed step never leaves
something a later stage could mistake for a finished output. A finished
directory holds a ``.done`` marker with the command line that made it; a step
whose output has a marker skips itself unless asked to overwrite.

A write that fails because the disk is full (or the folder is read-only or not
ours) removes its temporary file and raises :class:`~toolkit.errors.WriteError`:
``no space left on device while writing PATH`` names the final output, whatever
the writer was (``open``, libsndfile, ``torch.save``; the last two do not say
why they failed, so a failure on a file system with no free block left is
taken for a full disk).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from toolkit.errors import UserError, WriteError

DONE = ".done"
log = logging.getLogger(__name__)
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DENIED_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)
LOW_SPACE_BYTES = 1 << 20  # below this, an unexplained write failure is a full disk


def _errnos(error: BaseException) -> list[int]:
    """errno values along an exception's chain (cause and context)."""
    out, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno is not None:
            out.append(error.errno)
        error = error.__cause__ or error.__context__
    return out


def _nearly_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < LOW_SPACE_BYTES or st.f_favail == 0


def _denied_here(error: BaseException, path: Path, temp: Path | None) -> bool:
    """A permission error about the output itself (not about some input read meanwhile)."""
    if not isinstance(error, OSError) or error.errno not in DENIED_ERRNOS:
        return False
    if not error.filename:
        return temp is None
    name = Path(os.fsdecode(error.filename)).absolute()
    target = path.absolute()
    return (name == target or name in target.parents
            or (temp is not None and (name == temp.absolute() or temp.absolute() in name.parents)))


def write_error(error: BaseException, path: str | Path,
                temp: str | Path | None = None) -> WriteError | None:
    """The one-line :class:`WriteError` for a failed write of ``path``, or None if unrelated.

    Args:
        error: what the writer raised.
        path: the final output (named in the message; its folder is checked for space).
        temp: the temporary file or folder being written, if any.
    """
    if isinstance(error, UserError | KeyboardInterrupt | SystemExit | GeneratorExit):
        return None
    path = Path(path)
    codes = _errnos(error)
    if any(c in FULL_ERRNOS for c in codes) or (
            not codes and isinstance(error, RuntimeError) and _nearly_full(path.parent)):
        return WriteError(f"no space left on device while writing {path}; free some space "
                          "and rerun (nothing half-written was left)")
    if _denied_here(error, path, Path(temp) if temp else None):
        why = "read-only file system" if error.errno == errno.EROFS else "permission denied"
        return WriteError(f"cannot write {path}: {why}; choose another output folder")
    return None


def _blocking_file(path: Path) -> Path | None:
    """The first ancestor of ``path`` that exists and is not a directory."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


@contextlib.contextmanager
def write_errors(path: str | Path, temp: str | Path | None = None,
                 setup: bool = False) -> Iterator[None]:
    """Turn a disk-full / permission failure while writing ``path`` into :class:`WriteError`.

    With ``setup`` (creating the folder and the temporary name) every OS error is
    about the output and becomes ``cannot write PATH: why``.
    """
    try:
        yield
    except BaseException as e:
        mapped = write_error(e, path, temp)
        if mapped is None and setup and isinstance(e, OSError):
            blocker = _blocking_file(Path(path))
            why = (f"{blocker} is not a directory" if blocker is not None
                   else (e.strerror or str(e)).lower())
            mapped = WriteError(f"cannot write {path}: {why}; choose another output path")
        if mapped is None:
            raise
        raise mapped from None


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
    suffix = path.suffix if suffix is None else suffix
    with write_errors(path, path.parent, setup=True):  # mkdir / mkstemp
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp" + suffix,
                                   dir=path.parent)
        os.close(fd)
    try:
        yield Path(tmp)
        _publish(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        mapped = write_error(e, path, tmp)
        if mapped is None:
            raise
        raise mapped from None


@contextlib.contextmanager
def atomic_dir(path: str | Path, overwrite: bool = False, done: bool = True) -> Iterator[Path]:
    """Build a directory under a temporary name; rename it into place on success.

    The caller writes into the yielded folder. On success an existing ``path``
    is replaced (only when ``overwrite``, or when it is an empty folder) and, if
    ``done``, the marker is written. On failure the temporary folder is removed
    and ``path`` is left as it was. A file, or a folder with content of unknown
    origin (no marker), is never replaced without ``overwrite``.

    Raises:
        UserError: ``path`` is finished, or a non-empty folder, and ``overwrite``
            is false (callers that want to skip check :func:`is_done` first); or
            ``path`` is a file.
    """
    path = Path(path)
    if is_done(path) and not overwrite:
        raise UserError(f"{path} is already complete (has {DONE}); pass --overwrite to redo it")
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} exists and is not a directory; remove it or choose another "
                        "output path")
    if path.is_dir() and not overwrite and not is_done(path) and any(path.iterdir()):
        raise UserError(f"{path} exists, is not empty and is not a finished output (no {DONE}); "
                        "pass --overwrite to replace it, or choose another output path")
    with write_errors(path, path.parent, setup=True):  # mkdir / mkstemp
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
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, WriteError) and "no space left" in str(e):
            raise WriteError(f"no space left on device while writing {path}; free some space "
                             "and rerun (nothing half-written was left)") from None
        mapped = write_error(e, path, tmp)
        if mapped is None:
            raise
        raise mapped from None


def skip_if_done(path: str | Path, overwrite: bool) -> bool:
    """Log and return True when ``path`` is finished and not to be redone."""
    if is_done(path) and not overwrite:
        log.info("%s is complete (%s exists); skipping (use --overwrite to redo)", path, DONE)
        return True
    return False


@contextlib.contextmanager
def exclusive_lock(path: str | Path, busy: str) -> Iterator[None]:
    """Hold an ``flock`` on ``path`` (created, holding our pid) for the block.

    Two processes working on the same output (a stage started twice) would
    overwrite each other's files; the second one is refused instead.

    Args:
        path: the lock file.
        busy: the error message when another process holds the lock; ``{pid}``
            is replaced by that process's id.

    Raises:
        UserError: the lock is held by another process.
    """
    path = Path(path)
    with write_errors(path, path.parent, setup=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise UserError(busy.replace("{pid}", other)) from None
        except OSError:  # a file system without locks: go on unguarded
            pass
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
