"""Scoring of echo cancellation outputs (stage 5), per utterance then aggregated.

Per utterance, by scenario (``utt2scenario`` of the reference directory; a
directory without it is taken as double talk when it has ``speech.scp``, else
as far-end single talk):

- far-end single talk (``fest``): ERLE ``10 log10(E[mic^2] / E[out^2])``;
- double talk (``dt``): PESQ (wide band), STOI and SI-SDR of the output against
  the near-end speech (``speech.scp``), and the same for the unprocessed
  microphone (``*_mic``) as the floor;
- every scenario but near-end single talk: the delay-estimation error
  ``|estimate - true|`` in ms when the output has ``utt2delay_est`` and the
  reference ``utt2delay``, except for clips whose device delay jumps inside
  (``delay_jump=`` in ``utt2info``): one true delay does not describe them;
- the same scenarios, when the output has a per-frame ``utt2delay_track``:
  the share of echo frames whose delay is within 20 ms of the truth, over the
  clip, its first second of echo, the first second after a jump and the rest
  (``delay_hit``, ``_start``, ``_after_jump``, ``_settled``;
  :mod:`toolkit.aec.delay_track`);
- with an AECMOS model (``sptk-cli aec score --aecmos-model``): echo and
  other-degradation MOS, the scenario given to the model.

:func:`aggregate` averages each metric over the utterances that have it and
adds the half-width of its 95 % confidence interval (``*_ci95``, 1.96 standard
errors, as the paper's tables give) and the counts.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.aec import delay_track
from toolkit.data.audio import load_mono
from toolkit.data.datadir import DataDir
from toolkit.errors import DataDirError
from toolkit.metrics.aecmos import AecMos
from toolkit.metrics.signal import erle, si_sdr
from toolkit.metrics.speech import pesq_wb, stoi

log = logging.getLogger(__name__)
SR = 16000


def bundled_aecmos() -> Path | None:
    """The AECMOS models of the ``speechmos`` wheel (MIT), or None when it is not installed."""
    spec = importlib.util.find_spec("speechmos")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "aecmos_models"
    return folder if folder.is_dir() else None


def near_kept_db(out: np.ndarray, near: np.ndarray, active_db: float = 35.0) -> float:
    """Output minus near-end energy (dB) over the 20-ms frames where the near end talks.

    0 dB: the near end kept at its level (plus any residual); -20 dB: suppressed by 20 dB.
    """
    n = min(len(out), len(near)) // 320 * 320
    e_near = (near[:n].reshape(-1, 320) ** 2).sum(1)
    e_out = (out[:n].reshape(-1, 320) ** 2).sum(1)
    db = 10 * np.log10(e_near + 1e-12)
    on = (db > db.max(initial=-120) - active_db) & (db > 10 * np.log10(320) - 70)
    if not on.any():
        return float("nan")
    return float(10 * np.log10(e_out[on].sum() / e_near[on].sum() + 1e-12))


def _scenario(ref: DataDir, key: str) -> str:
    if ref.has("utt2scenario"):
        return ref.read("utt2scenario")[key]
    return "dt" if ref.has("speech.scp") else "fest"


def score_keys(ref_dir: str | Path, hyp_dir: str | Path, keys: list[str],
               aecmos_model: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Per-utterance metrics (see the module doc) for ``keys`` of ``ref_dir``.

    ``aecmos_model``: an AECMOS file or folder; None: the models the ``speechmos``
    wheel bundles (skipped with a log line when it is not installed); ``"none"``: no AECMOS.
    """
    ref, hyp = DataDir(ref_dir), DataDir(hyp_dir)
    out_wav = hyp.read("wav.scp")
    missing = [k for k in keys if k not in out_wav]
    if missing:
        raise DataDirError(f"{hyp_dir}/wav.scp has no output for {len(missing)} key(s), first "
                           f"'{missing[0]}'; decode every utterance first")
    if aecmos_model is None:
        aecmos_model = bundled_aecmos()
        if aecmos_model is None:
            log.info("no AECMOS: pip install speechmos (or pass --aecmos-model)")
    mos = AecMos(aecmos_model) if aecmos_model and str(aecmos_model) != "none" else None
    true = ref.read("utt2delay") if ref.has("utt2delay") else {}
    est = hyp.read("utt2delay_est") if hyp.has("utt2delay_est") else {}
    info = ref.read("utt2info") if ref.has("utt2info") else {}
    track = hyp.read("utt2delay_track") if hyp.has("utt2delay_track") else {}
    results = {}
    for key in keys:
        scen = _scenario(ref, key)
        mic = load_mono(ref.read("wav.scp")[key], SR)[0]
        enh = load_mono(out_wav[key], SR)[0]
        n = min(len(mic), len(enh))
        mic, enh = mic[:n], enh[:n]
        r: dict[str, Any] = {"scenario": scen}
        if scen == "fest":
            r["erle"] = erle(mic, enh)
        if scen == "dt":
            if not ref.has("speech.scp"):
                raise DataDirError(f"{ref_dir} has no speech.scp: double talk is scored against "
                                   "the near-end speech")
            near = load_mono(ref.read("speech.scp")[key], SR)[0][:n]
            r.update(pesq=pesq_wb(enh, near, SR), stoi=stoi(enh, near, SR),
                     si_sdr=si_sdr(enh, near), pesq_mic=pesq_wb(mic, near, SR),
                     stoi_mic=stoi(mic, near, SR), si_sdr_mic=si_sdr(mic, near),
                     near_kept_db=near_kept_db(enh, near), near_kept_db_mic=near_kept_db(mic, near))
        jumps = "delay_jump=" in info.get(key, "")
        if scen != "nest" and key in true and key in est and not jumps:
            r["delay_err_ms"] = abs(float(est[key]) - float(true[key])) * 1000
        if scen != "nest" and key in true and key in track:
            try:
                r.update(delay_track.score_track(ref, key, len(mic), track[key]))
            except ValueError as e:
                raise DataDirError(f"{hyp_dir}/utt2delay_track (or the delay_jump event of "
                                   f"{ref_dir}/utt2info), '{key}': {e}") from None
        if mos is not None:
            lpb = load_mono(ref.read("ref.scp")[key], SR)[0]
            r["aecmos_echo"], r["aecmos_other"] = mos.score(lpb, mic, enh, scen)
        results[key] = r
    return results


def mean_ci(values: list[float]) -> tuple[float, float]:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if len(v) == 0:
        return float("nan"), float("nan")
    ci = 1.96 * v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return float(v.mean()), float(ci)


def aggregate(per_key: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Corpus scores: means, 95 % CIs and counts per scenario (see the module doc)."""
    out: dict[str, Any] = {"n": len(per_key)}
    by_scen: dict[str, list[dict[str, Any]]] = {}
    for r in per_key.values():
        by_scen.setdefault(r["scenario"], []).append(r)
    for scen, rows in sorted(by_scen.items()):
        out[f"n_{scen}"] = len(rows)
    groups = {"erle": ("fest",), "pesq": ("dt",), "stoi": ("dt",), "si_sdr": ("dt",),
              "pesq_mic": ("dt",), "stoi_mic": ("dt",), "si_sdr_mic": ("dt",),
              "near_kept_db": ("dt",), "near_kept_db_mic": ("dt",),
              "delay_err_ms": ("fest", "dt"), **{f"delay_hit{w}": ("fest", "dt") for w in
                                                  ("", "_start", "_after_jump", "_settled")}}
    for metric, scens in groups.items():
        vals = [r[metric] for s in scens for r in by_scen.get(s, []) if metric in r]
        if vals:
            out[metric], out[f"{metric}_ci95"] = mean_ci(vals)
    delays = [r["delay_err_ms"] for r in per_key.values() if "delay_err_ms" in r]
    if delays:
        out["delay_within_20ms"] = float(np.mean(np.asarray(delays) <= 20.0))
    for metric in ("aecmos_echo", "aecmos_other"):
        for scen, rows in sorted(by_scen.items()):
            vals = [r[metric] for r in rows if metric in r]
            if vals:
                out[f"{metric}_{scen}"], out[f"{metric}_{scen}_ci95"] = mean_ci(vals)
    return out


SYSTEM_NAMES = {"cruse_none": "CRUSE (unaligned)", "cruse_gcc_online": "CRUSE‡ (online GCC-PHAT)",
                "cruse_gcc_global": "CRUSE‡‡ (global GCC-PHAT)", "align_cruse": "Align-CRUSE",
                "nlms": "GCC-PHAT + PBFDAF (NLMS)"}


def system_and_set(path: Path) -> tuple[str, str]:
    """``(system, test set)`` of a score file ``<exp>/<system>/scores/<set>.json``.

    CRUSE scored on a GCC-PHAT aligned copy ``<set>_gcc_online`` is the system
    ``cruse_gcc_online`` on ``<set>``; CRUSE on the raw far end is ``cruse_none``.
    """
    path = Path(path)
    if path.parent.name != "scores":
        raise DataDirError(f"{path}: expected a scores file <exp>/<system>/scores/<set>.json")
    system, test = path.parent.parent.name, path.stem
    for m in ("gcc_online", "gcc_global"):
        if test.endswith(f"_{m}"):
            return f"{system}_{m}", test.removesuffix(f"_{m}")
    return ("cruse_none" if system == "cruse" else system), test


def results_table(files: list[Path]) -> str:
    """Markdown table in the shape of the paper's Table 1 from ``<exp>/<system>/scores/<set>.json``.

    Columns per test set: AECMOS (echo MOS on far-end single talk) and ERLE
    (dB), then PESQ on double talk and the delay error (ms), each with its 95 % CI.
    """
    table: dict[str, dict[str, dict]] = {}
    for f in map(Path, files):
        if not f.is_file():
            raise DataDirError(f"{f}: no such scores file")
        system, test = system_and_set(f)
        table.setdefault(system, {})[test] = json.loads(f.read_text())
    first = ["test_ldm", "test_ldh", "test_gen"]  # the paper's column order
    tests = sorted({t for v in table.values() for t in v},
                   key=lambda t: (first.index(t) if t in first else len(first), t))

    def cell(s: dict, key: str, digits: int) -> str:
        v, ci = s.get(key), s.get(f"{key}_ci95")
        if v is None or not math.isfinite(v):
            return "–"
        return f"{v:.{digits}f} ± {ci:.{digits}f}" if ci is not None and math.isfinite(ci) \
            else f"{v:.{digits}f}"

    head = ["Method"] + [f"{t} {m}" for t in tests for m in
                         ("AECMOS↑", "ERLE↑", "PESQ(DT)↑", "delay err ms↓")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    order = [s for s in SYSTEM_NAMES if s in table] + sorted(set(table) - set(SYSTEM_NAMES))
    for system in order:
        row = [SYSTEM_NAMES.get(system, system)]
        for t in tests:
            s = table[system].get(t, {})
            row += [cell(s, "aecmos_echo_fest", 2), cell(s, "erle", 2), cell(s, "pesq", 2),
                    cell(s, "delay_err_ms", 0)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
