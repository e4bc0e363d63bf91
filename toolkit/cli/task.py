"""``sptk-cli train|decode|score|pack``: task commands (placeholder)."""


def register(app) -> None:
    """Add the task commands to ``app``."""
