"""Registry glue: the tts task lives in :mod:`toolkit.tts` (``get_task`` looks here)."""

from toolkit.tts.task import TASK

__all__ = ["TASK"]
