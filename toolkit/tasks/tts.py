"""The tts task: LSTM acoustic and duration models on WORLD features (Li & Zen 2016).

Data directories (stage 2 output, ``dump/<tag>/<set>``): ``feats.scp`` (natural
``(frames, 49)`` vocoder features, ``.npy``), ``phones`` (phrase labels),
``durations`` (frames per label item, from the aligner), ``utt2lang``,
``utt2spk``, and ``phone_set.json`` (the union phone inventory, written by
``sptk-cli tts phone-set``). The model's languages and speakers select the
utterances it trains on: a baseline built for (fr, asterisk-june) sees only
that pair in the same directory.

Acoustic items are ``(frames, in_dim)`` inputs and ``(frames, 49)`` targets
(random ``data.chunk_frames`` crops in training: truncated BPTT); duration items
are ``(phones, phone_dim)`` and ``log(1 + frames)``. The loss is the MSE on
outputs normalised by the model's statistics. Decoding uses natural durations
(the paper's protocol) and writes the predicted features (and audio);
scoring gives MCD, F0 RMSE (cents), V/UV error and the normalised MSE, overall,
per language and per speaker.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError, UserError
from toolkit.tasks.base import Task
from toolkit.tasks.tts_config import TtsConfig
from toolkit.tts.frontend import PhoneSet, frame_features, parse_phrases, phone_features

log = logging.getLogger(__name__)
PHONE_SET = "phone_set.json"


def _inner(model: Any) -> Any:
    return getattr(model, "module", model)


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


def masked_mse(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """MSE between the model's normalised outputs and the normalised targets."""
    pred = model(batch["x"], batch["lang"], batch["spk"])
    norm = _inner(model).out_norm
    err = (pred - norm(batch["y"])) ** 2 * batch["mask"][..., None]
    return err.sum() / (batch["mask"].sum() * pred.shape[-1]).clamp_min(1)


def _load_init(model: Any, init: str) -> None:
    """Copy an experiment's weights into ``model``: matching tensors, known languages/speakers."""
    from toolkit.train.packing import load_model_dir

    if not Path(init).is_dir():
        raise UserError(f"experiment.init {init} does not exist; train that model first")
    _, _, src = load_model_dir(init)
    state = model.state_dict()
    for name, value in src.state_dict().items():
        if name in state and state[name].shape == value.shape and not name.startswith("spk_out"):
            state[name] = value.float()
    old_l = {n: i for i, n in enumerate(src.languages.names)}
    code = state["code"].clone()
    for i, lang in enumerate(model.languages.names):
        code[i] = src.code[old_l[lang]] if lang in old_l else src.code.detach().mean(0)
    state["code"] = code
    for i, spk in enumerate(model.speakers.names):
        if spk in src.speakers.index:
            j = src.speakers(spk)
            for k, v in src.spk_out[j].state_dict().items():
                state[f"spk_out.{i}.{k}"] = v.float()
    model.load_state_dict(state)


class TtsTask(Task):
    """Parametric TTS: MLMS / single-speaker LSTM acoustic models and the duration model."""

    name = "tts"
    config_class = TtsConfig
    pack_files = (PHONE_SET,)

    def build_datasets(self, cfg, train_dir, valid_dir):
        from toolkit.registry import build_model

        probe = build_model(self.name, cfg.model)  # names and target of the model
        phone_set = load_phone_set(train_dir)
        if phone_set.slots != probe.conf.phone_slots:
            raise UserError(f"{train_dir}/{PHONE_SET} has {phone_set.slots} slots but "
                            f"model.conf.phone_slots is {probe.conf.phone_slots}")
        train = TtsDataset(train_dir, cfg, probe, True, phone_set)
        valid = TtsDataset(valid_dir, cfg, probe, False, phone_set) if valid_dir else None
        self._train_dir = Path(train_dir)
        return train, valid

    def collate(self, items):
        return collate(items)

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Phone set into the experiment; weights from ``experiment.init`` or fresh statistics."""
        exp_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(train_set.dir.path / PHONE_SET, exp_dir / PHONE_SET)
        if cfg.experiment.kind == "adapt":
            _load_init(model, cfg.experiment.init)
            return
        # Spread over the whole set: the keys are sorted by speaker, so the first N
        # utterances would describe the first speakers only (the other speakers' outputs
        # were then normalised with foreign statistics).
        pick = np.random.default_rng(cfg.trainer.seed).permutation(len(train_set))
        xs, ys = zip(*(train_set.arrays(int(i)) for i in pick[:cfg.data.stats_utts]),
                     strict=True)
        x, y = np.concatenate(xs), np.concatenate(ys)
        x_std = x.std(0)
        x_mean = np.where(x_std > 1e-6, x.mean(0), 0.0)
        x_std = np.where(x_std > 1e-6, np.maximum(x_std, cfg.data.in_std_floor), 1.0)
        model.in_norm.set_stats(torch.from_numpy(x_mean).float(), torch.from_numpy(x_std).float())
        y_std = np.where(y.std(0) > 1e-6, y.std(0), 1.0)
        model.out_norm.set_stats(torch.from_numpy(y.mean(0)), torch.from_numpy(y_std))

    def train_step(self, model, batch):
        return masked_mse(model, batch), {}

    def valid_step(self, model, batch):
        with torch.no_grad():
            loss = masked_mse(model, batch)
        return {"loss": float(loss), "mse": float(loss)}, len(batch["x"])

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        from toolkit.tts.decode import decode_datadir

        return decode_datadir(model, cfg, Path(data_dir), Path(out_dir), keys, device)

    def score_keys(self, ref_dir, hyp_dir, keys):
        from toolkit.tts.decode import score_keys

        return score_keys(Path(ref_dir), Path(hyp_dir), keys)

    def aggregate(self, per_key):
        from toolkit.tts.decode import aggregate

        return aggregate(per_key)


TASK = TtsTask()
