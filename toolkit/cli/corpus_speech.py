"""Corpus commands (speech); see toolkit.cli.corpus.

``speech`` builds a speech pool from Debian packages, ``phonemes`` adds a
``phones`` file to a data directory, ``espeak`` synthesizes speech with exact
phone times. Library code: :mod:`toolkit.corpora.speech_pool`,
:mod:`toolkit.text.phonemize`, :mod:`toolkit.text.synthesize`.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _split(value: str | None) -> list[str] | None:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def _voice_map(value: str | None) -> dict[str, str]:
    from toolkit.errors import UserError

    out = {}
    for item in _split(value) or []:
        lang, sep, voice = item.partition("=")
        if not sep or not lang or not voice:
            raise UserError(f"--voice-map {value!r}: expected LANG=VOICE[,LANG=VOICE], "
                            "for example en=en-us,pt=pt-br")
        out[lang] = voice
    return out


def speech(
    out: Path | None = typer.Option(None, "--out", help="Data directory to write."),
    sources: str = typer.Option("asterisk,tuxpaint,ktuberling", "--sources",
                                help="Comma-separated sources."),
    langs: str | None = typer.Option(None, "--langs", help="Comma-separated ISO codes (all)."),
    max_per_lang: int | None = typer.Option(None, "--max-per-lang",
                                            help="At most N clips per language of each source."),
    shard: str | None = typer.Option(None, "--shard", help="J/N: build chunk J of N."),
    seed: int = typer.Option(0, "--seed", help="Seed of the --max-per-lang draw."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo a finished directory."),
    list_only: bool = typer.Option(False, "--list", help="Print speakers, clips and minutes "
                                   "per language of the installed packages; build nothing."),
) -> None:
    """Build a 16 kHz speech pool (wav.scp, text, utt2spk, utt2lang, utt2dur) from Debian
    packages: asterisk prompts, tuxpaint stamp descriptions, ktuberling words."""
    from toolkit.corpora.speech_pool import build_speech_pool, scan_sources, summarize
    from toolkit.data.ops import parse_shard
    from toolkit.errors import UserError

    names = _split(sources) or []
    if list_only:
        rows = summarize(scan_sources(names, _split(langs)))
        typer.echo(f"{'source':<11} {'lang':<5} {'speaker':<22} {'clips':>6} {'minutes':>8}")
        for r in rows:
            typer.echo(f"{r['source']:<11} {r['lang']:<5} {r['speaker']:<22} "
                       f"{r['clips']:>6} {r['minutes']:>8.2f}")
        total = sum(r["minutes"] for r in rows)
        typer.echo(f"{'total':<40} {sum(r['clips'] for r in rows):>6} {total:>8.2f}")
        return
    if out is None:
        raise UserError("--out DIR is required (or pass --list)")
    stats = build_speech_pool(out, names, _split(langs), max_per_lang, seed, parse_shard(shard),
                              overwrite)
    if not stats["skipped"]:
        typer.echo(f"{out}: {stats['clips']} clips, {stats['seconds'] / 60:.2f} min "
                   f"in {stats['wall']:.1f} s")


def register(app) -> None:
    """Add this module's commands to the corpus group."""
    app.command("speech")(speech)
