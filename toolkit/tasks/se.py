"""Speech enhancement with unsupervised domain adaptation (recipes/se_uda).

Data roles: ``wav.scp`` (noisy), ``speech.scp`` and ``noise.scp`` (the clean
speech and the scaled noise; teacher estimates in pseudo-labelled directories),
``utt2snr`` and ``utt2domain``. One task serves the six training modes of the
SRST paper (``uda.mode``); each mode is one run of the shared trainer with its
own experiment directory, chained by :mod:`toolkit.tasks.se_steps`:

- ``source`` / ``target``: supervised, loss ``-SI-SDR(speech) - SI-SDR(noise)``;
- ``classifier``: the domain classifier on the frozen encoder's bottleneck (BCE);
  each item pairs a source mixture with a target mixture (``uda.aux_data``);
- ``dann``: enhancement loss on the source half plus ``beta * BCE`` on both
  halves through a gradient reversal layer;
- ``remixit``: teacher estimates (pseudo-labelled ``speech.scp`` / ``noise.scp``)
  remixed with the noises permuted within the batch; the student learns to
  recover the teacher's speech and permuted noise from the bootstrapped mixture;
- ``srst``: the RemixIT loss plus ``lambda_e * L_source`` on source items drawn
  from the top ``srst_start - e * srst_step`` share of ``uda.aux_rank`` (the most
  target-like source items by the DANN classifier, or a random order for the
  "random source" variant); ``lambda_e = lambda0 * lambda_decay ** e``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from toolkit.corpora.se_uda import UDACorpusConfig
from toolkit.data.datadir import DataDir, read_kv
from toolkit.errors import DataDirError, UserError
from toolkit.se.loss import LossConfig, enhancement_loss, general_loss, si_sdr_torch  # noqa: F401
from toolkit.se.simulate import DynamicMixDataset, MixConfig, MixSimulator, MixSources
from toolkit.tasks.base import Task
from toolkit.train.config import ModelSpec, OptimConfig, TrainConfig, TrainerConfig

MODES = ("source", "target", "classifier", "dann", "remixit", "srst")


@dataclass
class SEDataConfig:
    """Data settings.

    Attributes:
        sample_rate: the model's rate; other rates are resampled on load.
        segment: seconds per training crop (random, on speech).
        valid_segment: seconds of each validation item (from its start, zero-padded).
    """

    sample_rate: int = 16000
    segment: float = 2.0
    valid_segment: float = 4.0


@dataclass
class UDAConfig:
    """The training mode and its adaptation settings (paper section 3).

    Attributes:
        mode: source | target | classifier | dann | remixit | srst.
        init: model directory whose weights start this run ("" = random init).
        aux_data / aux_valid: the second domain's data directory for training and
            validation: target mixtures (classifier, dann) or source pairs (srst).
        aux_rank: ``<key> <score>`` file over ``aux_data``; srst draws from the
            highest-scored share (the most target-like source items).
        beta: weight of the domain BCE in DANN (0.05 in the paper).
        grl: gradient reversal coefficient in front of the classifier.
        freeze_classifier: keep the pre-trained classifier fixed during DANN.
        srst_start / srst_step: share of the ranked source items used in epoch 0,
            and how much it shrinks per epoch (0.30 and 0.03 in the paper).
        lambda0 / lambda_decay: weight of the source loss, multiplied by
            ``lambda_decay`` every epoch (the paper: "monotonically decreased").
        remixit_rounds: RemixIT teacher updates (rounds of pseudo-labelling;
            the orchestrator runs one training per round).
    """

    mode: Literal["source", "target", "classifier", "dann", "remixit", "srst"] = "source"
    init: str = ""
    aux_data: str = ""
    aux_valid: str = ""
    aux_rank: str = ""
    beta: float = 0.05
    grl: float = 1.0
    freeze_classifier: bool = False
    srst_start: float = 0.30
    srst_step: float = 0.03
    lambda0: float = 1.0
    lambda_decay: float = 0.8
    remixit_rounds: int = 1


@dataclass
class SEConfig(TrainConfig):
    """Config of the se task: model, optim, trainer, data, uda, corpus, steps.

    ``steps`` maps a stage-3 step name (source, classifier, dann, remixit,
    dann_remixit, srst, srst_random, target) to config overrides for that step,
    e.g. ``{classifier: {optim: {lr: 1.0e-4}, trainer: {epochs: 3}}}``.
    """

    model: ModelSpec = field(default_factory=lambda: ModelSpec("unet_se", {}))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-3))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=10, batch_size=8, metric="valid/loss", mode="min"))
    data: SEDataConfig = field(default_factory=SEDataConfig)
    uda: UDAConfig = field(default_factory=UDAConfig)
    corpus: UDACorpusConfig = field(default_factory=UDACorpusConfig)
    steps: dict[str, Any] = field(default_factory=dict)
    mix: MixConfig = field(default_factory=MixConfig)
    loss: LossConfig = field(default_factory=LossConfig)


# ---------------------------------------------------------------------- data
def _crop(signals: list[np.ndarray | None], n: int, rng: np.random.Generator | None,
          ) -> list[np.ndarray | None]:
    """The same ``n``-sample window of every signal: random (on speech) or from the start."""
    length = len(signals[0])
    if length <= n or rng is None:
        start = 0
    else:
        ref = signals[1] if signals[1] is not None else signals[0]
        floor = 1e-4 * float(np.mean(ref ** 2)) + 1e-12
        for _ in range(5):  # prefer windows that hold speech
            start = int(rng.integers(0, length - n + 1))
            if np.mean(ref[start:start + n] ** 2) > floor:
                break
    out = []
    for x in signals:
        if x is None:
            out.append(None)
            continue
        x = x[start:start + n]
        out.append(np.pad(x, (0, n - len(x))) if len(x) < n else x)
    return out


class _Items:
    """Audio of one data directory: noisy, and speech / noise when it has them."""

    def __init__(self, path: str | Path, sample_rate: int, need_labels: bool):
        self.dir = DataDir(path)
        self.keys = self.dir.keys()
        self.sr = sample_rate
        self.labelled = self.dir.has("speech.scp") and self.dir.has("noise.scp")
        if need_labels and not self.labelled:
            raise DataDirError(f"{path} has no speech.scp and noise.scp; this training mode "
                               "needs clean speech and noise (or teacher estimates)")
        if not self.keys:
            raise DataDirError(f"{path} holds no utterances")

    def load(self, key: str) -> list[np.ndarray | None]:
        from toolkit.data.audio import load_mono

        def get(role: str) -> np.ndarray:
            return load_mono(self.dir.read(role)[key], self.sr)[0]

        noisy = get("wav.scp")
        if not self.labelled:
            return [noisy, None, None]
        s, n = get("speech.scp"), get("noise.scp")
        m = min(len(noisy), len(s), len(n))
        return [noisy[:m], s[:m], n[:m]]


class SEDataset:
    """Items ``{"noisy", "speech", "noise": (samples,)}`` plus ``aux_*`` from a second set.

    The second set (``uda.aux_data``) pairs each item with one of its items: in
    order (cycled) for classifier / dann, from the top share of ``uda.aux_rank``
    (drawn per epoch and index) for srst. ``lam`` is the source-loss weight of
    the epoch.
    """

    def __init__(self, data_dir: Path, cfg: SEConfig, train: bool, aux_dir: str = ""):
        self.cfg, self.train, self.epoch = cfg, train, 0
        mode = cfg.uda.mode
        self.main = _Items(data_dir, cfg.data.sample_rate, need_labels=True)
        self.aux = None
        if mode in ("classifier", "dann", "srst"):
            if not aux_dir:
                raise UserError(f"uda.mode {mode} needs uda.aux_data (and uda.aux_valid): the "
                                "other domain's data directory")
            self.aux = _Items(aux_dir, cfg.data.sample_rate, need_labels=mode == "srst")
        self.rank = list(self.aux.keys) if self.aux else []
        if mode == "srst" and cfg.uda.aux_rank and train:
            scores = {k: float(v) for k, v in read_kv(cfg.uda.aux_rank).items()}
            self.rank = sorted(self.aux.keys, key=lambda k: (-scores.get(k, -1e9), k))
        seconds = cfg.data.segment if train else cfg.data.valid_segment
        self.n = int(round(seconds * cfg.data.sample_rate))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.main.keys)

    def share(self, epoch: int) -> float:
        """Share of the ranked source items srst draws from in ``epoch``."""
        u = self.cfg.uda
        return max(u.srst_start - epoch * u.srst_step, 0.0)

    def lam(self, epoch: int) -> float:
        u = self.cfg.uda
        return u.lambda0 * u.lambda_decay ** epoch if self.share(epoch) > 0 else 0.0

    def aux_key(self, i: int) -> str:
        """The second-domain item paired with item ``i`` in the current epoch."""
        if self.cfg.uda.mode == "srst" and self.train:
            top = max(1, int(round(self.share(self.epoch) * len(self.rank))))
            rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i, 2])
            return self.rank[int(rng.integers(top))]
        return self.rank[i % len(self.rank)]

    def __getitem__(self, i: int) -> dict[str, Any]:
        seed = self.cfg.trainer.seed
        rng = np.random.default_rng([seed, self.epoch, i]) if self.train else None
        noisy, s, n = _crop(self.main.load(self.main.keys[i]), self.n, rng)
        item = {"noisy": torch.from_numpy(noisy), "speech": torch.from_numpy(s),
                "noise": torch.from_numpy(n)}
        if self.aux is not None:
            key = self.aux_key(i)
            item["lam"] = torch.tensor(self.lam(self.epoch if self.train else 0))
            arng = np.random.default_rng([seed, self.epoch, i, 1]) if self.train else None
            a = _crop(self.aux.load(key), self.n, arng)
            item["aux_noisy"] = torch.from_numpy(a[0])
            if a[1] is not None:
                item["aux_speech"], item["aux_noise"] = (torch.from_numpy(x) for x in a[1:])
        return item


def dynamic_datasets(cfg: SEConfig, train_dir: Path, valid_dir: Path | None,
                     ) -> tuple[DynamicMixDataset, DynamicMixDataset | None]:
    """Dynamic mixing over a speech pool: training talkers vs held-out validation talkers."""
    sr, m = cfg.data.sample_rate, cfg.mix
    n_train = int(round(cfg.data.segment * sr))
    n_valid = int(round(cfg.data.valid_segment * sr))
    train = DynamicMixDataset(MixSimulator(MixSources(train_dir, m, "train", sr), m, n_train),
                              m.items_per_epoch, cfg.trainer.seed, train=True)
    valid = None
    if m.n_valid:
        vm = MixConfig(**{**vars(m), "snr": m.valid_snr})
        sim = MixSimulator(MixSources(valid_dir or train_dir, vm, "valid", sr), vm, n_valid)
        valid = DynamicMixDataset(sim, m.n_valid, cfg.trainer.seed, train=False)
    return train, valid


# ---------------------------------------------------------------------- task
def _unwrap(model: Any) -> Any:
    return getattr(model, "module", model)


class SETask(Task):
    """Speech enhancement: supervised training and the UDA modes of the SRST paper."""

    name = "se"
    config_class = SEConfig

    def __init__(self) -> None:
        self.cfg: SEConfig | None = None

    def build_datasets(self, cfg, train_dir, valid_dir):
        self.cfg = cfg
        if cfg.mix.noise or cfg.mix.esc:
            return dynamic_datasets(cfg, train_dir, valid_dir)
        u = cfg.uda
        valid = (SEDataset(valid_dir, cfg, train=False, aux_dir=u.aux_valid or u.aux_data)
                 if valid_dir else None)
        return SEDataset(train_dir, cfg, train=True, aux_dir=u.aux_data), valid

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Start from ``uda.init``; freeze what the mode must not change."""
        from toolkit.train.distributed import dist_env

        if cfg.uda.mode in ("classifier", "dann", "srst") and dist_env().enabled:
            # these modes run encoder / classifier passes outside the DDP forward (and srst
            # two forwards per step), so gradients would not be synchronised across processes
            raise UserError(f"uda.mode {cfg.uda.mode} does not support --nproc > 1 (its domain "
                            "classifier and source passes bypass DistributedDataParallel); "
                            "train this step with --nproc 1")
        if cfg.uda.init:
            from toolkit.train.packing import load_model_dir

            _, _, init = load_model_dir(cfg.uda.init)
            model.load_state_dict({k: v.float() for k, v in init.state_dict().items()})
        if cfg.uda.mode == "classifier":
            for name, p in model.named_parameters():
                p.requires_grad_(name.startswith("classifier."))
        elif cfg.uda.mode == "dann" and cfg.uda.freeze_classifier:
            for p in model.classifier.parameters():
                p.requires_grad_(False)

    def train_step(self, model, batch):
        mode = self.cfg.uda.mode if self.cfg else "source"
        return getattr(self, f"_step_{mode}")(model, batch)

    def _step_source(self, model, batch):
        out = model(batch["noisy"])
        if self.cfg is not None and self.cfg.loss.kind == "snr_spec":
            return general_loss(out, batch["noisy"], batch["speech"], batch["noise"],
                                self.cfg.loss)
        loss, s = enhancement_loss(out, batch["speech"], batch["noise"])
        return loss, {"si_sdr": float(s.mean())}

    _step_target = _step_source

    def _domain_bce(self, model, z_src, z_tgt, reverse):
        m = _unwrap(model)
        logits = m.domain_logits(torch.cat([z_src, z_tgt]), reverse=reverse)
        labels = torch.cat([torch.zeros(len(z_src)), torch.ones(len(z_tgt))]).to(logits)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        acc = float(((logits > 0).float() == labels).float().mean())
        return bce, acc

    def _step_classifier(self, model, batch):
        m = _unwrap(model)
        with torch.no_grad():
            z_src = m.bottleneck(batch["noisy"])
            z_tgt = m.bottleneck(batch["aux_noisy"])
        bce, acc = self._domain_bce(model, z_src, z_tgt, reverse=0.0)
        return bce, {"acc": acc}

    def _step_dann(self, model, batch):
        out = model(batch["noisy"])
        enh, s = enhancement_loss(out, batch["speech"], batch["noise"])
        z_tgt = _unwrap(model).bottleneck(batch["aux_noisy"])
        bce, acc = self._domain_bce(model, out["bottleneck"], z_tgt, reverse=self.cfg.uda.grl)
        values = {"si_sdr": float(s.mean()), "bce": float(bce.detach()), "acc": acc}
        return enh + self.cfg.uda.beta * bce, values

    def _remix_loss(self, model, batch, training: bool):
        s, n = batch["speech"], batch["noise"]
        b = len(s)
        perm = torch.randperm(b) if training else torch.roll(torch.arange(b), 1)
        n = n[perm.to(n.device)]
        out = model(s + n)
        return enhancement_loss(out, s, n)

    def _step_remixit(self, model, batch):
        loss, s = self._remix_loss(model, batch, _unwrap(model).training)
        return loss, {"si_sdr_pseudo": float(s.mean())}

    def _step_srst(self, model, batch):
        remix, s = self._remix_loss(model, batch, _unwrap(model).training)
        lam = float(batch["lam"][0])
        values = {"si_sdr_pseudo": float(s.mean()), "lambda": lam}
        if lam <= 0:
            return remix, values
        out = model(batch["aux_noisy"])
        src, s_src = enhancement_loss(out, batch["aux_speech"], batch["aux_noise"])
        values["si_sdr_source"] = float(s_src.mean())
        return remix + lam * src, values

    # ------------------------------------------------------------------ inference
    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        from toolkit.data.audio import load_mono, save_audio

        d = DataDir(data_dir)
        speech, noise = {}, {}
        audio = Path(out_dir) / "audio"
        for key in keys:
            path, offset, duration = d.audio_spec(key)
            x, _ = load_mono(path, cfg.data.sample_rate, offset=offset, duration=duration)
            s, n = enhance_array(model, x, device)
            speech[key] = str(save_audio(audio / f"{key}.wav", s, cfg.data.sample_rate,
                                         subtype="FLOAT"))
            noise[key] = str(save_audio(audio / f"{key}.noise.wav", n, cfg.data.sample_rate,
                                        subtype="FLOAT"))
        return {"wav.scp": speech, "noise.scp": noise}

    # ------------------------------------------------------------------ scoring
    def score_keys(self, ref_dir, hyp_dir, keys):
        from toolkit.data.audio import load_mono
        from toolkit.metrics.signal import si_sdr
        from toolkit.metrics.speech import pesq_wb, stoi

        ref, hyp = DataDir(ref_dir), DataDir(hyp_dir)
        if not ref.has("speech.scp"):
            raise DataDirError(f"{ref_dir} has no speech.scp (clean references); score "
                               "unlabelled audio with 'sptk-cli dnsmos' instead")
        hyp_wav = hyp.read("wav.scp")
        missing = [k for k in keys if k not in hyp_wav]
        if missing:
            raise DataDirError(f"{hyp_dir}/wav.scp has no output for {len(missing)} key(s), "
                               f"first '{missing[0]}'; decode every utterance first")
        snrs = ref.read("utt2snr") if ref.has("utt2snr") else {}
        sr = ref.sample_rate or 16000
        out = {}
        for k in keys:
            s, _ = load_mono(ref.read("speech.scp")[k], sr)
            e, _ = load_mono(hyp_wav[k], sr)
            out[k] = {"pesq": pesq_wb(e, s, sr), "stoi": stoi(e, s, sr), "si_sdr": si_sdr(e, s),
                      "snr": snrs.get(k)}
        return out

    def aggregate(self, per_key):
        return aggregate_by_snr(per_key)


def aggregate_by_snr(per_key: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Means of PESQ, STOI, SI-SDR overall and per SNR (keys ``snr<value>/<metric>``)."""
    out: dict[str, Any] = {"n": len(per_key)}
    groups: dict[str, list[dict[str, Any]]] = {"": list(per_key.values())}
    for v in per_key.values():
        if v.get("snr") is not None:
            groups.setdefault(f"snr{float(v['snr']):g}/", []).append(v)
    for prefix, rows in sorted(groups.items()):
        for m in ("pesq", "stoi", "si_sdr"):
            vals = np.array([r[m] for r in rows], dtype=float)
            ok = vals[np.isfinite(vals)]
            out[f"{prefix}{m}"] = float(ok.mean()) if ok.size else float("nan")
        if prefix:
            out[f"{prefix}n"] = len(rows)
    return out


def enhance_array(model: Any, x: np.ndarray, device: str = "cpu", chunk_s: float = 30.0,
                  sample_rate: int = 16000) -> tuple[np.ndarray, np.ndarray]:
    """Enhance one waveform ``(samples,)``; long inputs in ``chunk_s`` chunks.

    Chunks overlap by about one second (a whole number of STFT hops, so chunk
    frames line up with the frames of a single pass) and are cross-faded, so
    memory stays bounded on hour-long files.

    Returns:
        (speech, noise), each ``(samples,)`` float32.
    """
    n = len(x)
    hop = getattr(getattr(_unwrap(model), "conf", None), "hop", 256)
    # chunk starts on the STFT frame grid, so every chunk sees the frames a single pass sees
    overlap = max(1, sample_rate // hop) * hop
    chunk = max(int(chunk_s * sample_rate) // hop * hop, 2 * overlap)
    speech, noise = np.zeros(n, np.float32), np.zeros(n, np.float32)
    weight = np.zeros(n, np.float32)
    start = 0
    with torch.no_grad():
        while True:
            end = min(start + chunk, n)
            seg = torch.from_numpy(np.ascontiguousarray(x[start:end], np.float32))[None]
            out = model(seg.to(device))
            w = np.ones(end - start, np.float32)
            if start > 0:
                ramp = min(overlap, end - start)
                w[:ramp] = np.linspace(0, 1, ramp, dtype=np.float32)
            if end < n:
                w[-overlap:] = np.minimum(w[-overlap:], np.linspace(1, 0, overlap,
                                                                     dtype=np.float32))
            speech[start:end] += w * out["speech"][0].cpu().numpy()
            noise[start:end] += w * out["noise"][0].cpu().numpy()
            weight[start:end] += w
            if end >= n:
                break
            start = end - overlap
    weight = np.maximum(weight, 1e-6)
    return speech / weight, noise / weight


TASK = SETask()
