"""Print the RESULTS.md rows of the ESC-10 experiments from exp/<row>/ (scores, MACs, time).

Usage: python local/results_table.py [ROW...]  (run in recipes/aed after local/esc10_table4.sh)
"""

import json
import re
import sys
from pathlib import Path

ROWS = sys.argv[1:] or ["datar_nodeform", "datar_deform", "datar_gauss", "datar_laplace",
                        "datar_adaptor02", "datar", "ast", "datar_wide", "datar_pretrained",
                        "ast_pretrained"]


def minutes(log: Path) -> str:
    stamps = re.findall(r"^(\d\d\d\d-\d\d-\d\d \d\d:\d\d:\d\d)", log.read_text(), re.M)
    if len(stamps) < 2:
        return "?"
    from datetime import datetime

    t = [datetime.fromisoformat(s) for s in (stamps[0], stamps[-1])]
    return f"{(t[1] - t[0]).total_seconds() / 60:.0f}"


print("| row | config | top-1 | top-5 | GMACs (no attn) | params M | train min |")
print("|---|---|---|---|---|---|---|")
for row in ROWS:
    exp = Path("exp") / row
    scores = exp / "scores_test.json"
    if not scores.is_file():
        print(f"| {row} | conf/esc10/{row}.yaml | not yet measured | | | | |")
        continue
    s = json.loads(scores.read_text())
    m = json.loads((exp / "macs.json").read_text()) if (exp / "macs.json").is_file() else {}
    print(f"| {row} | conf/esc10/{row}.yaml | {s['acc']:.3f} | {s.get('top5', float('nan')):.3f}"
          f" | {m.get('gmacs', 0):.4f} ({m.get('gmacs_without_attention', 0):.4f}) "
          f"| {m.get('params_m', 0):.3f} | {minutes(exp / 'train.log')} |")
