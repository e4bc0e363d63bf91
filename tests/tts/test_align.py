"""Forced aligner: graph with optional pauses, Viterbi, training on espeak-ng speech."""

from __future__ import annotations

import numpy as np

from toolkit.tts.align import (
    AlignConfig,
    HmmSet,
    align_utterances,
    build_graph,
    durations_from_path,
    viterbi,
)
from toolkit.tts.frontend import SIL


def toy_hmm() -> HmmSet:
    """1-dim features: sil at 0, phone a at +5, phone b at -5."""
    means = np.array([[[0.0]] * 3, [[5.0]] * 3, [[-5.0]] * 3])
    return HmmSet([SIL, "x:a", "x:b"], means, np.ones((3, 3, 1)), np.full((3, 3), 0.5))


def test_viterbi_skips_unspoken_pauses():
    hmm = toy_hmm()
    x = np.array([5.0] * 6 + [-5.0] * 6 + [0.0] * 4)[:, None]  # no leading pause, no mid pause
    names = [SIL, "x:a", SIL, "x:b", SIL]
    res = align_utterances({"u": (x, names)}, hmm, AlignConfig())
    assert res.durations["u"].tolist() == [0, 6, 0, 6, 4]


def test_graph_minimum_frames_and_rejection():
    hmm = toy_hmm()
    g = build_graph([SIL, "x:a", "x:b", SIL], hmm.index(), 3)
    assert g.min_frames == 6
    assert viterbi(np.zeros((5, len(g.model))), g, hmm.loop) is None
    res = align_utterances({"short": (np.zeros((4, 1)), [SIL, "x:a", "x:b", SIL])}, hmm,
                           AlignConfig())
    assert "short" in res.rejected and not res.durations
    path, _ = viterbi(np.zeros((8, len(g.model))), g, hmm.loop)
    assert durations_from_path(path, g, 4).sum() == 8


def test_aligner_on_espeak_speech(espeak_corpus, tmp_path):
    """Flat start on 16 utterances of espeak-ng speech: boundaries mostly within 50 ms."""
    from toolkit.tts.labels import add_labels, align_datadir, score_boundaries

    add_labels(espeak_corpus, tmp_path / "lab", {"en": "en-us"})
    stats = align_datadir(tmp_path / "lab", tmp_path / "ali", AlignConfig(iterations=4),
                          save_model=tmp_path / "aligner.npz")
    assert stats["aligned"] == 16 and stats["rejected"] == 0
    scores = score_boundaries(espeak_corpus, tmp_path / "ali")
    assert scores["utterances"] >= 12
    assert scores["within_50ms"] > 0.6 and scores["within_10ms"] < scores["within_20ms"]
    assert abs(scores["mean_signed_ms"]) < scores["mean_abs_ms"]  # errors of both signs
    assert -60 < scores["onset_signed_ms"] < 60 and -60 < scores["offset_signed_ms"] < 60
    grid = next((tmp_path / "ali" / "align" / "textgrid").glob("*.TextGrid")).read_text()
    assert 'class = "IntervalTier"' in grid
    ctm = (tmp_path / "ali" / "align" / "phones.ctm").read_text().splitlines()
    assert len(ctm[0].split()) == 5
    again = align_datadir(tmp_path / "lab", tmp_path / "ali2", AlignConfig(),
                          model=tmp_path / "aligner.npz")
    assert again["aligned"] == 16


def test_mixtures_fit_a_two_mode_phone(tmp_path):
    """A phone spoken two ways: split Gaussians model it better than one, boundaries kept."""
    from toolkit.tts.align import train_aligner

    rng = np.random.default_rng(0)
    utts = []
    for i in range(20):
        a = rng.normal(30.0 if i % 2 else 20.0, 0.3, (12, 1))  # "a": two pronunciations
        b = rng.normal(-10.0, 0.3, (12, 1))
        sil = rng.normal(0.0, 0.3, (6, 1))
        utts.append((np.concatenate([sil, a, b, sil]), [SIL, "x:a", "x:b", SIL]))
    one = train_aligner(utts, AlignConfig(states=1, iterations=4))
    two = train_aligner(utts, AlignConfig(states=1, iterations=4, mixtures=2, mixup_passes=2))
    assert one.means.shape[2] == 1 and two.means.shape[2] == 2
    np.testing.assert_allclose(two.weights.sum(2), 1.0, atol=1e-6)
    a = two.index()["x:a"]
    assert sorted(np.round(two.means[a, 0, :, 0]).tolist()) == [20.0, 30.0]  # the two modes

    def score(hmm):
        res = align_utterances(dict(enumerate(utts)), hmm, AlignConfig(states=1))
        assert all(d.tolist() == [6, 12, 12, 6] for d in res.durations.values())
        return np.mean(list(res.score.values()))

    assert score(two) > score(one) + 0.2  # about 1 nat per frame of "a", a third of them
    two.save(tmp_path / "m.npz")
    back = HmmSet.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.weights, two.weights)


def test_single_gaussian_files_and_bad_mixtures(tmp_path):
    """Aligner files written before mixtures load as one component; 3 mixtures is refused."""
    import pytest

    from toolkit.errors import UserError
    from toolkit.tts.align import train_aligner

    hmm = toy_hmm()
    np.savez(tmp_path / "old.npz", phones=np.array(hmm.phones), means=hmm.means[:, :, 0],
             vars=hmm.vars[:, :, 0], loop=hmm.loop)
    old = HmmSet.load(tmp_path / "old.npz")
    assert old.means.shape == (3, 3, 1, 1) and old.weights.shape == (3, 3, 1)
    x = np.array([5.0] * 6 + [-5.0] * 6)[:, None]
    res = align_utterances({"u": (x, ["x:a", "x:b"])}, old, AlignConfig())
    assert res.durations["u"].tolist() == [6, 6]
    with pytest.raises(UserError, match="align.mixtures 3"):
        train_aligner([(x, ["x:a", "x:b"])], AlignConfig(mixtures=3))
