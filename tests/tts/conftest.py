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
    """English espeak-ng speech with exact phone times: 8 sentences x 2 voices."""
    if not espeak_available():
        pytest.skip("libespeak-ng is not installed (apt-get install espeak-ng libespeak-ng1)")
    from toolkit.text.synthesize import build_espeak_corpus, read_sentences

    out = tmp_path_factory.mktemp("espeak") / "en"
    build_espeak_corpus(out, "en-us", read_sentences(None, "en")[:8], ["+m1", "+f3"])
    return out
