"""AECMOS through onnxruntime (skips when ../shared/models/aecmos is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED
from toolkit.errors import UserError

MODEL = SHARED / "models" / "aecmos"
needs_model = pytest.mark.skipif(not (MODEL / "Run_1663915512_Stage_0.onnx").is_file(),
                                 reason=f"AECMOS model not found in {MODEL}")


def speechlike(seed: int, n: int = 16000 * 4) -> np.ndarray:
    """Noise with a syllable-rate envelope (AECMOS expects speech-like signals)."""
    rng = np.random.default_rng(seed)
    env = np.repeat(rng.random(n // 1600 + 1) > 0.4, 1600)[:n]
    return (0.1 * rng.standard_normal(n) * env).astype(np.float32)


@needs_model
def test_echo_mos_prefers_removed_echo():
    from toolkit.metrics.aecmos import AecMos

    mos = AecMos(MODEL)
    assert mos.with_scenario
    far = speechlike(0)
    echo = np.roll(far, 2000) * 0.3
    kept, _ = mos.score(far, echo, echo, "fest")
    removed, other = mos.score(far, echo, 1e-5 * speechlike(1), "fest")
    assert 1.0 <= kept < removed <= 5.0 and removed - kept > 1.0
    assert 1.0 <= other <= 5.5


@needs_model
def test_plain_model_and_bad_paths(tmp_path):
    from toolkit.metrics.aecmos import PLAIN_MODEL, AecMos

    plain = AecMos(MODEL / PLAIN_MODEL)
    assert not plain.with_scenario
    far = speechlike(0)
    assert len(plain.score(far, far, far, "dt")) == 2
    with pytest.raises(UserError, match="neither"):
        AecMos(tmp_path)
    with pytest.raises(UserError, match="scenario"):
        plain.score(far, far, far, "talk")
