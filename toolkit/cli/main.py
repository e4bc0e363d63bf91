"""``sptk-cli``: the entry point and the list of command groups."""

from __future__ import annotations

import logging

import typer

from toolkit.cli import aec as aec_cli
from toolkit.cli import aed as aed_cli
from toolkit.cli import config as config_cli
from toolkit.cli import corpus as corpus_cli
from toolkit.cli import data as data_cli
from toolkit.cli import features as features_cli
from toolkit.cli import run as run_cli
from toolkit.cli import se as se_cli
from toolkit.cli import svs as svs_cli
from toolkit.cli import task as task_cli
from toolkit.cli import tts as tts_cli
from toolkit.cli.app import DEBUG, App

app = App(help="Speech and audio recipes: data directories, jobs, training, decoding, scoring.")


def _version(value: bool) -> None:
    if value:
        from toolkit import __version__

        typer.echo(f"sptk-cli {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only warnings and errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Speech and audio recipes in the Kaldi/ESPnet tradition."""
    from toolkit.log import log_command_header, setup_logging

    DEBUG["enabled"] = debug
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    setup_logging(level)
    log_command_header()


app.add_typer(data_cli.app, name="data")
app.add_typer(config_cli.app, name="config")
app.add_typer(corpus_cli.app, name="corpus")
app.add_typer(features_cli.app, name="features")
run_cli.register(app)
task_cli.register(app)
svs_cli.register(app)
aed_cli.register(app)
tts_cli.register(app)
se_cli.register(app)
aec_cli.register(app)

if __name__ == "__main__":
    app()
