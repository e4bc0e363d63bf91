"""Acoustic echo cancellation: CRUSE and Align-CRUSE (Indenbom et al., ICASSP 2023).

Data roles: ``wav.scp`` microphone, ``ref.scp`` far end (loopback),
``speech.scp`` near-end speech at the microphone (the training target), and
optionally ``utt2delay`` (true delay, s), ``utt2scenario`` (fest | dt | nest).

Training data come two ways:

- online synthesis (the paper's): a training directory written by
  ``sptk-cli aec online-set`` names a speech, a noise and a room pool in its
  ``meta.yaml`` (``online:``); every item of every epoch is a fresh example of
  :func:`toolkit.corpora.aec_sim.simulate` drawn from ``(seed, epoch, index)``
  (``data.items_per_epoch`` per epoch, ``data.segment`` seconds);
- a fixed directory with ``speech.scp`` (the simulated valid set, or the AEC
  Challenge synthetic set through :mod:`toolkit.corpora.external.aec_challenge`), cut
  into random ``data.segment``-second crops.

The far end fed to the model is aligned by ``data.align`` (``none`` for
Align-CRUSE; ``oracle``, ``gcc_global`` or ``gcc_online`` for CRUSE).

Loss (:func:`complex_compressed_mse`): the masked microphone spectrum is
transformed back to a waveform and analysed again (STFT consistency, Wisdom et
al. 2019), then compared with the target by the complex compressed MSE
(Ephrat et al. 2018): ``beta * mean|S^c - Y^c|^2 + (1 - beta) * mean(|S|^c - |Y|^c)^2``,
where ``X^c = |X|^c e^{j angle X}``, ``c = 0.3``, ``beta = 0.7``.

Scoring lives in :mod:`toolkit.tasks.aec_score`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.corpora.aec_sim import AecSimConfig
from toolkit.data.datadir import DataDir
from toolkit.errors import ConfigError, DataDirError
from toolkit.tasks.base import Task
from toolkit.train.config import ModelSpec, OptimConfig, TrainConfig, TrainerConfig

SR = 16000
HOP_S = 0.01
ALIGNS = ("none", "oracle", "gcc_global", "gcc_online")


@dataclass
class AecDataConfig:
    """Training data.

    Attributes:
        segment: seconds per training example.
        align: far-end alignment fed to the model (none | oracle | gcc_global | gcc_online).
        max_delay: largest delay (s) the GCC-PHAT aligners search.
        items_per_epoch: examples per epoch with online synthesis.
        valid_items: at most this many validation clips (0: all).
        sim: random parameters of the online synthesis.
    """

    segment: float = 4.0
    align: str = "none"
    max_delay: float = 1.0
    items_per_epoch: int = 4000
    valid_items: int = 0
    sim: AecSimConfig = field(default_factory=lambda: AecSimConfig(long_delay_prob=0.5))

    def __post_init__(self) -> None:
        if self.align not in ALIGNS:
            raise ConfigError(f"data.align '{self.align}': use one of {', '.join(ALIGNS)}")


@dataclass
class AecLossConfig:
    """Complex compressed MSE: compression exponent ``c``, complex-term weight ``beta``.

    ``delay_weight`` (not in the paper, 0 there): weight of an auxiliary
    cross-entropy of Align-CRUSE's delay distribution against the true delay of
    the simulated example, in training only (see :func:`delay_cross_entropy`).
    The paper learns the alignment from the echo loss alone over 150 epochs of
    batches of 400; with a few thousand CPU updates it does not (RESULTS.md).
    """

    compression: float = 0.3
    beta: float = 0.7
    delay_weight: float = 0.0


@dataclass
class AecSetConfig:
    """A fixed simulated set: size, seed, device-delay range (s), scenarios, length."""

    n: int = 100
    seed: int = 1
    delay: list[float] = field(default_factory=lambda: [0.0, 0.3])
    duration: float = 8.0
    scenarios: dict[str, float] = field(default_factory=lambda: {"fest": 0.5, "dt": 0.4,
                                                                 "nest": 0.1})


@dataclass
class AecCorpusConfig:
    """Stage 0: the pools and the fixed sets.

    Attributes:
        speech_sources: speech pool sources (``sptk-cli corpus speech --sources``).
        max_per_lang: clips per language of each source (0: all).
        test_speakers: speakers held out for the valid/test sets (the rest train).
        noise_sources: noise pool sources; noise_exclude_types: types left out (spoken
            game phrases would be taken for near-end speech); n_procedural: generated
            clips per type; max_segments: segments per long recording.
        rir_train, rir_test: simulated rooms for training and for the fixed sets.
        sets: fixed sets by name: ``valid`` and the test sets (the recipe's configs give
            test_gen, test_ldm 0.3-0.5 s and test_ldh 0.5-1.0 s). Empty by default:
            a config's sets would otherwise be merged with default ones by name.
    """

    speech_sources: list[str] = field(default_factory=lambda: ["asterisk", "tuxpaint"])
    max_per_lang: int = 0
    test_speakers: list[str] = field(default_factory=lambda: [
        "asterisk-carlo", "tuxpaint-ca", "tuxpaint-el", "tuxpaint-nl"])
    noise_sources: list[str] = field(default_factory=lambda: [
        "procedural", "hedgewars", "wesnoth", "colobot", "freedesktop"])
    noise_exclude_types: list[str] = field(default_factory=lambda: ["voice"])
    n_procedural: int = 20
    max_segments: int = 6
    rir_train: int = 200
    rir_test: int = 40
    sets: dict[str, AecSetConfig] = field(default_factory=dict)

@dataclass
class AecBaselineConfig:
    """The CRUSE baseline the recipe trains beside the main model.

    ``sptk-cli aec baseline-config`` writes the main config with ``model`` and
    ``data.align`` replaced by these (everything else, the optimiser and the
    data included, stays the same, as the paper trains both "in the same fashion").
    """

    model: ModelSpec = field(default_factory=lambda: ModelSpec("cruse", {}))
    align: str = "oracle"


@dataclass
class AecConfig(TrainConfig):
    """Config of the aec task (defaults: the paper's optimiser; batch 400 x 150 epochs)."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("align_cruse", {}))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(
        name="adam", lr=1.5e-4, weight_decay=5e-6))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=150, batch_size=400, grad_clip=5.0))
    data: AecDataConfig = field(default_factory=AecDataConfig)
    loss: AecLossConfig = field(default_factory=AecLossConfig)
    corpus: AecCorpusConfig = field(default_factory=AecCorpusConfig)
    baseline: AecBaselineConfig = field(default_factory=AecBaselineConfig)


def align_for_model(mic: np.ndarray, far: np.ndarray, method: str, max_delay_s: float,
                    true_delay_s: float | None) -> np.ndarray:
    """The far end as the model should see it (``data.align``)."""
    from toolkit.dsp.delay import align

    if method == "none":
        return far
    true = None if true_delay_s is None else int(round(true_delay_s * SR))
    return align(mic, far, method, int(max_delay_s * SR), true)[0].astype(np.float32)


class OnlineAecSet:
    """Fresh simulated examples per (seed, epoch, index): ``{"mic", "far", "near"}`` tensors."""

    def __init__(self, data_dir: Path, cfg: AecConfig):
        from toolkit.corpora.aec_sim import AecPools

        online = DataDir(data_dir).meta.get("online") or {}
        missing = [k for k in ("speech", "rir") if not online.get(k)]
        if missing:
            raise DataDirError(f"{data_dir}/meta.yaml: online: has no {missing[0]} pool; "
                               "write the directory with 'sptk-cli aec online-set'")
        self.pools = AecPools(online["speech"], online.get("noise"), online["rir"])
        self.cfg, self.epoch = cfg, 0
        self.sim = AecSimConfig(**{**vars(cfg.data.sim), "duration": cfg.data.segment})

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.cfg.data.items_per_epoch

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        from toolkit.corpora.aec_sim import simulate
        from toolkit.errors import AudioError

        for attempt in range(10):
            # A draw can be unusable (the echo of a short segment falls silent when the
            # delay is long and the far talker pauses): draw again, reproducibly.
            rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i, attempt])
            try:
                ex = simulate(rng, self.pools, self.sim)
                break
            except AudioError:
                if attempt == 9:
                    raise
        d = self.cfg.data
        far = align_for_model(ex["mic"], ex["far"], d.align, d.max_delay, ex["delay"])
        known = ex["scenario"] != "nest"  # a near-end-only example has no echo to align
        return {"mic": torch.from_numpy(ex["mic"]), "far": torch.from_numpy(far),
                "near": torch.from_numpy(ex["near"]),
                "delay": torch.tensor(float(ex["delay"]) if known else -1.0)}


class FixedAecSet:
    """Crops of a data directory with ``wav.scp``, ``ref.scp`` and ``speech.scp``."""

    def __init__(self, data_dir: Path, cfg: AecConfig, train: bool):
        self.dir, self.cfg, self.train, self.epoch = DataDir(data_dir), cfg, train, 0
        for role in ("wav.scp", "ref.scp", "speech.scp"):
            if not self.dir.has(role):
                raise DataDirError(f"{data_dir} has no {role}; training needs the microphone, "
                                   "the far end and the near-end speech")
        self.keys = self.dir.keys()
        if not train and cfg.data.valid_items:
            self.keys = self.keys[: cfg.data.valid_items]
        self.delays = ({k: float(v) for k, v in self.dir.read("utt2delay").items()}
                       if self.dir.has("utt2delay") else {})
        scen = self.dir.read("utt2scenario") if self.dir.has("utt2scenario") else {}
        self.no_echo = {k for k, v in scen.items() if v == "nest"}

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        from toolkit.data.audio import load_mono

        key = self.keys[i]
        sig = [load_mono(self.dir.read(r)[key], SR)[0] for r in ("wav.scp", "ref.scp",
                                                                 "speech.scp")]
        n = min(len(s) for s in sig)
        mic, far, near = (s[:n] for s in sig)
        d = self.cfg.data
        if d.align == "oracle" and key not in self.delays:
            raise DataDirError(f"{self.dir.path} has no utt2delay for '{key}' (data.align: "
                               "oracle needs the true delay)")
        far = align_for_model(mic, far, d.align, d.max_delay, self.delays.get(key))
        seg = int(d.segment * SR)
        start = 0
        if self.train and n > seg:
            start = int(np.random.default_rng([self.cfg.trainer.seed, self.epoch, i])
                        .integers(0, n - seg + 1))
        out = {}
        for name, x in (("mic", mic), ("far", far), ("near", near)):
            x = np.asarray(x[start:start + seg], np.float32)
            out[name] = torch.from_numpy(np.pad(x, (0, seg - len(x))))
        known = key in self.delays and key not in self.no_echo
        out["delay"] = torch.tensor(self.delays[key] if known else -1.0)
        return out


def complex_compressed_mse(est: torch.Tensor, ref: torch.Tensor, c: float = 0.3,
                           beta: float = 0.7) -> torch.Tensor:
    """Complex compressed MSE between complex spectra ``(B, T, F)`` (see the module doc)."""
    def compress(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mag = (x.real.square() + x.imag.square() + 1e-12).sqrt()
        mc = mag.pow(c)
        return mc, x * (mc / mag)

    em, ec = compress(est)
    rm, rc = compress(ref)
    complex_term = (ec - rc).abs().square().mean()
    mag_term = (em - rm).square().mean()
    return beta * complex_term + (1 - beta) * mag_term


def delay_metrics(dist: torch.Tensor, far_lp: torch.Tensor, true_s: torch.Tensor
                  ) -> dict[str, float]:
    """Delay estimate of a batch against the truth (a training monitor).

    Args:
        dist: delay distributions ``(B, T, d_max)``.
        far_lp: far-end log power spectra ``(B, T, 160)`` (frames more than 40 dB
            below the loudest are left out of the time average, as in
            :func:`toolkit.tasks.aec_infer.delay_from_distribution`).
        true_s: true delays ``(B,)`` in seconds, negative where unknown.

    Returns:
        ``{"delay_err_ms": mean |error|, "delay_hit": share within 20 ms}`` over the
        examples with a known delay (empty when there are none).
    """
    known = true_s >= 0
    if not bool(known.any()):
        return {}
    level = 10 * torch.logsumexp(far_lp * math.log(10), dim=-1) / math.log(10)  # dB (B, T)
    active = (level > level.amax(-1, keepdim=True) - 40).to(dist.dtype)
    est = (dist * active[..., None]).sum(1).argmax(-1).to(true_s.dtype) * HOP_S
    err = (est - true_s).abs()[known] * 1000
    return {"delay_err_ms": float(err.mean()), "delay_hit": float((err <= 20).float().mean())}


def delay_cross_entropy(dist: torch.Tensor, far_lp: torch.Tensor, true_s: torch.Tensor
                        ) -> torch.Tensor:
    """Mean ``-log D[t, d*]`` over the frames whose echo is present.

    Args:
        dist: delay distributions ``(B, T, d_max)``.
        far_lp: far-end log power spectra ``(B, T, 160)``.
        true_s: true delays ``(B,)`` in seconds, negative where unknown.

    Frames count where ``t >= d*`` and the far end at ``t - d*`` is within 40 dB of
    its loudest frame; examples with an unknown delay or ``d* >= d_max`` do not count.
    """
    b, t, d_max = dist.shape
    d = torch.round(true_s / HOP_S).long()
    level = 10 * torch.logsumexp(far_lp * math.log(10), dim=-1) / math.log(10)
    active = level > level.amax(-1, keepdim=True) - 40  # (B, T)
    frames = torch.arange(t, device=dist.device)[None] - d.clamp(0, d_max - 1)[:, None]
    src = active.gather(1, frames.clamp(min=0))
    use = (src & (frames >= 0) & ((true_s >= 0) & (d < d_max))[:, None]).to(dist.dtype)
    logp = torch.log(dist.gather(-1, d.clamp(0, d_max - 1)[:, None, None].expand(b, t, 1))[..., 0]
                     + 1e-8)
    return -(logp * use).sum() / use.sum().clamp(min=1)


class AecTask(Task):
    """Echo cancellation with CRUSE-family magnitude-mask models."""

    name = "aec"
    config_class = AecConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        self._loss = cfg.loss
        if DataDir(train_dir).meta.get("online"):
            train = OnlineAecSet(train_dir, cfg)
        else:
            train = FixedAecSet(train_dir, cfg, train=True)
        valid = FixedAecSet(valid_dir, cfg, train=False) if valid_dir else None
        return train, valid

    def train_step(self, model, batch):
        from toolkit.models.aec_blocks import istft, log_power, stft

        mic, far, near = batch["mic"], batch["far"], batch["near"]
        spec = stft(mic)
        far_lp = log_power(stft(far))
        mask, dist = model(log_power(spec), far_lp)
        y = istft(spec * mask, mic.shape[-1])
        cfg = getattr(self, "_loss", AecLossConfig())
        loss = complex_compressed_mse(stft(y), stft(near), cfg.compression, cfg.beta)
        values = {}
        if dist is not None and "delay" in batch:
            values = delay_metrics(dist.detach(), far_lp, batch["delay"])
            if cfg.delay_weight > 0 and model.training:
                ce = delay_cross_entropy(dist, far_lp, batch["delay"])
                values["delay_ce"] = float(ce.detach())
                loss = loss + cfg.delay_weight * ce
        return loss, values

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        """Enhance every key; Align-CRUSE also writes its delay estimate (``utt2delay_est``)."""
        from toolkit.data.audio import load_mono, save_audio
        from toolkit.tasks.aec_infer import delay_from_distribution, enhance

        d = DataDir(data_dir)
        given = d.read("utt2delay_est") if d.has("utt2delay_est") else {}
        wav, est = {}, {}
        for key in keys:
            mic = load_mono(d.read("wav.scp")[key], SR)[0]
            far = load_mono(d.read("ref.scp")[key], SR)[0]
            far = np.pad(far, (0, max(0, len(mic) - len(far))))[: len(mic)]
            y, dist = enhance(model, mic, far, device)
            path = Path(out_dir) / "audio" / f"{key}.wav"
            save_audio(path, y, SR, subtype="FLOAT")
            wav[key] = str(path.resolve())
            if dist is not None:
                est[key] = f"{delay_from_distribution(dist, far):.4f}"
            elif key in given:
                est[key] = given[key]
        files = {"wav.scp": wav}
        if est:
            files["utt2delay_est"] = est
        return files

    def score_keys(self, ref_dir, hyp_dir, keys):
        from toolkit.tasks.aec_score import score_keys

        return score_keys(ref_dir, hyp_dir, keys)

    def aggregate(self, per_key: dict[str, Any]) -> dict[str, Any]:
        from toolkit.tasks.aec_score import aggregate

        return aggregate(per_key)


TASK = AecTask()
