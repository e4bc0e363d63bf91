"""Corpus commands (sound); see :mod:."""


def register(app) -> None:
    """Add this module's commands to the corpus group."""
