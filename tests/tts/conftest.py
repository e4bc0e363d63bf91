"""Fixtures of the tts tests: skips for absent espeak-ng, a small espeak-ng corpus."""

from __future__ import annotations

import ctypes.util
from pathlib import Path

import pytest


def espeak_available() -> bool:
    if ctypes.util.find_library("espeak-ng"):
        return True
    try:
        import espeakng_loader  # noqa: F401
    except ImportError:
        return False
    return True


needs_espeak = pytest.mark.skipif(not espeak_available(), reason="libespeak-ng is not "
                                  "installed (apt-get install espeak-ng libespeak-ng1)")


@pytest.fixture(scope="session")
def espeak_corpus(tmp_path_factory) -> Path:
    """English espeak-ng speech with exact phone times: 8 sentences x 2 voices.

    Built in a fresh process: libespeak-ng keeps state between calls, so speech made
    after other tests used it in this process can differ (FIELD_NOTES).
    """
    if not espeak_available():
        pytest.skip("libespeak-ng is not installed (apt-get install espeak-ng libespeak-ng1)")
    from tests.conftest import run_cli
    from toolkit.text.synthesize import read_sentences

    root = tmp_path_factory.mktemp("espeak")
    sentences = root / "sentences.txt"
    sentences.write_text("\n".join(read_sentences(None, "en")[:8]) + "\n", encoding="utf-8")
    out = root / "en"
    run_cli("corpus", "espeak", "--out", out, "--lang", "en-us", "--sentences", sentences,
            "--voices", "+m1,+f3", check=True)
    return out
