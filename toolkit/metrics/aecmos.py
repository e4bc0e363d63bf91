"""AECMOS: the echo-impairment MOS model of the AEC Challenge (Purin et al., ICASSP 2022).

The ONNX models come from the installed ``speechmos`` wheel
(:mod:`toolkit.metrics.mos_models`; the same files as Microsoft's AEC Challenge
repository); ``--aecmos-model`` gives another file or folder. Two 16 kHz
version-4 models are supported:

- ``Run_1663915512_Stage_0.onnx`` (preferred when a folder is given): takes the
  scenario (far-end single talk ``st``, near-end single talk ``nst``, double
  talk ``dt``) as 20 marker frames appended to each stream;
- ``Run_1663829550_Stage_0.onnx``: without the scenario input.

Features per signal (loopback / far end ``lpb``, microphone ``mic``, enhanced
``enh``; cut to a common length of at most 20 s): librosa mel power spectrogram
(n_fft 513, hop 256, 160 bands), in dB relative to its maximum, mapped by
``(db + 40) / 40``, as ``(frames, 160)``; stacked to ``(1, 3, frames, 160)``
with the GRU state ``h0`` zeros ``(4, 1, 64)``. Output: ``[echo MOS, other MOS]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.errors import UserError
from toolkit.metrics.mos_models import speechmos_models

SR = 16000
SCENARIO_MODEL = "Run_1663915512_Stage_0.onnx"
PLAIN_MODEL = "Run_1663829550_Stage_0.onnx"
SCENARIOS = ("st", "nst", "dt")
#: Names the recipes use for the AECMOS scenarios.
FROM_RECIPE = {"fest": "st", "nest": "nst", "dt": "dt"}


def mel_features(x: np.ndarray) -> np.ndarray:
    """AECMOS input features ``(frames, 160)`` of a 16 kHz signal."""
    import librosa

    mel = librosa.feature.melspectrogram(y=np.asarray(x, np.float32), sr=SR, n_fft=513,
                                         hop_length=256, n_mels=160)
    db = librosa.power_to_db(mel, ref=np.max)
    return ((db + 40) / 40).T.astype(np.float32)


class AecMos:
    """An AECMOS ONNX model ready to score clips.

    Args:
        path: the ``.onnx`` file, or a folder holding one of the two known files;
            None: the copy in the speechmos wheel.
        threads: onnxruntime intra-op threads.
    """

    def __init__(self, path: str | Path | None = None, threads: int = 1):
        import onnxruntime as ort

        path = Path(path) if path else speechmos_models("aecmos_models")
        if path.is_dir():
            found = [path / n for n in (SCENARIO_MODEL, PLAIN_MODEL) if (path / n).is_file()]
            if not found:
                raise UserError(f"--aecmos-model {path}: the folder holds neither {SCENARIO_MODEL} "
                                f"nor {PLAIN_MODEL}; download them from the AEC Challenge repo")
            path = found[0]
        if not path.is_file():
            raise UserError(f"--aecmos-model {path} does not exist; give the AECMOS .onnx file "
                            "or its folder")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), opts,
                                                providers=["CPUExecutionProvider"])
        except Exception as e:
            raise UserError(f"--aecmos-model {path}: onnxruntime cannot load it ({e})") from None
        self.with_scenario = path.name != PLAIN_MODEL
        self.path = path

    def score(self, lpb: np.ndarray, mic: np.ndarray, enh: np.ndarray,
              scenario: str = "dt") -> tuple[float, float]:
        """``(echo MOS, other-degradation MOS)`` of one clip at 16 kHz.

        Args:
            lpb, mic, enh: ``(samples,)`` far end, microphone, enhanced signal.
            scenario: st | nst | dt (or the recipe's fest | nest | dt).
        """
        scenario = FROM_RECIPE.get(scenario, scenario)
        if scenario not in SCENARIOS:
            raise UserError(f"AECMOS scenario '{scenario}': use st, nst or dt")
        n = min(len(lpb), len(mic), len(enh), 20 * SR)
        feats = [mel_features(np.asarray(s[:n])) for s in (lpb, mic, enh)]
        if self.with_scenario:
            st, nst = float(scenario == "st"), float(scenario == "nst")
            feats = [np.concatenate([f, np.full((20, f.shape[1]), marker, np.float32),
                                     np.zeros((20, f.shape[1]), np.float32)])
                     for f, marker in zip(feats, (1 - nst, 1 - st, 1.0), strict=True)]
        x = np.stack(feats)[None]
        out = self.session.run(None, {"input": x, "h0": np.zeros((4, 1, 64), np.float32)})[0]
        out = np.asarray(out).reshape(-1)
        return float(out[0]), float(out[1])
