"""Configuration of the aec task: data, loss, simulated sets, corpus, baseline (dataclasses).

Every hyperparameter of a recipe experiment lives here, in one YAML file per
experiment (``recipes/aec/conf/*.yaml``); the simulation's random parameters are
:class:`toolkit.aec.simulate.AecSimConfig` (``data.sim``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.aec.simulate import AecSimConfig
from toolkit.errors import ConfigError
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

    Keeping the near-end talker (departures from the paper, 0 there; see
    :func:`frame_weights`): the loss is a weighted mean over frames, a frame
    counting ``1 + near_weight`` where the near end talks and ``dt_weight`` more
    where the echo is present too (double talk); ``suppress_weight`` adds
    ``mean w (relu(|S|^c - |Y|^c))^2``, a one-sided term charged only where the
    output has less near-end magnitude than the target (over-suppression).
    A frame is active where its energy is within ``active_db`` dB of the clip's
    loudest frame and above -70 dBFS.
    """

    compression: float = 0.3
    beta: float = 0.7
    delay_weight: float = 0.0
    near_weight: float = 0.0
    dt_weight: float = 0.0
    suppress_weight: float = 0.0
    active_db: float = 35.0


@dataclass
class AecSetConfig:
    """A fixed simulated set: size, seed, device-delay range (s), scenarios, length.

    ``sim``: values of ``data.sim`` (:class:`AecSimConfig`) replaced for this set only,
    e.g. ``{delay_change_prob: 1.0, ser: [-15, -5]}`` for a hard-alignment condition.
    """

    n: int = 100
    seed: int = 1
    delay: list[float] = field(default_factory=lambda: [0.0, 0.3])
    duration: float = 8.0
    scenarios: dict[str, float] = field(default_factory=lambda: {"fest": 0.5, "dt": 0.4,
                                                                 "nest": 0.1})
    sim: dict = field(default_factory=dict)


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
    """Config of the aec task (defaults: the paper's optimiser; batch 400 x 150 epochs).

    ``init_from``: a model directory (experiment or bundle) whose weights start
    the training (fine-tuning) instead of a random initialisation; empty: random.
    """

    model: ModelSpec = field(default_factory=lambda: ModelSpec("align_cruse", {}))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(
        name="adam", lr=1.5e-4, weight_decay=5e-6))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        epochs=150, batch_size=400, grad_clip=5.0))
    data: AecDataConfig = field(default_factory=AecDataConfig)
    loss: AecLossConfig = field(default_factory=AecLossConfig)
    corpus: AecCorpusConfig = field(default_factory=AecCorpusConfig)
    baseline: AecBaselineConfig = field(default_factory=AecBaselineConfig)
    init_from: str = ""


def set_simulation(cfg: AecConfig, name: str) -> AecSimConfig:
    """The simulation settings of the fixed set ``corpus.sets[name]``: ``data.sim`` with the
    set's length, delay range and scenarios (no long-delay mixture) and its ``sim`` values.

    Raises:
        ConfigError: an unknown set or an unknown key in the set's ``sim``.
    """
    if name not in cfg.corpus.sets:
        raise ConfigError(f"set '{name}': the config defines {', '.join(cfg.corpus.sets)}")
    s = cfg.corpus.sets[name]
    base = vars(cfg.data.sim)
    unknown = sorted(set(s.sim) - set(base))
    if unknown:
        raise ConfigError(f"corpus.sets.{name}.sim.{unknown[0]} is not a simulation setting "
                          f"(known: {', '.join(sorted(base))})")
    return AecSimConfig(**{**base, "duration": s.duration, "delay": s.delay,
                           "long_delay_prob": 0.0, "scenarios": s.scenarios, **s.sim})
