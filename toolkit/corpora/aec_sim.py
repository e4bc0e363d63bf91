"""Simulated echo-cancellation corpus: far end, near end, rooms, loudspeaker, noise, delays.

Built from the offline pools (:mod:`toolkit.corpora.debian.speech_pool`,
:mod:`toolkit.corpora.sounds.noise`, :mod:`toolkit.corpora.sounds.rooms`), the way the AEC
Challenge synthetic set is made. One example (:func:`simulate`):

- far end: clips of one speaker concatenated to the clip length, at a random
  level (``far_dbfs``); near end: clips of another speaker (usually another
  language), starting at a random offset so double talk has single-talk parts;
- echo: the far end through a loudspeaker nonlinearity (with probability
  ``nonlinear_prob``: hard clipping, tanh or the asymmetric sigmoid of
  :mod:`toolkit.dsp.echo`), a device delay (fractional, uniform in ``delay``
  seconds, or in ``long_delay`` with probability ``long_delay_prob``) and a
  room impulse response, which changes in the middle of the clip with
  probability ``path_change_prob`` (echo-path change);
- near end through another room's response (probability ``near_rir_prob``);
- signal-to-echo ratio uniform in ``ser`` dB and, with probability
  ``noise_prob``, a noise of the pool at an SNR uniform in ``snr`` dB, both
  relative to the near-end speech level (also in far-end single talk, where the
  near end is then removed, so echo levels do not depend on the scenario);
- scenario drawn from ``scenarios``: ``fest`` far-end single talk, ``nest``
  near-end single talk (the far end is a -100 dBFS noise floor), ``dt`` double talk.

The true delay written to ``utt2delay`` is the device delay plus the position
of the echo path's strongest tap (the direct sound). Training draws a fresh
example per item and epoch (:class:`OnlineAecSet` in the task); the fixed sets
(valid, test: general, LD-M 0.3-0.5 s, LD-H 0.5-1.0 s) are written to disk
by :func:`build_aec_set` in the AEC Challenge roles: ``wav.scp`` (mic),
``ref.scp`` (far end), ``speech.scp`` (near end at the mic, the target),
``echo.scp``, ``noise.scp``, ``utt2delay``, ``utt2scenario``, ``utt2info``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from toolkit.data.datadir import DataDir
from toolkit.dsp.echo import apply_nonlinearity, simulate_echo
from toolkit.dsp.mix import clip_guard, gain_for_ratio, rms
from toolkit.errors import UserError

log = logging.getLogger(__name__)
SR = 16000


@dataclass
class AecSimConfig:
    """Random parameters of one simulated example (ranges are ``[lo, hi]``, uniform)."""

    duration: float = 6.0
    delay: list[float] = field(default_factory=lambda: [0.0, 0.3])
    long_delay: list[float] = field(default_factory=lambda: [0.3, 1.0])
    long_delay_prob: float = 0.0
    scenarios: dict[str, float] = field(default_factory=lambda: {"fest": 0.35, "dt": 0.5,
                                                                 "nest": 0.15})
    path_change_prob: float = 0.1
    ser: list[float] = field(default_factory=lambda: [-10.0, 10.0])
    snr: list[float] = field(default_factory=lambda: [5.0, 40.0])
    noise_prob: float = 0.7
    nonlinear_prob: float = 0.5
    far_dbfs: list[float] = field(default_factory=lambda: [-35.0, -15.0])
    near_rir_prob: float = 0.7


@lru_cache(maxsize=4096)
def _load(path: str) -> np.ndarray:
    from toolkit.data.audio import load_mono

    return load_mono(path, SR)[0].astype(np.float64)


class AecPools:
    """Speech, noise and RIR data directories the simulation draws from.

    Args:
        speech: data directory with ``wav.scp`` and ``utt2spk`` (``utt2lang`` optional).
        noise: data directory with ``wav.scp`` (or None: no noise).
        rir: data directory with ``wav.scp`` of impulse responses.
        held_out: speakers of the valid/test sets.
        part: ``train`` uses the speakers not held out and 4 of every 5 noise clips,
            ``test`` the held-out speakers and the 5th noise clips, ``all`` everything.
    """

    def __init__(self, speech: str | Path, noise: str | Path | None, rir: str | Path,
                 held_out: list[str] | None = None, part: str = "all"):
        sd = DataDir(speech)
        if not sd.has("utt2spk"):
            raise UserError(f"{speech} has no utt2spk; the far and near ends need speakers")
        self.speech = sd.read("wav.scp")
        held = set(held_out or [])
        by_spk: dict[str, list[str]] = {}
        for key, spk in sorted(sd.read("utt2spk").items()):
            if part == "all" or (spk in held) == (part == "test"):
                by_spk.setdefault(spk, []).append(key)
        self.speakers = sorted(by_spk)
        if len(self.speakers) < 2:
            raise UserError(f"{speech} holds {len(self.speakers)} speaker(s); the far and near "
                            "ends need at least 2")
        self.by_spk = by_spk
        noises = sorted(DataDir(noise).read("wav.scp").values()) if noise else []
        if part != "all":
            noises = [p for i, p in enumerate(noises) if (i % 5 == 4) == (part == "test")]
        self.noise = noises
        self.rirs = sorted(DataDir(rir).read("wav.scp").values())
        if not self.rirs:
            raise UserError(f"{rir} holds no impulse responses")

    def talk(self, rng: np.random.Generator, speaker: str, n: int) -> np.ndarray:
        """Clips of ``speaker`` joined with 0-0.3 s pauses until ``n`` samples."""
        keys = self.by_spk[speaker]
        parts, total = [], 0
        while total < n:
            x = _load(self.speech[keys[int(rng.integers(len(keys)))]])
            gap = np.zeros(int(rng.uniform(0, 0.3) * SR))
            parts += [x, gap]
            total += len(x) + len(gap)
        return np.concatenate(parts)[:n]

    def rir(self, rng: np.random.Generator) -> np.ndarray:
        return _load(self.rirs[int(rng.integers(len(self.rirs)))])


def _uniform(rng: np.random.Generator, lo_hi: list[float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _loudspeaker(rng: np.random.Generator, x: np.ndarray) -> tuple[np.ndarray, str]:
    """A random memoryless loudspeaker curve, output at the input's RMS."""
    name = ("hard_clip", "tanh", "asymmetric_sigmoid")[int(rng.integers(3))]
    peak = float(np.max(np.abs(x))) + 1e-9
    if name == "hard_clip":
        y = apply_nonlinearity(x, name, threshold=peak * rng.uniform(0.2, 0.8))
    elif name == "tanh":
        y = apply_nonlinearity(x / peak, name, drive=rng.uniform(1.0, 4.0))
    else:
        y = apply_nonlinearity(x / peak, name)
    return y * (rms(x) / (rms(y) + 1e-12)), name


def simulate(rng: np.random.Generator, pools: AecPools, conf: AecSimConfig) -> dict:
    """One example; arrays are float32 ``(samples,)``.

    Returns:
        ``{"mic", "far", "near", "echo", "noise", "delay" (s), "scenario", "info"}``.
    """
    n = int(conf.duration * SR)
    names = sorted(conf.scenarios)
    p = np.array([conf.scenarios[k] for k in names], dtype=float)
    scenario = names[int(rng.choice(len(names), p=p / p.sum()))]
    far_spk, near_spk = rng.choice(len(pools.speakers), 2, replace=False)
    far = pools.talk(rng, pools.speakers[far_spk], n)
    far *= 10 ** (_uniform(rng, conf.far_dbfs) / 20) / (rms(far) + 1e-12)
    start = int(rng.uniform(0, 0.3) * n) if scenario == "dt" else 0
    near = np.zeros(n)
    near[start:] = pools.talk(rng, pools.speakers[near_spk], n - start)
    if rng.random() < conf.near_rir_prob:
        from toolkit.dsp.echo import convolve

        near = convolve(near, pools.rir(rng))
    long = rng.random() < conf.long_delay_prob
    device = _uniform(rng, conf.long_delay if long else conf.delay) * SR
    nl_name = "none"
    played = far
    if rng.random() < conf.nonlinear_prob:
        played, nl_name = _loudspeaker(rng, far)
    rir = pools.rir(rng)
    change = rng.random() < conf.path_change_prob
    if change:
        at = int(rng.uniform(0.3, 0.7) * n)
        echo = simulate_echo(played, rir, device, rir_after=pools.rir(rng), change_at=at)
    else:
        echo = simulate_echo(played, rir, device)
    ser = _uniform(rng, conf.ser)
    echo = echo * gain_for_ratio(near, echo, ser)
    noise = np.zeros(n)
    snr = None
    if pools.noise and rng.random() < conf.noise_prob:
        from toolkit.dsp.mix import fit_length

        clip = _load(pools.noise[int(rng.integers(len(pools.noise)))])
        if rms(clip) > 1e-6:
            snr = _uniform(rng, conf.snr)
            noise = fit_length(clip, n, rng)
            noise = noise * gain_for_ratio(near, noise, snr)
    if scenario == "fest":
        near = np.zeros(n)
    elif scenario == "nest":
        echo = np.zeros(n)
        far = rng.standard_normal(n) * 1e-5
    mic = near + echo + noise
    (mic, near, echo, noise), _ = clip_guard([mic, near, echo, noise], 0.99)
    (far,), _ = clip_guard([far], 0.99)  # the reference's own level does not change the echo
    delay = (device + float(np.argmax(np.abs(rir)))) / SR
    info = (f"ser={ser:.1f} snr={'none' if snr is None else f'{snr:.1f}'} nl={nl_name} "
            f"path_change={int(change)} device_delay={device / SR:.4f}")
    f32 = np.float32
    return {"mic": mic.astype(f32), "far": far.astype(f32), "near": near.astype(f32),
            "echo": echo.astype(f32), "noise": noise.astype(f32), "delay": delay,
            "scenario": scenario, "info": info}


def build_aec_set(out: str | Path, pools: AecPools, conf: AecSimConfig, n: int, seed: int,
                  prefix: str = "sim", overwrite: bool = False) -> Path:
    """Write ``n`` fixed examples as a data directory holding its audio (see the module doc)."""
    from toolkit.corpora.sounds.soundpool import item_rng
    from toolkit.data.audio import save_audio
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import DONE, skip_if_done

    out = Path(out)
    if skip_if_done(out, overwrite):
        return out
    (out / DONE).unlink(missing_ok=True)
    audio = out / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    roles = {"mic": "wav.scp", "far": "ref.scp", "near": "speech.scp", "echo": "echo.scp",
             "noise": "noise.scp"}
    files: dict[str, dict[str, str]] = {r: {} for r in roles.values()}
    files.update(utt2delay={}, utt2scenario={}, utt2info={}, utt2dur={})
    for i in range(n):
        key = f"{prefix}{i:05d}"
        ex = simulate(item_rng(seed, i), pools, conf)
        for part, role in roles.items():
            path = audio / f"{key}_{part}.wav"
            save_audio(path, ex[part], SR, subtype="FLOAT")
            files[role][key] = str(path.resolve())
        files["utt2delay"][key] = f"{ex['delay']:.5f}"
        files["utt2scenario"][key] = ex["scenario"]
        files["utt2info"][key] = ex["info"]
        files["utt2dur"][key] = f"{conf.duration:.3f}"
    from toolkit.config import to_dict

    write_datadir(out, files, {"sample_rate": SR, "task": "aec", "seed": seed,
                               "simulation": to_dict(conf)}, overwrite=True, in_place=True)
    log.info("%s: %d simulated examples", out, n)
    return out
