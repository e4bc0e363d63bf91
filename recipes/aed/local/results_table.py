"""Print the RESULTS.md rows of the ESC-10 experiments from exp/<row>*/ (scores, MACs, time).

Usage (in recipes/aed, after local/esc10_table4.sh):
    python local/results_table.py [ROW...]                     # the config's split
    python local/results_table.py --folds 1,2,3 [--reference ROW] [--ensemble] [ROW...]

Without ``--folds`` a row's runs are exp/<row> (seed 0) and exp/<row>_seed<N>; with it,
exp/<row>_fold<F>[_seed<N>] for every listed test fold. Each row: top-1 mean ± sd over its
runs and the 95 % interval of the mean (t distribution); with ``--reference`` a second table
gives every row's paired difference from that row (same fold and seed, so the fold's
difficulty and the seed's luck cancel), mean and 95 % interval. ``--ensemble`` adds, per
row and fold, the top-1 of the seeds' posteriors averaged per clip (what ``sptk-cli aed
pack-ensemble`` ships), scored against ``data/esc10_fold<F>/test/label``.
"""

import argparse
import json
import re
import statistics
from datetime import datetime
from pathlib import Path

from scipy import stats

ROWS = ["datar_nodeform", "datar_deform", "datar_gauss", "datar_laplace", "datar_adaptor02",
        "datar", "ast", "datar_wide", "datar_pretrained", "ast_pretrained", "datar_bigmap",
        "ast_matched"]


def minutes(log: Path) -> str:
    if not log.is_file():
        return "?"
    stamps = re.findall(r"^(\d\d\d\d-\d\d-\d\d \d\d:\d\d:\d\d)", log.read_text(), re.M)
    if len(stamps) < 2:
        return "?"
    t = [datetime.fromisoformat(s) for s in (stamps[0], stamps[-1])]
    return f"{(t[1] - t[0]).total_seconds() / 60:.1f}"


def runs(row: str, folds: list[str]) -> dict[tuple[str, int], Path]:
    """``{(fold, seed): exp dir}`` of the runs that hold scores."""
    out = {}
    for fold in folds or [""]:
        stem = f"{row}_fold{fold}" if fold else row
        found = [(0, Path("exp") / stem)] + [
            (int(p.name.rsplit("_seed", 1)[1]), p) for p in Path("exp").glob(f"{stem}_seed*")
            if p.name.rsplit("_seed", 1)[1].isdigit()]
        out.update({(fold, s): p for s, p in found if (p / "scores" / "test.json").is_file()})
    return dict(sorted(out.items()))


def top1(path: Path) -> float:
    return json.loads((path / "scores" / "test.json").read_text())["acc"]


def interval(values: list[float]) -> str:
    """mean ± sd [95 % interval of the mean]."""
    m = statistics.mean(values)
    if len(values) < 2:
        return f"{m:.3f}"
    sd = statistics.stdev(values)
    half = stats.t.ppf(0.975, len(values) - 1) * sd / len(values) ** 0.5
    return f"{m:.3f} ± {sd:.3f} [{m - half:.3f}, {m + half:.3f}]"


def posteriors(exp: Path) -> dict[str, dict[str, float]]:
    """``{clip: {class: probability}}`` of exp/decode/test/hyp/posterior."""
    out = {}
    for line in (exp / "decode" / "test" / "hyp" / "posterior").read_text().splitlines():
        key, *pairs = line.split()
        out[key] = {c: float(p) for c, p in (x.rsplit(":", 1) for x in pairs)}
    return out


def ensemble_top1(exps: list[Path], labels: Path) -> float:
    """Top-1 of the mean posterior of ``exps`` against a ``label`` file."""
    post = [posteriors(e) for e in exps]
    truth = dict(line.split(maxsplit=1) for line in labels.read_text().splitlines())
    hits = [max(post[0][k], key=lambda c: sum(p[k][c] for p in post)) == truth[k].strip()
            for k in truth]
    return sum(hits) / len(hits)


def print_ensembles(rows: list[str], folds: list[str]) -> None:
    print("\n| row | seeds per fold | ensemble top-1 per fold | ensemble top-1 (mean of folds) |")
    print("|---|---|---|---|")
    for row in rows:
        found = runs(row, folds)
        per = {f: [p for (g, _), p in found.items() if g == f] for f in folds}
        acc = {f: ensemble_top1(e, Path(f"data/esc10_fold{f}/test/label"))
               for f, e in per.items() if e}
        if acc:
            print(f"| {row} | {' / '.join(str(len(e)) for e in per.values())} | "
                  + " / ".join(f"{f}: {a:.3f}" for f, a in acc.items())
                  + f" | {statistics.mean(acc.values()):.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", nargs="*", default=ROWS)
    ap.add_argument("--folds", default="", help="test folds, comma-separated (e.g. 1,2,3)")
    ap.add_argument("--reference", default="", help="row the paired differences are from")
    ap.add_argument("--ensemble", action="store_true", help="also the seeds' mean posterior "
                    "per fold (needs --folds)")
    args = ap.parse_args()
    folds = [f for f in args.folds.split(",") if f]
    print("| row | runs (folds x seeds) | top-1: mean ± sd [95 % interval] | top-1 per fold "
          "| top-5 | G MACs (no attn) | params M (classifier) | train min |")
    print("|---|---|---|---|---|---|---|---|")
    for row in args.rows:
        found = runs(row, folds)
        if not found:
            print(f"| {row} | 0 | not yet measured | | | | | |")
            continue
        acc = [top1(p) for p in found.values()]
        scores = [json.loads((p / "scores" / "test.json").read_text()) for p in found.values()]
        top5 = [s.get("top5", float("nan")) for s in scores]
        per_fold = " / ".join(
            f"{f or 'cfg'}: {statistics.mean(top1(p) for (g, _), p in found.items() if g == f):.3f}"
            for f in dict.fromkeys(g for g, _ in found))
        first = next(iter(found.values()))
        m = json.loads((first / "macs.json").read_text()) if (first / "macs.json").is_file() else {}
        print(f"| {row} | {len(found)} | {interval(acc)} | {per_fold} "
              f"| {statistics.mean(top5):.3f} "
              f"| {m.get('gmacs', 0):.4f} ({m.get('gmacs_without_attention', 0):.4f}) "
              f"| {m.get('params_m_classifier', m.get('params_m', 0)):.3f} "
              f"| {minutes(first / 'train.log')} |")
    if args.reference:
        ref = runs(args.reference, folds)
        print(f"\n| row | paired runs | top-1 minus {args.reference}: mean ± sd [95 % interval] |")
        print("|---|---|---|")
        for row in args.rows:
            found = runs(row, folds)
            both = sorted(set(found) & set(ref))
            if row == args.reference or not both:
                continue
            diff = [top1(found[k]) - top1(ref[k]) for k in both]
            print(f"| {row} | {len(both)} | {interval(diff)} |")
    if args.ensemble and folds:
        print_ensembles(args.rows, folds)


if __name__ == "__main__":
    main()
