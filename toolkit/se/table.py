"""Table 1 of the SRST paper from score files, and the share of the gap SRST closes.

Rows (paper order): Noisy, Source model, RemixIT, DANN, DANN+RemixIT,
SRST (random source), SRST (similar source), Target model. Each row reads
``EXP/<step>/scores/target_test.json`` (step ``noisy`` for the unprocessed
input) and, when present, ``EXP/<step>/scores/target_test_dnsmos.json``.
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


def load_rows(exp: Path) -> dict[str, dict[str, Any]]:
    """{step: scores (with dnsmos_* merged in)} for the rows that have scores."""
    out = {}
    for step, _ in ROWS:
        f = exp / step / "scores" / f"{TEST_SET}.json"
        if not f.is_file():
            continue
        scores = json.loads(f.read_text())
        dn = exp / step / "scores" / f"{TEST_SET}_dnsmos.json"
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
