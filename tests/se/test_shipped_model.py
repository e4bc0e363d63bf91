"""The shipped enhancer never inverts polarity and leaves clean speech (nearly) alone."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.data.audio import load_mono
from toolkit.metrics.signal import si_sdr
from toolkit.se.infer import enhance_array
from toolkit.train.packing import default_model_dir, load_model_dir

pysptk_util = pytest.importorskip("pysptk.util")


@pytest.fixture(scope="module")
def shipped():
    return load_model_dir(default_model_dir("se"))[2]


@pytest.fixture(scope="module")
def speech():
    """A real recorded sentence (CMU ARCTIC a0007, bundled with pysptk), 16 kHz, -26 dBFS."""
    x, _ = load_mono(pysptk_util.example_audio_file(), 16000)
    return (x * 0.05 / np.sqrt(np.mean(x ** 2))).astype(np.float32)


def test_output_is_never_polarity_inverted(shipped, speech):
    rng = np.random.default_rng(0)
    for snr in (None, 20.0, 5.0, 0.0):
        noise = np.zeros_like(speech) if snr is None else rng.standard_normal(len(speech))
        if snr is not None:
            noise *= np.sqrt(np.mean(speech ** 2) / np.mean(noise ** 2)) / 10 ** (snr / 20)
        out, _ = enhance_array(shipped, (speech + noise).astype(np.float32))
        assert np.corrcoef(out, speech)[0, 1] > 0.5, snr


def test_clean_and_30_db_inputs_are_not_damaged(shipped, speech):
    out, _ = enhance_array(shipped, speech)
    assert si_sdr(out, speech) > 30.0  # clean in: at most a faint change
    level = np.sqrt(np.mean(out ** 2)) / np.sqrt(np.mean(speech ** 2))
    assert 0.8 < level < 1.25  # level kept within 2 dB
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(len(speech)).astype(np.float32)
    noise *= np.sqrt(np.mean(speech ** 2) / np.mean(noise ** 2)) / 10 ** (30 / 20)
    noisy = speech + noise
    out, _ = enhance_array(shipped, noisy)
    assert si_sdr(out, speech) >= si_sdr(noisy, speech) - 0.5
