"""Flat-start monophone HMM forced aligner (HTK/Kaldi style, in numpy).

Model: one 3-state left-to-right HMM per phone of each language (``fr:a`` and
``es:a`` are different phones; ``sil`` is shared), a mixture of ``mixtures``
diagonal Gaussians per state, a self-loop probability per state. Features: 13
MFCCs with deltas and delta-deltas (39 dims), 25 ms windows every
``frame_shift_ms`` (5 ms: the frame rate of the vocoder, so phone durations in
frames are the acoustic model's), mean and variance normalised per utterance.

Training (:func:`train_aligner`): flat start (every utterance cut into equal
parts, one per state of its label sequence), then ``iterations`` Viterbi
passes, each re-estimating the Gaussians and transitions from the best
alignment (hard EM, as HTK's HInit/HRest or Kaldi's align-equal + gmm-est).
With ``mixtures`` > 1 every Gaussian is then split in two (means moved by
+-0.2 standard deviations, HTK's HHEd MU) and re-estimated for ``mixup_passes``
passes, until each state has ``mixtures`` components; within a state each
aligned frame goes to its most likely component (hard assignment, like the
state alignment: from a split at +-0.2 standard deviations, posterior sharing
separates two modes only after many passes).
Pause slots (``sil`` at the start, between phrases and at the end of the label
sequence, :func:`toolkit.tts.frontend.label_sequence`) are optional: Viterbi
may skip them, and a skipped pause gets duration 0.

An utterance does not align when it has fewer frames than its label sequence
has states, or when its log-likelihood per frame lies more than ``reject_z``
robust standard deviations below the median of the set; such utterances are
reported, skipped and counted (:class:`AlignResult`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import librosa
import numpy as np

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file
from toolkit.text.phonemize import strip_stress
from toolkit.tts.frontend import SIL

log = logging.getLogger(__name__)


@dataclass
class AlignConfig:
    """Aligner settings (the ``align`` section of the tts config)."""

    sample_rate: int = 16000
    frame_shift_ms: float = 5.0
    window_ms: float = 25.0
    n_mfcc: int = 13
    states: int = 3
    iterations: int = 8
    mixtures: int = 1
    mixup_passes: int = 2
    max_train_utts: int = 2000
    var_floor: float = 0.01
    reject_z: float = 5.0


def mfcc_features(wave: np.ndarray, conf: AlignConfig) -> np.ndarray:
    """``(frames, 39)`` MFCC + deltas + delta-deltas, normalised per utterance.

    Frame t is centred at ``t * frame_shift``: the WORLD frame grid.
    """
    hop = int(round(conf.sample_rate * conf.frame_shift_ms / 1000))
    win = int(round(conf.sample_rate * conf.window_ms / 1000))
    m = librosa.feature.mfcc(y=np.asarray(wave, np.float32), sr=conf.sample_rate,
                             n_mfcc=conf.n_mfcc, n_fft=512 if win <= 512 else 2 * win,
                             win_length=win, hop_length=hop, n_mels=40, center=True)
    width = min(9, m.shape[1] - (1 - m.shape[1] % 2)) if m.shape[1] >= 3 else 0
    d1 = librosa.feature.delta(m, width=width) if width >= 3 else np.zeros_like(m)
    d2 = librosa.feature.delta(m, order=2, width=width) if width >= 3 else np.zeros_like(m)
    x = np.concatenate([m, d1, d2]).T
    return ((x - x.mean(0)) / (x.std(0) + 1e-5)).astype(np.float64)


@dataclass
class HmmSet:
    """Monophone HMMs.

    ``means`` / ``vars`` ``(phones, states, mixtures, dim)``, mixture ``weights``
    ``(phones, states, mixtures)``, self-loop probabilities ``loop`` ``(phones, states)``.
    ``(phones, states, dim)`` means (one Gaussian per state, the files written before
    mixtures) are read as one component.
    """

    phones: list[str]
    means: np.ndarray
    vars: np.ndarray
    loop: np.ndarray
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.means.ndim == 3:
            self.means, self.vars = self.means[:, :, None], self.vars[:, :, None]
        if self.weights is None:
            self.weights = np.full(self.means.shape[:3], 1.0 / self.means.shape[2])

    def index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.phones)}

    def save(self, path) -> None:
        with atomic_file(path, suffix=".npz") as tmp:
            np.savez(tmp, phones=np.array(self.phones), means=self.means, vars=self.vars,
                     loop=self.loop, weights=self.weights)

    @classmethod
    def load(cls, path) -> HmmSet:
        try:
            d = np.load(path)
            weights = d["weights"] if "weights" in d.files else None
            return cls(list(d["phones"]), d["means"], d["vars"], d["loop"], weights)
        except (OSError, KeyError, ValueError) as e:
            raise UserError(f"{path} is not an aligner model ({e})") from None

    def split(self) -> None:
        """Double the components of every state (means +-0.2 standard deviations)."""
        step = 0.2 * np.sqrt(self.vars)
        self.means = np.concatenate([self.means - step, self.means + step], 2)
        self.vars = np.concatenate([self.vars, self.vars], 2)
        self.weights = np.concatenate([self.weights, self.weights], 2) / 2


def model_names(labels: list[str], lang: str) -> list[str]:
    """HMM names of a label sequence: ``lang:phone`` (stress removed), ``sil`` shared."""
    return [SIL if p == SIL else f"{lang}:{strip_stress(p)}" for p in labels]


@dataclass
class _Graph:
    model: np.ndarray  # (S,) phone index of each state
    state: np.ndarray  # (S,) state index within its phone
    item: np.ndarray   # (S,) label item of each state
    skip: np.ndarray   # (S,) a state one may also enter from (-1: none)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    min_frames: int = 0  # every state of every non-optional item once


def build_graph(names: list[str], index: dict[str, int], n_states: int) -> _Graph:
    """Linear state graph of a label sequence whose ``sil`` items may be skipped."""
    s = len(names) * n_states
    model = np.repeat([index[n] for n in names], n_states)
    state = np.tile(np.arange(n_states), len(names))
    item = np.repeat(np.arange(len(names)), n_states)
    skip = np.full(s, -1)
    optional = [n == SIL for n in names]
    for k in range(2, len(names)):
        if optional[k - 1]:
            skip[k * n_states] = (k - 1) * n_states - 1
    starts = [0] + ([n_states] if optional[0] and len(names) > 1 else [])
    ends = [s - 1] + ([s - 1 - n_states] if optional[-1] and len(names) > 1 else [])
    n_required = len(names) - (sum(optional) if len(names) > 1 else 0)
    return _Graph(model, state, item, skip, starts, ends, n_required * n_states)


def _component_ll(x: np.ndarray, mu: np.ndarray, var: np.ndarray,
                  weights: np.ndarray) -> np.ndarray:
    """``(frames, states, mix)`` weighted component log-likelihoods of ``mu (states, mix, dim)``."""
    s, m, d = mu.shape
    mu, prec = mu.reshape(s * m, d), 1.0 / var.reshape(s * m, d)
    const = -0.5 * (np.log(2 * np.pi / prec).sum(1) + (mu * mu * prec).sum(1))
    ll = -0.5 * (x * x) @ prec.T + x @ (mu * prec).T + const
    return ll.reshape(len(x), s, m) + np.log(np.maximum(weights, 1e-10))


def log_likelihoods(x: np.ndarray, hmm: HmmSet, g: _Graph) -> np.ndarray:
    """``(frames, states)`` mixture log-likelihoods of the graph's states."""
    idx = (g.model, g.state)
    ll = _component_ll(x, hmm.means[idx], hmm.vars[idx], hmm.weights[idx])
    top = ll.max(2)
    return top + np.log(np.exp(ll - top[..., None]).sum(2))


def viterbi(ll: np.ndarray, g: _Graph, loop: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Best state per frame ``(frames,)`` and its log-likelihood; None when impossible."""
    t_len, s = ll.shape
    if t_len < g.min_frames:
        return None
    lp_loop = np.log(np.clip(loop[g.model, g.state], 1e-3, 1 - 1e-3))
    lp_next = np.log(np.clip(1 - loop[g.model, g.state], 1e-3, 1 - 1e-3))
    neg = -1e30
    delta = np.full(s, neg)
    delta[g.starts] = ll[0, g.starts]
    back = np.zeros((t_len, s), np.int8)
    has_skip = g.skip >= 0
    skip_src = np.where(has_skip, g.skip, 0)
    for t in range(1, t_len):
        stay = delta + lp_loop
        move = np.full(s, neg)
        move[1:] = delta[:-1] + lp_next[:-1]
        jump = np.where(has_skip, delta[skip_src] + lp_next[skip_src], neg)
        best = np.maximum(stay, np.maximum(move, jump))
        back[t] = np.where(best == stay, 0, np.where(best == move, 1, 2))
        delta = best + ll[t]
    end = max(g.ends, key=lambda e: delta[e])
    if delta[end] <= neg / 2:
        return None
    path = np.empty(t_len, np.int64)
    j = end
    for t in range(t_len - 1, -1, -1):
        path[t] = j
        b = back[t, j]
        j = j if b == 0 else j - 1 if b == 1 else skip_src[j]
    return path, float(delta[end])


def durations_from_path(path: np.ndarray, g: _Graph, n_items: int) -> np.ndarray:
    """Frames per label item ``(n_items,)`` (0 for skipped pauses)."""
    return np.bincount(g.item[path], minlength=n_items)


def _estimate(stats: dict, hmm: HmmSet, floor: np.ndarray) -> None:
    occ, s1, s2, loops = stats["occ"], stats["s1"], stats["s2"], stats["loops"]
    seen = occ > 1e-3
    mean = s1 / np.maximum(occ, 1e-3)[..., None]
    var = s2 / np.maximum(occ, 1e-3)[..., None] - mean ** 2
    hmm.means[seen] = mean[seen]
    hmm.vars[seen] = np.maximum(var[seen], floor)
    state_occ = occ.sum(2)
    hmm.weights = np.where(state_occ[..., None] > 0, occ / np.maximum(state_occ, 1e-3)[..., None],
                           hmm.weights)
    hit = state_occ > 0
    hmm.loop[hit] = np.clip(loops[hit] / state_occ[hit], 0.05, 0.95)


def _accumulate(stats: dict, x: np.ndarray, path: np.ndarray, g: _Graph, hmm: HmmSet) -> None:
    """Add the frames of one aligned utterance, each to the best component of its state."""
    m, s = g.model[path], g.state[path]
    post = np.ones((len(x), 1))  # (frames, mix): 1 for the best component, 0 elsewhere
    if hmm.means.shape[2] > 1:
        var = hmm.vars[m, s]  # (frames, mix, dim)
        ll = -0.5 * (((x[:, None] - hmm.means[m, s]) ** 2 / var).sum(2)
                     + np.log(2 * np.pi * var).sum(2)) + np.log(np.maximum(hmm.weights[m, s],
                                                                           1e-10))
        post = (ll == ll.max(1, keepdims=True)).astype(float)
        post /= post.sum(1, keepdims=True)
    np.add.at(stats["occ"], (m, s), post)
    np.add.at(stats["s1"], (m, s), post[..., None] * x[:, None])
    np.add.at(stats["s2"], (m, s), post[..., None] * (x * x)[:, None])
    same = np.concatenate([path[1:] == path[:-1], [False]])
    np.add.at(stats["loops"], (m, s), same.astype(float))


def _new_stats(hmm: HmmSet) -> dict:
    p, s, k, d = hmm.means.shape
    return {"occ": np.zeros((p, s, k)), "s1": np.zeros((p, s, k, d)),
            "s2": np.zeros((p, s, k, d)), "loops": np.zeros((p, s))}


def backoff(name: str, index: dict[str, int]) -> str:
    """A trained model for ``name``: itself, else the same IPA phone of another language."""
    if name in index:
        return name
    phone = name.split(":", 1)[-1]
    return next((n for n in index if n.split(":", 1)[-1] == phone), name)


def train_aligner(utts: list[tuple[np.ndarray, list[str]]], conf: AlignConfig) -> HmmSet:
    """Flat-start training on ``[(mfcc (frames, 39), model names), ...]`` (module doc)."""
    phones = sorted({n for _, names in utts for n in names})
    x_all = np.concatenate([x for x, _ in utts])
    gmean, gvar = x_all.mean(0), x_all.var(0)
    floor = conf.var_floor * gvar
    p, s = len(phones), conf.states
    hmm = HmmSet(phones, np.tile(gmean, (p, s, 1)), np.tile(gvar, (p, s, 1)), np.full((p, s), 0.6))
    index = hmm.index()
    graphs = [build_graph(names, index, s) for _, names in utts]
    stats = _new_stats(hmm)
    for (x, _), g in zip(utts, graphs, strict=True):  # flat start: equal alignment
        n = len(g.model)
        if len(x) >= n:
            _accumulate(stats, x, (np.arange(len(x)) * n // len(x)).astype(np.int64), g, hmm)
    _estimate(stats, hmm, floor)
    passes, n_pass = _schedule(conf), 0
    for split in passes:
        if split:
            hmm.split()
        n_pass += 1
        stats, total, frames, failed = _new_stats(hmm), 0.0, 0, 0
        for (x, _), g in zip(utts, graphs, strict=True):
            res = viterbi(log_likelihoods(x, hmm, g), g, hmm.loop)
            if res is None:
                failed += 1
                continue
            _accumulate(stats, x, res[0], g, hmm)
            total, frames = total + res[1], frames + len(x)
        _estimate(stats, hmm, floor)
        log.info("aligner pass %d/%d (%d Gaussian(s) per state): log-likelihood per frame "
                 "%.3f (%d utterances, %d failed)", n_pass, len(passes), hmm.means.shape[2],
                 total / max(frames, 1), len(utts) - failed, failed)
    return hmm


def _schedule(conf: AlignConfig) -> list[bool]:
    """One entry per Viterbi pass: whether the Gaussians are split before it."""
    if conf.mixtures < 1 or conf.mixtures & (conf.mixtures - 1):
        raise UserError(f"align.mixtures {conf.mixtures}: use a power of two (1, 2, 4, 8)")
    passes = [False] * conf.iterations
    for _ in range(int(np.log2(conf.mixtures))):
        passes += [True] + [False] * (max(conf.mixup_passes, 1) - 1)
    return passes


@dataclass
class AlignResult:
    """Durations (frames per label item) of the aligned utterances, and the rejected ones."""

    durations: dict[str, np.ndarray]
    score: dict[str, float]
    rejected: dict[str, str]


def align_utterances(utts: dict[str, tuple[np.ndarray, list[str]]], hmm: HmmSet,
                     conf: AlignConfig) -> AlignResult:
    """Align ``{key: (mfcc, model names)}``; reject what cannot align (module doc)."""
    index = hmm.index()
    durations, score, rejected = {}, {}, {}
    for key, (x, names) in utts.items():
        names = [backoff(n, index) for n in names]
        unknown = sorted({n for n in names if n not in index})
        if unknown:
            rejected[key] = f"phones the aligner was not trained on: {' '.join(unknown[:5])}"
            continue
        g = build_graph(names, index, conf.states)
        res = viterbi(log_likelihoods(x, hmm, g), g, hmm.loop)
        if res is None:
            rejected[key] = f"{len(x)} frames are too few for {len(names)} labels"
            continue
        durations[key] = durations_from_path(res[0], g, len(names))
        score[key] = res[1] / len(x)
    if len(score) >= 5:
        vals = np.array(list(score.values()))
        med = np.median(vals)
        mad = 1.4826 * np.median(np.abs(vals - med)) + 1e-6
        for key in [k for k, v in score.items() if v < med - conf.reject_z * mad]:
            rejected[key] = (f"log-likelihood per frame {score[key]:.2f} is far below the "
                             f"median {med:.2f}: the transcript probably does not match")
            durations.pop(key)
    return AlignResult(durations, score, rejected)
