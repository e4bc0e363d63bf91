"""``python -m toolkit`` runs the sptk-cli command line."""

from toolkit.cli.main import app

app(prog_name="sptk-cli")
