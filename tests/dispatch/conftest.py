"""Fixtures for the dispatch tests."""

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty folder to run jobs in."""
    path = tmp_path / "work"
    path.mkdir()
    return path
