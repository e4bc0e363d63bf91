"""Scoring of the tts task and of the vocoder.

- :func:`score_keys` / :func:`aggregate`: a decode output against its reference
  (natural durations, so frames correspond one to one): MCD, F0 RMSE (cents) and
  V/UV error over the reference's speech frames (:func:`speech_frames`: the
  leading, trailing and inter-phrase silences would otherwise dilute the MCD
  with frames of near-silence that any system gets roughly right), the
  normalised MSE over every frame; for a duration model the RMSE of the phone
  durations. Overall, per language, per speaker and per (language, speaker) pair.
- :func:`vocoder_ceiling`: copy-synthesis scores of a data directory (the best
  any acoustic model can reach through this vocoder).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.dsp.world import VocoderConfig, analyze, synthesize
from toolkit.errors import DataDirError
from toolkit.metrics.tts import acoustic_sums, aggregate_acoustic
from toolkit.tts.asr import ASR_RATE, asr_sums
from toolkit.tts.frontend import SIL, label_sequence, parse_phrases


def speech_frames(phones: str, durations: str, n: int) -> np.ndarray:
    """``(n,)`` bool: frames of a phone, not of a pause slot (``phones`` and ``durations``
    lines of a stage-2 directory; frames past the alignment count as silence)."""
    labels = label_sequence(parse_phrases(phones))
    dur = np.array(durations.split(), dtype=np.int64)
    if len(dur) != len(labels):
        raise DataDirError(f"{len(dur)} durations for {len(labels)} label items; rerun stage 2")
    mask = np.repeat(np.array([lab != SIL for lab in labels]), dur)
    return np.pad(mask, (0, max(0, n - len(mask))))[:n]


def _acoustic(ref: DataDir, hyp: DataDir, key: str) -> dict[str, float]:
    r, h = np.load(ref.read("feats.scp")[key]), np.load(hyp.read("feats.scp")[key])
    n = min(len(r), len(h))
    if ref.has("durations") and ref.has("phones"):
        keep = speech_frames(ref.read("phones")[key], ref.read("durations")[key], n)
        r, h = r[:n][keep], h[:n][keep]
    return acoustic_sums(r, h)


def _asr(ref: DataDir, hyp: DataDir, key: str, lang: str) -> dict[str, Any]:
    path, offset, duration = hyp.audio_spec(key)
    wave, sr = load_mono(path, ASR_RATE, offset=offset, duration=duration)
    return asr_sums(ref.read("text")[key], wave, sr, lang)


def score_keys(ref_dir: Path, hyp_dir: Path, keys: list[str]) -> dict[str, Any]:
    """Per-utterance sums for the keys the hypothesis decoded (others are counted as absent).

    Three kinds of hypothesis: predicted features (``feats.scp``: MCD, F0 and V/UV
    over the reference's speech frames, plus the MSE), predicted ``durations``
    (their RMSE), or speech synthesised from text alone (``wav.scp`` without
    features, e.g. the held-out sentences: the ASR word error rate, English only).
    """
    ref, hyp = DataDir(ref_dir), DataDir(hyp_dir)
    hyp_keys = set(hyp.keys()) if hyp.roles() else set()
    present = [k for k in keys if k in hyp_keys]
    if keys and not hyp_keys:
        raise DataDirError(f"{hyp_dir} holds no utterance to score; decode the reference "
                           "first (or check that the model knows its languages)")
    langs, spks = hyp.read("utt2lang"), hyp.read("utt2spk")
    mse = hyp.read("utt2mse") if hyp.has("utt2mse") else {}
    out: dict[str, Any] = {}
    for k in present:
        item: dict[str, Any] = {"lang": langs[k], "spk": spks[k]}
        if k in mse:
            item["mse"] = float(mse[k])
        if hyp.has("feats.scp"):
            item.update(_acoustic(ref, hyp, k))
        elif hyp.has("durations"):
            r = np.array(ref.read("durations")[k].split(), dtype=float)
            h = np.array(hyp.read("durations")[k].split(), dtype=float)
            item.update(phones=float(len(r)), dur_sq=float(((r - h) ** 2).sum()))
        elif hyp.has("wav.scp") and ref.has("text"):
            item.update(_asr(ref, hyp, k, langs[k]))
        else:
            raise DataDirError(f"{hyp_dir} has neither feats.scp, durations nor wav.scp to "
                               "score")
        out[k] = item
    return out


def _group(items: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {"utterances": len(items)}
    if items and "mse" in items[0]:
        out["mse"] = float(np.mean([it["mse"] for it in items]))
    if items and "mcd_sum" in items[0]:
        out.update(aggregate_acoustic(items))
    elif items and "dur_sq" in items[0]:
        n = sum(it["phones"] for it in items)
        out["duration_rmse_frames"] = math.sqrt(sum(it["dur_sq"] for it in items) / max(n, 1))
    elif items and "word_errors" in items[0]:
        words = sum(it["ref_words"] for it in items)
        out["asr_wer"] = sum(it["word_errors"] for it in items) / max(words, 1.0)
        out["words"] = int(words)
    return out


def aggregate(per_key: dict[str, Any]) -> dict[str, Any]:
    """Overall scores, then ``per_language``, ``per_speaker`` and ``per_pair`` (lang/spk)."""
    items = list(per_key.values())
    out: dict[str, Any] = _group(items)
    for field, name in (("lang", "per_language"), ("spk", "per_speaker"), ("pair", "per_pair")):
        groups: dict[str, list] = {}
        for it in items:
            groups.setdefault(f"{it['lang']}/{it['spk']}" if field == "pair" else it[field],
                              []).append(it)
        out[name] = {g: _group(v) for g, v in sorted(groups.items())}
    return out


def vocoder_ceiling(data: str | Path, conf: VocoderConfig, max_utts: int = 50) -> dict[str, Any]:
    """Copy-synthesis MCD / F0 RMSE / V/UV error of the first ``max_utts`` utterances.

    Analysis, WORLD synthesis without the postfilter and analysis again: the
    distance no acoustic model can beat through this vocoder. Overall and
    ``per_language`` (when the directory has ``utt2lang``).
    """
    d = DataDir(data)
    langs = d.read("utt2lang") if d.has("utt2lang") else {}
    groups: dict[str, list] = {}
    for key in d.keys()[:max_utts]:
        path, offset, duration = d.audio_spec(key)
        x, _ = load_mono(path, conf.sample_rate, offset=offset, duration=duration)
        ref = analyze(x, conf)
        hyp = analyze(synthesize(ref, conf, postfilter_beta=0.0), conf)
        groups.setdefault(langs.get(key, "all"), []).append(acoustic_sums(ref, hyp))
    result: dict[str, Any] = aggregate_acoustic([s for v in groups.values() for s in v])
    result["per_language"] = {k: aggregate_acoustic(v) for k, v in sorted(groups.items())}
    return result
