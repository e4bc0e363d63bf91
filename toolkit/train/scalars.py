"""Training scalars: a plain line log always, TensorBoard event files when installed.

``scalars.log`` holds one line per record, ``epoch=E step=S name=value ...``,
easy to grep and plot; ``tb/`` holds TensorBoard events when the
``tensorboard`` package can be imported. On resume from step S, lines of steps
after S (written by the killed run after its last checkpoint) are dropped, so
the resumed run does not repeat them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)


class ScalarWriter:
    """Append scalars to ``exp/scalars.log`` and, if possible, TensorBoard.

    Args:
        exp_dir: experiment directory.
        enabled: False on non-main processes (writes nothing).
        purge_step: on resume, drop TensorBoard events at or after this step.
    """

    def __init__(self, exp_dir: str | Path, enabled: bool = True, purge_step: int | None = None):
        self.enabled = enabled
        self.path = Path(exp_dir) / "scalars.log"
        self.tb = None
        if not enabled:
            return
        if purge_step is not None:
            truncate_scalars(self.path, purge_step)
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(Path(exp_dir) / "tb"), purge_step=purge_step)
        except ImportError:
            log.debug("tensorboard is not installed; scalars go to %s only", self.path)

    def add(self, values: dict[str, float], step: int, epoch: int) -> None:
        if not self.enabled:
            return
        fields = " ".join(f"{k}={v:.6g}" for k, v in values.items())
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"epoch={epoch} step={step} {fields}\n")
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(k, v, step)

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


_STEP = re.compile(r"(?:^|\s)step=(\d+)(?:\s|$)")


def truncate_scalars(path: Path, last_step: int) -> int:
    """Drop the lines of ``path`` logged after ``last_step``; return how many were dropped."""
    from toolkit.fsutil import atomic_write_text

    if not path.is_file():
        return 0
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    keep = []
    for line in lines:
        match = _STEP.search(line)
        if match and int(match.group(1)) > last_step:
            continue
        if line.endswith("\n"):  # a line cut off by the kill is dropped too
            keep.append(line)
    if len(keep) != len(lines):
        atomic_write_text(path, "".join(keep))
        log.info("%s: dropped %d line(s) logged after step %d (resumed run)", path,
                 len(lines) - len(keep), last_step)
    return len(lines) - len(keep)
