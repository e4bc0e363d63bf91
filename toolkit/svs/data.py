"""svs training data: random patches of stems with augmentation that multiplies the data.

Data roles: ``wav.scp`` (mixture), ``vocals.scp``, ``accomp.scp`` (the stems;
needed for training and scoring), ``utt2spk`` (singer), ``utt2song``. Stage 2
(``sptk-cli svs dump``) stores each clip's stems resampled to the model rate as
``.npy`` (``stems.scp``), which training memory-maps.

A training item is a random patch (``features.patch_frames`` frames, about 12 s)
of one clip, augmented on the fly (every item differs every epoch):

- remixing across songs: with probability ``data.remix_prob`` the vocals of this
  clip meet the accompaniment of a random clip, each at its own random offset;
- pitch and tempo shift by resampling (cheap; pitch and tempo move together): with
  probability ``data.shift_prob`` per source, by up to ``shift_semitones`` (vocals)
  or ``accomp_shift_semitones`` (accompaniment); without a remix one factor moves
  both stems, so that the song stays in time and in tune;
- a random gain per source (``data.gain_db``).

Channel swap does not apply: the model sees a mono downmix and the stems are
stored mono, and a swap leaves a downmix unchanged. Clips shorter than a patch
are zero-padded. The mixture of an item is the sum of its (scaled) stems; both
the mixture and the targets are divided by the mixture patch's maximum magnitude
(the paper's "normalised to [0, 1]").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.stft import stft
from toolkit.errors import DataDirError
from toolkit.svs.config import SpecConfig, SVSConfig


def load_stems(d: DataDir, key: str, spec: SpecConfig) -> np.ndarray:
    """(2, samples) vocals and accompaniment at the model rate (stems.scp or the audio)."""
    if d.has("stems.scp"):
        return np.load(d.read("stems.scp")[key], mmap_mode="r")
    for role in ("vocals.scp", "accomp.scp"):
        if not d.has(role):
            raise DataDirError(f"{d.path} has no {role}: training and scoring need the stems "
                               "(vocals.scp, accomp.scp)")
    v = load_mono(d.read("vocals.scp")[key], spec.sample_rate)[0]
    a = load_mono(d.read("accomp.scp")[key], spec.sample_rate)[0]
    n = min(len(v), len(a))
    return np.stack([v[:n], a[:n]])


def _segment(x: np.ndarray, start: int, n: int) -> np.ndarray:
    seg = np.asarray(x[start: start + n], dtype=np.float32)
    return np.pad(seg, (0, n - len(seg))) if len(seg) < n else seg


def random_segment(x: np.ndarray, n: int, rng: np.random.Generator,
                   rate: float = 1.0) -> np.ndarray:
    """``n`` samples ``(..., n)`` from a random offset of ``x`` ``(..., samples)``, resampled.

    ``rate > 1`` reads ``rate * n`` samples and plays them in ``n`` (pitch and
    tempo up by ``rate``); linear interpolation, cheap enough for every item.
    """
    span = int(np.ceil(n * rate)) + 1
    start = int(rng.integers(0, max(x.shape[-1] - span, 0) + 1))
    seg = np.asarray(x[..., start: start + span], dtype=np.float32)
    seg = np.pad(seg, [(0, 0)] * (seg.ndim - 1) + [(0, span - seg.shape[-1])])
    if rate == 1.0:
        return seg[..., :n]
    pos = np.arange(n) * rate
    rows = [np.interp(pos, np.arange(span), r).astype(np.float32) for r in seg.reshape(-1, span)]
    return np.stack(rows).reshape(*seg.shape[:-1], n)


class SVSDataset:
    """Items ``{"mix": (freq_bins, patch_frames), "target": (2, freq_bins, patch_frames)}``.

    Args:
        data_dir: a data directory with ``stems.scp`` (or the stems' audio).
        cfg: the task config (``features``, ``data``, ``trainer.seed``).
        train: random augmented patches (``data.patches_per_clip`` per clip) or, for
            validation, the first patch of each clip as it is.
    """

    def __init__(self, data_dir: Path, cfg: SVSConfig, train: bool):
        self.dir = DataDir(data_dir)
        self.cfg, self.train = cfg, train
        self.keys = self.dir.keys()
        self.cache: dict[int, np.ndarray] = {}
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys) * (self.cfg.data.patches_per_clip if self.train else 1)

    def stems(self, c: int) -> np.ndarray:
        if c not in self.cache:
            self.cache[c] = load_stems(self.dir, self.keys[c], self.cfg.features)
        return self.cache[c]

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        spec, dc = self.cfg.features, self.cfg.data
        n = spec.patch_samples
        c = i % len(self.keys)
        x = self.stems(c)
        if not self.train:
            v, a = _segment(x[0], 0, n), _segment(x[1], 0, n)
        else:
            rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i])
            rates = [2 ** (rng.uniform(-m, m) / 12) if rng.random() < dc.shift_prob else 1.0
                     for m in (dc.shift_semitones, dc.accomp_shift_semitones)]
            if rng.random() < dc.remix_prob and len(self.keys) > 1:
                other = self.stems(int(rng.integers(0, len(self.keys))))
                v = random_segment(x[0], n, rng, rates[0])
                a = random_segment(other[1], n, rng, rates[1])
            elif rates == [1.0, 1.0]:
                start = int(rng.integers(0, max(x.shape[1] - n, 0) + 1))
                v, a = _segment(x[0], start, n), _segment(x[1], start, n)
            else:  # one shift for both: the song stays in time and in tune
                v, a = random_segment(x, n, rng, rates[0])
            gains = 10 ** (rng.uniform(dc.gain_db[0], dc.gain_db[1], 2) / 20)
            v, a = v * gains[0], a * gains[1]
        z = stft(torch.from_numpy(np.stack([v, a]).astype(np.float32)), spec.n_fft,
                 spec.hop_length)[:, : spec.freq_bins]
        mix = (z[0] + z[1]).abs()  # the STFT is linear: the mixture's without a third one
        scale = mix.max().clamp_min(1e-8)
        return {"mix": mix / scale, "target": z.abs() / scale}
