"""Results of the tts recipe: the paper's comparisons as Markdown tables and figures.

Reads the score files stage 5 writes, ``EXP/<experiment>/scores/<set>.json``
(experiments: ``mlms_rand``, ``mlms_onehot``, ``mlms_onehot_fixed``,
``base_<lang>_<spk>``, ``scratch_<lang>_<spk>``, ``adapt_v<k>_<lang>_<spk>``,
``duration``; the held-out sentences' ASR WER in ``<acoustic>/scores/heldout.json``),
plus ``align/scores/espeak.json`` and ``vocoder/scores/test.json``, and writes:

- Figure 2 (``figure2_dev_mcd.png``): development MCD per (language, speaker) of the
  single-speaker baselines and the three language-code strategies;
- Figure 3 (``figure3_adapt_dev_mcd.png``): development MCD of the adaptation
  variants and the from-scratch models on the adaptation languages; with
  experiments ``size<n>_scratch_<lang>_<spk>`` / ``size<n>_adapt_v<k>_<lang>_<spk>``
  (trained on ``n`` utterances, ``corpus.adapt_sizes``) a table over the sizes.

The paper plots the development MSE; ours is on each model's own normalised
outputs (a baseline uses its speaker's statistics, MLMS and the adapted models the
pooled ones), so MSEs of different systems are in different units. The figures
therefore plot the MCD (dB, the same yardstick for every system); the tables keep
both.
- a Markdown report with the test MCD / F0 RMSE / V/UV error of each system (the
  three code initialisations, then any other acoustic model of the training
  languages: other tower sizes, the closed-form references ``ref_mean`` / ``ref_ridge``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import matplotlib

from toolkit.errors import UserError
from toolkit.fsutil import atomic_file, atomic_write_text

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)

CODES = ("mlms_rand", "mlms_onehot", "mlms_onehot_fixed")
VARIANTS = ("v1", "v2", "v3", "v4")
SIZED = re.compile(r"^size(\d+)_(scratch|adapt_v\d)_(.+)$")


def size_table(exp: Path, names: list[str]) -> list[str]:
    """Adaptation-set size x system rows of adapt_dev / adapt_test MCD per pair."""
    found = [(int(m[1]), m[2], m[3]) for n in names if (m := SIZED.match(n))]
    apairs = sorted({p for *_, p in found})
    if not apairs:
        return ["(no size<n>_ experiments in this run)"]
    lines = ["| utterances | system | " + " | ".join(
        f"{p} dev MCD | {p} test MCD | {p} test F0 cents" for p in apairs) + " |",
        "|---|---" + "|---" * (3 * len(apairs)) + "|"]
    for size, system in sorted({(n, s) for n, s, _ in found}):
        row = []
        for p in apairs:
            name = f"size{size}_{system}_{p}"
            d, t = _load(exp, "adapt_dev", name) or {}, _load(exp, "adapt_test", name) or {}
            row += [_fmt(d.get("mcd_db", float("nan"))), _fmt(t.get("mcd_db", float("nan"))),
                    _fmt(t.get("f0_rmse_cents", float("nan")), 1)]
        lines.append(f"| {size} | {system.replace('_', ' ')} | " + " | ".join(row) + " |")
    return lines


def _load(exp: Path, test_set: str, name: str) -> dict[str, Any] | None:
    path = exp / name / "scores" / f"{test_set}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def bar_chart(groups: list[str], systems: dict[str, list[float]], out: Path, title: str,
              ylabel: str) -> None:
    """Grouped bars: one group per entry of ``groups``, one bar per system."""
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(2.0 + 1.3 * len(groups), 3.4))
    for i, (label, vals) in enumerate(systems.items()):
        ax.bar([j + i * width for j in range(len(groups))], vals, width, label=label)
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(groups))], groups,
                  fontsize=7, rotation=20)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_file(out, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def _pair_metric(scores: dict | None, pair: str, metric: str) -> float:
    if not scores:
        return float("nan")
    return float(scores.get("per_pair", {}).get(pair, {}).get(metric, float("nan")))


def _fmt(v: float, digits: int = 3) -> str:
    return "n/a" if v != v else f"{v:.{digits}f}"


def _pair_of(name: str, prefix: str) -> str:
    lang, spk = name[len(prefix):].split("_", 1)
    return f"{lang}/{spk}"


def make_report(exp: str | Path, out: str | Path) -> str:
    """Write the figures beside ``out`` and the Markdown report to ``out``; return it."""
    exp = Path(exp)
    if not exp.is_dir():
        raise UserError(f"experiment folder {exp} does not exist")
    names = sorted({p.parents[1].name for p in [*exp.glob("*/scores/test.json"),
                                                  *exp.glob("*/scores/adapt_test.json")]})
    bases = [n for n in names if n.startswith("base_")]
    # other acoustic models of the training languages: larger or smaller MLMS, the
    # closed-form references (ref_mean, ref_ridge)
    others = [n for n in names if n not in (*CODES, "duration", "vocoder") and not n.startswith(
        ("base_", "scratch_", "adapt_", "dadapt_", "duration_")) and not SIZED.match(n)]
    overall = ["| acoustic model | dev MCD dB | test MCD dB | test F0 RMSE cents | "
               "test V/UV error | test utterances |", "|---|---|---|---|---|---|"]
    for n in [c for c in CODES if c in names] + others:
        d, t = _load(exp, "dev", n) or {}, _load(exp, "test", n) or {}
        overall.append(f"| {n} | {_fmt(d.get('mcd_db', float('nan')))} | "
                       f"{_fmt(t.get('mcd_db', float('nan')))} | "
                       f"{_fmt(t.get('f0_rmse_cents', float('nan')), 1)} | "
                       f"{_fmt(t.get('vuv_error', float('nan')))} | {t.get('utterances', 0)} |")
    pairs = [_pair_of(n, "base_") for n in bases]
    lines = ["| system | " + " | ".join(pairs) + " |", "|---" * (len(pairs) + 1) + "|"]
    fig2: dict[str, list[float]] = {}
    for metric, unit in (("mse", "dev MSE (own normalisation)"), ("mcd_db", "dev MCD dB")):
        rows = {"baseline": [_pair_metric(_load(exp, "dev", n), p, metric)
                             for n, p in zip(bases, pairs, strict=True)]}
        for code in CODES:
            rows[code.replace("mlms_", "MLMS ")] = [
                _pair_metric(_load(exp, "dev", code), p, metric) for p in pairs]
        for label, vals in rows.items():
            lines.append(f"| {unit}, {label} | " + " | ".join(_fmt(v) for v in vals) + " |")
        fig2 = rows
    for metric, unit in (("mcd_db", "MCD dB"), ("f0_rmse_cents", "F0 RMSE cents"),
                         ("vuv_error", "V/UV error")):
        base = [_pair_metric(_load(exp, "test", n), p, metric)
                for n, p in zip(bases, pairs, strict=True)]
        lines.append(f"| test {unit}, baseline | " + " | ".join(_fmt(v) for v in base) + " |")
        for code in [*CODES, *others]:
            vals = [_pair_metric(_load(exp, "test", code), p, metric) for p in pairs]
            lines.append(f"| test {unit}, {code.replace('mlms_', 'MLMS ')} | "
                         + " | ".join(_fmt(v) for v in vals) + " |")
    if pairs:
        bar_chart(pairs, fig2, Path(out).parent / "figure2_dev_mcd.png",
                  "Figure 2: dev MCD, training languages", "MCD (dB)")
    scratch = [n for n in names if n.startswith("scratch_")]
    apairs = [_pair_of(n, "scratch_") for n in scratch] or [
        _pair_of(n, "adapt_v1_") for n in names if n.startswith("adapt_v1_")]
    alines = ["| system | " + " | ".join(f"{p} dev MSE (own norm.) | {p} dev MCD | {p} test MCD "
                                         f"| {p} test F0 cents | {p} test V/UV"
                                         for p in apairs) + " |",
              "|---" * (5 * len(apairs) + 1) + "|"]
    fig3: dict[str, list[float]] = {}
    for label, prefix in [("from scratch", "scratch_"),
                          *[(v, f"adapt_{v}_") for v in VARIANTS]]:
        row, dev = [], []
        for p in apairs:
            name = prefix + p.replace("/", "_")
            d, t = _load(exp, "adapt_dev", name), _load(exp, "adapt_test", name)
            dev.append(_pair_metric(d, p, "mcd_db"))
            row += [_fmt(_pair_metric(d, p, "mse")), _fmt(dev[-1])]
            row += [_fmt(_pair_metric(t, p, m), k) for m, k in
                    (("mcd_db", 3), ("f0_rmse_cents", 1), ("vuv_error", 3))]
        fig3[label] = dev
        alines.append(f"| {label} | " + " | ".join(row) + " |")
    if apairs:
        bar_chart(apairs, fig3, Path(out).parent / "figure3_adapt_dev_mcd.png",
                  "Figure 3: dev MCD, adaptation languages", "MCD (dB)")
    extra = []
    spoken = sorted(p.parents[1].name for p in exp.glob("*/scores/heldout.json")) or ["mlms_rand"]
    for test_set, name, label in (
            ("espeak", "align", "aligner on espeak-ng speech"),
            ("test", "vocoder", "vocoder copy synthesis (test set)"),
            *[("test", n, f"duration model {n} (test set)") for n in names
              if n == "duration" or n.startswith("duration_")],
            *[("heldout", n, f"held-out sentences, {n} + duration model, ASR WER")
              for n in spoken]):
        s = _load(exp, test_set, name)
        flat = {k: v for k, v in (s or {}).items() if isinstance(v, int | float)}
        extra.append(f"- {label}: " + (", ".join(f"{k} = {v:.4g}" for k, v in flat.items())
                                      if s else "not yet measured"))
    text = "\n".join(["# tts results", "", f"Experiment folder: `{exp}`", "",
                      "## Acoustic models over every language and speaker (MCD, F0 and "
                      "V/UV over speech frames)", "", *overall, "",
                      "## Training languages (Figure 2 and test scores per language/speaker)",
                      "", *(lines if pairs else ["(no single-speaker baselines in this run)"]),
                      "", "## Adaptation to new languages (Figure 3)", "", *alines,
                      "", "## Adaptation with n utterances", "", *size_table(exp, names),
                      "", "## Aligner, vocoder ceiling, durations, intelligibility", "",
                      *extra, ""])
    atomic_write_text(out, text)
    return text
