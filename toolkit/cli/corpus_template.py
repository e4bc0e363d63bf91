"""``sptk-cli corpus tones``: the template recipe's synthetic corpus."""

from __future__ import annotations

from pathlib import Path

import typer


def tones(
    out: Path = typer.Option(..., "--out", "-o", help="Data directory to write (audio inside)."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML whose corpus: section gives "
                                "n, seed, duration, sample_rate (options below override it)."),
    n: int = typer.Option(None, "--n", help="Number of clips [300]."),
    seed: int = typer.Option(None, "--seed", help="Corpus seed [0]."),
    duration: float = typer.Option(None, "--duration", help="Seconds per clip [1.0]."),
    sample_rate: int = typer.Option(None, "--sample-rate", help="Hz [16000]."),
    shard: str = typer.Option(None, "--shard", help="Build only shard J/N of the clips."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rebuild a finished corpus."),
) -> None:
    """Synthetic tone / chirp / noise clips (see toolkit.tone.corpus)."""
    from toolkit.cli.app import fail
    from toolkit.config import from_dict, read_config
    from toolkit.data.ops import parse_shard
    from toolkit.fsutil import skip_if_done
    from toolkit.tone.config import ToneCorpusConfig
    from toolkit.tone.corpus import build_tones

    conf = from_dict(ToneCorpusConfig, read_config(config).get("corpus") if config else None,
                     "corpus")
    given = {"n": n, "seed": seed, "duration": duration, "sample_rate": sample_rate}
    for key, value in given.items():
        if value is not None:
            setattr(conf, key, value)
    if conf.n < 1 or conf.duration <= 0 or conf.sample_rate < 1000:
        fail("corpus: n must be >= 1, duration > 0 and sample_rate >= 1000")
    if not skip_if_done(out, overwrite):
        build_tones(out, conf.n, conf.seed, conf.sample_rate, conf.duration, parse_shard(shard),
                    overwrite)


def register(app: typer.Typer) -> None:
    """Add ``tones`` to the ``corpus`` group."""
    app.command()(tones)
