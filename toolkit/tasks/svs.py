"""Glue: the registry finds a task as ``toolkit.tasks.<name>.TASK``; svs lives in toolkit.svs."""

from toolkit.svs.task import TASK

__all__ = ["TASK"]
