"""AECMOS through onnxruntime with the speechmos models (../shared copy: a cross-check)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED
from toolkit.errors import UserError

SHARED_MODEL = SHARED / "models" / "aecmos"
needs_shared = pytest.mark.skipif(not (SHARED_MODEL / "Run_1663915512_Stage_0.onnx").is_file(),
                                  reason=f"no cross-check: {SHARED_MODEL} (../shared) is absent")


def speechlike(seed: int, n: int = 16000 * 4) -> np.ndarray:
    """Noise with a syllable-rate envelope (AECMOS expects speech-like signals)."""
    rng = np.random.default_rng(seed)
    env = np.repeat(rng.random(n // 1600 + 1) > 0.4, 1600)[:n]
    return (0.1 * rng.standard_normal(n) * env).astype(np.float32)


def test_echo_mos_prefers_removed_echo():
    from toolkit.metrics.aecmos import AecMos

    mos = AecMos()  # no path: the models of the speechmos wheel
    assert mos.with_scenario
    far = speechlike(0)
    echo = np.roll(far, 2000) * 0.3
    kept, _ = mos.score(far, echo, echo, "fest")
    removed, other = mos.score(far, echo, 1e-5 * speechlike(1), "fest")
    assert 1.0 <= kept < removed <= 5.0 and removed - kept > 1.0
    assert 1.0 <= other <= 5.5


@needs_shared
def test_speechmos_model_scores_as_the_shared_copy():
    from toolkit.metrics.aecmos import AecMos

    far, near = speechlike(0), speechlike(2)
    mic = np.roll(far, 800) * 0.3 + near
    ours = AecMos().score(far, mic, near * 0.9, "dt")
    assert ours == pytest.approx(AecMos(SHARED_MODEL).score(far, mic, near * 0.9, "dt"), abs=1e-6)


def test_plain_model_and_bad_paths(tmp_path):
    from toolkit.metrics.aecmos import PLAIN_MODEL, AecMos
    from toolkit.metrics.mos_models import speechmos_models

    plain = AecMos(speechmos_models("aecmos_models") / PLAIN_MODEL)
    assert not plain.with_scenario
    far = speechlike(0)
    assert len(plain.score(far, far, far, "dt")) == 2
    with pytest.raises(UserError, match="neither"):
        AecMos(tmp_path)
    with pytest.raises(UserError, match="scenario"):
        plain.score(far, far, far, "talk")
