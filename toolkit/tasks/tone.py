"""Registry hook: the tone (template) task lives in :mod:`toolkit.tone`."""

from toolkit.tone.task import TASK

__all__ = ["TASK"]
