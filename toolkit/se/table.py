"""Tables 1 and 2 of the SRST paper from score files, one seed or several.

Table 1 rows (paper order): Noisy, Source model, RemixIT, DANN, DANN+RemixIT,
SRST (random source), SRST (similar source), Target model. Each row reads
``EXP/<step>/scores/target_test.json`` (step ``noisy`` for the unprocessed
input) and, when present, ``EXP/<step>/scores/target_test_dnsmos.json``.
Table 2 (source and target model on source-language vs target-language speech,
both in target conditions) reads ``target_test_source_lang.json`` beside it.
Over several experiments (one per seed) every cell is mean +- sd.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROWS = (("noisy", "Noisy"), ("source", "Source model"), ("remixit", "RemixIT"),
        ("dann", "DANN"), ("dann_remixit", "DANN+RemixIT"),
        ("srst_random", "SRST (random source)"), ("srst", "SRST (similar source)"),
        ("target", "Target model"))
METRICS = ("pesq", "stoi", "si_sdr")
TEST_SET = "target_test"
SOURCE_LANG_SET = "target_test_source_lang"


def load_rows(exp: Path, test_set: str = TEST_SET) -> dict[str, dict[str, Any]]:
    """{step: scores (with dnsmos_* merged in)} for the rows that have scores."""
    out = {}
    for step, _ in ROWS:
        f = exp / step / "scores" / f"{test_set}.json"
        if not f.is_file():
            continue
        scores = json.loads(f.read_text())
        dn = exp / step / "scores" / f"{test_set}_dnsmos.json"
        if dn.is_file():
            scores.update({k: v for k, v in json.loads(dn.read_text()).items()
                           if k.startswith("dnsmos_")})
        out[step] = scores
    return out


def gap_closed(rows: dict[str, dict[str, Any]], method: str = "srst") -> dict[str, float]:
    """(method - source) / (target - source) per metric: the share of the gap closed."""
    out = {}
    if not all(k in rows for k in ("source", "target", method)):
        return out
    for m in METRICS:
        src, tgt, val = (rows[k].get(m, math.nan) for k in ("source", "target", method))
        gap = tgt - src
        out[m] = (val - src) / gap if abs(gap) > 1e-9 else math.nan
    return out


def _snrs(rows: dict[str, dict[str, Any]]) -> list[str]:
    keys = {k.split("/")[0] for r in rows.values() for k in r if k.startswith("snr")}
    return sorted(keys, key=lambda s: float(s[3:]))


def markdown_table(exp: Path) -> str:
    """The Markdown table (per SNR, overall, DNSMOS) and the gap line."""
    rows = load_rows(exp)
    snrs = _snrs(rows)
    head = ["Method"] + [f"{s[3:]} dB {m.upper().replace('_', '-')}" for s in snrs
                         for m in METRICS] + ["all PESQ", "all STOI", "all SI-SDR",
                                              "DNSMOS SIG", "BAK", "OVRL"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for step, label in ROWS:
        r = rows.get(step)
        if r is None:
            lines.append(f"| {label} | not yet measured | " + " | ".join(["-"] * (len(head) - 2))
                         + " |")
            continue
        cells = [r.get(f"{s}/{m}", math.nan) for s in snrs for m in METRICS]
        cells += [r.get(m, math.nan) for m in METRICS]
        cells += [r.get(f"dnsmos_{m}", math.nan) for m in ("sig", "bak", "ovrl")]
        lines.append(f"| {label} | " + " | ".join(
            "-" if not math.isfinite(c) else f"{c:.3f}" for c in cells) + " |")
    gap = gap_closed(rows)
    if gap:
        lines += ["", "Share of the source-to-target gap closed by SRST (similar source): " +
                  ", ".join(f"{m.upper().replace('_', '-')} {100 * v:.0f} %"
                            for m, v in gap.items())]
    shares = {label: gap_closed(rows, step) for step, label in ROWS[2:-1]}
    if any(shares.values()):
        lines += ["", "| Share of the gap closed | PESQ | STOI | SI-SDR |", "|---|---|---|---|"]
        lines += [f"| {label} | " + " | ".join(
            f"{100 * g[m]:.0f} %" if math.isfinite(g[m]) else "-" for m in METRICS) + " |"
            for label, g in shares.items() if g]
    return "\n".join(lines) + "\n"


def _cell(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
    """'mean' for one value, 'mean ± sd' (sample sd) for several; '-' when none."""
    v = [scale * x for x in values if math.isfinite(x)]
    if not v:
        return "-"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    mean = sum(v) / len(v)
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def table2_markdown(exps: list[Path]) -> str:
    """The paper's Table 2: noisy / source / target model and the gap, per test speech.

    Args:
        exps: experiment roots (one per seed); steps ``noisy``, ``source`` and
            ``target`` scored on ``target_test`` and ``target_test_source_lang``.

    Returns:
        Markdown (empty when no experiment has the source-language scores).
    """
    sets = ((SOURCE_LANG_SET, "source language"), (TEST_SET, "target languages"))
    per = {name: [load_rows(e, name) for e in exps] for name, _ in sets}
    if not any("source" in r for r in per[SOURCE_LANG_SET]):
        return ""
    lines = [f"Table 2 ({len(exps)} seed(s)): both test sets in target conditions "
             "(target test noises and rooms)", "",
             "| Test speech | Method | PESQ | STOI | SI-SDR (dB) |", "|---|---|---|---|---|"]
    for name, label in sets:
        for step, row in (("noisy", "Noisy"), ("source", "Source model"),
                          ("target", "Target model"), ("gap", "Gap (target - source)")):
            cells = []
            for m in METRICS:
                if step == "gap":
                    vals = [r["target"][m] - r["source"][m] for r in per[name]
                            if "target" in r and "source" in r]
                else:
                    vals = [r[step][m] for r in per[name] if step in r]
                cells.append(_cell(vals))
            lines.append(f"| {label} | {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def seeds_markdown(exps: list[Path]) -> str:
    """Table 1 over seeds: every cell mean ± sd, and the share of the gap each method closes.

    Args:
        exps: experiment roots, one per seed (``exp/gap``, ``exp/gap_s1``, ...).
    """
    runs = [load_rows(e) for e in exps]
    snrs = sorted({s for r in runs for s in _snrs(r)}, key=lambda s: float(s[3:]))
    cols = [(f"{s}/si_sdr", f"{s[3:]} dB SI-SDR") for s in snrs]
    cols += [(m, f"all {m.upper().replace('_', '-')}") for m in METRICS]
    lines = [f"Table 1 over {len(exps)} seeds ({', '.join(str(e) for e in exps)}): "
             "mean ± sd", "",
             "| Method | seeds | " + " | ".join(c for _, c in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for step, label in ROWS:
        have = [r[step] for r in runs if step in r]
        lines.append(f"| {label} | {len(have)} | " + " | ".join(
            _cell([h.get(k, math.nan) for h in have]) for k, _ in cols) + " |")
    lines += ["", "| Share of the gap closed | seeds | PESQ | STOI | SI-SDR |",
              "|---|---|---|---|---|"]
    for step, label in ROWS[2:-1]:
        shares = [g for g in (gap_closed(r, step) for r in runs) if g]
        lines.append(f"| {label} | {len(shares)} | " + " | ".join(
            _cell([g[m] for g in shares], 100.0, 0) + (" %" if shares else "")
            for m in METRICS) + " |")
    return "\n".join(lines) + "\n"


def tables_markdown(exps: list[Path]) -> str:
    """Table 1 (one experiment: per SNR and DNSMOS; several: mean ± sd) and Table 2."""
    text = markdown_table(exps[0]) if len(exps) == 1 else seeds_markdown(exps)
    t2 = table2_markdown(exps)
    return text + ("\n" + t2 if t2 else "")
