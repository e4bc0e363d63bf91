"""Check a data directory against a task's roles (``sptk-cli data validate``).

Checks, each reported as one line naming the file (and line or key):
keys sorted in byte order and free of whitespace, no duplicates, identical key
sets in every per-utterance file, the task's required files present, audio
files readable with the sample rate of ``meta.yaml`` (header check by default,
a full decode with ``check_audio="full"``), ``segments`` pointing at known
recordings with ``0 <= start < end``, ``spk2utt`` consistent with ``utt2spk``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from toolkit.data.datadir import DataDir, check_key, parse_line, spk2utt
from toolkit.data.text import read_lines
from toolkit.errors import DataDirError, UserError
from toolkit.data.roles import AUDIO_ROLES, role_spec

MAX_REPORTED = 20


@dataclass
class Report:
    """Result of :func:`validate_datadir`."""

    path: Path
    problems: list[str] = field(default_factory=list)
    utterances: int = 0
    files: list[str] = field(default_factory=list)
    hours: float | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, message: str) -> None:
        self.problems.append(message)


def _check_file_order(path: Path, report: Report) -> None:
    """Byte-order sorting and key syntax, line by line."""
    previous = None
    for n, line in enumerate(read_lines(path), 1):
        key, _ = parse_line(line)
        if not key:
            continue
        try:
            check_key(key, f"{path} line {n}")
        except DataDirError as e:
            report.add(str(e))
        if previous is not None and key.encode() < previous.encode():
            report.add(f"{path} line {n}: key '{key}' is out of order (after '{previous}'); "
                       "sort the file with LC_ALL=C sort")
            return
        previous = key


def _check_audio(d: DataDir, role: str, keys: list[str], mode: str, report: Report) -> float:
    from toolkit.data.audio import audio_info, load_audio
    from toolkit.errors import AudioError

    expected = d.sample_rate
    seconds = 0.0
    table = d.read(role)
    bad = 0
    for key in keys:
        spec = table[key]
        try:
            if mode == "full":
                x, sr = load_audio(spec)
                frames = x.shape[1]
            else:
                info = audio_info(spec)
                sr, frames = info.sample_rate, info.frames
            if frames == 0:
                raise AudioError(f"{spec}: empty audio (0 samples)")
            if expected is not None and sr != expected:
                raise AudioError(f"{spec}: sample rate {sr} Hz, meta.yaml says {expected} Hz")
            seconds += frames / sr
        except AudioError as e:
            bad += 1
            if bad <= MAX_REPORTED:
                report.add(f"{d.path / role}: key '{key}': {e}")
    if bad > MAX_REPORTED:
        report.add(f"{d.path / role}: {bad - MAX_REPORTED} more unreadable audio entries")
    return seconds


def validate_datadir(path: str | Path, task: str | None = None,
                     check_audio: Literal["none", "header", "full"] = "header") -> Report:
    """Validate a data directory; problems are collected, not raised.

    Args:
        path: the data directory.
        task: a task name of :mod:`toolkit.data.roles` (None: generic checks only);
            defaults to ``task`` in meta.yaml when that names a known task.
        check_audio: ``none``, ``header`` (open each file) or ``full`` (decode).

    Returns:
        A :class:`Report`; ``report.ok`` is True when nothing is wrong.
    """
    report = Report(Path(path))
    try:
        d = DataDir(path)
        files = d.files()
        report.files = files
        d.sample_rate  # noqa: B018 - a bad meta.yaml (YAML, sample_rate) is a problem too
        for name in files:
            _check_file_order(d.path / name, report)
        if report.problems:
            return report
        roles = d.roles()
        task = task or d.meta.get("task")
        if task is not None:
            try:
                spec = role_spec(task)
            except UserError as e:
                if "task" in d.meta and task == d.meta["task"]:
                    spec = None  # a task this toolkit does not know: generic checks only
                else:
                    raise DataDirError(str(e)) from None
            if spec is not None:
                for need in spec.required:
                    if need not in files:
                        report.add(f"{d.path}: missing '{need}', required for task '{task}' "
                                   f"({spec.description})")
        if not roles:
            report.add(f"{d.path}: no key-value files")
            return report
        keys = d.keys()
        report.utterances = len(keys)
        if not keys:
            report.add(f"{d.path / d.primary()}: holds no utterances (the file is empty)")
            return report
        for problem in d.key_mismatches():
            report.add(problem)
        if d.has_segments:
            recos = d.read("wav.scp") if d.has("wav.scp") else {}
            for key, value in d.read("segments").items():
                parts = value.split()
                try:
                    ok = len(parts) >= 3 and 0 <= float(parts[1]) and (
                        float(parts[2]) > float(parts[1]) or float(parts[2]) == -1)
                except ValueError:
                    ok = False
                if not ok:
                    report.add(f"{d.path / 'segments'}: '{key}': expected "
                               "'<recording> <start> <end>' with 0 <= start < end")
                elif parts[0] not in recos:
                    report.add(f"{d.path / 'segments'}: '{key}': recording '{parts[0]}' "
                               "is not in wav.scp")
        if d.has("utt2spk") and d.has("spk2utt"):
            if d.read("spk2utt") != spk2utt(d.read("utt2spk")):
                report.add(f"{d.path / 'spk2utt'}: does not match utt2spk; regenerate it")
        if check_audio != "none" and not report.problems:
            for role in roles:
                if role in AUDIO_ROLES and not (role == "wav.scp" and d.has_segments):
                    secs = _check_audio(d, role, keys, check_audio, report)
                    if role == "wav.scp":
                        report.hours = secs / 3600
            if d.has_segments and d.has("wav.scp"):
                recos = sorted(d.read("wav.scp"))
                secs = _check_audio(d, "wav.scp", recos, check_audio, report)
                report.hours = secs / 3600
    except UserError as e:
        report.add(str(e))
    return report
