"""``sptk-cli corpus prepare``: one verb for every public corpus given by path.

The importers live in :mod:`toolkit.corpora.external`; this command only
parses, calls :func:`toolkit.corpora.external.prepare` and prints what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import typer


def prepare(
    name: str = typer.Argument(None, help="Importer name (see --list)."),
    path: Path = typer.Option(None, "--path", "-p", help="The corpus as downloaded."),
    dst: Path = typer.Option(None, "--dst", "-o", help="Where the data directories go."),
    opt: list[str] = typer.Option(None, "--opt", metavar="KEY=VALUE", help="Importer option "
                                  "(repeatable; see --list), e.g. --opt subset=real."),
    list_: bool = typer.Option(False, "--list", help="List the importers and their options."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo finished outputs."),
) -> None:
    """Import a public corpus (AEC/DNS Challenge, LibriSpeech, VCTK, MUSDB18, ESC-50 ...)."""
    from toolkit.cli.app import fail
    from toolkit.corpora import external

    if list_:
        for n in external.IMPORTERS:
            typer.echo(f"{n}\n    {external.description(n)}")
            if external.usage(n):
                typer.echo(f"    options: {external.usage(n)}")
        return
    if not name or path is None or dst is None:
        fail("give NAME --path CORPUS --dst DIR (importer names: "
             "'sptk-cli corpus prepare --list')")
    kwargs = external.parse_options(name, opt or [])
    external.prepare(name, path, dst, kwargs, overwrite)
    for d in external.written_datadirs(dst):
        n = sum(1 for _ in open(d / "wav.scp", encoding="utf-8"))
        typer.echo(f"{d}: {n} entries")


def register(app: typer.Typer) -> None:
    """Add ``prepare`` to the ``corpus`` group."""
    app.command("prepare")(prepare)
