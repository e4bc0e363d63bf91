"""Errors a user can fix: the CLI prints them as one line and exits non-zero.

Library code raises :class:`UserError` (or a subclass) for anything caused by
input: a missing file, a bad config key, an audio file with the wrong sample
rate. The message must say what is wrong, where (file, key, line) and, when it
is not obvious, what to do. Every other exception is a bug and is shown with a
traceback only under ``sptk-cli --debug``.
"""


class UserError(Exception):
    """Bad input: printed as ``error: <message>`` with exit status 2."""

    exit_code = 2


class ConfigError(UserError):
    """A configuration file or override is wrong (unknown key, bad type)."""


class DataDirError(UserError):
    """A data directory is malformed (unsorted keys, missing role, ...)."""


class AudioError(UserError):
    """An audio file cannot be used (unreadable, empty, NaN, wrong rate, ...)."""


class WriteError(UserError):
    """An output cannot be written: no space left, read-only or not permitted.

    Raised by the atomic writers of :mod:`toolkit.fsutil`, which first remove
    their temporary file, so that nothing half-written is left behind.
    """
