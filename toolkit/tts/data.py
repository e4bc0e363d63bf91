"""Datasets of the tts task: stage-2 data directories as acoustic or duration items.

Data directories (stage 2 output, ``dump/<tag>/<set>``): ``feats.scp`` (natural
``(frames, 49)`` vocoder features, ``.npy``), ``phones`` (phrase labels),
``durations`` (frames per label item, from the aligner), ``utt2lang``,
``utt2spk``, and ``phone_set.json`` (the union phone inventory, written by
``sptk-cli tts phone-set``). The model's languages and speakers select the
utterances it trains on: a baseline built for (fr, asterisk-june) sees only
that pair in the same directory.

Acoustic items are ``(frames, in_dim)`` inputs and ``(frames, 49)`` targets
(random ``data.chunk_frames`` crops in training: truncated BPTT); duration items
are ``(phones, phone_dim)`` and ``log(1 + frames)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError
from toolkit.tts.config import TtsConfig
from toolkit.tts.frontend import PhoneSet, frame_features, parse_phrases, phone_features

PHONE_SET = "phone_set.json"


def load_phone_set(data_dir: Path) -> PhoneSet:
    path = Path(data_dir) / PHONE_SET
    if not path.is_file():
        raise DataDirError(f"{data_dir} has no {PHONE_SET}; write it with 'sptk-cli tts "
                           "phone-set' (stage 2)")
    return PhoneSet.load(path)


class TtsDataset:
    """Acoustic or duration items of the utterances of the model's languages and speakers."""

    def __init__(self, data_dir: Path, cfg: TtsConfig, model: Any, train: bool,
                 phone_set: PhoneSet):
        self.dir = DataDir(data_dir)
        self.cfg, self.train, self.phone_set = cfg, train, phone_set
        self.target = model.target
        for role in ("phones", "durations", "utt2lang", "utt2spk") + (
                ("feats.scp",) if self.target == "acoustic" else ()):
            if not self.dir.has(role):
                raise DataDirError(f"{self.dir.path} has no '{role}'; run stage 2 first")
        langs, spks = self.dir.read("utt2lang"), self.dir.read("utt2spk")
        known = set(self.dir.read("durations"))
        self.keys = [k for k in self.dir.keys() if k in known
                     and langs[k] in model.languages.index and spks[k] in model.speakers.index]
        self.lang = [model.languages(langs[k]) for k in self.keys]
        self.spk = [model.speakers(spks[k]) for k in self.keys]
        self.epoch = 0
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def _phone_level(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Phone-level features and durations of item ``i`` (cached: small, and parsing the
        labels on every access cost more than a training step of the small models)."""
        if i not in self._cache:
            key = self.keys[i]
            pf = phone_features(parse_phrases(self.dir.read("phones")[key]), self.phone_set)
            dur = np.array(self.dir.read("durations")[key].split(), dtype=np.int64)
            self._cache[i] = pf, dur
        return self._cache[i]

    def arrays(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Whole-utterance ``(inputs, targets)`` of item ``i``."""
        key = self.keys[i]
        pf, dur = self._phone_level(i)
        if self.target == "duration":
            return pf, np.log1p(dur).astype(np.float32)[:, None]
        y = np.load(self.dir.read("feats.scp")[key])
        x = frame_features(pf, dur)
        n = min(len(x), len(y))
        return x[:n], y[:n]

    def __getitem__(self, i: int) -> dict[str, Any]:
        x, y = self.arrays(i)
        n = len(x)
        if self.target == "acoustic":
            limit = self.cfg.data.chunk_frames if self.train else self.cfg.data.max_valid_frames
            if n > limit:
                start = 0
                if self.train:
                    rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i])
                    start = int(rng.integers(0, n - limit + 1))
                x, y = x[start: start + limit], y[start: start + limit]
        return {"x": torch.from_numpy(np.ascontiguousarray(x)),
                "y": torch.from_numpy(np.ascontiguousarray(y)),
                "lang": self.lang[i], "spk": self.spk[i]}


def collate(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Pad to the longest item: x ``(B, T, D)``, y ``(B, T, O)``, mask ``(B, T)``."""
    n = max(len(it["x"]) for it in items)
    b = len(items)
    x = torch.zeros(b, n, items[0]["x"].shape[1])
    y = torch.zeros(b, n, items[0]["y"].shape[1])
    mask = torch.zeros(b, n)
    for i, it in enumerate(items):
        t = len(it["x"])
        x[i, :t], y[i, :t], mask[i, :t] = it["x"], it["y"], 1.0
    return {"x": x, "y": y, "mask": mask, "lang": torch.tensor([it["lang"] for it in items]),
            "spk": torch.tensor([it["spk"] for it in items])}
