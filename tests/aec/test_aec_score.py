"""Per-clip scoring of echo-cancellation outputs."""

from __future__ import annotations

import pytest

from tests.conftest import write_wav
from toolkit.aec.score import score_keys
from toolkit.data.datadir import write_datadir


def test_delay_error_left_out_where_the_delay_jumps(tmp_path):
    keys = ["steady", "jumps"]
    wav = {k: str(write_wav(tmp_path / "a" / f"{k}.wav", 1.0, seed=i)) for i, k in enumerate(keys)}
    ref = {k: str(write_wav(tmp_path / "a" / f"{k}_ref.wav", 1.0, seed=9)) for k in keys}
    write_datadir(tmp_path / "ref", {
        "wav.scp": wav, "ref.scp": ref, "utt2scenario": {k: "fest" for k in keys},
        "utt2delay": {k: "0.20000" for k in keys},
        "utt2info": {"steady": "ser=5.0 device_delay=0.2000",
                     "jumps": "ser=5.0 device_delay=0.2000 delay_jump=+0.100@0.50"}},
        {"sample_rate": 16000})
    write_datadir(tmp_path / "hyp", {"wav.scp": wav, "utt2delay_est": {k: "0.2500" for k in keys}},
                  {"sample_rate": 16000})
    r = score_keys(tmp_path / "ref", tmp_path / "hyp", keys, aecmos_model="none")
    assert r["steady"]["delay_err_ms"] == pytest.approx(50.0)
    assert "delay_err_ms" not in r["jumps"]
    assert r["jumps"]["erle"] == pytest.approx(0.0, abs=1e-6)
