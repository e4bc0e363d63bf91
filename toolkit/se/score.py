"""Scores of the se task: PESQ (wide band), STOI, SI-SDR and its gain, per SNR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError
from toolkit.metrics.signal import si_sdr
from toolkit.metrics.speech import pesq_wb, stoi

METRICS = ("pesq", "stoi", "si_sdr", "si_sdr_gain")


def score_keys(ref_dir: Path, hyp_dir: Path, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Per-utterance scores of ``hyp_dir``'s outputs against ``ref_dir``'s clean speech.

    ``si_sdr_gain`` is the output's SI-SDR minus the noisy input's (``ref_dir``'s
    ``wav.scp``); ``snr`` comes from ``utt2snr`` when present.

    Raises:
        DataDirError: no clean references, or an utterance without output.
    """
    ref, hyp = DataDir(ref_dir), DataDir(hyp_dir)
    if not ref.has("speech.scp"):
        raise DataDirError(f"{ref_dir} has no speech.scp (clean references); score "
                           "unlabelled audio with 'sptk-cli dnsmos' instead")
    hyp_wav = hyp.read("wav.scp")
    missing = [k for k in keys if k not in hyp_wav]
    if missing:
        raise DataDirError(f"{hyp_dir}/wav.scp has no output for {len(missing)} key(s), "
                           f"first '{missing[0]}'; decode every utterance first")
    snrs = ref.read("utt2snr") if ref.has("utt2snr") else {}
    sr = ref.sample_rate or 16000
    speech, noisy = ref.read("speech.scp"), ref.read("wav.scp")
    out = {}
    for k in keys:
        s, _ = load_mono(speech[k], sr)
        e, _ = load_mono(hyp_wav[k], sr)
        x, _ = load_mono(noisy[k], sr)
        out[k] = {"pesq": pesq_wb(e, s, sr), "stoi": stoi(e, s, sr), "si_sdr": si_sdr(e, s),
                  "si_sdr_gain": si_sdr(e, s) - si_sdr(x, s), "snr": snrs.get(k)}
    return out


def aggregate_by_snr(per_key: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Means of the metrics overall and per SNR (keys ``snr<value>/<metric>``).

    Non-finite values (PESQ on silence) are left out of a mean; a metric no
    utterance has is left out of the result.
    """
    out: dict[str, Any] = {"n": len(per_key)}
    groups: dict[str, list[dict[str, Any]]] = {"": list(per_key.values())}
    for v in per_key.values():
        if v.get("snr") is not None:
            groups.setdefault(f"snr{float(v['snr']):g}/", []).append(v)
    for prefix, rows in sorted(groups.items()):
        for m in METRICS:
            if not any(m in r for r in rows):
                continue
            vals = np.array([r.get(m, np.nan) for r in rows], dtype=float)
            ok = vals[np.isfinite(vals)]
            out[f"{prefix}{m}"] = float(ok.mean()) if ok.size else float("nan")
        if prefix:
            out[f"{prefix}n"] = len(rows)
    return out
