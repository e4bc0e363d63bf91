"""``sptk-cli config``: show default configs."""

from toolkit.cli.app import App

app = App(help="Show default configurations.")
