"""One progress reporter for long work: a rich bar on a terminal, log lines otherwise.

Commands that run for more than a few seconds (separating a song, enhancing a
folder, training an epoch, building a corpus) report through :class:`Progress`.
On a terminal it draws a transient rich bar on stderr; in a cluster log (stderr
not a terminal) it writes one plain ``INFO`` line about every 10 % so that logs
stay short and greppable.

Example:
    >>> with Progress("separating song.wav", total=n_samples, unit="samples") as bar:
    ...     for done in work():
    ...         bar.update(done)
"""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("toolkit")


class Progress:
    """Progress of ``total`` units of work, shown as a bar or as log lines.

    Args:
        label: what is being done, e.g. ``"enhancing noisy.wav"``.
        total: units of work (samples, files, batches); 0 or less means unknown.
        unit: name of the unit for log lines (``"files"``, ``"batches"``).
        every: fraction of ``total`` between two log lines when not on a terminal.
        start: units already done (a resumed run).
        bar: force the rich bar on (True) or off (False); default: stderr is a terminal.
    """

    def __init__(self, label: str, total: int, unit: str = "", every: float = 0.1,
                 start: int = 0, bar: bool | None = None):
        self.label, self.total, self.unit = label, max(int(total), 0), unit
        self.done, self.every = int(start), every
        self.note = ""
        self.t0 = time.perf_counter()
        self._bar = None
        self._use_bar = sys.stderr.isatty() if bar is None else bar
        self._next = self._next_mark(self.done)

    def _next_mark(self, done: int) -> int:
        step = max(1, int(self.total * self.every)) if self.total else 1
        return (done // step + 1) * step

    def __enter__(self) -> Progress:
        if self._use_bar:
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total or None,
                                            completed=self.done)
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    @property
    def elapsed(self) -> float:
        """Seconds since the reporter was created."""
        return time.perf_counter() - self.t0

    def update(self, done: int, note: str = "") -> None:
        """Set the units done so far; ``note`` (e.g. ``"loss 0.12"``) is shown beside them."""
        self.done, self.note = int(done), note
        if self._bar is not None:
            desc = f"{self.label} {note}".strip()
            self._bar.update(self._task, completed=self.done, description=desc)
        elif self.done >= self._next and (not self.total or self.done < self.total):
            self._log()
            self._next = self._next_mark(self.done)

    def advance(self, n: int = 1, note: str = "") -> None:
        """Add ``n`` units to the units done."""
        self.update(self.done + n, note)

    def _log(self) -> None:
        of = f"/{self.total}" if self.total else ""
        pct = f" ({100 * self.done / self.total:.0f} %)" if self.total else ""
        extra = f", {self.note}" if self.note else ""
        unit = f" {self.unit}" if self.unit else ""
        log.info("%s: %d%s%s%s%s, %.1f s", self.label, self.done, of, unit, pct, extra,
                 self.elapsed)

    def close(self) -> None:
        """Stop the bar (idempotent)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
