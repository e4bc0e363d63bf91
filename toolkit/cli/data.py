"""``sptk-cli data``: data directory tools."""

from toolkit.cli.app import App

app = App(help="Validate, shard, merge, subset, combine and export data directories.")
