"""The aec task the shared trainer and decoder call: CRUSE and Align-CRUSE.

Indenbom et al., ICASSP 2023. Config: :mod:`toolkit.aec.config`; data:
:mod:`toolkit.aec.data`; loss: :mod:`toolkit.aec.loss`; inference:
:mod:`toolkit.aec.infer`; scoring: :mod:`toolkit.aec.score`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.aec.config import SR, AecConfig
from toolkit.aec.data import FixedAecSet, OnlineAecSet
from toolkit.aec.delay_track import encode as encode_track
from toolkit.aec.delay_track import track_from_distribution
from toolkit.aec.infer import delay_from_distribution, enhance
from toolkit.aec.loss import aec_loss
from toolkit.aec.score import aggregate, score_keys
from toolkit.data.audio import load_mono, save_audio
from toolkit.data.datadir import DataDir
from toolkit.errors import ConfigError
from toolkit.train.packing import load_model_dir
from toolkit.train.task import Task


class AecTask(Task):
    """Echo cancellation with CRUSE-family magnitude-mask models."""

    name = "aec"
    config_class = AecConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        if DataDir(train_dir).meta.get("online"):
            train = OnlineAecSet(train_dir, cfg)
        else:
            train = FixedAecSet(train_dir, cfg, train=True)
        valid = FixedAecSet(valid_dir, cfg, train=False) if valid_dir else None
        return train, valid

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Start from the weights of ``cfg.init_from`` (a model directory) when it is set."""
        if not cfg.init_from:
            return
        _, init_cfg, init_model = load_model_dir(cfg.init_from)
        if init_cfg.model != cfg.model:
            raise ConfigError(f"init_from {cfg.init_from}: its model ({init_cfg.model.name}, "
                              f"{init_cfg.model.conf}) is not this config's model")
        model.load_state_dict({k: v.float() for k, v in init_model.state_dict().items()})

    def train_step(self, model, batch):
        return aec_loss(model, batch)

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        """Enhance every key; Align-CRUSE also writes its delay estimate (``utt2delay_est``)
        and per-frame track (``utt2delay_track``); those of an aligned input are passed on."""
        d = DataDir(data_dir)
        given = {r: d.read(r) if d.has(r) else {} for r in ("utt2delay_est", "utt2delay_track")}
        wav, est, track = {}, {}, {}
        for key in keys:
            mic = load_mono(d.read("wav.scp")[key], SR)[0]
            far = load_mono(d.read("ref.scp")[key], SR)[0]
            far = np.pad(far, (0, max(0, len(mic) - len(far))))[: len(mic)]
            y, dist = enhance(model, mic, far, device)
            path = Path(out_dir) / "audio" / f"{key}.wav"
            save_audio(path, y, SR, subtype="FLOAT")
            wav[key] = str(path.resolve())
            if dist is not None:
                est[key] = f"{delay_from_distribution(dist, far):.4f}"
                track[key] = encode_track(track_from_distribution(dist, far))
            else:
                for name, out in (("utt2delay_est", est), ("utt2delay_track", track)):
                    if key in given[name]:
                        out[key] = given[name][key]
        files = {"wav.scp": wav, "utt2delay_est": est, "utt2delay_track": track}
        return {name: v for name, v in files.items() if v}

    def score_keys(self, ref_dir, hyp_dir, keys):
        return score_keys(ref_dir, hyp_dir, keys)

    def aggregate(self, per_key: dict[str, Any]) -> dict[str, Any]:
        return aggregate(per_key)


TASK = AecTask()
