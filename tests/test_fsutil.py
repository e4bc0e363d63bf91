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
