"""Config of the aed task: the ``data:`` and ``corpus:`` sections and the whole config."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.dsp.features import FeatureConfig
from toolkit.train.config import ModelSpec, TrainConfig, TrainerConfig


@dataclass
class AedDataConfig:
    """Data, augmentation and objective settings (the ``data:`` section).

    Attributes:
        classes: label set in output order.
        multilabel: labels are comma-separated sets (BCE loss, mAP).
        target_frames: frames per example (AST: 512 for 5-s clips); training cuts
            longer clips at a random offset, evaluation uses consecutive windows.
        freqm, timem: SpecAugment mask widths (AST ESC-50: 24 and 96).
        spec_masks: how many frequency masks and how many time masks (AST: 1).
        mixup: probability of mixing an example with another (AST ESC-50: 0).
        mixup_alpha: Beta(alpha, alpha) of the mixing weight (AST: 10).
        time_roll: shift each training waveform circularly by a random offset.
        gain_db: ``[low, high]``: each training waveform is scaled by a gain drawn
            uniformly from this range in dB (as svs's ``data.gain_db``).
        label_smoothing: weight of the uniform distribution mixed into training targets
            (single-label corpora).
        cache_audio: keep the decoded training waveforms in memory (waveform augmentation
            decodes a clip per item otherwise; about 0.3 MB per 5-s clip at 16 kHz).
        norm_mean, norm_std: dataset statistics; null computes them on the training set.
        stats_items: training items the statistics are computed on.
        pretrain: masked-spectrogram-patch pretraining instead of classification.
        mask_ratio, mask_patch: fraction and size of the masked squares (pretraining).
        init_from: experiment directory or checkpoint to initialise the encoder from.
    """

    classes: list[str] = field(default_factory=list)
    multilabel: bool = False
    target_frames: int = 512
    freqm: int = 24
    timem: int = 96
    spec_masks: int = 1
    mixup: float = 0.0
    mixup_alpha: float = 10.0
    time_roll: bool = False
    gain_db: list[float] = field(default_factory=lambda: [0.0, 0.0])
    label_smoothing: float = 0.0
    cache_audio: bool = False
    norm_mean: float | None = None
    norm_std: float | None = None
    stats_items: int = 2000
    pretrain: bool = False
    mask_ratio: float = 0.5
    mask_patch: int = 16
    init_from: str = ""


@dataclass
class AedCorpusConfig:
    """The corpus: built-in corpus size (``sptk-cli aed corpus``) and the folds that
    ``sptk-cli aed prepare --config`` puts in the train and test data directories."""

    train_folds: list[str] = field(default_factory=lambda: ["1", "2", "3", "4"])
    test_folds: list[str] = field(default_factory=lambda: ["5"])
    per_class: int = 40
    duration: float = 5.0
    seed: int = 0
    families: list[str] = field(default_factory=list)
    noise_types: list[str] = field(default_factory=list)


@dataclass
class AedConfig(TrainConfig):
    """Config of the aed task."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("datar", {}))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=30, batch_size=16, metric="valid/acc", mode="max"))
    features: FeatureConfig = field(default_factory=lambda: FeatureConfig(
        kind="kaldi_fbank", sample_rate=16000, n_mels=128, hop_length=160, win_length=400))
    data: AedDataConfig = field(default_factory=AedDataConfig)
    corpus: AedCorpusConfig = field(default_factory=AedCorpusConfig)
