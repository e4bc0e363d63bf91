"""Corpus commands (speech); see toolkit.cli.corpus."""


def register(app) -> None:
    """Add this module's commands to the corpus group."""
