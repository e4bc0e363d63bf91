"""Tables of score files: every metric (``sptk-cli summarize``) or a few headline ones.

Score files of one folder (one recipe's systems and test sets) share a table.
The full table has the union of their numeric metrics as columns ("-" where a
file lacks one), or, when that is wider than the screen, the metrics as rows.
The brief table (``--brief``, the end of ``make demo``) keeps at most
:data:`MAX_HEADLINE` headline metrics of the recipe (:data:`HEADLINE`), one row
per file, within 80 columns, and says where the full results are.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from toolkit.data.text import decode_text
from toolkit.errors import UserError

#: headline metrics per recipe, most telling first (the recipe is the folder above exp/)
HEADLINE = {
    "aec": ["erle", "delay_err_ms", "aecmos_echo_fest", "stoi", "pesq", "si_sdr"],
    "se": ["pesq", "stoi", "si_sdr", "dnsmos_ovrl"],
    "aed": ["acc", "top5", "mAP"],
    "svs": ["vocals/GNSDR", "accomp/GNSDR", "vocals/GSIR", "vocals/GSAR"],
    "tts": ["mcd_db", "f0_rmse_cents", "vuv_error", "duration_rmse_frames"],
}
#: metrics never worth a headline column when a recipe has no list
NOT_HEADLINE = ("n", "n_", "_ci95", "frames", "samples", "utterances")
MAX_HEADLINE = 4
BRIEF_WIDTH = 80


def read_scores(files: list[Path]) -> dict[str, list[tuple[str, dict[str, float]]]]:
    """``{folder: [(name, {metric: value})]}`` of the numeric top-level scores of each file.

    Files follow the recipes' naming ``exp/<experiment>/scores/<test set>.json``: a row is
    named by the experiment (plus ``/<test set>`` unless it is ``test``) and grouped by
    the folder above the experiments. Other files are named by their file name without
    ``scores_`` and ``.json`` and grouped by their folder.

    Raises:
        UserError: a file is missing or is not a JSON object.
    """
    groups: dict[str, list[tuple[str, dict[str, float]]]] = {}
    for f in map(Path, files):
        if not f.is_file():
            raise UserError(f"scores file {f} does not exist")
        try:
            values = json.loads(decode_text(f.read_bytes(), f))
        except json.JSONDecodeError:
            raise UserError(f"{f} is not a JSON scores file") from None
        if not isinstance(values, dict):
            raise UserError(f"{f} is not a JSON scores file (expected an object of scores)")
        flat = {k: v for k, v in values.items()
                if isinstance(v, int | float) and not isinstance(v, bool)}
        if f.parent.name == "scores":
            test_set = f.name.removesuffix(".json")
            name = f.parent.parent.name + ("" if test_set == "test" else f"/{test_set}")
            folder = f.parent.parent.parent
        else:
            name = f.name.removeprefix("scores_").removesuffix(".json") or f.name
            folder = f.parent
        groups.setdefault(str(folder), []).append((name, flat))
    return groups


def recipe_dir(folder: str | Path) -> Path | None:
    """The recipe folder (holding run.sh) that ``folder`` lies in, if any."""
    for p in [Path(folder), *Path(folder).parents]:
        if (p / "run.sh").is_file():
            return p
    return None


def headline(folder: str | Path, columns: list[str]) -> list[str]:
    """At most :data:`MAX_HEADLINE` of ``columns``: the recipe's headline metrics first."""
    recipe = recipe_dir(folder)
    wanted = HEADLINE.get(recipe.name if recipe else "", [])
    chosen = [m for m in wanted if m in columns]
    if not chosen:
        chosen = [c for c in columns if not any(c == s or c.startswith(s) or c.endswith(s)
                                                  for s in NOT_HEADLINE)]
    return chosen[:MAX_HEADLINE]


def _cell(flat: dict[str, float], column: str) -> str:
    return f"{flat[column]:.4g}" if column in flat else "-"


def where_results_are(folder: str | Path) -> list[str]:
    """Lines saying where this run's score files and the recipe's RESULTS.md are."""
    lines = [f"  all metrics: {folder}/**/scores/*.json"]
    recipe = recipe_dir(folder)
    if recipe and (recipe / "RESULTS.md").is_file():
        lines.append(f"  published results: {recipe / 'RESULTS.md'}")
    return lines


def brief_tables(groups: dict[str, list[tuple[str, dict[str, float]]]]
                 ) -> list[tuple[Table, list[str]]]:
    """Per folder a narrow table (rows = files, columns = headline metrics) and where-lines."""
    tables = []
    for folder, rows in groups.items():
        columns = headline(folder, list(dict.fromkeys(k for _, flat in rows for k in flat)))
        recipe = recipe_dir(folder)
        table = Table(title=recipe.name if recipe else folder, box=box.SIMPLE_HEAD,
                      title_justify="left")
        longest = max(len(name) for name, _ in rows)
        table.add_column("system / test set", overflow="fold", min_width=min(longest, 32))
        for c in columns:
            table.add_column(c, justify="right", overflow="fold")
        for name, flat in rows:
            table.add_row(name, *(_cell(flat, c) for c in columns))
        tables.append((table, where_results_are(folder)))
    return tables


def full_tables(groups: dict[str, list[tuple[str, dict[str, float]]]], width: int
                ) -> list[Table]:
    """Every metric: files as rows, or metrics as rows when they would not fit ``width``."""
    tables = []
    for folder, rows in groups.items():
        columns = list(dict.fromkeys(k for _, flat in rows for k in flat))
        title = f"scores: {folder}"
        cell = [[_cell(flat, c) for c in columns] for _, flat in rows]
        if len(columns) > 8 and len(columns) > len(rows):
            # metrics as rows; as many files per table as fit across the screen
            mw = max(len(c) for c in columns) + 3
            fw = max(8, *(len(name) for name, _ in rows)) + 3
            per = max(1, (width - mw - 1) // fw)
            for i in range(0, len(rows), per):
                part = Table(title=title if i == 0 else None)
                part.add_column("metric")
                for name, _ in rows[i:i + per]:
                    part.add_column(name, justify="right")
                for j, c in enumerate(columns):
                    part.add_row(c, *(r[j] for r in cell[i:i + per]))
                tables.append(part)
            continue
        table = Table(title=title)
        table.add_column("file")
        for c in columns:
            table.add_column(c, justify="right")
        for (name, _), r in zip(rows, cell, strict=True):
            table.add_row(name, *r)
        tables.append(table)
    return tables


def print_summary(files: list[Path], brief: bool = False) -> None:
    """Print the tables of ``files`` on stdout (80 columns when ``brief``)."""
    groups = read_scores(files)
    if brief:
        console = Console(width=BRIEF_WIDTH)
        for table, where in brief_tables(groups):
            console.print(table)
            for line in where:
                console.print(line, soft_wrap=True, highlight=False, markup=False)
            console.print()
        return
    console = Console(width=max(100, Console().width))
    for table in full_tables(groups, console.width):
        console.print(table)
