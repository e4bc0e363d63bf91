"""Decoding of the tts task: natural durations (the paper's protocol), or text alone.

Decoding an acoustic model writes, per utterance of the model's languages and
speakers: the predicted ``(frames, 49)`` features (``feats.scp``), the MSE of the
normalised outputs against the natural features (``utt2mse``: the development
error of the paper's Figures 2 and 3) and, when ``decode.write_wav``, the WORLD
waveform with the cepstral postfilter (``wav.scp``). A duration model writes the
predicted ``durations``. Utterances of other languages or speakers are left
out and counted, so one test set serves every baseline.

:func:`synthesize_datadir` speaks a text-only data directory (the held-out
sentences) with the whole system, duration model included: the input of the ASR
word error rate.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toolkit.data.audio import save_audio
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.dsp.world import synthesize
from toolkit.fsutil import atomic_file, skip_if_done
from toolkit.tts.data import TtsDataset, load_phone_set
from toolkit.tts.infer import synthesize_file
from toolkit.tts.synth import TtsSynthesizer

log = logging.getLogger(__name__)


def decode_datadir(model: Any, cfg: Any, data_dir: Path, out_dir: Path, keys: list[str],
                   device: str) -> dict[str, dict[str, str]]:
    """Run ``model`` on ``keys`` of a stage-2 data directory (module doc)."""
    ds = TtsDataset(data_dir, cfg, model, False, load_phone_set(data_dir))
    wanted = set(keys)
    index = [i for i, k in enumerate(ds.keys) if k in wanted]
    skipped = len(wanted) - len(index)
    if skipped:
        log.info("%d of %d utterance(s) are not of the model's languages/speakers (or not "
                 "aligned) and are left out", skipped, len(wanted))
    d = DataDir(data_dir)
    langs, spks = d.read("utt2lang"), d.read("utt2spk")
    files: dict[str, dict[str, str]] = {"utt2lang": {}, "utt2spk": {}, "utt2mse": {}}
    if model.target == "acoustic":
        files["feats.scp"] = {}
        if cfg.decode.write_wav:
            files["wav.scp"] = {}
    else:
        files["durations"] = {}
    model.eval()
    for i in index:
        key = ds.keys[i]
        x, y = ds.arrays(i)
        xt = torch.from_numpy(x).to(device)
        lang, spk = langs[key], spks[key]
        with torch.no_grad():
            li = torch.tensor([ds.lang[i]], device=device)
            si = torch.tensor([ds.spk[i]], device=device)
            pred_n = model(xt[None], li, si)[0]
            ref_n = model.out_norm(torch.from_numpy(y).to(device))
            mse = float(((pred_n - ref_n) ** 2).mean())
            pred = (pred_n * model.out_norm.std + model.out_norm.mean).cpu().numpy()
        files["utt2lang"][key], files["utt2spk"][key] = lang, spk
        files["utt2mse"][key] = f"{mse:.6f}"
        if model.target == "acoustic":
            path = out_dir / "feats" / f"{key}.npy"
            with atomic_file(path, suffix=".npy") as tmp:
                np.save(tmp, pred.astype(np.float32))
            files["feats.scp"][key] = str(path.resolve())
            if cfg.decode.write_wav:
                wav = save_audio(out_dir / "audio" / f"{key}.wav",
                                 synthesize(pred, cfg.vocoder), cfg.vocoder.sample_rate)
                files["wav.scp"][key] = str(wav.resolve())
        else:
            frames = np.maximum(np.expm1(pred[:, 0]), 0)
            files["durations"][key] = " ".join(str(int(round(v))) for v in frames)
    return files


def synthesize_datadir(synth: TtsSynthesizer, data_dir: Path, out: Path,
                       overwrite: bool = False) -> dict[str, Any]:
    """Speak the ``text`` of every utterance of a text-only data directory (the held-out
    sentences) with the full system (duration model included) into the data dir ``out``:
    ``wav.scp`` (-23 LUFS), ``text``, ``utt2lang``, ``utt2spk``, ``utt2dur``."""
    if skip_if_done(out, overwrite):
        return {"skipped": True}
    d = DataDir(data_dir)
    texts, langs, spks = d.read("text"), d.read("utt2lang"), d.read("utt2spk")
    files: dict[str, dict[str, str]] = {n: {} for n in ("wav.scp", "text", "utt2lang",
                                                        "utt2spk", "utt2dur")}
    for key in d.keys():
        wav = out / "audio" / f"{key}.wav"
        seconds = synthesize_file(synth, texts[key], wav, langs[key], spks[key])
        files["wav.scp"][key] = str(wav.resolve())
        files["utt2dur"][key] = f"{seconds:.4f}"
        files["text"][key], files["utt2lang"][key] = texts[key], langs[key]
        files["utt2spk"][key] = spks[key]
    write_datadir(out, files, {"sample_rate": synth.sample_rate, "task": "tts",
                               "derived_from": str(d.path)}, overwrite=True, in_place=True)
    return {"skipped": False, "utterances": len(files["wav.scp"])}
