"""Registry hook: the aed task lives in :mod:`toolkit.aed`."""

from toolkit.aed.task import TASK

__all__ = ["TASK"]
