"""The one progress reporter."""

import logging

from toolkit.progress import Progress


def test_log_lines_about_every_ten_percent(caplog):
    caplog.set_level(logging.INFO, logger="toolkit")
    with Progress("work", total=1000, unit="items", bar=False) as p:
        for k in range(1, 1001):
            p.update(k, note="loss 1")
    lines = [r.getMessage() for r in caplog.records]
    assert 8 <= len(lines) <= 10
    assert lines[0].startswith("work: 100/1000 items (10 %), loss 1")


def test_unknown_total_and_advance(caplog):
    caplog.set_level(logging.INFO, logger="toolkit")
    with Progress("files", total=0, bar=False) as p:
        p.advance()
        p.advance(2)
    assert p.done == 3 and len(caplog.records) == 2  # one line per update
