"""Config of the tts task: models, experiment selector, data, vocoder, aligner, corpus.

One YAML holds every hyperparameter of the recipe. ``experiment`` chooses which
model a ``sptk-cli train --task tts`` run builds (the recipe sets it with
``--set experiment.kind=...``); the chosen spec becomes ``model`` when the
config is loaded, so the saved ``config.yaml`` of each experiment describes
exactly the model it holds:

- ``mlms``: ``model`` as written (the MLMS acoustic model);
- ``baseline``: ``baseline`` for one (``experiment.language``, ``experiment.speaker``)
  pair (also the from-scratch model of an adaptation language);
- ``duration``: ``duration`` over the languages and speakers of ``model``;
- ``adapt``: ``model`` extended by the new language and speaker, trainable
  groups from ``experiment.variant`` (v1: code; v2: code + mean tower; v3:
  mean tower, starting from v1; v4: code + mean tower, starting from v3; a new
  speaker output layer in each), initialised from ``experiment.init``;
- ``duration_adapt``: ``duration`` extended by the new language and speaker, only
  their embeddings trained (the analogue of v1), initialised from ``experiment.init``.

v1 and ``duration_adapt`` leave every shared weight as it was, so several adapted
languages merge into one model (:mod:`toolkit.tts.merge`, ``sptk-cli tts merge``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from toolkit.dsp.world import VocoderConfig
from toolkit.errors import ConfigError
from toolkit.train.config import ModelSpec, TrainConfig, TrainerConfig
from toolkit.tts.align import AlignConfig

VARIANT_GROUPS = {"v1": ["code", "speaker"], "v2": ["code", "mean", "speaker"],
                  "v3": ["mean", "speaker"], "v4": ["code", "mean", "speaker"]}


@dataclass
class ExperimentConfig:
    """Which model this run trains (see the module doc)."""

    kind: Literal["mlms", "baseline", "duration", "adapt", "duration_adapt"] = "mlms"
    language: str = ""
    speaker: str = ""
    variant: Literal["", "v1", "v2", "v3", "v4"] = ""
    init: str = ""


@dataclass
class TtsDataConfig:
    """Training data settings.

    Attributes:
        chunk_frames: truncated-BPTT window: training items are random crops of
            this many frames (the whole utterance when shorter).
        max_valid_frames: validation utterances are cut to this length.
        stats_utts: utterances used for the normalisation statistics.
        in_std_floor: floor of the input standard deviations. Sparse one-hot
            inputs would otherwise be scaled up by 1/sqrt(frequency): with a floor
            of 0.1 a rare phone became an input of 10 and networks over-fitted
            sooner; 1.0 keeps one-hot inputs at their natural scale and only
            shrinks wide features (counts, durations).
    """

    chunk_frames: int = 200
    max_valid_frames: int = 2000
    stats_utts: int = 300
    in_std_floor: float = 1.0


@dataclass
class TtsCorpusConfig:
    """Stages 0-1: which speech pool languages train and which adapt, and the splits.

    Attributes:
        sources: speech pools (``sptk-cli corpus speech --sources``): by default every
            installed asterisk prompt, tuxpaint description and ktuberling word.
        max_per_lang: stage 0 keeps at most this many clips per language of each
            source (0, the default: all of them).
        espeak_langs, espeak_voices: the aligner's test set: the built-in
            sentences of these languages spoken by espeak-ng with these variants
            (phone times exact by construction).
        train_langs: training languages (every speaker of them).
        adapt_langs: new languages with little data.
        max_per_speaker: cap on utterances per speaker (0: all).
        adapt_train_utts: training utterances of each adaptation language.
        adapt_sizes: smaller adaptation sets, each written as ``adapt_train_<n>``:
            the first n utterances of every adaptation pair's ``adapt_train`` (nested,
            so 16 of 64 of 256 are the same utterances; paper Figure 3).
        dev_per_speaker, test_per_speaker: held-out utterances per speaker.
        max_seconds: longer clips are left out.
        seed: draws of the splits.
        loudness_lufs: stage 1 sets every utterance to this integrated loudness
            (:mod:`toolkit.tts.conditioning`; 0 keeps the recorded level).
        trim_db: stage 1 cuts leading/trailing audio more than this many dB below
            the loudest frame (0 keeps it).
        restore_es_accents: stage 1 puts the accents of common Spanish words back
            into ``es`` transcripts written without them
            (:mod:`toolkit.text.es_accents`).
    """

    sources: list[str] = field(default_factory=lambda: ["asterisk", "tuxpaint", "ktuberling"])
    max_per_lang: int = 0
    espeak_langs: list[str] = field(default_factory=lambda: ["en-us", "fr", "es", "it", "ru",
                                                             "de"])
    espeak_voices: list[str] = field(default_factory=lambda: ["+m1", "+f3"])
    train_langs: list[str] = field(default_factory=lambda: ["en", "es", "fr", "it", "ru", "ro"])
    adapt_langs: list[str] = field(default_factory=lambda: ["bg", "ca"])
    max_per_speaker: int = 0
    adapt_train_utts: int = 100
    adapt_sizes: list[int] = field(default_factory=list)
    dev_per_speaker: int = 10
    test_per_speaker: int = 10
    max_seconds: float = 12.0
    seed: int = 0
    loudness_lufs: float = -23.0
    trim_db: float = 40.0
    restore_es_accents: bool = True

    def __post_init__(self) -> None:
        for n in self.adapt_sizes:
            if n < 1 or (self.adapt_train_utts and n >= self.adapt_train_utts):
                raise ConfigError(f"corpus.adapt_sizes: {n} must lie between 1 and "
                                  f"corpus.adapt_train_utts - 1 ({self.adapt_train_utts - 1})")


@dataclass
class HeldoutConfig:
    """Stage 4-5: sentences in no training text, synthesised from text and scored by ASR.

    Attributes:
        text: file of sentences, one per line (relative to the recipe folder);
            empty: no held-out set.
        lang: their language (the ASR word error rate is English only).
        speaker: the voice that speaks them.
        max_sentences: use only the first this many (0: all).
    """

    text: str = ""
    lang: str = "en"
    speaker: str = "asterisk-allison"
    max_sentences: int = 0


@dataclass
class FrontendConfig:
    """espeak-ng voice per language (ISO code -> voice); others use the code itself."""

    voices: dict[str, str] = field(default_factory=lambda: {"en": "en-us", "es": "es-419"})


@dataclass
class DecodeConfig:
    """Stage 4: write waveforms (WORLD with the postfilter of ``vocoder``) beside the features."""

    write_wav: bool = True


@dataclass
class TtsConfig(TrainConfig):
    """The tts task config (module doc)."""

    model: ModelSpec = field(default_factory=lambda: ModelSpec("mlms", {}))
    baseline: ModelSpec = field(default_factory=lambda: ModelSpec("lstm_sss", {}))
    duration: ModelSpec = field(default_factory=lambda: ModelSpec("tts_duration", {}))
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=10, batch_size=16, metric="valid/loss", mode="min"))
    data: TtsDataConfig = field(default_factory=TtsDataConfig)
    vocoder: VocoderConfig = field(default_factory=VocoderConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    frontend: FrontendConfig = field(default_factory=FrontendConfig)
    corpus: TtsCorpusConfig = field(default_factory=TtsCorpusConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    heldout: HeldoutConfig = field(default_factory=HeldoutConfig)
    #: The recipe's experiments (:mod:`toolkit.tts.experiments`); not used by a single run.
    experiments: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.model = resolve_model(self)


def resolve_model(cfg: TtsConfig) -> ModelSpec:
    """The model spec the experiment selects (idempotent: a saved config resolves to itself)."""
    ex, base = cfg.experiment, dict(cfg.model.conf)
    slots = base.get("phone_slots", 128)
    if ex.kind in ("baseline", "adapt", "duration_adapt") and not (ex.language and ex.speaker):
        raise ConfigError(f"experiment.kind={ex.kind} needs experiment.language and "
                          "experiment.speaker")
    if ex.kind == "baseline":
        if cfg.model.name == cfg.baseline.name:
            return cfg.model
        conf = {**cfg.baseline.conf, "phone_slots": slots, "languages": [ex.language],
                "speakers": [ex.speaker]}
        return ModelSpec(cfg.baseline.name, conf)
    if ex.kind == "duration":
        if cfg.model.name == cfg.duration.name:
            return cfg.model
        conf = {**cfg.duration.conf, "phone_slots": slots,
                "languages": list(base.get("languages", ["en"])),
                "speakers": list(base.get("speakers", ["spk"]))}
        return ModelSpec(cfg.duration.name, conf)
    langs, spks = list(base.get("languages", [])), list(base.get("speakers", []))
    langs += [ex.language] * bool(ex.language and ex.language not in langs)
    spks += [ex.speaker] * bool(ex.speaker and ex.speaker not in spks)
    if ex.kind == "duration_adapt":
        if not ex.init:
            raise ConfigError("experiment.kind=duration_adapt needs experiment.init (the "
                              "duration model to start from)")
        if cfg.model.name == cfg.duration.name:
            return cfg.model
        conf = {**cfg.duration.conf, "phone_slots": slots, "languages": langs,
                "speakers": spks, "trainable": ["embedding"]}
        return ModelSpec(cfg.duration.name, conf)
    if ex.kind == "adapt":
        if ex.variant not in VARIANT_GROUPS or not ex.init:
            raise ConfigError("experiment.kind=adapt needs experiment.variant (v1..v4) and "
                              "experiment.init (the experiment to start from)")
        conf = {**base, "languages": langs, "speakers": spks,
                "trainable": VARIANT_GROUPS[ex.variant]}
        return ModelSpec(cfg.model.name, conf)
    return cfg.model
