"""Configuration of the svs task: one dataclass per section of a recipe YAML."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.train.config import ModelSpec, OptimConfig, TrainConfig, TrainerConfig


@dataclass
class SpecConfig:
    """The model's input representation (the ``features:`` section of the config).

    Attributes:
        sample_rate: the model's rate (8192 Hz in the paper).
        n_fft: STFT window and FFT size at that rate.
        hop_length: STFT hop.
        freq_bins: bins fed to the model (the lowest ones; 512 of 513 in the paper).
        patch_frames: frames per patch (128, about 11.9 s).
    """

    sample_rate: int = 8192
    n_fft: int = 1024
    hop_length: int = 768
    freq_bins: int = 512
    patch_frames: int = 128

    @property
    def patch_samples(self) -> int:
        """Samples at ``sample_rate`` whose centred STFT has exactly ``patch_frames`` frames."""
        return (self.patch_frames - 1) * self.hop_length

    @property
    def patch_seconds(self) -> float:
        return self.patch_samples / self.sample_rate


@dataclass
class SeparateConfig:
    """Inference settings (the ``decode:`` section of the config).

    Attributes:
        reconstruction: fullrate | lowrate (see :mod:`toolkit.svs.infer`).
        patch_hop: frames between patch starts (overlap = patch_frames - patch_hop).
        batch_size: patches per forward pass.
        high_band_bins: top model bins whose mean mask extends the mask above them.
        chunk_seconds: audio separated at once by :func:`toolkit.svs.infer.separate_file`
            (the memory bound).
        overlap_seconds: overlap of consecutive chunks.
        fullrate_overlap: full-rate STFT window / hop. 2 (hop 62.5 ms, still finer than
            the model's 94 ms) halves the FFT work of 4 for -0.03 dB vocal NSDR (15
            MIR-1K amy dev clips, shipped model: 7.86 vs 7.89 dB).
        normalize_masks: rescale the two masks to sum to one (vocals m_v / (m_v + m_a),
            accompaniment the rest): the stems then add up to the mixture, and the
            accompaniment costs no inverse STFT (input minus vocals). +0.45 dB NSDR on
            both sources on the 15 MIR-1K amy dev clips with the 2026-11-21 default model
            (8.32 / 8.12 vs 7.86 / 7.68 dB). Off: the paper's two independent masks.
    """

    reconstruction: str = "fullrate"
    patch_hop: int = 64
    batch_size: int = 4
    high_band_bins: int = 64
    chunk_seconds: float = 60.0
    overlap_seconds: float = 4.0
    fullrate_overlap: int = 2
    normalize_masks: bool = False


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
    """Config of the svs task.

    Attributes:
        init: warm start: a packed model or experiment directory with the same network.
    """

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
    init: str = ""
