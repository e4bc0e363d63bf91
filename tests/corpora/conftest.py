"""Fixtures for the corpus tests: the CLI in a subprocess, skips for absent packages.

Tests request ``asterisk``, ``tuxpaint``, ``ktuberling`` or ``espeak_lib`` to be
skipped (with the apt-get line) where that Debian package is absent, and ``cli``
to run ``python -m toolkit`` in a child process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m toolkit ARGS`` with the repository on PYTHONPATH."""
    child = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True,
                          text=True, env=child, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"sptk-cli {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stderr[-3000:]}")
    return proc


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
