"""The tts task: LSTM acoustic and duration models on WORLD features (Li & Zen 2016).

The glue the shared trainer, ``sptk-cli decode`` and ``sptk-cli score`` call:
datasets from :mod:`toolkit.tts.data`, the loss of :mod:`toolkit.tts.loss`,
normalisation statistics (or the weights of ``experiment.init`` for an
adaptation run) before training, decoding with natural durations
(:mod:`toolkit.tts.decode`, the paper's protocol) and scoring
(:mod:`toolkit.tts.score`: MCD over speech frames, F0 RMSE, V/UV error, the
normalised MSE, overall, per language and per speaker).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.errors import UserError
from toolkit.registry import build_model
from toolkit.train.packing import load_model_dir
from toolkit.train.task import Task
from toolkit.tts.config import TtsConfig
from toolkit.tts.data import PHONE_SET, TtsDataset, collate, load_phone_set
from toolkit.tts.decode import decode_datadir
from toolkit.tts.frontend import PhoneSet
from toolkit.tts.loss import masked_mse
from toolkit.tts.score import aggregate, score_keys


def _rows(new_names: list[str], old_names: list[str], old: torch.Tensor) -> torch.Tensor:
    """Rows of ``old`` (one per old name) rearranged for ``new_names``; new names get the
    mean of the trained rows."""
    index = {n: i for i, n in enumerate(old_names)}
    mean = old.detach().float().mean(0)
    return torch.stack([old[index[n]].detach().float() if n in index else mean
                        for n in new_names])


def _check_slots(init: str, phone_set: PhoneSet, languages: list[str]) -> None:
    """Refuse an init whose phones sit in other input slots than this experiment's.

    Only the phones of the init's own ``languages`` are compared when this phone set
    says where they end (``filled``): an adaptation language's phones sit in slots the
    init never trained, wherever they are; otherwise every shared phone is compared.
    """
    if not (Path(init) / PHONE_SET).is_file():
        return
    old = PhoneSet.load(Path(init) / PHONE_SET).phones
    mine = phone_set.phones
    if languages and all(lg in phone_set.filled for lg in languages):
        limit = max(phone_set.filled[lg] for lg in languages)
        mine = {p: i for p, i in mine.items() if i < limit}
    held = {i: p for p, i in old.items()}  # a new phone in a slot that held another moves too
    moved = [p for p, i in mine.items() if old.get(p, i) != i or held.get(i, p) != p]
    if moved:
        raise UserError(f"experiment.init {init}: phone '{moved[0]}' (and {len(moved) - 1} "
                        f"more) has slot {old.get(moved[0], '-')} there and {mine[moved[0]]} here; "
                        "adapt from a model trained on the same training languages' phone set")


def _load_init(model: Any, init: str, phone_set: PhoneSet | None = None) -> None:
    """Copy an experiment's weights into ``model``: matching tensors, known languages/speakers."""
    if not Path(init).is_dir():
        raise UserError(f"experiment.init {init} does not exist; train that model first")
    _, _, src = load_model_dir(init)
    if type(src) is not type(model):
        raise UserError(f"experiment.init {init} holds a {type(src).__name__}, not a "
                        f"{type(model).__name__}")
    if phone_set is not None:
        _check_slots(init, phone_set, list(src.languages.names))
    state = model.state_dict()
    per_name = ("code", "lang_emb.weight", "spk_emb.weight")  # rows follow the names
    wrong = [n for n, v in src.state_dict().items() if n in state and n not in per_name
             and state[n].shape != v.shape]
    if wrong:
        raise UserError(f"experiment.init {init}: its weights do not fit this experiment's "
                        f"model ('{wrong[0]}' is {tuple(src.state_dict()[wrong[0]].shape)}, "
                        f"here {tuple(state[wrong[0]].shape)}); give the adaptation the "
                        "model.conf of the experiment it starts from")
    for name, value in src.state_dict().items():
        if name in state and state[name].shape == value.shape and not name.startswith("spk_out"):
            state[name] = value.float()
    langs, spks = model.languages.names, model.speakers.names
    if hasattr(model, "code"):  # MLMS: language codes, speaker output layers
        state["code"] = _rows(langs, src.languages.names, src.code)
        for i, spk in enumerate(spks):
            if spk in src.speakers.index:
                j = src.speakers(spk)
                for k, v in src.spk_out[j].state_dict().items():
                    state[f"spk_out.{i}.{k}"] = v.float()
    else:  # duration model: language and speaker embeddings
        state["lang_emb.weight"] = _rows(langs, src.languages.names, src.lang_emb.weight)
        state["spk_emb.weight"] = _rows(spks, src.speakers.names, src.spk_emb.weight)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        detail = next((ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()), str(e))
        raise UserError(f"experiment.init {init}: its weights do not fit this experiment's "
                        f"model ({detail[:160]}); give the adaptation the model.conf of the "
                        "experiment it starts from") from None


class TtsTask(Task):
    """Parametric TTS: MLMS / single-speaker LSTM acoustic models and the duration model."""

    name = "tts"
    config_class = TtsConfig
    pack_files = (PHONE_SET,)

    def build_datasets(self, cfg, train_dir, valid_dir):
        probe = build_model(self.name, cfg.model)  # names and target of the model
        phone_set = load_phone_set(train_dir)
        if phone_set.slots != probe.conf.phone_slots:
            raise UserError(f"{train_dir}/{PHONE_SET} has {phone_set.slots} slots but "
                            f"model.conf.phone_slots is {probe.conf.phone_slots}")
        train = TtsDataset(train_dir, cfg, probe, True, phone_set)
        valid = TtsDataset(valid_dir, cfg, probe, False, phone_set) if valid_dir else None
        return train, valid

    def collate(self, items):
        return collate(items)

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Phone set into the experiment; weights from ``experiment.init`` or fresh statistics."""
        exp_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(train_set.dir.path / PHONE_SET, exp_dir / PHONE_SET)
        if cfg.experiment.kind in ("adapt", "duration_adapt"):
            _load_init(model, cfg.experiment.init, train_set.phone_set)
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
        return decode_datadir(model, cfg, Path(data_dir), Path(out_dir), keys, device)

    def score_keys(self, ref_dir, hyp_dir, keys):
        return score_keys(Path(ref_dir), Path(hyp_dir), keys)

    def aggregate(self, per_key):
        return aggregate(per_key)


TASK = TtsTask()
