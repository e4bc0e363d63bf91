"""Fixtures of the corpus tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sound_helpers import make_speech_dir


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory) -> Path:
    """A tiny speech data directory (wav.scp, utt2spk, text) at 16 kHz."""
    return make_speech_dir(tmp_path_factory.mktemp("speech"))
