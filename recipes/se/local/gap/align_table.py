#!/usr/bin/env python3
"""The alignment curve of DANN runs made by local/gap/dann_align.sh, as Markdown.

Per run (EXP/dann/config.yaml, EXP/dann/scalars.log, EXP/probe.json): its settings, and per
epoch the adversarial classifier's validation accuracy, a fresh probe's dev accuracy
(sptk-cli se probe) and the source-dev SI-SDR the checkpoint choice reads.

Usage: local/gap/align_table.py EXP [EXP ...] > table.md
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml


def _valid_rows(scalars: Path, marker: str = "acc") -> dict[int, dict[str, float]]:
    """Per epoch, the validation values of a run's scalars.log (lines holding valid/MARKER)."""
    rows = {}
    for line in scalars.read_text().splitlines():
        if f"valid/{marker}=" not in line:
            continue
        kv = dict(re.findall(r"(\S+)=(\S+)", line))
        rows[int(kv["epoch"])] = {"acc": float(kv.get("valid/acc", "nan")),
                                  "si_sdr": float(kv["valid/si_sdr"])}
    return rows


def main(exps: list[str]) -> str:
    out = ["| run | encoder lr | classifier lr | GRL | epoch | adversary acc (valid) | "
           "fresh probe acc (dev, ± 95 %) | source-dev SI-SDR |",
           "|---|---|---|---|---|---|---|---|"]
    for e in map(Path, exps):
        cfg = yaml.safe_load((e / "dann" / "config.yaml").read_text())
        lr = float(cfg["optim"]["lr"])
        cls_lr = lr * float((cfg["optim"].get("lr_scale") or {}).get("classifier", 1.0))
        grl = cfg["uda"]["grl"]
        probes = json.loads((e / "probe.json").read_text())
        valid = _valid_rows(e / "dann" / "scalars.log")
        src, src_valid = probes[0], _valid_rows(e / "source" / "scalars.log", "si_sdr")
        out.append(f"| {e.name} | | | | source model | | {src['accuracy']:.3f} ± "
                   f"{src['ci95']:.3f} | {src_valid[max(src_valid)]['si_sdr']:.2f} (last) |")
        for p in probes[1:]:
            ep = int(re.search(r"epoch-(\d+)\.pt", p["weights"]).group(1))
            v = valid.get(ep, {"acc": float("nan"), "si_sdr": float("nan")})
            out.append(f"| {e.name} | {lr:g} | {cls_lr:g} | {grl:g} | {ep} | {v['acc']:.3f} | "
                       f"{p['accuracy']:.3f} ± {p['ci95']:.3f} | {v['si_sdr']:.2f} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: local/gap/align_table.py EXP [EXP ...]")
    sys.stdout.write(main(sys.argv[1:]))
