"""Dynamic mixing: speech x noise x room x level drawn afresh for every training item.

The general enhancer (``toolkit/assets/se``) never sees the same mixture twice:
each item is a function of ``(seed, epoch, index)`` only, so an epoch is
reproducible and a resumed run draws exactly what an uninterrupted one would.

Sources, each split into train / valid / test so that nothing evaluated is
ever trained on:

- speech: a speech pool data directory (every language and talker of the
  offline pools); talkers in ``mix.valid_speakers`` / ``mix.test_speakers`` are
  held out whole (split by ``utt2spk``);
- noise: noise pool data directories (recorded Debian sounds of every type,
  music, procedural noises), split by the recording a clip was cut from
  (``utt2origin``; a stable hash of the file name, ``mix.noise_holdout``
  shared between valid and test), plus ESC-10/ESC-50 clips by fold
  (``mix.esc_train_folds`` / ``mix.esc_valid_folds`` / ``mix.esc_test_folds``);
- rooms: a RIR pool; with probability ``mix.p_reverb`` the speech is convolved
  with one (aligned on the direct path) and the reverberant speech is the
  target: the enhancer removes noise, not the room.

Per item: a speech crop, optionally reverberated; with probability
``mix.p_clean`` no noise at all (target = input: the model must pass clean
speech through); otherwise one noise (a second one with probability
``mix.p_second_noise``) at an SNR uniform in ``mix.snr`` (active speech level
against noise RMS); the mixture then gets an RMS level uniform in
``mix.level_dbfs`` with a clipping guard. ``noise`` is always ``noisy - speech``.
With probability ``mix.p_eq`` the speech is first given a random spectral shape
(:func:`random_eq`: a tilt and two peaks or dips), in the input and the target
alike: bright, dark and telephone-coloured talkers are speech too (the shipped
model removed 2-8 kHz from the brightest held-out words, RESULTS.md).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.mix import active_rms, reverberate, rms
from toolkit.errors import DataDirError, UserError
from toolkit.se.config import MixConfig

SPLITS = ("train", "valid", "test")
AUDIO_EXT = (".wav", ".flac", ".ogg")


def holdout_split(name: str, share: float) -> str:
    """``train`` / ``valid`` / ``test`` of a recording by a stable hash of its name."""
    u = (zlib.crc32(name.encode()) % 100000) / 100000
    return "valid" if u < share / 2 else "test" if u < share else "train"


def esc_fold(path: Path) -> int | None:
    """The fold of an ESC clip from its name ``<fold>-<id>-<take>[...]``."""
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else None


class MixSources:
    """The speech, noise and RIR lists of one split.

    Args:
        speech_dir: speech pool data directory.
        cfg: the ``mix`` section.
        split: train | valid | test.
        sample_rate: rate of every source (pools are 16 kHz; ESC clips are resampled).
    """

    def __init__(self, speech_dir: str | Path, cfg: MixConfig, split: str,
                 sample_rate: int = 16000):
        if split not in SPLITS:
            raise ValueError(f"split {split!r}")
        self.sr = sample_rate
        d = DataDir(speech_dir)
        spk = d.read("utt2spk") if d.has("utt2spk") else {}
        held = {"valid": set(cfg.valid_speakers), "test": set(cfg.test_speakers)}
        wav = d.read("wav.scp")

        def split_of(key: str) -> str:
            s = spk.get(key, key)
            return "valid" if s in held["valid"] else "test" if s in held["test"] else "train"

        self.speech = [wav[k] for k in sorted(wav) if split_of(k) == split]
        if not self.speech:
            raise DataDirError(f"{speech_dir} has no {split} talkers (mix.valid_speakers / "
                               "mix.test_speakers hold out whole talkers)")
        self.noise: list[str] = []
        for nd in cfg.noise:
            n = DataDir(nd)
            origin = n.read("utt2origin") if n.has("utt2origin") else {}
            label = n.read("label") if n.has("label") else {}
            for k, path in sorted(n.read("wav.scp").items()):
                if label.get(k) in cfg.noise_exclude:
                    continue
                rec = origin.get(k, k).split()[-1]
                if holdout_split(rec, cfg.noise_holdout) == split:
                    self.noise.append(path)
        self.esc: list[np.ndarray] = []
        if cfg.esc:
            folds = {"train": cfg.esc_train_folds, "valid": cfg.esc_valid_folds,
                     "test": cfg.esc_test_folds}[split]
            files = sorted(p for p in Path(cfg.esc).rglob("*")
                           if p.suffix.lower() in AUDIO_EXT and esc_fold(p) in folds)
            self.esc = [load_mono(p, sample_rate)[0].astype(np.float32) for p in files]
        if not self.noise and not self.esc:
            raise UserError(f"no {split} noise: give mix.noise pools or mix.esc folds")
        self.rirs: list[np.ndarray] = []
        if cfg.rirs:
            r = DataDir(cfg.rirs)
            keys = sorted(r.read("wav.scp"))
            mine = [k for k in keys if holdout_split(k, 0.2) == split]
            self.rirs = [load_mono(r.read("wav.scp")[k], sample_rate)[0].astype(np.float32)
                         for k in mine]


def _read_crop(path: str, n: int, rng: np.random.Generator, loop: bool) -> np.ndarray:
    """``n`` samples of a file: a random window, or the whole file placed/looped in ``n``."""
    info = sf.info(path)
    total = info.frames
    if total >= n:
        start = int(rng.integers(0, total - n + 1))
        x, _ = sf.read(path, start=start, stop=start + n, dtype="float32", always_2d=True)
        return x[:, 0]
    x, _ = sf.read(path, dtype="float32", always_2d=True)
    return _fit(x[:, 0], n, rng, loop)


def _fit(x: np.ndarray, n: int, rng: np.random.Generator, loop: bool) -> np.ndarray:
    """Crop or extend ``x`` to ``n`` samples (loop it, or place it at a random offset)."""
    if len(x) >= n:
        start = int(rng.integers(0, len(x) - n + 1))
        return x[start:start + n]
    if len(x) == 0:
        return np.zeros(n, np.float32)
    if loop:
        reps = int(np.ceil(n / len(x))) + 1
        start = int(rng.integers(0, len(x)))
        return np.tile(x, reps)[start:start + n]
    out = np.zeros(n, np.float32)
    start = int(rng.integers(0, n - len(x) + 1))
    out[start:start + len(x)] = x
    return out


def random_eq(x: np.ndarray, rng: np.random.Generator, peak_db: float,
              sample_rate: int = 16000) -> np.ndarray:
    """``x`` with a random smooth gain curve over log frequency, applied by FFT.

    The curve (dB): a tilt uniform in +-``peak_db``/3 per octave around 1 kHz (at most
    +-``peak_db`` at any frequency) plus two Gaussian bumps on a log-frequency axis,
    each at a centre log-uniform in 200-6000 Hz, 0.5-1.5 octaves wide, gain uniform in
    +-``peak_db``. The result keeps ``x``'s RMS.

    Args:
        x: ``(samples,)`` float.
        rng: the item's generator.
        peak_db: largest peak gain in dB.

    Returns:
        ``(samples,)`` float32, the same RMS as ``x``.
    """
    f = np.maximum(np.fft.rfftfreq(len(x), 1 / sample_rate), 20.0)
    octaves = np.log2(f / 1000.0)
    gain = np.clip(rng.uniform(-1, 1) * peak_db / 3 * octaves, -peak_db, peak_db)
    for _ in range(2):
        centre = np.log2(np.exp(rng.uniform(np.log(200.0), np.log(6000.0))) / 1000.0)
        width = rng.uniform(0.5, 1.5) / 2.355          # FWHM in octaves -> sigma
        gain = gain + rng.uniform(-peak_db, peak_db) * np.exp(
            -0.5 * ((octaves - centre) / width) ** 2)
    y = np.fft.irfft(np.fft.rfft(x) * 10 ** (gain / 20), n=len(x))
    return (y * (rms(x) / (rms(y) + 1e-12))).astype(np.float32)


class MixSimulator:
    """Draw one mixture from a split's sources (see the module doc)."""

    def __init__(self, sources: MixSources, cfg: MixConfig, segment: int):
        self.src, self.cfg, self.n = sources, cfg, segment

    def _noise(self, rng: np.random.Generator) -> np.ndarray:
        n_pool, n_esc = len(self.src.noise), len(self.src.esc)
        for _ in range(4):
            i = int(rng.integers(n_pool + n_esc))
            if i < n_pool:
                x = _read_crop(self.src.noise[i], self.n, rng, loop=True)
            else:
                x = _fit(self.src.esc[i - n_pool], self.n, rng, loop=True)
            if rms(x) > 1e-4:
                return x
        return x

    def _reverb(self, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return reverberate(s, self.src.rirs[int(rng.integers(len(self.src.rirs)))])

    def draw(self, rng: np.random.Generator, snr: float | None = None,
             speech: str | np.ndarray | None = None) -> dict[str, np.ndarray]:
        """One item ``{"noisy", "speech", "noise": (segment,) float32}``.

        Args:
            rng: the item's generator (every random choice comes from it).
            snr: a fixed SNR in dB (``inf``: clean input; no reverberation, no spectral
                shaping) instead of the configured draws (test sets at given conditions).
            speech: a fixed speech file (or its samples) instead of a random one.
        """
        c = self.cfg
        if isinstance(speech, np.ndarray):
            s = _fit(speech, self.n, rng, loop=False)
        else:
            path = speech or self.src.speech[int(rng.integers(len(self.src.speech)))]
            s = _read_crop(path, self.n, rng, loop=False)
        if snr is None and self.src.rirs and rng.random() < c.p_reverb:
            s = self._reverb(s, rng)
        if snr is None and c.p_eq > 0 and rng.random() < c.p_eq:
            s = random_eq(s, rng, c.eq_db)
        s_level = active_rms(s) + 1e-9
        clean = rng.random() < c.p_clean if snr is None else np.isinf(snr)
        if clean:
            noise = np.zeros_like(s)
        else:
            noise = self._noise(rng)
            if rng.random() < c.p_second_noise:
                extra = self._noise(rng)
                gain = 10 ** (rng.uniform(-10, 0) / 20) * rms(noise) / (rms(extra) + 1e-9)
                noise = noise + gain * extra
            snr = rng.uniform(*c.snr) if snr is None else snr
            noise = noise * (s_level / (rms(noise) + 1e-9) / 10 ** (snr / 20))
        mix = s + noise
        gain = 10 ** (rng.uniform(*c.level_dbfs) / 20) / (rms(mix) + 1e-9)
        peak = float(np.max(np.abs(mix))) * gain
        if peak > 0.99:
            gain *= 0.99 / peak
        s, mix = (s * gain).astype(np.float32), (mix * gain).astype(np.float32)
        return {"noisy": mix, "speech": s, "noise": mix - s}


class DynamicMixDataset:
    """Map-style dataset over drawn mixtures: item ``i`` of epoch ``e`` from ``(seed, e, i)``.

    Training sets draw anew every epoch (``set_epoch``); validation sets keep
    ``n_items`` fixed mixtures (epoch ignored). ``extra`` entries are added to every
    item as they are (the run's config for the training step).
    """

    def __init__(self, sim: MixSimulator, n_items: int, seed: int, train: bool,
                 extra: dict[str, Any] | None = None):
        self.sim, self.n_items, self.seed, self.train = sim, n_items, seed, train
        self.extra = extra or {}
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, i: int) -> dict[str, Any]:
        key = [self.seed, self.epoch, i] if self.train else [self.seed, 999_983, i]
        item = self.sim.draw(np.random.default_rng(key))
        return {**{k: torch.from_numpy(v) for k, v in item.items()}, **self.extra}
