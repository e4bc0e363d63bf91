"""Guards of the training loop: divergence, and the left-overs of a killed run.

A run stops with :class:`TrainingDiverged` (a :class:`~toolkit.errors.UserError`:
one line, exit 2, and no ``.done``, so no later stage takes the model for
finished) when the loss is not finite, or more than :data:`DIVERGENCE_FACTOR`
times the run's first loss (the model at initialisation, kept in checkpoints so
that a resumed run compares against the same value; at least
:data:`LOSS_FLOOR`). ``lr: 1e12`` used to train to ``.done``.

:func:`remove_stale_temporaries` deletes the temporary files of checkpoint
saves that were killed half-way (``.last.<random>.tmp.pt``); the trainer calls
it at start.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from toolkit.errors import UserError

log = logging.getLogger(__name__)
DIVERGENCE_FACTOR = 1e6
LOSS_FLOOR = 1e-3  # a first loss near 0 must not make ordinary noise look like divergence
# Temporary files of toolkit.fsutil.atomic_file ('.<stem>.<random>.tmp<suffix>').
STALE_PATTERNS = (".*.tmp*",)


class TrainingDiverged(UserError):
    """The loss became non-finite or exploded: training stopped without ``.done``."""


def remove_stale_temporaries(exp: Path) -> list[Path]:
    """Delete temporary checkpoint files a killed save left in ``exp`` and ``exp/ckpt``."""
    removed = []
    for folder in (exp, exp / "ckpt"):
        for pattern in STALE_PATTERNS:
            for path in folder.glob(pattern):
                if path.is_file():
                    path.unlink()
                    removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) of an interrupted save: %s", len(removed),
                 ", ".join(p.name for p in removed))
    return removed


def check_divergence(loss: float, first: float, epoch: int, batch: int, lr: float) -> None:
    """Stop on a non-finite loss or one far above the run's first loss.

    Args:
        loss: this batch's loss.
        first: the run's first loss.
        epoch: 0-based epoch (for the message).
        batch: 0-based batch in the epoch (for the message).
        lr: the current learning rate (for the message).

    Raises:
        TrainingDiverged: naming the epoch, batch, loss and learning rate.
    """
    where = f"at epoch {epoch + 1} batch {batch + 1}"
    if not math.isfinite(loss):
        raise TrainingDiverged(f"training diverged {where}: the loss is {loss}; lower "
                               f"optim.lr (now {lr:g}) or check the data")
    base = max(abs(first), LOSS_FLOOR)
    if abs(loss) > DIVERGENCE_FACTOR * base:
        raise TrainingDiverged(
            f"training diverged {where}: the loss is {loss:.3g}, more than "
            f"{DIVERGENCE_FACTOR:g} times the first loss ({base:.3g}); lower optim.lr "
            f"(now {lr:g}) or check the data")
