"""Training scalars: a plain line log always, TensorBoard event files when installed.

``scalars.log`` holds one line per record, ``epoch=E step=S name=value ...``,
easy to grep and plot; ``tb/`` holds TensorBoard events when the
``tensorboard`` package can be imported.
"""

from __future__ import annotations

import logging
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
