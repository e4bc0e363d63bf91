"""Text to speech with a TTS bundle: front end, duration model, acoustic model, WORLD.

A bundle is a folder with two packed models (``sptk-cli pack`` outputs):
``acoustic/`` (MLMS or a single-speaker LSTM, with ``phone_set.json``) and
``duration/`` (:mod:`toolkit.models.tts_duration`), plus ``voices.yaml``: the
speakers heard in each language's training data and the default speaker per
language, e.g.::

    default: {en: asterisk-allison, ro: tuxpaint-ro}
    trained: {en: [asterisk-allison, tuxpaint-en], ro: [tuxpaint-ro]}

A bundle without ``voices.yaml`` defaults to a speaker whose name ends in the
language code (``tuxpaint-ro``), else the model's first speaker.
``sptk-cli tts bundle`` makes one; the default lives in ``toolkit/assets/tts/``.

A word espeak-ng cannot phonemize never stops synthesis:
:func:`~toolkit.text.phonemize.speakable_text` lets espeak-ng spell it out (or
read it with another language's rules) and drops characters no voice can say,
with a warning naming them.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import torch
import yaml

from toolkit.data.datadir import DataDir
from toolkit.dsp.world import synthesize
from toolkit.errors import UserError
from toolkit.fsutil import atomic_dir, atomic_write_text
from toolkit.text.phonemize import speakable_text
from toolkit.train.packing import load_model_dir
from toolkit.tts.frontend import (
    SIL,
    PhoneSet,
    frame_features,
    label_sequence,
    phone_features,
    text_to_phrases,
)

log = logging.getLogger(__name__)
ASSET = Path(__file__).resolve().parents[1] / "assets" / "tts"
MIN_PHONE_FRAMES = 3  # one frame per HMM state, as the aligner allows
VOICES = "voices.yaml"


def default_bundle() -> Path:
    """The bundle shipped with the package (error when missing)."""
    if not (ASSET / "acoustic" / "model.pt").is_file():
        raise UserError("no default TTS model ships with this installation; pass --model DIR "
                        "(a bundle from 'sptk-cli tts bundle')")
    return ASSET


def voices_of_data(data: str | Path | list) -> dict[str, dict]:
    """``voices.yaml`` content from training data directories (the acoustic model's, and
    those of languages merged in by adaptation): per language the speakers by number of
    utterances (most first); the default is the first."""
    counts: dict[str, dict[str, int]] = {}
    for path in data if isinstance(data, list) else [data]:
        d = DataDir(path)
        langs, spks = d.read("utt2lang"), d.read("utt2spk")
        for key in d.keys():
            per = counts.setdefault(langs[key], {})
            per[spks[key]] = per.get(spks[key], 0) + 1
    trained = {lang: sorted(c, key=lambda s: (-c[s], s)) for lang, c in sorted(counts.items())}
    return {"default": {lang: s[0] for lang, s in trained.items()}, "trained": trained}


def make_bundle(acoustic: Path, duration: Path, out: Path, overwrite: bool = False,
                train_data: Path | list[Path] | None = None) -> Path:
    """Copy two packed models into ``out/acoustic`` and ``out/duration`` (atomically),
    with ``voices.yaml`` from ``train_data`` (the training directories of the acoustic model
    and of any adapted language merged into it)."""
    for p in (acoustic, duration):
        if not (Path(p) / "model.pt").is_file():
            raise UserError(f"{p} is not a packed model (no model.pt); run 'sptk-cli pack'")
    with atomic_dir(out, overwrite=overwrite) as tmp:
        shutil.copytree(acoustic, tmp / "acoustic", ignore=shutil.ignore_patterns(".done"))
        shutil.copytree(duration, tmp / "duration", ignore=shutil.ignore_patterns(".done"))
        if train_data:
            atomic_write_text(tmp / VOICES, yaml.safe_dump(voices_of_data(train_data),
                                                           sort_keys=True))
    return Path(out)


class TtsSynthesizer:
    """Load a bundle once; synthesize many texts.

    Args:
        bundle: folder with ``acoustic/`` and ``duration/`` (or, with ``duration``,
            the acoustic model's experiment or packed folder).
        device: torch device.
        duration: the duration model's folder (experiments of a recipe run).
        rate: speaking rate, predicted durations divided by it (1: the model's
            own; 0.8 slower, 1.25 faster; 0.5-2). Given durations are kept as they are.
    """

    def __init__(self, bundle: str | Path, device: str = "cpu",
                 duration: str | Path | None = None, rate: float = 1.0):
        if not 0.5 <= rate <= 2.0:
            raise UserError(f"speaking rate {rate}: give a factor from 0.5 (half as fast) "
                            "to 2 (twice as fast); 1 is the model's own")
        self.rate = rate
        bundle = Path(bundle)
        if duration is None:
            for part in ("acoustic", "duration"):
                if not (bundle / part / "meta.yaml").is_file():
                    raise UserError(f"{bundle} is not a TTS bundle (no {part}/meta.yaml); make "
                                    "one with 'sptk-cli tts bundle'")
        acoustic, duration = ((bundle / "acoustic", bundle / "duration") if duration is None
                              else (bundle, Path(duration)))
        _, self.cfg, self.acoustic = load_model_dir(acoustic, device)
        _, _, self.duration = load_model_dir(duration, device)
        self.phone_set = PhoneSet.load(acoustic / "phone_set.json")
        self.device = device
        self.sample_rate = self.cfg.vocoder.sample_rate
        voices = bundle / VOICES
        self.voices = yaml.safe_load(voices.read_text(encoding="utf-8")) if voices.is_file() \
            else {}

    @property
    def languages(self) -> list[str]:
        return list(self.acoustic.languages.names)

    @property
    def speakers(self) -> list[str]:
        return list(self.acoustic.speakers.names)

    def trained_speakers(self, lang: str) -> list[str]:
        """Speakers heard in ``lang``'s training data (from ``voices.yaml``; may be empty)."""
        return [s for s in self.voices.get("trained", {}).get(lang, []) if s in self.speakers]

    def default_speaker(self, lang: str) -> str:
        """The bundle's default speaker of ``lang`` (module doc).

        Raises:
            UserError: the model does not know ``lang`` (the known ones listed).
        """
        if lang not in self.languages:
            self.check(lang, self.speakers[0])
        chosen = self.voices.get("default", {}).get(lang)
        if chosen in self.speakers:
            return chosen
        return next((s for s in self.speakers if s.endswith(f"-{lang}")), self.speakers[0])

    def check(self, lang: str, speaker: str) -> None:
        """One-line errors for an unknown language or speaker (the known ones listed)."""
        if lang not in self.languages:
            raise UserError(f"unknown language '{lang}' (the model knows: "
                            f"{', '.join(self.languages)}; see --list-speakers)")
        if speaker not in self.speakers:
            raise UserError(f"unknown speaker '{speaker}' (the model knows: "
                            f"{', '.join(self.speakers)}; see --list-speakers)")

    def features(self, text: str, lang: str, speaker: str,
                 durations: list[int] | None = None) -> np.ndarray:
        """Predicted ``(frames, 49)`` vocoder features of ``text``.

        Words espeak-ng cannot phonemize are spelled out or dropped with a
        warning (module doc), never refused.

        Raises:
            UserError: unknown language or speaker (the known ones listed), text
                with nothing to say, bad durations.
        """
        self.check(lang, speaker)
        if not text.strip():
            raise UserError("empty text: give something to say")
        voice = self.cfg.frontend.voices.get(lang, lang)
        text = speakable_text(text, voice)
        phrases = text_to_phrases(text, lang, voice)
        labels = label_sequence(phrases)
        pf = phone_features(phrases, self.phone_set)
        if durations is None:
            pred = self.duration.generate(torch.from_numpy(pf).to(self.device), lang, speaker)
            dur = np.rint(pred.cpu().numpy() / self.rate).astype(np.int64)
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

    def vocode(self, feats: np.ndarray) -> np.ndarray:
        """``(frames, 49)`` features -> ``(samples,)`` waveform (WORLD, the bundle's postfilter)."""
        return synthesize(feats, self.cfg.vocoder)
