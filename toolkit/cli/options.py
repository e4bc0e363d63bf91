"""Typer options shared by the commands, defined once.

The five single-file commands (``separate``, ``enhance``, ``cancel-echo``,
``classify``, ``synthesize``) take the same ``-o``, ``--model``, ``--device`` and
``--overwrite`` options with the same meaning; recipe steps share ``--config``
and ``--set``. Import these instead of redefining them.
"""

from __future__ import annotations

from pathlib import Path

import typer

OUT = typer.Option(
    None, "--out", "-o",
    help="Output: a file for one input, a folder for several (default: beside the "
         "current directory, see the command's help).")
MODEL = typer.Option(
    None, "--model", "-m",
    help="Packed model or experiment directory (default: the model shipped with sptk-cli).")
DEVICE = typer.Option("auto", "--device", help="auto (GPU when available) | cpu | cuda | cuda:N.")
OVERWRITE = typer.Option(False, "--overwrite", help="Redo a finished output (.done) or "
                         "replace outputs that already exist.")
CONFIG = typer.Option(..., "--config", "-c", help="The recipe's YAML config.")
SET = typer.Option(None, "--set", help="Override a config value: --set train.lr=1e-3 "
                   "(repeatable).")
SHARD = typer.Option(None, "--shard", help="Process only shard J of N (J/N, 1-based), as "
                     "'sptk-cli run JOB=1:N ... --shard JOB/N' passes it.")


def existing_path(path: Path | None, what: str) -> Path | None:
    """Return ``path`` or fail with one line when it is given but does not exist."""
    from toolkit.errors import UserError

    if path is not None and not Path(path).exists():
        raise UserError(f"{what} {path}: no such file or directory")
    return path

SKIP_EXISTING = typer.Option(False, "--skip-existing",
                             help="Keep outputs that already exist and skip their inputs "
                                  "(resuming a batch); without it existing outputs are an error.")
INPUTS = typer.Argument(..., help="Audio files, folders (searched recursively) or glob "
                        "patterns.", show_default=False)
