"""``sptk-cli``: the entry point, the list of command groups and their help panels."""

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
from toolkit.cli.app import DEBUG, HELP, App

#: help panel of each top-level command; anything not listed is a task tool
PANELS = {
    "Inference (single files, folders or globs)": (
        "separate", "enhance", "cancel-echo", "classify", "synthesize"),
    "Recipe steps": ("train", "decode", "score", "score-merge", "pack", "average", "features",
                     "summarize", "run"),
    "Data": ("data", "corpus"),
}
TASK_TOOLS = "Task tools"

app = App(help="Speech and audio toolkit: five ready-to-use models, Kaldi/ESPnet-style "
               "recipes that train them.", hoist_global_options=True,
          panel_order=(*PANELS, TASK_TOOLS))


def _version(value: bool) -> None:
    if value:
        from toolkit import __version__

        typer.echo(f"sptk-cli {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, metavar="",
                                help="More log output (-vv); also after the command."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="Only warnings and errors; also after the command."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Speech and audio recipes in the Kaldi/ESPnet tradition."""
    DEBUG["enabled"] = debug
    if HELP["requested"]:
        return  # help only: no logging set up, no header line
    from toolkit.log import log_command_header, setup_logging

    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    setup_logging(level)
    log_command_header()


def assign_panels(root: typer.Typer) -> None:
    """Put every top-level command and group into its ``--help`` panel."""
    panel_of = {name: panel for panel, names in PANELS.items() for name in names}
    for info in root.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        info.rich_help_panel = panel_of.get(name, TASK_TOOLS)
    for group in root.registered_groups:
        group.rich_help_panel = panel_of.get(group.name, TASK_TOOLS)


app.add_typer(data_cli.app, name="data")
app.add_typer(corpus_cli.app, name="corpus")
app.add_typer(config_cli.app, name="config")
app.add_typer(features_cli.app, name="features")
run_cli.register(app)
task_cli.register(app)
svs_cli.register(app)
aed_cli.register(app)
tts_cli.register(app)
se_cli.register(app)
aec_cli.register(app)
assign_panels(app)

if __name__ == "__main__":
    app()
