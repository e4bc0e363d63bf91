"""Text to speech with a TTS bundle: front end, duration model, acoustic model, WORLD.

A bundle is a folder with two packed models (``sptk-cli pack`` outputs):
``acoustic/`` (MLMS or a single-speaker LSTM, with ``phone_set.json``) and
``duration/`` (:mod:`toolkit.models.tts_duration`). ``sptk-cli tts bundle``
makes one; the default lives in ``toolkit/assets/tts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from toolkit.errors import UserError
from toolkit.tts.frontend import (
    SIL,
    PhoneSet,
    frame_features,
    label_sequence,
    phone_features,
    text_to_phrases,
)

ASSET = Path(__file__).resolve().parents[1] / "assets" / "tts"
MIN_PHONE_FRAMES = 3  # one frame per HMM state, as the aligner allows


def default_bundle() -> Path:
    """The bundle shipped with the package (error when missing)."""
    if not (ASSET / "acoustic" / "model.pt").is_file():
        raise UserError("no default TTS model ships with this installation; pass --model DIR "
                        "(a bundle from 'sptk-cli tts bundle')")
    return ASSET


def make_bundle(acoustic: Path, duration: Path, out: Path, overwrite: bool = False) -> Path:
    """Copy two packed models into ``out/acoustic`` and ``out/duration`` (atomically)."""
    from toolkit.fsutil import atomic_dir

    for p in (acoustic, duration):
        if not (Path(p) / "model.pt").is_file():
            raise UserError(f"{p} is not a packed model (no model.pt); run 'sptk-cli pack'")
    with atomic_dir(out, overwrite=overwrite) as tmp:
        shutil.copytree(acoustic, tmp / "acoustic", ignore=shutil.ignore_patterns(".done"))
        shutil.copytree(duration, tmp / "duration", ignore=shutil.ignore_patterns(".done"))
    return Path(out)


class TtsSynthesizer:
    """Load a bundle once; synthesize many texts.

    Args:
        bundle: folder with ``acoustic/`` and ``duration/``.
        device: torch device.
    """

    def __init__(self, bundle: str | Path, device: str = "cpu"):
        from toolkit.train.packing import load_model_dir

        bundle = Path(bundle)
        for part in ("acoustic", "duration"):
            if not (bundle / part / "meta.yaml").is_file():
                raise UserError(f"{bundle} is not a TTS bundle (no {part}/meta.yaml); make one "
                                "with 'sptk-cli tts bundle'")
        _, self.cfg, self.acoustic = load_model_dir(bundle / "acoustic", device)
        _, _, self.duration = load_model_dir(bundle / "duration", device)
        self.phone_set = PhoneSet.load(bundle / "acoustic" / "phone_set.json")
        self.device = device

    def features(self, text: str, lang: str, speaker: str,
                 durations: list[int] | None = None) -> np.ndarray:
        """Predicted ``(frames, 49)`` vocoder features of ``text``.

        Raises:
            UserError: unknown language or speaker (the known ones listed), empty
                text, characters the language cannot phonemize, bad durations.
        """
        from toolkit.text.phonemize import require_phonemizable

        self.acoustic.languages(lang), self.acoustic.speakers(speaker)
        if not text.strip():
            raise UserError("empty text: give something to say")
        voice = self.cfg.frontend.voices.get(lang, lang)
        require_phonemizable(text, voice)
        phrases = text_to_phrases(text, lang, voice)
        labels = label_sequence(phrases)
        pf = phone_features(phrases, self.phone_set)
        if durations is None:
            pred = self.duration.generate(torch.from_numpy(pf).to(self.device), lang, speaker)
            dur = np.rint(pred.cpu().numpy()).astype(np.int64)
            dur = np.array([d if p == SIL else max(d, MIN_PHONE_FRAMES)
                            for d, p in zip(dur, labels, strict=True)])
        else:
            if len(durations) != len(labels):
                raise UserError(f"--durations has {len(durations)} values but the text has "
                                f"{len(labels)} label items (pause slots included)")
            dur = np.asarray(durations, dtype=np.int64)
        x = frame_features(pf, dur)
        if len(x) == 0:
            raise UserError("the durations give no frames to synthesize")
        y = self.acoustic.generate(torch.from_numpy(x).to(self.device), lang, speaker)
        return y.cpu().numpy()

    def to_file(self, text: str, lang: str, speaker: str, out: str | Path,
                durations: list[int] | None = None) -> float:
        """Synthesize into ``out`` (wav); returns its duration in seconds."""
        from toolkit.data.audio import save_audio
        from toolkit.dsp.world import synthesize

        wave = synthesize(self.features(text, lang, speaker, durations), self.cfg.vocoder)
        save_audio(out, wave, self.cfg.vocoder.sample_rate)
        return len(wave) / self.cfg.vocoder.sample_rate
