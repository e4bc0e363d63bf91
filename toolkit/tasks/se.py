"""Glue: the registry imports ``toolkit.tasks.<name>.TASK``; the se task lives in toolkit/se."""

from toolkit.se.task import TASK  # noqa: F401
