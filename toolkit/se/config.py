"""Configuration of the se task: the dataclasses of every config section.

``SEConfig`` is what ``sptk-cli train --task se`` reads: model, optim, trainer
(shared), ``data`` (rates and crops), ``uda`` (the SRST paper's training modes),
``corpus`` (the built-in source / target corpus of recipes/se), ``steps``
(per-step overrides of stage 3), ``mix`` (dynamic mixing of the general
enhancer) and ``loss``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from toolkit.errors import ConfigError
from toolkit.train.config import ModelSpec, OptimConfig, TrainConfig, TrainerConfig

MODES = ("source", "target", "classifier", "dann", "remixit", "srst")


@dataclass
class UDACorpusConfig:
    """How the source and target domains are drawn (the ``corpus`` config section).

    Attributes:
        speech_sources: speech pools to build (asterisk, tuxpaint, ktuberling).
        max_per_lang: clips per language and source taken from the pools (0: all).
        source_langs / target_langs: languages of each domain.
        source_talkers / target_talkers: talker-name prefixes (``utt2spk``, e.g.
            ``asterisk-allison`` or ``tuxpaint-``) a domain's speech is drawn from;
            empty: every talker of its languages.
        source_noise_types / target_noise_types: disjoint noise families.
        noise_sources: noise pool sources to scan (empty: all installed).
        n_procedural: clips per procedural noise type.
        n_source_train, n_source_dev, n_target_train, n_target_dev: mixtures.
        n_target_test: test utterances, each mixed at every ``test_snrs`` value.
        n_target_test_source_lang: test utterances of the source languages (the
            source dev utterances, never in source training) mixed like the target
            test set (target test noises and rooms, every ``test_snrs`` value): set
            ``target_test_source_lang``, the paper's Table 2 "DNS English" row.
        max_seconds: longer utterances are cut to this length.
        train_snr: SNR range (dB, uniform) of the train and dev mixtures.
        test_snrs: SNRs of the test mixtures.
        level_dbfs: range of the mixture RMS level (gain augmentation).
        target_reverb: share of the target mixtures (every set) whose speech is
            convolved with a simulated room first; the reverberant speech is the label
            (as in the DNS Challenge's reverberant sets).
        n_rooms: simulated rooms for ``target_reverb`` (RT60 0.2-0.8 s); train, dev
            and test rooms are disjoint.
        dev_share / test_share: share of each domain's speech and noise files
            kept for dev and test.
        seed: seed of every draw.
    """

    speech_sources: list[str] = field(default_factory=lambda: ["asterisk", "tuxpaint"])
    max_per_lang: int = 0
    source_langs: list[str] = field(default_factory=lambda: ["en"])
    target_langs: list[str] = field(default_factory=lambda: [
        "fr", "it", "ru", "ro", "bg", "el", "es", "ca", "be", "da"])
    source_talkers: list[str] = field(default_factory=list)
    target_talkers: list[str] = field(default_factory=list)
    source_noise_types: list[str] = field(default_factory=lambda: [
        "machine", "white", "pink", "brown", "hum", "fan"])
    target_noise_types: list[str] = field(default_factory=lambda: [
        "ambient", "impact", "alert", "vocal", "music"])
    noise_sources: list[str] = field(default_factory=list)
    n_procedural: int = 20
    n_source_train: int = 2000
    n_source_dev: int = 100
    n_target_train: int = 2000
    n_target_dev: int = 100
    n_target_test: int = 100
    n_target_test_source_lang: int = 0
    max_seconds: float = 6.0
    train_snr: list[float] = field(default_factory=lambda: [-5.0, 5.0])
    test_snrs: list[float] = field(default_factory=lambda: [-5.0, 0.0, 5.0])
    level_dbfs: list[float] = field(default_factory=lambda: [-35.0, -15.0])
    target_reverb: float = 0.0
    n_rooms: int = 60
    dev_share: float = 0.1
    test_share: float = 0.15
    seed: int = 0


@dataclass
class MixConfig:
    """Dynamic mixing settings (the ``mix`` config section; empty ``noise`` = off).

    Attributes:
        noise: noise pool data directories (``wav.scp``, ``utt2origin``, ``label``).
        noise_exclude: noise types (``label``) never used: ``voice`` is spoken
            phrases, which an enhancer must keep, not remove.
        esc: ESC-10 / ESC-50 folder (``<class>/<fold>-<id>-<take>.ogg``; "" = none).
        esc_train_folds / esc_valid_folds / esc_test_folds: ESC folds per split.
        rirs: RIR pool data directory ("" = no reverberation).
        valid_speakers / test_speakers: talkers (``utt2spk``) held out whole.
        noise_holdout: share of noise recordings held out (half valid, half test).
        snr: range (dB, uniform) of the speech-to-noise ratio.
        p_clean: share of items without noise (target = input).
        p_reverb: share of items with reverberant speech.
        p_second_noise: share of noisy items with a second noise.
        level_dbfs: range (uniform) of the mixture RMS level.
        p_eq: share of training items whose speech (input and target alike) is
            given a random spectral shape (see ``eq_db``); 0 draws no numbers.
        eq_db: largest gain (dB) of each of the two random peaks of that shape; its
            tilt is up to a third of it per octave.
        items_per_epoch: training items per epoch.
        n_valid: fixed validation items (held-out talkers and noises).
        valid_snr: SNR range of the validation items.
    """

    noise: list[str] = field(default_factory=list)
    noise_exclude: list[str] = field(default_factory=lambda: ["voice"])
    esc: str = ""
    esc_train_folds: list[int] = field(default_factory=lambda: [1, 2])
    esc_valid_folds: list[int] = field(default_factory=list)
    esc_test_folds: list[int] = field(default_factory=lambda: [3])
    rirs: str = ""
    valid_speakers: list[str] = field(default_factory=list)
    test_speakers: list[str] = field(default_factory=list)
    noise_holdout: float = 0.1
    snr: list[float] = field(default_factory=lambda: [-10.0, 30.0])
    p_clean: float = 0.1
    p_reverb: float = 0.3
    p_second_noise: float = 0.2
    level_dbfs: list[float] = field(default_factory=lambda: [-45.0, -10.0])
    p_eq: float = 0.0
    eq_db: float = 10.0
    items_per_epoch: int = 4000
    n_valid: int = 200
    valid_snr: list[float] = field(default_factory=lambda: [-5.0, 20.0])


@dataclass
class LossConfig:
    """Which loss trains the model (the ``loss`` config section).

    Attributes:
        kind: ``si_sdr`` (the paper: -SI-SDR of speech and noise) or ``snr_spec``
            (thresholded SNR + compressed spectral term: sees sign and level).
        tau_db: cap of the thresholded SNR (dB).
        spec_weight: weight of the compressed spectral term.
        noise_weight: weight of the noise estimate's thresholded SNR (noisy items).
        compress: magnitude compression exponent of the spectral term.
        near_clean_weight: ``snr_spec`` only: weight of the items whose input SNR is at
            least ``near_clean_db`` (clean inputs included) against 1 for the others,
            for an enhancer that must leave near-clean speech alone.
        near_clean_db: the input SNR (dB) from which an item counts as near-clean.
        teacher: ``snr_spec`` only: a model directory (an se model of any architecture)
            whose speech estimate replaces the target of the training items of input
            SNR >= ``teacher_db`` (clean ones included), in training and validation, to
            carry a model's behaviour on near-clean input over to a student that learns
            the noisy items from the clean targets. Empty: no teacher.
        teacher_db: the input SNR (dB) from which an item learns the teacher's output.
        keep_noise_db: ``snr_spec`` only: ``[lo, hi]`` input SNRs (dB) between which the
            targets keep a share ``a`` of the noise rising linearly from 0 at ``lo`` to 1
            at ``hi`` and above (speech target ``s + a n``, noise target ``(1 - a) n``,
            after the teacher's), in training and validation: an enhancer that leaves
            near-clean input as it is instead of risking the speech for a noise 30 dB
            down. Empty: off.
    """

    kind: str = "si_sdr"
    tau_db: float = 50.0
    spec_weight: float = 10.0
    noise_weight: float = 0.1
    compress: float = 0.3
    near_clean_weight: float = 1.0
    near_clean_db: float = 20.0
    teacher: str = ""
    teacher_db: float = 15.0
    keep_noise_db: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        k = self.keep_noise_db
        if k and (len(k) != 2 or not float(k[0]) < float(k[1])):
            raise ConfigError(f"loss.keep_noise_db must be [lo, hi] with lo < hi (dB), got {k}")


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
        init_negate: negate both outputs of the ``init`` model (a sign-blind SI-SDR
            model that came out polarity-inverted starts with the right sign).
        aux_data / aux_valid: the second domain's data directory for training and
            validation: target mixtures (classifier, dann) or source pairs (srst).
        aux_rank: ``<key> <score>`` file over ``aux_data``; srst draws from the
            highest-scored share (the most target-like source items).
        beta: weight of the domain BCE in DANN (0.05 in the paper).
        grl: gradient reversal coefficient in front of the classifier.
        freeze_classifier: keep the pre-trained classifier fixed during DANN.
        reset_classifier: re-initialise the domain classifier after loading
            ``init`` (SRST's ranking classifier: trained afresh on the DANN encoder).
        srst_start / srst_step: share of the ranked source items used in epoch 0,
            and how much it shrinks per epoch (0.30 and 0.03 in the paper).
        lambda0 / lambda_decay: weight of the source loss, multiplied by
            ``lambda_decay`` every epoch (the paper: "monotonically decreased").
        remixit_rounds: RemixIT teacher updates (rounds of pseudo-labelling;
            the orchestrator runs one training per round).
    """

    mode: Literal["source", "target", "classifier", "dann", "remixit", "srst"] = "source"
    init: str = ""
    init_negate: bool = False
    aux_data: str = ""
    aux_valid: str = ""
    aux_rank: str = ""
    beta: float = 0.05
    grl: float = 1.0
    freeze_classifier: bool = False
    reset_classifier: bool = False
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


