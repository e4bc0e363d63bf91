"""Reading the text files of data directories and configs: encodings, line ends, key clashes.

Decisions (issue 18), for every ``key value`` file, ``meta.yaml`` and config:

- A UTF-8 byte-order mark (written by Notepad, Excel) is **stripped, with a
  warning** naming the file, rather than refused: it is invisible in an editor,
  is never part of a key, and kept it would glue itself to the first key, so
  that file's keys would silently stop matching the other files' (``validate``
  called it "out of order", ``shard`` wrote inconsistent shards).
- Line ends are LF or CRLF; only ``\\n`` ends a line (Unicode separators such
  as U+2028 stay inside values); a carriage return inside a line (classic Mac
  line ends) is refused instead of read as one long line.
- A byte that is not UTF-8 (a Latin-1 ``é``) is a one-line error naming the
  file, the line, the column and the byte, never a crash or a silently
  replaced character.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from toolkit.errors import DataDirError

log = logging.getLogger(__name__)
BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes, where: str | Path) -> str:
    """UTF-8 bytes to text: a byte-order mark stripped (with a warning), bad bytes located.

    Raises:
        DataDirError: a byte that is not UTF-8, naming ``where``, the line and the byte.
    """
    if data.startswith(BOM):
        log.warning("%s: starts with a UTF-8 byte-order mark (BOM); ignoring it", where)
        data = data[len(BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise DataDirError(
            f"{where} line {line}: byte 0x{data[e.start]:02x} at column {column} is not UTF-8; "
            "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None


def read_lines(path: str | Path) -> list[str]:
    """The lines of a data-directory text file, without line ends (LF or CRLF).

    See the module docstring for the byte-order mark, line-end and encoding decisions.
    Only ``\\n`` ends a line: other Unicode separators stay inside values.

    Raises:
        DataDirError: missing or unreadable file, not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise DataDirError(f"{path} does not exist" if not path.exists()
                           else f"{path} is not a regular file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataDirError(f"{path}: cannot read it ({e.strerror})") from None
    text = decode_text(data, path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    for n, line in enumerate(lines, 1):
        if "\r" in line:
            raise DataDirError(f"{path} line {n}: a carriage return inside the line (old Mac "
                               "line ends?); convert the file to LF or CRLF line ends")
    return lines


def check_unique_keys(sources: Iterable[tuple[str | Path, Iterable[str]]],
                      hint: str = "rename one of them or give the inputs separately"
                      ) -> dict[str, str]:
    """Refuse a key that more than one input holds, instead of silently keeping one.

    For commands that gather keyed items from several inputs into one output
    (``merge``, or ``dnsmos dirA dirB`` whose table is keyed by file stem).

    Args:
        sources: ``(where, keys)`` per input; ``where`` (a path) is named in the error.
        hint: what the user can do, appended to the error.

    Returns:
        key -> the input it came from.

    Raises:
        DataDirError: ``key 'x' is in both A and B; <hint>`` (also for a key twice in one).
    """
    seen: dict[str, str] = {}
    for where, keys in sources:
        for key in keys:
            if key in seen:
                raise DataDirError(f"key '{key}' is in both {seen[key]} and {where}; {hint}")
            seen[key] = str(where)
    return seen
