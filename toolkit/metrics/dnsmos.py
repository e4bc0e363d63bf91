"""DNSMOS P.835 (SIG, BAK, OVRL) and P.808 MOS: non-intrusive speech quality with onnxruntime.

Reddy et al., "DNSMOS P.835: a non-intrusive perceptual objective speech quality
metric to evaluate noise suppressors" (ICASSP 2022). The ONNX models
(``sig_bak_ovr.onnx``, ``model_v8.onnx``) come from the installed ``speechmos``
wheel (:mod:`toolkit.metrics.mos_models`); ``--dnsmos-model DIR`` or
``$SPTK_DNSMOS_MODEL`` points at another copy (e.g. the DNS Challenge repository's).

Protocol (the challenge's ``dnsmos_local.py``): 16 kHz audio; a clip shorter
than 9.01 s is repeated up to that length; longer clips are scored on 9.01 s
windows every second and the window scores averaged. The P.835 model reads the
raw window and its three outputs are mapped with the challenge's
non-personalised polynomials; the P.808 model reads a 120-band mel spectrogram
(n_fft 321, hop 160, dB relative to the maximum, ``(db + 40) / 40``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from toolkit.errors import UserError
from toolkit.metrics.mos_models import speechmos_models

SAMPLE_RATE = 16000
WINDOW = int(9.01 * SAMPLE_RATE)
HOP = SAMPLE_RATE
POLY = {"sig": (-0.08397278, 1.22083953, 0.0052439),
        "bak": (-0.13166888, 1.60915514, -0.39604546),
        "ovrl": (-0.06766283, 1.11546468, 0.04602535)}


def find_model_dir(path: str | Path | None = None) -> Path:
    """The DNSMOS folder: ``path``, else ``$SPTK_DNSMOS_MODEL``, else speechmos's copy."""
    path = Path(path or os.environ.get("SPTK_DNSMOS_MODEL") or speechmos_models("dnsmos_models"))
    if path.is_file():
        path = path.parent
    if not (path / "sig_bak_ovr.onnx").is_file():
        raise UserError(f"{path} holds no sig_bak_ovr.onnx; pass the DNSMOS model folder")
    return path


class DNSMOS:
    """Score waveforms with DNSMOS.

    Args:
        model_dir: folder holding ``sig_bak_ovr.onnx`` (and optionally ``model_v8.onnx``);
            None: :func:`find_model_dir`'s default (the speechmos wheel).
        threads: onnxruntime intra-op threads.
        p808: also run the P.808 model (``model_v8.onnx``; its mel features
            double the cost).
    """

    def __init__(self, model_dir: str | Path | None = None, threads: int = 1,
                 p808: bool = False):
        import onnxruntime as ort

        folder = find_model_dir(model_dir)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.p835 = ort.InferenceSession(str(folder / "sig_bak_ovr.onnx"), opts,
                                         providers=["CPUExecutionProvider"])
        v8 = folder / "model_v8.onnx"
        self.p808 = (ort.InferenceSession(str(v8), opts, providers=["CPUExecutionProvider"])
                     if p808 and v8.is_file() else None)

    @staticmethod
    def windows(x: np.ndarray) -> np.ndarray:
        """``(samples,)`` -> ``(n_windows, 144160)`` (the clip repeated when shorter)."""
        x = np.asarray(x, dtype=np.float32)
        if not len(x):
            raise UserError("DNSMOS: empty audio")
        while len(x) < WINDOW:
            x = np.concatenate([x, x])
        n = int(np.floor(len(x) / SAMPLE_RATE - 9.01)) + 1
        return np.stack([x[i * HOP: i * HOP + WINDOW] for i in range(max(n, 1))])

    @staticmethod
    def p808_features(window: np.ndarray) -> np.ndarray:
        """``(144160,)`` -> ``(900, 120)`` mel features of the P.808 model."""
        import librosa

        mel = librosa.feature.melspectrogram(y=window[:-160], sr=SAMPLE_RATE, n_fft=321,
                                             hop_length=160, n_mels=120)
        feats = (librosa.power_to_db(mel, ref=np.max) + 40) / 40
        return feats.T[:900].astype(np.float32)

    def score(self, x: np.ndarray, sample_rate: int = SAMPLE_RATE) -> dict[str, float]:
        """DNSMOS of one waveform ``(samples,)``: sig, bak, ovrl (and p808 when available)."""
        from toolkit.data.audio import resample

        x = resample(np.asarray(x, np.float32), sample_rate, SAMPLE_RATE)
        w = self.windows(x)
        raw = self.p835.run(None, {"input_1": w})[0]  # (n_windows, 3) raw sig, bak, ovrl
        out = {}
        for i, name in enumerate(("sig", "bak", "ovrl")):
            a, b, c = POLY[name]
            out[name] = float(np.mean(a * raw[:, i] ** 2 + b * raw[:, i] + c))
        if self.p808 is not None:
            feats = np.stack([self.p808_features(win) for win in w])
            out["p808"] = float(np.mean(self.p808.run(None, {"input_1": feats})[0]))
        return out


def score_dir(data_dir: str | Path, model_dir: str | Path | None, keys: list[str] | None = None,
              role: str = "wav.scp") -> dict[str, dict[str, float]]:
    """DNSMOS per utterance of a data directory (``role`` holds the audio)."""
    from toolkit.data.audio import load_mono
    from toolkit.data.datadir import DataDir

    d = DataDir(data_dir)
    scorer = DNSMOS(model_dir)
    paths = d.read(role)
    return {k: scorer.score(load_mono(paths[k], SAMPLE_RATE)[0]) for k in (keys or d.keys())}


def aggregate(per_key: dict[str, dict[str, float]]) -> dict[str, float]:
    """Means over utterances: ``dnsmos_sig``, ``dnsmos_bak``, ``dnsmos_ovrl`` (``dnsmos_p808``)."""
    out: dict[str, float] = {"n": len(per_key)}
    names = sorted({m for v in per_key.values() for m in v})
    for m in names:
        out[f"dnsmos_{m}"] = float(np.mean([v[m] for v in per_key.values() if m in v]))
    return out
