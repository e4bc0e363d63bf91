"""The svs task the shared commands call: training steps, decoding, scoring.

Training (:mod:`toolkit.svs.data`, :mod:`toolkit.svs.loss`): two mask networks
(vocals, accompaniment) on augmented random patches, L1 on masked magnitudes;
``init`` warm-starts from a packed model or an experiment of the same network.

Decoding writes both reconstructions (:mod:`toolkit.svs.infer`): ``vocals.scp``
/ ``accomp.scp`` hold ``decode.reconstruction`` and ``vocals_<other>.scp`` /
``accomp_<other>.scp`` the other one. Scoring (:mod:`toolkit.svs.score`)
reports BSS Eval v3 (GNSDR ...) and museval's BSSv4 (``bss_v4``, medians) for
both, the second under the prefix ``<other>/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.data.audio import load_audio, load_mono, save_audio
from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError, UserError
from toolkit.metrics.separation import summarize
from toolkit.svs.config import SVSConfig
from toolkit.svs.data import SVSDataset, load_stems
from toolkit.svs.infer import separate_stream
from toolkit.svs.loss import separation_loss
from toolkit.svs.score import SCORE_MAX_RATE, score_clip, summarize_v4
from toolkit.train.packing import load_model_dir
from toolkit.train.task import Task

log = logging.getLogger(__name__)
RECONS = ("fullrate", "lowrate")


class SVSTask(Task):
    """Two mask networks (vocals, accompaniment) trained with an L1 magnitude loss."""

    name = "svs"
    config_class = SVSConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        spec = cfg.features
        if spec.freq_bins % 64 or spec.patch_frames % 64:
            raise UserError(f"features.freq_bins ({spec.freq_bins}) and features.patch_frames "
                            f"({spec.patch_frames}) must be multiples of 64 (six stride-2 layers)")
        if len(cfg.data.gain_db) != 2:
            raise UserError("data.gain_db must be [low, high] in dB")
        if not 0 <= cfg.data.shift_prob <= 1 or not 0 <= cfg.data.remix_prob <= 1:
            raise UserError("data.shift_prob and data.remix_prob must lie in [0, 1]")
        train = SVSDataset(train_dir, cfg, train=True)
        load_stems(train.dir, train.keys[0], spec)  # fail early without stems
        return train, (SVSDataset(valid_dir, cfg, train=False) if valid_dir else None)

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Warm start from ``cfg.init`` (a packed model or an experiment), if given."""
        if not cfg.init:
            return
        _, init_cfg, init_model = load_model_dir(cfg.init)
        if init_cfg.model != cfg.model:
            raise UserError(f"init {cfg.init}: its model ({init_cfg.model}) differs from "
                            f"the config's ({cfg.model}); warm start needs the same network")
        model.load_state_dict({k: v.float() for k, v in init_model.state_dict().items()})
        log.info("warm start from %s", cfg.init)

    def pack_extras(self, bundle, fp16):
        """``separator.onnx``: the mask network that ``separate`` runs on the CPU without
        torch, made from the bundle's own ``model.pt`` and checked against it."""
        from toolkit.svs.onnx import BUNDLED, export_checked

        _, cfg, model = load_model_dir(bundle)
        export_checked(model, cfg.features, bundle / BUNDLED, fp16, source=bundle / "model.pt")

    def train_step(self, model, batch):
        masks = model(batch["mix"])
        loss, per = separation_loss(masks, batch["mix"], batch["target"])
        per = per.detach()
        return loss, {"l1_vocals": float(per[0]), "l1_accomp": float(per[1])}

    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        d = DataDir(data_dir)
        primary = cfg.decode.reconstruction
        if primary not in RECONS:
            raise UserError(f"decode.reconstruction '{primary}': use fullrate or lowrate")
        other = [r for r in RECONS if r != primary][0]
        files: dict[str, dict[str, str]] = {f"{s}{suffix}.scp": {} for s in ("vocals", "accomp")
                                            for suffix in ("", f"_{other}")}
        model.eval()
        for key in keys:
            path, offset, duration = d.audio_spec(key)
            x, sr = load_audio(path, offset=offset, duration=duration)
            outs: dict[str, list[np.ndarray]] = {r: [] for r in RECONS}
            separate_stream(lambda s, n, x=x: x[:, s: s + n], x.shape[1], sr, model,
                            cfg.features, cfg.decode,
                            lambda y, outs=outs: [outs[r].append(y[r]) for r in RECONS],
                            RECONS, device)
            for recon in RECONS:
                y = np.concatenate(outs[recon], axis=-1)
                suffix = "" if recon == primary else f"_{other}"
                for i, s in enumerate(("vocals", "accomp")):
                    p = save_audio(Path(out_dir) / "audio" / f"{key}.{s}{suffix}.wav", y[i], sr,
                                   subtype="FLOAT")
                    files[f"{s}{suffix}.scp"][key] = str(p.resolve())
        return files

    def score_keys(self, ref_dir, hyp_dir, keys):
        ref, hyp = DataDir(ref_dir), DataDir(hyp_dir)
        for role in ("vocals.scp", "accomp.scp"):
            if not ref.has(role):
                raise DataDirError(f"{ref.path} has no {role}; scoring needs the reference stems")
            if not hyp.has(role):
                raise DataDirError(f"{hyp.path} has no {role}; give a decode output as --hyp")
        suffixes = [s for s in ("", "_lowrate", "_fullrate") if hyp.has(f"vocals{s}.scp")]
        rate = min(ref.sample_rate or SCORE_MAX_RATE, SCORE_MAX_RATE)
        out: dict[str, Any] = {}
        for key in keys:
            if key not in hyp.read("vocals.scp"):
                raise DataDirError(f"{hyp.path}/vocals.scp has no estimate for '{key}'; decode "
                                   "every utterance first")
            refs = np.stack([load_mono(ref.read(r)[key], rate)[0]
                             for r in ("vocals.scp", "accomp.scp")])
            path, offset, duration = ref.audio_spec(key)
            mix = load_mono(path, rate, offset=offset, duration=duration)[0]
            if not (np.any(refs[0]) and np.any(refs[1])):
                out[key] = {"samples": refs.shape[1], "skipped": "a reference stem is silent"}
                continue
            ests = {suffix[1:]: np.stack([load_mono(hyp.read(f"{s}{suffix}.scp")[key], rate)[0]
                                          for s in ("vocals", "accomp")])
                    for suffix in suffixes}
            out[key] = score_clip(refs, ests, mix, rate)
        return out

    def aggregate(self, per_key):
        scored = {k: v for k, v in per_key.items() if "skipped" not in v}
        result: dict[str, Any] = {"n": len(scored), "n_skipped": len(per_key) - len(scored)}
        result.update(summarize(scored))
        result["bss_v4"] = summarize_v4(scored)
        for recon in RECONS:  # the second reconstruction, nested (not in the printed line)
            sub = {k: {"samples": v["samples"], "vocals": v.get(f"{recon}/vocals"),
                       "accomp": v.get(f"{recon}/accomp")} for k, v in scored.items()}
            if any(v["vocals"] for v in sub.values()):
                result[recon] = summarize(sub)
                result[recon]["bss_v4"] = summarize_v4(scored, f"{recon}/")
        result["per_clip"] = per_key
        return result


TASK = SVSTask()
