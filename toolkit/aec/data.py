"""Training and validation data of the aec task.

Data roles: ``wav.scp`` microphone, ``ref.scp`` far end (loopback),
``speech.scp`` near-end speech at the microphone (the training target),
optionally ``echo.scp`` (the echo at the microphone), ``utt2delay`` (true
delay, s), ``utt2scenario`` (fest | dt | nest).

Training data come two ways:

- online synthesis (the paper's): a training directory written by
  ``sptk-cli aec online-set`` names a speech, a noise and a room pool in its
  ``meta.yaml`` (``online:``); every item of every epoch is a fresh example of
  :func:`toolkit.aec.simulate.simulate` drawn from ``(seed, epoch, index)``
  (``data.items_per_epoch`` per epoch, ``data.segment`` seconds), from the
  talkers not held out;
- a fixed directory with ``speech.scp`` (the simulated valid set, or the AEC
  Challenge synthetic set through :mod:`toolkit.corpora.external.aec_challenge`), cut
  into random ``data.segment``-second crops.

The far end fed to the model is aligned by ``data.align`` (``none`` for
Align-CRUSE; ``oracle``, ``gcc_global`` or ``gcc_online`` for CRUSE). Every item
carries what the loss needs from the config (:func:`loss_items`): the frame
weights and the loss constants, so the task keeps no config of its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from toolkit.aec.config import SR, AecConfig
from toolkit.aec.loss import frame_weights, loss_constants
from toolkit.aec.simulate import AecPools, AecSimConfig, simulate
from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.delay import align
from toolkit.errors import AudioError, DataDirError


def loss_items(item: dict[str, torch.Tensor], cfg: AecConfig) -> dict[str, torch.Tensor]:
    """Add what the loss needs from ``cfg.loss`` to one item: ``weights (frames,)``, the
    frame weights of :func:`toolkit.aec.loss.frame_weights`, and ``loss_conf (5,)``."""
    w = frame_weights(item["near"][None], item["echo"][None], cfg.loss)[0]
    return {**item, "weights": w, "loss_conf": loss_constants(cfg.loss)}


def align_for_model(mic: np.ndarray, far: np.ndarray, method: str, max_delay_s: float,
                    true_delay_s: float | None) -> np.ndarray:
    """The far end as the model should see it (``data.align``)."""
    if method == "none":
        return far
    true = None if true_delay_s is None else int(round(true_delay_s * SR))
    return align(mic, far, method, int(max_delay_s * SR), true)[0].astype(np.float32)


class OnlineAecSet:
    """Fresh simulated examples per (seed, epoch, index) (items: see :func:`loss_items`)."""

    def __init__(self, data_dir: Path, cfg: AecConfig):
        online = DataDir(data_dir).meta.get("online") or {}
        missing = [k for k in ("speech", "rir") if not online.get(k)]
        if missing:
            raise DataDirError(f"{data_dir}/meta.yaml: online: has no {missing[0]} pool; "
                               "write the directory with 'sptk-cli aec online-set'")
        # the held-out talkers and every 5th noise clip stay out of training (they were
        # drawn too before: part "all")
        held = online.get("held_out_speakers") or []
        self.pools = AecPools(online["speech"], online.get("noise"), online["rir"], held,
                              part="train" if held else "all")
        self.cfg, self.epoch = cfg, 0
        self.sim = AecSimConfig(**{**vars(cfg.data.sim), "duration": cfg.data.segment})

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.cfg.data.items_per_epoch

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        for attempt in range(10):
            # A draw can be unusable (the echo of a short segment falls silent when the
            # delay is long and the far talker pauses): draw again, reproducibly.
            rng = np.random.default_rng([self.cfg.trainer.seed, self.epoch, i, attempt])
            try:
                ex = simulate(rng, self.pools, self.sim)
                break
            except AudioError:
                if attempt == 9:
                    raise
        d = self.cfg.data
        far = align_for_model(ex["mic"], ex["far"], d.align, d.max_delay, ex["delay"])
        # a near-end-only example has no echo to align; a delay jump has no single delay
        known = ex["scenario"] != "nest" and not ex.get("delay_changed", False)
        item = {"mic": torch.from_numpy(ex["mic"]), "far": torch.from_numpy(far),
                "near": torch.from_numpy(ex["near"]), "echo": torch.from_numpy(ex["echo"]),
                "delay": torch.tensor(float(ex["delay"]) if known else -1.0)}
        return loss_items(item, self.cfg)


class FixedAecSet:
    """Crops of a data directory with ``wav.scp``, ``ref.scp`` and ``speech.scp``."""

    def __init__(self, data_dir: Path, cfg: AecConfig, train: bool):
        self.dir, self.cfg, self.train, self.epoch = DataDir(data_dir), cfg, train, 0
        for role in ("wav.scp", "ref.scp", "speech.scp"):
            if not self.dir.has(role):
                raise DataDirError(f"{data_dir} has no {role}; training needs the microphone, "
                                   "the far end and the near-end speech")
        self.keys = self.dir.keys()
        if not train and cfg.data.valid_items:
            self.keys = self.keys[: cfg.data.valid_items]
        self.delays = ({k: float(v) for k, v in self.dir.read("utt2delay").items()}
                       if self.dir.has("utt2delay") else {})
        scen = self.dir.read("utt2scenario") if self.dir.has("utt2scenario") else {}
        self.no_echo = {k for k, v in scen.items() if v == "nest"}
        self.has_echo = self.dir.has("echo.scp")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        key = self.keys[i]
        roles = ("wav.scp", "ref.scp", "speech.scp") + (("echo.scp",) if self.has_echo else ())
        sig = [load_mono(self.dir.read(r)[key], SR)[0] for r in roles]
        n = min(len(s) for s in sig)
        mic, far, near = (s[:n] for s in sig[:3])
        echo = sig[3][:n] if self.has_echo else mic - near  # (noise counts as echo here)
        d = self.cfg.data
        if d.align == "oracle" and key not in self.delays:
            raise DataDirError(f"{self.dir.path} has no utt2delay for '{key}' (data.align: "
                               "oracle needs the true delay)")
        far = align_for_model(mic, far, d.align, d.max_delay, self.delays.get(key))
        seg = int(d.segment * SR)
        start = 0
        if self.train and n > seg:
            start = int(np.random.default_rng([self.cfg.trainer.seed, self.epoch, i])
                        .integers(0, n - seg + 1))
        out = {}
        for name, x in (("mic", mic), ("far", far), ("near", near), ("echo", echo)):
            x = np.asarray(x[start:start + seg], np.float32)
            out[name] = torch.from_numpy(np.pad(x, (0, seg - len(x))))
        known = key in self.delays and key not in self.no_echo
        out["delay"] = torch.tensor(self.delays[key] if known else -1.0)
        return loss_items(out, self.cfg)
