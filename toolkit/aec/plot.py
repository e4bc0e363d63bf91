"""The paper's alignment map: Align-CRUSE's delay distribution over time, as a PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

from toolkit.fsutil import atomic_file
from toolkit.models.aec_blocks import HOP, SR_HZ

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)


def plot_alignment(dist: np.ndarray, out: str | Path, true_delay: float | None = None,
                   title: str = "") -> Path:
    """Save the delay distribution over time ``(frames, d_max)`` as a PNG image."""
    t = len(dist) * HOP / SR_HZ
    dmax = dist.shape[1] * HOP / SR_HZ * 1000
    fig, ax = plt.subplots(figsize=(8, 3.2))
    im = ax.imshow(dist.T, origin="lower", aspect="auto", extent=(0, t, 0, dmax), cmap="magma")
    if true_delay is not None:
        ax.axhline(true_delay * 1000, color="cyan", ls="--", lw=1, label="true delay")
        ax.legend(loc="upper right")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("delay (ms)")
    ax.set_title(title or "Align-CRUSE delay distribution")
    fig.colorbar(im, ax=ax, label="probability")
    fig.tight_layout()
    with atomic_file(out) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return Path(out)
