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


def test_log_file_that_cannot_be_written_warns_once(tmp_path, capsys):
    """A full disk under train.log: one warning line, no logging traceback per line."""
    from toolkit.log import LogFile

    handler = LogFile(tmp_path / "train.log", encoding="utf-8")
    logger = logging.getLogger("toolkit.test_logfile")
    logger.propagate = False  # only this handler: other tests' handlers may hold closed streams
    logger.addHandler(handler)
    try:
        def full(*_):
            raise OSError(28, "No space left on device")

        handler.stream.write = full
        for _ in range(3):
            logger.warning("a line")
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert err.count("warning: cannot write the log file") == 1 and "Traceback" not in err
    assert "No space left on device" in err
