"""Kaldi-style data directories: read and write.

A data directory is a folder of text files, one ``<key> <value>`` per line,
UTF-8, sorted by key in byte order (``LC_ALL=C sort``). The key is everything up
to the first run of spaces or tabs; the value is the rest of the line, so paths
with spaces and non-ASCII characters are fine. Relative paths in a value are
relative to the current directory (Kaldi's convention: recipes run from their
own folder); corpus builders write absolute paths.

Files keyed by utterance ("roles"): ``wav.scp``, ``ref.scp``, ``speech.scp``,
``label``, ``text``, ``utt2spk``, ``utt2lang``, ... (see
:mod:`toolkit.data.roles`). Files keyed otherwise: ``spk2utt`` (by speaker,
derived from ``utt2spk``), and with ``segments`` (``<utt> <recording> <start>
<end>``) ``wav.scp`` and ``reco2dur`` are keyed by recording. ``meta.yaml``
holds the sample rate, the task and the command that made the directory.

Every file is read through :func:`toolkit.data.text.read_lines`: a UTF-8
byte-order mark is stripped with a warning, CRLF is a line end, a byte that is
not UTF-8 is a one-line error naming file, line and byte (the decisions are
written down in :mod:`toolkit.data.text`).

Example::

    data/train/
      meta.yaml      sample_rate: 16000, task: aec, created_by: ...
      wav.scp        utt001 /corpus/mic/utt 001.wav
      ref.scp        utt001 /corpus/far/utt 001.wav
      utt2delay      utt001 0.231
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.data.text import read_lines
from toolkit.errors import DataDirError


META = "meta.yaml"
# Files not keyed by utterance.
SPEAKER_FILES = ("spk2utt", "spk2gender")
RECORDING_FILES = ("reco2dur", "reco2file_and_channel")
EMPTY_VALUE_OK = ("text",)


def parse_line(line: str) -> tuple[str, str]:
    """Split one ``key value`` line (value may contain spaces; may be empty)."""
    line = line.rstrip("\r\n")
    parts = line.split(None, 1)
    if not parts:
        return "", ""
    key = parts[0]
    value = parts[1].rstrip("\r") if len(parts) > 1 else ""
    return key, value


def read_kv(path: str | Path, allow_empty: bool | None = None) -> dict[str, str]:
    """Read a ``key value`` file into an insertion-ordered dict.

    Raises:
        DataDirError: missing file, not UTF-8, blank line, key without value, duplicate key.
    """
    path = Path(path)
    if allow_empty is None:
        allow_empty = path.name in EMPTY_VALUE_OK
    out: dict[str, str] = {}
    for n, line in enumerate(read_lines(path), 1):
        key, value = parse_line(line)
        if not key:
            raise DataDirError(f"{path} line {n}: blank line; remove it")
        if not value and not allow_empty:
            raise DataDirError(f"{path} line {n}: key '{key}' has no value")
        if key in out:
            raise DataDirError(f"{path} line {n}: duplicate key '{key}'")
        out[key] = value
    return out


def check_key(key: str, where: str) -> None:
    """Keys are non-empty and contain no whitespace or control characters."""
    if not key or any(c.isspace() or ord(c) < 32 for c in key):
        raise DataDirError(f"{where}: key {key!r} is empty or contains whitespace; "
                           "keys must be single tokens")


def format_kv(mapping: dict[str, Any], where: str = "") -> str:
    """``key value`` lines sorted in byte order (C locale)."""
    lines = []
    for key in sorted(mapping):
        check_key(key, where or "data")
        value = str(mapping[key])
        if "\n" in value or "\r" in value:
            raise DataDirError(f"{where}: value of '{key}' contains a line break")
        lines.append(f"{key} {value}" if value else key)
    return "\n".join(lines) + ("\n" if lines else "")


def write_kv(path: str | Path, mapping: dict[str, Any]) -> None:
    """Write a sorted ``key value`` file atomically."""
    from toolkit.fsutil import atomic_write_text

    atomic_write_text(path, format_kv(mapping, str(path)))


def read_meta(path: str | Path) -> dict[str, Any]:
    """Read ``meta.yaml`` of a data directory ({} when absent).

    Raises:
        UserError: not UTF-8, not valid YAML or a key given twice (one line naming
            the file), or not a mapping.
    """
    from toolkit.config import load_yaml_text
    from toolkit.data.text import decode_text

    meta = Path(path) / META
    if not meta.is_file():
        return {}
    data = load_yaml_text(decode_text(meta.read_bytes(), meta), meta) or {}
    if not isinstance(data, dict):
        raise DataDirError(f"{meta}: expected a mapping of keys to values")
    return data


def write_meta(path: str | Path, meta: dict[str, Any]) -> None:
    """Write ``meta.yaml`` atomically."""
    import yaml

    from toolkit.fsutil import atomic_write_text

    atomic_write_text(Path(path) / META, yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))


def spk2utt(utt2spk: dict[str, str]) -> dict[str, str]:
    """Invert ``utt2spk`` (utterances in sorted order)."""
    out: dict[str, list[str]] = {}
    for utt in sorted(utt2spk):
        out.setdefault(utt2spk[utt], []).append(utt)
    return {spk: " ".join(utts) for spk, utts in out.items()}


class DataDir:
    """A data directory on disk, read lazily and cached.

    Args:
        path: the folder.

    Raises:
        DataDirError: the folder does not exist.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_dir():
            what = "is not a directory" if self.path.exists() else "does not exist"
            raise DataDirError(f"data directory {self.path} {what}")
        self._cache: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        return f"DataDir({str(self.path)!r})"

    @property
    def has_segments(self) -> bool:
        return (self.path / "segments").is_file()

    def files(self) -> list[str]:
        """All ``key value`` files (everything but meta.yaml, hidden files, folders)."""
        return sorted(p.name for p in self.path.iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.name != META
                      and not p.name.endswith((".tmp", ".md", ".json", ".png")))

    def roles(self) -> list[str]:
        """Files keyed by utterance."""
        skip = set(SPEAKER_FILES)
        if self.has_segments:
            skip |= {"wav.scp", *RECORDING_FILES}
        return [f for f in self.files() if f not in skip]

    def has(self, role: str) -> bool:
        return (self.path / role).is_file()

    def read(self, role: str) -> dict[str, str]:
        """The mapping of one file (cached)."""
        if role not in self._cache:
            if not self.has(role):
                raise DataDirError(f"{self.path} has no '{role}' file")
            self._cache[role] = read_kv(self.path / role)
        return self._cache[role]

    @property
    def meta(self) -> dict[str, Any]:
        if "__meta__" not in self._cache:
            self._cache["__meta__"] = read_meta(self.path)  # type: ignore[assignment]
        return self._cache["__meta__"]  # type: ignore[return-value]

    @property
    def sample_rate(self) -> int | None:
        """``sample_rate`` of meta.yaml (None when absent).

        Raises:
            DataDirError: not a positive whole number of Hz.
        """
        sr = self.meta.get("sample_rate")
        if sr is None:
            return None
        if isinstance(sr, str) and sr.strip().isdigit():
            sr = int(sr)  # sample_rate: "16000"
        if isinstance(sr, bool) or not isinstance(sr, int | float) or sr <= 0 or sr != int(sr):
            raise DataDirError(f"{self.path / META}: sample_rate {sr!r} is not a positive "
                               "whole number of Hz (e.g. sample_rate: 16000)")
        return int(sr)

    def keys(self) -> list[str]:
        """Sorted utterance keys (from ``segments``, ``wav.scp`` or the first role)."""
        if self.has_segments:
            return sorted(self.read("segments"))
        roles = self.roles()
        if not roles:
            raise DataDirError(f"{self.path} holds no key-value files")
        primary = "wav.scp" if "wav.scp" in roles else roles[0]
        return sorted(self.read(primary))

    def __len__(self) -> int:
        return len(self.keys())

    def primary(self) -> str:
        """The file whose keys are the utterances: segments, wav.scp or the first role."""
        if self.has_segments:
            return "segments"
        roles = self.roles()
        return "wav.scp" if "wav.scp" in roles else (roles[0] if roles else "wav.scp")

    def key_mismatches(self) -> list[str]:
        """One message per per-utterance file whose key set differs from the primary's."""
        keys = set(self.keys())
        ref = self.primary()
        out = []
        for role in self.roles():
            other = set(self.read(role))
            if other != keys:
                missing, extra = sorted(keys - other), sorted(other - keys)
                what = (f"{len(missing)} key(s) missing, first '{missing[0]}'" if missing
                        else f"{len(extra)} extra key(s), first '{extra[0]}'")
                out.append(f"{self.path / role}: keys differ from {ref}: {what}")
        return out

    def check_consistent(self) -> None:
        """Refuse a directory whose per-utterance files hold different key sets.

        Operations that split or join directories call it first, so that they never
        write outputs whose files disagree.

        Raises:
            DataDirError: the first file that disagrees, and how (run ``data validate``).
        """
        problems = self.key_mismatches()
        if problems:
            more = f" (and {len(problems) - 1} more file(s))" if len(problems) > 1 else ""
            raise DataDirError(f"{problems[0]}{more}; fix it first (sptk-cli data validate "
                               f"{self.path})")

    def entry(self, key: str) -> dict[str, str]:
        """All values of one utterance: {role: value} for the roles that have it."""
        return {r: self.read(r)[key] for r in self.roles() if key in self.read(r)}

    def audio_spec(self, key: str, role: str = "wav.scp") -> tuple[str, float, float | None]:
        """(path, offset seconds, duration seconds or None) of one utterance's audio."""
        if role == "wav.scp" and self.has_segments:
            reco, start, end = self.read("segments")[key].split()[:3]
            t0, t1 = float(start), float(end)
            return self.read("wav.scp")[reco], t0, (t1 - t0) if t1 > 0 else None
        return self.read(role)[key], 0.0, None


def write_datadir(path: str | Path, files: dict[str, dict[str, Any]], meta: dict[str, Any],
                  overwrite: bool = False, in_place: bool = False) -> Path:
    """Write a complete data directory atomically, ending with the ``.done`` marker.

    Args:
        path: destination folder.
        files: {file name: {key: value}}; ``spk2utt`` is derived from ``utt2spk``.
        meta: contents of ``meta.yaml`` (``created_by`` is added when missing).
        overwrite: replace a finished directory.
        in_place: write into ``path`` itself instead of a temporary folder that is
            renamed. Use it when ``path`` already holds payload the files point to
            (audio a corpus builder wrote under ``path/audio``): the old marker is
            removed first, every key-value file is written atomically, stale ones
            are deleted, and the marker comes last, so an interrupted run is never
            taken for a finished one.
    """
    from toolkit.fsutil import DONE, atomic_dir, command_line, is_done, mark_done

    meta = dict(meta)
    meta.setdefault("created_by", command_line())
    files = dict(files)
    if "utt2spk" in files and "spk2utt" not in files:
        files["spk2utt"] = spk2utt({k: str(v) for k, v in files["utt2spk"].items()})
    if not in_place:
        with atomic_dir(path, overwrite=overwrite) as tmp:
            for name, mapping in files.items():
                write_kv(tmp / name, mapping)
            write_meta(tmp, meta)
        return Path(path)
    path = Path(path)
    if is_done(path) and not overwrite:
        raise DataDirError(f"{path} is already complete (has {DONE}); pass --overwrite to redo it")
    path.mkdir(parents=True, exist_ok=True)
    (path / DONE).unlink(missing_ok=True)
    if path.is_dir():
        for stale in DataDir(path).files():
            if stale not in files:
                (path / stale).unlink()
    for name, mapping in files.items():
        write_kv(path / name, mapping)
    write_meta(path, meta)
    mark_done(path)
    return path
