"""Corpus commands (speech); see toolkit.cli.corpus.

``speech`` builds a speech pool from Debian packages, ``phonemes`` adds a
``phones`` file to a data directory, ``espeak`` synthesizes speech with exact
phone times. Library code: :mod:`toolkit.corpora.debian.speech_pool`,
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
    """Build a 16 kHz speech pool data directory from Debian packages.

    Sources: asterisk prompts, tuxpaint stamp descriptions, ktuberling words.
    """
    from toolkit.corpora.debian.speech_pool import build_speech_pool, scan_sources, summarize
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


def phonemes(
    data: Path = typer.Option(..., "--data", help="Data directory with text (and utt2lang)."),
    out: Path = typer.Option(..., "--out", help="New data directory: a copy with 'phones'."),
    lang: str | None = typer.Option(None, "--lang", help="One language for all (no utt2lang)."),
    voice_map: str | None = typer.Option(None, "--voice-map",
                                         help="LANG=VOICE,... e.g. en=en-us,es=es-419,pt=pt-br"),
    skip_langs: str | None = typer.Option(None, "--skip-langs", help="Languages to leave out."),
    syllables: bool = typer.Option(False, "--syllables", help="Mark syllables with '.'."),
    no_stress: bool = typer.Option(False, "--no-stress", help="Drop stress marks."),
    strict: bool = typer.Option(False, "--strict",
                                help="Fail on text espeak-ng cannot phonemize (default: warn)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo a finished directory."),
) -> None:
    """Add a 'phones' file (espeak-ng IPA, '|' between words) to a copy of a data directory."""
    from toolkit.text.phonemize import add_phones

    stats = add_phones(data, out, _voice_map(voice_map), lang, _split(skip_langs),
                       not no_stress, syllables, strict, overwrite)
    if not stats["skipped"]:
        typer.echo(f"{out}: phones for {stats['utterances']} utterances "
                   f"({stats['problems']} with unphonemizable input, {stats['dropped']} dropped)")


def espeak_corpus(
    out: Path | None = typer.Option(None, "--out", help="Data directory to write."),
    lang: str | None = typer.Option(None, "--lang", help="espeak-ng language or voice (en-us)."),
    sentences: Path | None = typer.Option(None, "--sentences", help="Text file, one per line."),
    builtin: bool = typer.Option(False, "--builtin", help="Use the built-in sentences."),
    voices: str | None = typer.Option(None, "--voices",
                                      help="Comma-separated voices or variants (+f3,+m2)."),
    strict: bool = typer.Option(False, "--strict",
                                help="Fail on text espeak-ng cannot phonemize (default: warn)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo a finished directory."),
    list_voices: bool = typer.Option(False, "--list-voices",
                                     help="Print espeak-ng's languages and voices."),
) -> None:
    """Synthesize sentences with espeak-ng: 16 kHz speech with exact phone times.

    Writes wav.scp, text, phones and phone_times (<utt> <start> <dur> <phone> ...).
    """
    from toolkit.errors import UserError
    from toolkit.text.espeak import espeak
    from toolkit.text.synthesize import build_espeak_corpus, read_sentences

    if list_voices:
        engine = espeak()
        typer.echo(f"espeak-ng {engine.version} ({engine.origin} library); "
                   "use a language or the voice file with --lang")
        for v in sorted(engine.voices, key=lambda v: v.identifier):
            typer.echo(f"{','.join(v.languages):<24} {v.identifier:<28} {v.name}")
        return
    if out is None or lang is None:
        raise UserError("--out DIR and --lang L are required (or pass --list-voices)")
    if builtin == (sentences is not None):
        raise UserError("pass exactly one of --sentences FILE and --builtin")
    espeak().resolve(lang)  # an unknown language fails here, with its one-line hint
    texts = read_sentences(sentences, lang)
    stats = build_espeak_corpus(out, lang, texts, _split(voices), strict, overwrite)
    if not stats["skipped"]:
        typer.echo(f"{out}: {stats['utterances']} utterances, {stats['seconds'] / 60:.2f} min "
                   f"in {stats['wall']:.1f} s ({stats['mismatched']} with phones that differ "
                   "from the phonemizer's)")


def register(app) -> None:
    """Add this module's commands to the corpus group."""
    app.command("speech")(speech)
    app.command("phonemes")(phonemes)
    app.command("espeak")(espeak_corpus)
