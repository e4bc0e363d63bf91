"""Per-frame delay tracks: text form, the simulated truth, hit rates around a jump."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import write_wav
from toolkit.aec import delay_track as dt
from toolkit.aec.score import score_keys
from toolkit.data.datadir import write_datadir
from toolkit.errors import DataDirError

FRAMES = 400  # 4 s


def test_a_track_survives_its_text_form():
    track = np.r_[np.full(150, 0.12), np.full(250, 0.25)]
    text = dt.encode(track)
    assert text == "0.00:0.1200 1.50:0.2500"
    assert np.array_equal(dt.decode(text, FRAMES), track)
    with pytest.raises(ValueError, match="start_s:delay_s"):
        dt.decode("0.00 0.12", FRAMES)


def test_the_true_track_jumps_where_the_simulator_says():
    track = dt.true_track(FRAMES, 0.2, "ser=5.0 delay_jump=-0.150@2.00")
    assert track[199] == pytest.approx(0.2) and track[200] == pytest.approx(0.05)
    assert dt.true_track(FRAMES, 0.1, "delay_jump=-0.300@1.00")[-1] == 0.0
    assert np.all(dt.true_track(FRAMES, 0.1, "ser=5.0") == 0.1)


def test_hit_rates_see_a_slow_start_and_a_missed_jump():
    far = np.random.default_rng(0).standard_normal(FRAMES * 160)
    true = dt.true_track(FRAMES, 0.1, "delay_jump=+0.200@2.00")
    perfect = dt.track_metrics(true, true, far, 2.0)
    assert perfect == {"delay_hit": 1.0, "delay_hit_start": 1.0, "delay_hit_after_jump": 1.0,
                       "delay_hit_settled": 1.0}
    # right from 0.5 s on, never follows the jump. Echo starts at frame 10 (0.1 s):
    # of its first 100 frames, 10..49 miss and 50..109 hit; nothing after the jump hits
    stuck = np.r_[np.zeros(50), np.full(FRAMES - 50, 0.1)]
    m = dt.track_metrics(stuck, true, far, 2.0)
    assert m["delay_hit_start"] == pytest.approx(60 / 100)
    assert m["delay_hit_after_jump"] == 0.0
    assert 0.0 < m["delay_hit_settled"] < 1.0
    # no far end: no echo frames, nothing to score
    assert dt.track_metrics(true, true, np.zeros(FRAMES * 160), 2.0) == {}


def test_align_cruse_track_holds_through_far_end_silence():
    dist = np.zeros((300, 50))
    dist[:100, 12] = dist[100:, 3] = 1.0
    far = np.ones(300 * 160)
    far[100 * 160:200 * 160] = 0.0  # silent: the peaks there (3) are not believed
    track = dt.track_from_distribution(dist, far)
    assert np.allclose(track[:200], 0.12) and np.allclose(track[200:], 0.03)


def test_the_scorer_reports_track_hit_rates_and_names_a_bad_track(tmp_path):
    wav = str(write_wav(tmp_path / "a" / "u.wav", 4.0, seed=1))
    ref = str(write_wav(tmp_path / "a" / "u_ref.wav", 4.0, seed=2))
    write_datadir(tmp_path / "ref", {
        "wav.scp": {"u": wav}, "ref.scp": {"u": ref}, "utt2scenario": {"u": "fest"},
        "utt2delay": {"u": "0.10000"}, "utt2info": {"u": "delay_jump=+0.200@2.00"}},
        {"sample_rate": 16000})
    track = dt.encode(dt.true_track(FRAMES, 0.1, ""))  # misses the jump
    write_datadir(tmp_path / "hyp", {"wav.scp": {"u": wav}, "utt2delay_track": {"u": track}},
                  {"sample_rate": 16000})
    r = score_keys(tmp_path / "ref", tmp_path / "hyp", ["u"], aecmos_model="none")["u"]
    assert r["delay_hit_start"] == 1.0 and r["delay_hit_after_jump"] == 0.0
    write_datadir(tmp_path / "bad", {"wav.scp": {"u": wav}, "utt2delay_track": {"u": "x"}},
                  {"sample_rate": 16000})
    with pytest.raises(DataDirError, match="bad/utt2delay_track .*'u'"):
        score_keys(tmp_path / "ref", tmp_path / "bad", ["u"], aecmos_model="none")
