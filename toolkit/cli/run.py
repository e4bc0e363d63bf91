"""``sptk-cli run``: JOB=1:N dispatch (placeholder until the dispatch module lands)."""


def register(app) -> None:
    """Add the ``run`` command to ``app``."""
