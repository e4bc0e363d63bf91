"""Config of the tone task: the ``data:`` and ``corpus:`` sections and the whole config."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.dsp.features import FeatureConfig
from toolkit.train.config import ModelSpec, TrainConfig, TrainerConfig


@dataclass
class ToneDataConfig:
    """Data settings.

    Attributes:
        classes: the label set, in output order.
        crop_frames: frames per training example (random crop; centre crop in validation).
    """

    classes: list[str] = field(default_factory=lambda: ["noise", "tone", "chirp"])
    crop_frames: int = 64


@dataclass
class ToneCorpusConfig:
    """The built-in corpus (``sptk-cli corpus tones --config``): clips, seed, length."""

    n: int = 300
    seed: int = 0
    duration: float = 1.0
    sample_rate: int = 16000


@dataclass
class ToneConfig(TrainConfig):
    """Config of the tone task: model, optim, trainer, features, data."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("tone_cnn", {}))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=5, batch_size=16, metric="valid/acc", mode="max"))
    features: FeatureConfig = field(default_factory=FeatureConfig)
    data: ToneDataConfig = field(default_factory=ToneDataConfig)
    corpus: ToneCorpusConfig = field(default_factory=ToneCorpusConfig)
