"""Fixtures for the corpus tests: the CLI in a subprocess, skips for absent packages.

Tests request ``asterisk``, ``tuxpaint``, ``ktuberling`` or ``espeak_lib`` to be
skipped (with the apt-get line) where that Debian package is absent, and ``cli``
to run ``python -m toolkit`` in a child process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sound_helpers import make_speech_dir

from tests.conftest import ROOT, cli_env
from tests.conftest import run_cli as _run_cli


def run_cli(*args: str, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m toolkit ARGS`` in the repository; fails the test unless ``check=False``."""
    return _run_cli(*args, cwd=ROOT, check=check, env=cli_env(**(env or {})))


def require(folder: str, package: str) -> None:
    """Skip the test when a Debian package's folder is absent."""
    if not Path(folder).exists():
        pytest.skip(f"Debian package {package} is not installed "
                    f"(apt-get install {package}, or tools/install.sh)")


def require_asterisk() -> None:
    require("/usr/share/asterisk/sounds", "asterisk-core-sounds-en-g722")
    require("/usr/share/doc/asterisk-core-sounds-en", "asterisk-core-sounds-en")
    pytest.importorskip("G722", reason="PyPI g722 (module G722) decodes the asterisk prompts")


def require_tuxpaint() -> None:
    require("/usr/share/tuxpaint/stamps", "tuxpaint-stamps-default")


def require_ktuberling() -> None:
    require("/usr/share/ktuberling/sounds", "ktuberling-data")


def require_espeak() -> None:
    try:
        from toolkit.text.espeak import espeak

        espeak()
    except Exception as e:  # the library or its data is missing
        pytest.skip(f"libespeak-ng unavailable: {e}")


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def asterisk():
    require_asterisk()


@pytest.fixture
def tuxpaint():
    require_tuxpaint()


@pytest.fixture
def ktuberling():
    require_ktuberling()


@pytest.fixture
def espeak_lib():
    require_espeak()


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory) -> Path:
    """A tiny speech data directory (wav.scp, utt2spk, text) at 16 kHz."""
    return make_speech_dir(tmp_path_factory.mktemp("speech"))
