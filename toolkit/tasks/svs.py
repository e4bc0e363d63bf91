"""Singing voice separation (Jansson et al. 2017): data, L1 mask loss, decoding, BSS Eval.

Data roles: ``wav.scp`` (mixture), ``vocals.scp``, ``accomp.scp`` (the
stems; needed for training and scoring), ``utt2spk`` (singer), ``utt2song``.
Stage 2 (``sptk-cli svs dump``) stores each clip's stems resampled to the
model rate as ``.npy`` (``stems.scp``), which training memory-maps.

Training items are random patches (``features.patch_frames`` frames, about
12 s) with augmentation: a random gain per source and, with probability
``data.remix_prob``, the accompaniment of another clip at another offset
(remixing across songs). Clips shorter than a patch are zero-padded. The
mixture of an item is the sum of its (scaled) stems; both the mixture and the
targets are divided by the mixture patch's maximum magnitude (the paper's
"normalised to [0, 1]"). Loss: the L1 distance between mask x mixture and the
target magnitudes of each source, summed over the two sources (mean over
bins rather than the sum of the paper: a constant factor).

Decoding writes both reconstructions (:mod:`toolkit.tasks.svs_separate`):
``vocals.scp`` / ``accomp.scp`` hold ``decode.reconstruction`` and
``vocals_<other>.scp`` / ``accomp_<other>.scp`` the other one. Scoring
(:mod:`toolkit.metrics.separation`) reports both, the second under the prefix
``<other>/``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError, UserError
from toolkit.tasks.base import Task
from toolkit.tasks.svs_separate import SeparateConfig, SpecConfig, separate_stream, stft
from toolkit.train.config import ModelSpec, OptimConfig, TrainConfig, TrainerConfig

log = logging.getLogger(__name__)
RECONS = ("fullrate", "lowrate")
SCORE_MAX_RATE = 16000  # BSS Eval cost grows with the rate; MUSDB is scored at 16 kHz


@dataclass
class SVSDataConfig:
    """Training data and augmentation.

    Attributes:
        patches_per_clip: training items per clip and epoch (random patches).
        gain_db: range of the random gain applied to each source (dB, uniform).
        remix_prob: probability of pairing the vocals with another clip's accompaniment.
        shift_prob: probability of resampling each source (independently) by a random
            factor: pitch and tempo move together (the cheap shift), by up to
            ``shift_semitones`` for the vocals and ``accomp_shift_semitones`` for the
            accompaniment.
        shift_semitones: largest vocal shift (semitones, uniform in +-).
        accomp_shift_semitones: largest accompaniment shift (semitones, uniform in +-).
    """

    patches_per_clip: int = 4
    gain_db: list[float] = field(default_factory=lambda: [-6.0, 6.0])
    remix_prob: float = 0.5
    shift_prob: float = 0.0
    shift_semitones: float = 2.0
    accomp_shift_semitones: float = 1.0


@dataclass
class SVSCorpusConfig:
    """The built-in synthetic song corpus (``sptk-cli svs corpus``).

    Attributes:
        speech_sources: speech pools whose speakers sing (asterisk, tuxpaint, ktuberling).
        speech_max_per_lang: clips per language and source drawn for the speech pool.
        n: songs; duration: seconds per song; seed: seed of both builds.
        soundfonts: General MIDI soundfonts; song i uses soundfonts[i % len] (timbre variety).
    """

    speech_sources: list[str] = field(default_factory=lambda: ["tuxpaint"])
    speech_max_per_lang: int = 10
    n: int = 40
    duration: float = 12.0
    seed: int = 0
    soundfonts: list[str] = field(
        default_factory=lambda: ["/usr/share/sounds/sf2/FluidR3_GM.sf2"])


@dataclass
class SVSSplitConfig:
    """How ``sptk-cli svs prepare`` splits a corpus into train / dev / test.

    Precedence: the corpus' own sets (``utt2set``, MUSDB18 train/test), then
    ``train_speakers`` (test = the others, or ``test_speakers``), then
    ``test_speakers`` (train = the others), else random by song with
    ``test_fraction``. Dev is ``dev_fraction`` of the training songs.
    """

    train_speakers: list[str] = field(default_factory=list)
    test_speakers: list[str] = field(default_factory=list)
    dev_fraction: float = 0.1
    test_fraction: float = 0.2
    seed: int = 0


@dataclass
class SVSConfig(TrainConfig):
    """Config of the svs task."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("unet_svs", {}))
    # Adam as in the paper; lr and betas of pix2pix (Isola et al.), whose U-Net it follows.
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(
        name="adam", lr=2e-4, betas=(0.5, 0.999)))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=20, batch_size=8, metric="valid/loss", mode="min", grad_clip=0.0))
    features: SpecConfig = field(default_factory=SpecConfig)
    data: SVSDataConfig = field(default_factory=SVSDataConfig)
    decode: SeparateConfig = field(default_factory=SeparateConfig)
    corpus: SVSCorpusConfig = field(default_factory=SVSCorpusConfig)
    split: SVSSplitConfig = field(default_factory=SVSSplitConfig)
    init: str = ""  # warm start: a packed model or experiment directory with the same network


def load_stems(d: DataDir, key: str, spec: SpecConfig) -> np.ndarray:
    """(2, samples) vocals and accompaniment at the model rate (stems.scp or the audio)."""
    if d.has("stems.scp"):
        return np.load(d.read("stems.scp")[key], mmap_mode="r")
    from toolkit.data.audio import load_mono

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


def _random_segment(x: np.ndarray, n: int, rng: np.random.Generator,
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
    """Items ``{"mix": (freq_bins, patch_frames), "target": (2, freq_bins, patch_frames)}``."""

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
                v = _random_segment(x[0], n, rng, rates[0])
                a = _random_segment(other[1], n, rng, rates[1])
            elif rates == [1.0, 1.0]:
                start = int(rng.integers(0, max(x.shape[1] - n, 0) + 1))
                v, a = _segment(x[0], start, n), _segment(x[1], start, n)
            else:  # one shift for both: the song stays in time and in tune
                v, a = _random_segment(x, n, rng, rates[0])
            gains = 10 ** (rng.uniform(dc.gain_db[0], dc.gain_db[1], 2) / 20)
            v, a = v * gains[0], a * gains[1]
        z = stft(torch.from_numpy(np.stack([v, a]).astype(np.float32)), spec.n_fft,
                 spec.hop_length)[:, : spec.freq_bins]
        mix = (z[0] + z[1]).abs()  # the STFT is linear: the mixture's without a third one
        scale = mix.max().clamp_min(1e-8)
        return {"mix": mix / scale, "target": z.abs() / scale}


def separation_loss(masks: torch.Tensor, mix: torch.Tensor, target: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """L1 between mask x mixture and the targets.

    Args:
        masks: (batch, 2, freq, time); mix: (batch, freq, time); target: (batch, 2, freq, time).

    Returns:
        (summed loss, per-source L1 (2,)).
    """
    per_source = (masks * mix.unsqueeze(1) - target).abs().mean(dim=(0, 2, 3))
    return per_source.sum(), per_source


class SVSTask(Task):
    """Two mask networks (vocals, accompaniment) trained with an L1 magnitude loss."""

    name = "svs"
    config_class = SVSConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        spec = cfg.features
        if spec.freq_bins % 64 or spec.patch_frames % 64:
            raise UserError(f"features.freq_bins ({spec.freq_bins}) and features.patch_frames "
                            f"({spec.patch_frames}) must be multiples of 64 (six stride-2 layers)")
        if len(cfg.data.gain_db) != 2:
            raise UserError("data.gain_db must be [low, high] in dB")
        if not 0 <= cfg.data.shift_prob <= 1 or not 0 <= cfg.data.remix_prob <= 1:
            raise UserError("data.shift_prob and data.remix_prob must lie in [0, 1]")
        train = SVSDataset(train_dir, cfg, train=True)
        load_stems(train.dir, train.keys[0], spec)  # fail early without stems
        return train, (SVSDataset(valid_dir, cfg, train=False) if valid_dir else None)

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Warm start from ``cfg.init`` (a packed model or an experiment), if given."""
        if not cfg.init:
            return
        from toolkit.train.packing import load_model_dir

        _, init_cfg, init_model = load_model_dir(cfg.init)
        if init_cfg.model != cfg.model:
            raise UserError(f"init {cfg.init}: its model ({init_cfg.model}) differs from "
                            f"the config's ({cfg.model}); warm start needs the same network")
        model.load_state_dict({k: v.float() for k, v in init_model.state_dict().items()})
        log.info("warm start from %s", cfg.init)

    def train_step(self, model, batch):
        masks = model(batch["mix"])
        loss, per = separation_loss(masks, batch["mix"], batch["target"])
        per = per.detach()
        return loss, {"l1_vocals": float(per[0]), "l1_accomp": float(per[1])}

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        from toolkit.data.audio import load_audio, save_audio

        d = DataDir(data_dir)
        primary = cfg.decode.reconstruction
        if primary not in RECONS:
            raise UserError(f"decode.reconstruction '{primary}': use fullrate or lowrate")
        other = [r for r in RECONS if r != primary][0]
        files: dict[str, dict[str, str]] = {f"{s}{suffix}.scp": {} for s in ("vocals", "accomp")
                                            for suffix in ("", f"_{other}")}
        model.eval()
        for key in keys:
            path, offset, duration = d.audio_spec(key)
            x, sr = load_audio(path, offset=offset, duration=duration)
            outs: dict[str, list[np.ndarray]] = {r: [] for r in RECONS}
            separate_stream(lambda s, n, x=x: x[:, s: s + n], x.shape[1], sr, model,
                            cfg.features, cfg.decode,
                            lambda y, outs=outs: [outs[r].append(y[r]) for r in RECONS],
                            RECONS, device)
            for recon in RECONS:
                y = np.concatenate(outs[recon], axis=-1)
                suffix = "" if recon == primary else f"_{other}"
                for i, s in enumerate(("vocals", "accomp")):
                    p = save_audio(Path(out_dir) / "audio" / f"{key}.{s}{suffix}.wav", y[i], sr,
                                   subtype="FLOAT")
                    files[f"{s}{suffix}.scp"][key] = str(p.resolve())
        return files

    def score_keys(self, ref_dir, hyp_dir, keys):
        from toolkit.data.audio import load_mono
        from toolkit.metrics.separation import bss_eval_clip, mixture_sdr

        ref, hyp = DataDir(ref_dir), DataDir(hyp_dir)
        for role in ("vocals.scp", "accomp.scp"):
            if not ref.has(role):
                raise DataDirError(f"{ref.path} has no {role}; scoring needs the reference stems")
            if not hyp.has(role):
                raise DataDirError(f"{hyp.path} has no {role}; give a decode output as --hyp")
        suffixes = [s for s in ("", "_lowrate", "_fullrate") if hyp.has(f"vocals{s}.scp")]
        rate = min(ref.sample_rate or SCORE_MAX_RATE, SCORE_MAX_RATE)
        out: dict[str, Any] = {}
        for key in keys:
            if key not in hyp.read("vocals.scp"):
                raise DataDirError(f"{hyp.path}/vocals.scp has no estimate for '{key}'; decode "
                                   "every utterance first")
            refs = np.stack([load_mono(ref.read(r)[key], rate)[0]
                             for r in ("vocals.scp", "accomp.scp")])
            path, offset, duration = ref.audio_spec(key)
            mix = load_mono(path, rate, offset=offset, duration=duration)[0]
            if not (np.any(refs[0]) and np.any(refs[1])):
                out[key] = {"samples": refs.shape[1], "skipped": "a reference stem is silent"}
                continue
            n = min(refs.shape[1], len(mix))
            sdr_mix = mixture_sdr(refs[:, :n], mix[:n])
            result: dict[str, Any] = {"samples": n}
            for suffix in suffixes:
                ests = np.stack([load_mono(hyp.read(f"{s}{suffix}.scp")[key], rate)[0]
                                 for s in ("vocals", "accomp")])
                ests = np.pad(ests, ((0, 0), (0, max(0, n - ests.shape[1]))))[:, :n]
                scores = bss_eval_clip(refs[:, :n], ests, mix[:n], sdr_mix)
                result.update({f"{suffix[1:]}/{s}" if suffix else s: v
                               for s, v in scores.items()})
            out[key] = result
        return out

    def aggregate(self, per_key):
        from toolkit.metrics.separation import summarize

        scored = {k: v for k, v in per_key.items() if "skipped" not in v}
        result: dict[str, Any] = {"n": len(scored), "n_skipped": len(per_key) - len(scored)}
        result.update(summarize(scored))
        for recon in RECONS:  # the second reconstruction, nested (not in the printed line)
            sub = {k: {"samples": v["samples"], "vocals": v.get(f"{recon}/vocals"),
                       "accomp": v.get(f"{recon}/accomp")} for k, v in scored.items()}
            if any(v["vocals"] for v in sub.values()):
                result[recon] = summarize(sub)
        result["per_clip"] = per_key
        return result


TASK = SVSTask()
