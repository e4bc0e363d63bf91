"""Glue: the registry finds the aec task here (:mod:`toolkit.aec.task`)."""

from toolkit.aec.task import TASK

__all__ = ["TASK"]
