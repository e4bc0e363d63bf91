"""Print the RESULTS.md rows of the ESC-10 experiments from exp/<row>/ (scores, MACs, time).

Usage: python local/results_table.py [ROW...]  (run in recipes/aed after local/esc10_table4.sh)
"""

import json
import re
import statistics
import sys
from pathlib import Path

ROWS = sys.argv[1:] or ["datar_nodeform", "datar_deform", "datar_gauss", "datar_laplace",
                        "datar_adaptor02", "datar", "ast", "datar_wide", "datar_pretrained",
                        "ast_pretrained", "datar_bigmap", "ast_matched"]


def minutes(log: Path) -> str:
    stamps = re.findall(r"^(\d\d\d\d-\d\d-\d\d \d\d:\d\d:\d\d)", log.read_text(), re.M)
    if len(stamps) < 2:
        return "?"
    from datetime import datetime

    t = [datetime.fromisoformat(s) for s in (stamps[0], stamps[-1])]
    return f"{(t[1] - t[0]).total_seconds() / 60:.1f}"


def seeds(row: str) -> list[Path]:
    """exp/<row> (seed 0) and exp/<row>_seed<N> that hold scores, in seed order."""
    found = [Path("exp") / row] + sorted(Path("exp").glob(f"{row}_seed*"),
                                          key=lambda p: int(p.name.rsplit("seed", 1)[1]))
    return [p for p in found if (p / "scores" / "test.json").is_file()]


def mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


print("| row | config | seeds | top-1 (mean ± sd) | top-1 per seed | top-5 (mean ± sd) "
      "| G MACs (no attn) | params M (classifier) | train min |")
print("|---|---|---|---|---|---|---|---|---|")
for row in ROWS:
    exps = seeds(row)
    if not exps:
        print(f"| {row} | conf/esc10/{row}.yaml | 0 | not yet measured | | | | | |")
        continue
    runs = [json.loads((e / "scores" / "test.json").read_text()) for e in exps]
    top1 = [r["acc"] for r in runs]
    top5 = [r.get("top5", float("nan")) for r in runs]
    m = json.loads((exps[0] / "macs.json").read_text()) if (exps[0] / "macs.json").is_file() else {}
    print(f"| {row} | conf/esc10/{row}.yaml | {len(exps)} | {mean_sd(top1)} "
          f"| {' / '.join(f'{v:.3f}' for v in top1)} | {mean_sd(top5)} "
          f"| {m.get('gmacs', 0):.4f} ({m.get('gmacs_without_attention', 0):.4f}) "
          f"| {m.get('params_m_classifier', m.get('params_m', 0)):.3f} "
          f"| {minutes(exps[0] / 'train.log')} |")
