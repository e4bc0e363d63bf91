"""Frame-level features by name, shared by training (stage 2) and inference.

Every extractor maps a mono waveform to ``(frames, dim)`` float32. The same
:class:`FeatureConfig` is used to precompute features for training (``sptk-cli
features extract``) and inside decoding, so a packed model computes exactly
what it was trained on. Register new kinds in :data:`EXTRACTORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.errors import UserError


@dataclass
class FeatureConfig:
    """Feature extraction settings (the ``features:`` section of a config).

    Attributes:
        kind: logmel | kaldi_fbank (AST's front end) | raw (no features: the model
            reads the waveform).
        sample_rate: audio is resampled to this rate first.
        n_fft: FFT size in samples; win_length defaults to it.
        hop_length: frame shift in samples.
        n_mels: mel bands.
        fmin, fmax: mel range in Hz (fmax 0 means sample_rate / 2).
    """

    kind: str = "logmel"
    sample_rate: int = 16000
    n_fft: int = 512
    win_length: int = 0
    hop_length: int = 160
    n_mels: int = 40
    fmin: float = 0.0
    fmax: float = 0.0

    def __post_init__(self) -> None:
        """Settings that only make sense together (single values: toolkit.config.check_range).

        Raises:
            ValueError: turned into a one-line ConfigError by ``from_dict``.
        """
        if self.kind not in ("logmel", "kaldi_fbank", "raw"):
            raise ValueError(f"kind {self.kind!r} is not one of logmel, kaldi_fbank, raw")
        if self.kind == "raw":
            return
        nyquist = self.sample_rate / 2
        if self.fmax > nyquist:
            raise ValueError(f"fmax {self.fmax:g} Hz is above half the sample rate ({nyquist:g})")
        if self.fmin >= (self.fmax or nyquist):
            raise ValueError(f"fmin {self.fmin:g} Hz is not below fmax ({self.fmax or nyquist:g})")
        if self.kind == "logmel":
            if self.win_length > self.n_fft:
                raise ValueError(f"win_length {self.win_length} is longer than n_fft "
                                 f"{self.n_fft}")
            if self.n_mels > self.n_fft // 2 + 1:
                raise ValueError(f"n_mels {self.n_mels} is more than the {self.n_fft // 2 + 1} "
                                 f"frequency bins of n_fft {self.n_fft} (empty mel bands)")


def logmel(wave: np.ndarray, conf: FeatureConfig) -> np.ndarray:
    """Natural-log mel power spectrogram, ``(frames, n_mels)``."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=wave.astype(np.float32), sr=conf.sample_rate, n_fft=conf.n_fft,
        win_length=conf.win_length or conf.n_fft, hop_length=conf.hop_length,
        n_mels=conf.n_mels, fmin=conf.fmin, fmax=conf.fmax or conf.sample_rate / 2, power=2.0)
    return np.log(mel + 1e-6).T.astype(np.float32)


def raw(wave: np.ndarray, conf: FeatureConfig) -> np.ndarray:
    """The waveform itself as ``(samples, 1)``."""
    return wave.astype(np.float32)[:, None]


def kaldi_fbank(wave: np.ndarray, conf: FeatureConfig) -> np.ndarray:
    """AST's Kaldi-compatible fbank (:mod:`toolkit.dsp.kaldi_fbank`), ``(frames, n_mels)``.

    ``win_length`` / ``hop_length`` in samples (default 25 ms / 10 ms), hanning window,
    ``fmin`` 0 means Kaldi's 20 Hz, ``fmax`` 0 means Nyquist.
    """
    import torch

    from toolkit.dsp.kaldi_fbank import FbankOptions, ast_fbank

    sr = conf.sample_rate
    opts = FbankOptions(sample_rate=sr, num_mel_bins=conf.n_mels,
                        frame_length_ms=1000.0 * (conf.win_length or int(0.025 * sr)) / sr,
                        frame_shift_ms=1000.0 * conf.hop_length / sr,
                        low_freq=conf.fmin or 20.0, high_freq=conf.fmax)
    return ast_fbank(torch.from_numpy(wave.astype(np.float32)), opts).numpy()


EXTRACTORS: dict[str, Callable[[np.ndarray, FeatureConfig], np.ndarray]] = {
    "logmel": logmel,
    "raw": raw,
    "kaldi_fbank": kaldi_fbank,
}


def extract(wave: np.ndarray, conf: FeatureConfig) -> np.ndarray:
    """Features of a mono waveform at ``conf.sample_rate``: ``(frames, dim)``."""
    try:
        fn = EXTRACTORS[conf.kind]
    except KeyError:
        raise UserError(f"features.kind '{conf.kind}' is unknown "
                        f"(known: {', '.join(EXTRACTORS)})") from None
    return fn(wave, conf)


def extract_datadir(data: str | Path, out: str | Path, conf: FeatureConfig,
                    shard: str | None = None) -> Path:
    """Extract features of (shard J/N of) a data directory.

    Writes ``out/feats/<key>.npy`` (``(frames, dim)`` float32) and, in ``out``,
    every file of ``data`` for those keys plus ``feats.scp`` and ``utt2num_frames``.
    """
    import numpy as np

    from toolkit.config import to_dict
    from toolkit.data.audio import load_mono
    from toolkit.data.datadir import DataDir, write_datadir
    from toolkit.data.ops import files_for, parse_shard, shard_keys
    from toolkit.fsutil import atomic_file

    d = DataDir(data)
    keys = d.keys()
    sh = parse_shard(shard)
    if sh:
        keys = shard_keys(keys, *sh)
    out = Path(out).absolute()
    feats, frames = {}, {}
    for key in keys:
        path, offset, duration = d.audio_spec(key)
        wave, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
        x = extract(wave, conf)
        dst = out / "feats" / f"{key}.npy"
        dst.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(dst) as tmp, open(tmp, "wb") as f:
            np.save(f, x)
        feats[key], frames[key] = str(dst), x.shape[0]
    files = files_for(d, keys)
    files.update({"feats.scp": feats, "utt2num_frames": frames})
    meta = {**d.meta, "features": to_dict(conf), "shard": shard}
    meta.pop("created_by", None)
    return write_datadir(out, files, meta, overwrite=True, in_place=True)
