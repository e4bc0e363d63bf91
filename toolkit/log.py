"""One logging format for every command, configured once.

Lines look like ``2026-11-21 10:00:00 INFO [toolkit.train] message``. On a
terminal the handler is rich's (colours, progress bars elsewhere); otherwise
(cluster logs) it is a plain stream handler with the same fields.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S"
_configured = False


def setup_logging(level: int | str = logging.INFO) -> None:
    """Configure the root logger once (later calls only change the level).

    ``level`` applies to the stderr handler; the root logger stays at INFO or
    lower so that file handlers (a training run's train.log) still get INFO
    lines when the terminal is quiet.
    """
    global _configured
    level = logging.getLevelName(level) if isinstance(level, str) else level
    root = logging.getLogger()
    root.setLevel(min(level, logging.INFO))
    if _configured:
        root.handlers[0].setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT, DATEFMT))
    handler.setLevel(level)
    root.handlers[:] = [handler]
    _configured = True


class LogFile(logging.FileHandler):
    """A log file (a training run's ``train.log``) that fails quietly.

    When the file cannot be written (a full disk, a removed folder) logging's
    default prints a traceback for every line. Here the first failure is one
    warning line on stderr and later lines go to stderr only; the command itself
    goes on and reports its own write errors.
    """

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        if not self.failed:
            self.failed = True
            err = sys.exc_info()[1]
            print(f"warning: cannot write the log file {self.baseFilename}: "
                  f"{getattr(err, 'strerror', None) or err}; its lines are dropped",
                  file=sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)


def git_commit() -> str:
    """Short commit of the checkout the toolkit runs from ('unknown' if none).

    Reads ``.git`` directly instead of spawning git: this runs for every command.
    """
    git = Path(__file__).resolve().parents[1] / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = Path(git.read_text().split(":", 1)[1].strip())
        common = git
        if (git / "commondir").exists():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:10]
        ref = head[5:]
        for base in (git, common):
            if (base / ref).exists():
                return (base / ref).read_text().strip()[:10]
        packed = common / "packed-refs"
        for line in packed.read_text().splitlines() if packed.exists() else []:
            if line.endswith(" " + ref):
                return line[:10]
    except OSError:
        pass
    return "unknown"


def log_command_header(logger: logging.Logger | None = None) -> None:
    """Log the command line, toolkit version, git commit and host."""
    from toolkit import __version__

    logger = logger or logging.getLogger("toolkit")
    from toolkit.fsutil import command_line

    logger.info("%s", command_line())
    logger.info(
        "sptk-cli %s, commit %s, host %s, python %s, pid %d",
        __version__, git_commit(), platform.node(), platform.python_version(), os.getpid(),
    )


def log_device(device: str, logger: logging.Logger | None = None) -> None:
    """Log the compute device a command runs on (called by torch commands)."""
    logger = logger or logging.getLogger("toolkit")
    if device.startswith("cuda"):
        import torch

        name = torch.cuda.get_device_name(torch.device(device))
        logger.info("device %s (%s)", device, name)
    else:
        import torch

        logger.info("device %s (%d threads)", device, torch.get_num_threads())
