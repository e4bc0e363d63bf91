"""Atomic outputs and .done markers."""

from __future__ import annotations

import pytest

from toolkit.errors import UserError
from toolkit.fsutil import DONE, atomic_dir, atomic_file, is_done, skip_if_done


def test_atomic_dir_failure_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "out") as tmp:
        (tmp / "half").write_text("x")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_marks_done_and_protects(tmp_path):
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "f").write_text("1")
    assert is_done(tmp_path / "out") and (tmp_path / "out" / DONE).read_text().strip()
    with pytest.raises(UserError, match="--overwrite"), atomic_dir(tmp_path / "out"):
        pass
    assert skip_if_done(tmp_path / "out", overwrite=False)
    with atomic_dir(tmp_path / "out", overwrite=True) as tmp:
        (tmp / "g").write_text("2")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [DONE, "g"]


def test_atomic_file_keeps_old_content_on_failure(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_file(target) as tmp:
        tmp.write_text("new but broken")
        raise ValueError
    assert target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1
    with atomic_file(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


def _full(*args, **kwargs):
    import errno
    import os

    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_names_the_output_and_leaves_nothing(tmp_path, monkeypatch):
    from pathlib import Path

    from toolkit.errors import WriteError
    from toolkit.fsutil import atomic_write_text

    monkeypatch.setattr(Path, "write_text", _full)
    with pytest.raises(WriteError) as e:
        atomic_write_text(tmp_path / "out.txt", "x")
    assert str(e.value).startswith(f"no space left on device while writing {tmp_path / 'out.txt'}")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(WriteError, match=f"while writing {tmp_path / 'd'};"):
        with atomic_dir(tmp_path / "d") as tmp:
            (tmp / "f").write_text("x")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_in_soundfile_and_torch_writers(tmp_path, monkeypatch):
    import numpy as np
    import soundfile
    import torch

    from toolkit.data.audio import save_audio
    from toolkit.errors import WriteError
    from toolkit.train.checkpoint import save_checkpoint

    monkeypatch.setattr(soundfile, "write", _full)
    with pytest.raises(WriteError, match="no space left on device while writing .*a.wav"):
        save_audio(tmp_path / "a.wav", np.zeros(100), 16000)
    monkeypatch.setattr(torch, "save", _full)
    with pytest.raises(WriteError, match="no space left on device while writing .*last.pt"):
        save_checkpoint({"x": 1}, tmp_path / "last.pt")
    assert list(tmp_path.iterdir()) == []


def test_read_only_output_folder(tmp_path, monkeypatch):
    import errno
    import os

    from toolkit.errors import WriteError
    from toolkit.fsutil import atomic_write_text

    def denied(*args, **kwargs):
        raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / ".x.tmp"))

    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(WriteError, match=f"cannot write {tmp_path / 'x.txt'}: read-only"):
        atomic_write_text(tmp_path / "x.txt", "x")


def test_cli_prints_one_line_for_a_full_disk(tmp_path, monkeypatch, capsys):
    import errno

    from toolkit.cli.app import os_error_line

    line = os_error_line(OSError(errno.ENOSPC, "No space left on device", "/x/scalars.log"))
    assert line == "no space left on device while writing /x/scalars.log"
    line = os_error_line(OSError(errno.EROFS, "Read-only file system", "/ro/f"))
    assert line == "cannot write /ro/f: read-only file system; choose another output folder"


def test_exclusive_lock_refuses_a_second_holder(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import cli_env
    from toolkit.fsutil import exclusive_lock

    code = ("import sys; from toolkit.fsutil import exclusive_lock\n"
            "with exclusive_lock(sys.argv[1], 'busy {pid}'): pass")
    args = [sys.executable, "-c", code, str(tmp_path / "l.lock")]
    with exclusive_lock(tmp_path / "l.lock", "busy {pid}"):
        proc = subprocess.run(args, capture_output=True, text=True, env=cli_env())
        assert proc.returncode != 0 and f"UserError: busy {os.getpid()}" in proc.stderr
    proc = subprocess.run(args, capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 0, proc.stderr
