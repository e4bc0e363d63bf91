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
    grid = next((tmp_path / "ali" / "align" / "textgrid").glob("*.TextGrid")).read_text()
    assert 'class = "IntervalTier"' in grid
    ctm = (tmp_path / "ali" / "align" / "phones.ctm").read_text().splitlines()
    assert len(ctm[0].split()) == 5
    again = align_datadir(tmp_path / "lab", tmp_path / "ali2", AlignConfig(),
                          model=tmp_path / "aligner.npz")
    assert again["aligned"] == 16
