"""``sptk-cli synthesize``: text to speech with a TTS bundle (thin: parse, call, print).

The library side is :mod:`toolkit.tts.infer` (sentences, loudness, streaming
write) and :mod:`toolkit.tts.synth` (the bundle); the recipe steps of the task
are in :mod:`toolkit.cli.tts_recipe`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli import tts_recipe
from toolkit.cli.app import fail
from toolkit.cli.options import DEVICE, MODEL, OUT, OVERWRITE, SKIP_EXISTING


def synthesize_cmd(
    text: str = typer.Argument(None, help="The text to speak (any length: it is spoken "
                               "sentence by sentence).", show_default=False),
    lang: str = typer.Option(None, "--lang", "-l", help="Language (ISO code the model knows; "
                             "see --list-speakers)."),
    speaker: str = typer.Option(None, "--speaker", "-s", help="Speaker (default: the "
                                "model's default speaker of --lang)."),
    text_file: Path = typer.Option(None, "--text-file", "-f", help="UTF-8 file, one "
                                   "utterance per line: one output each, -o a folder."),
    out: Path = OUT,
    model: Path = MODEL,
    device: str = DEVICE,
    durations: Path = typer.Option(None, "--durations", help="Frames per label item (a line "
                                   "of a 'durations' file) instead of the duration model."),
    rate: float = typer.Option(1.0, "--rate", help="Speaking rate: 1 the model's own, 0.8 "
                               "slower, 1.25 faster (0.5-2; not with --durations)."),
    list_speakers: bool = typer.Option(False, "--list-speakers", help="Print the model's "
                                       "languages and speakers, then exit."),
    overwrite: bool = OVERWRITE,
    skip_existing: bool = SKIP_EXISTING,
) -> None:
    """Text -> speech (LSTM acoustic + duration models, WORLD), loudness-normalised to -23 LUFS.

    -o is a .wav file for TEXT (default synthesized.wav) and a folder for --text-file
    (default synthesized/; line N of FILE.txt -> FILE_000N.wav). Memory is bounded by
    the longest sentence (at most 300 characters; longer ones are cut at commas), not
    by the text: each sentence is synthesised and written in turn. Words espeak-ng
    cannot pronounce are spelled out, characters it cannot say are skipped, each with
    a warning.
    """
    from toolkit.tts.infer import read_durations, read_text_lines, synthesize_file

    if not list_speakers and (text is None) == (text_file is None):
        fail("give the text to speak or --text-file FILE (one utterance per line)")
    if not list_speakers and lang is None:
        fail("--lang is required (see --list-speakers for the model's languages)")
    if text_file is not None and durations is not None:
        fail("--durations applies to one text; it cannot be combined with --text-file")
    if durations is not None and rate != 1.0:
        fail("--rate scales predicted durations; it cannot be combined with --durations")
    dur = read_durations(durations) if durations is not None else None
    synth = _synthesizer(model, device, rate)
    if list_speakers:
        _print_speakers(synth)
        return
    speaker = speaker or synth.default_speaker(lang)
    synth.check(lang, speaker)
    if text is not None:
        target = out or Path("synthesized.wav")
        if target.suffix.lower() not in (".wav", ".flac"):
            fail(f"-o {target}: give a .wav or .flac file name")
        if target.exists() and not overwrite:
            if skip_existing:
                typer.echo(f"{target}: exists, skipped")
                return
            fail(f"{target} exists; pass --overwrite to replace it")
        seconds = synthesize_file(synth, text, target, lang, speaker, dur)
        typer.echo(f"{target}: {seconds:.2f} s ({speaker}, {lang})")
        return
    _synthesize_lines(synth, read_text_lines(text_file), text_file, out or Path("synthesized"),
                      lang, speaker, overwrite, skip_existing)


def _synthesizer(model: Path | None, device: str, rate: float = 1.0):
    from toolkit.train.distributed import resolve_device
    from toolkit.tts.synth import TtsSynthesizer, default_bundle

    if model is not None and not model.is_dir():
        fail(f"--model {model}: no such TTS bundle folder")
    return TtsSynthesizer(model or default_bundle(), resolve_device(device), rate=rate)


def _print_speakers(synth) -> None:
    typer.echo("language  default speaker       speakers (* = heard in that language's "
               "training data)")
    for lang in synth.languages:
        trained = synth.trained_speakers(lang)
        others = [s for s in synth.speakers if s not in trained]
        names = ", ".join([f"{s}*" for s in trained] + others)
        typer.echo(f"{lang:<9} {synth.default_speaker(lang):<21} {names}")


def _synthesize_lines(synth, lines, text_file: Path, out: Path, lang: str, speaker: str,
                      overwrite: bool, skip_existing: bool) -> None:
    from toolkit.progress import Progress
    from toolkit.tts.infer import synthesize_file

    if out.suffix.lower() in (".wav", ".flac"):
        fail(f"-o {out}: --text-file writes one file per line; give a folder")
    width = max(4, len(str(lines[-1][0])))
    targets = [out / f"{text_file.stem}_{n:0{width}d}.wav" for n, _ in lines]
    existing = [t for t in targets if t.exists()]
    if existing and not (overwrite or skip_existing):
        fail(f"{len(existing)} output(s) exist, first {existing[0]}; pass --overwrite or "
             "--skip-existing")
    total = 0.0
    with Progress("synthesize", len(lines), "utt") as bar:
        for (_, line), target in zip(lines, targets, strict=True):
            if not (skip_existing and target.exists()):
                total += synthesize_file(synth, line, target, lang, speaker)
            bar.advance(1)
    typer.echo(f"{out}: {len(lines)} files, {total:.1f} s ({speaker}, {lang})")


def register(app: typer.Typer) -> None:
    """Add ``synthesize`` and the TTS recipe commands to ``app``."""
    app.command("synthesize")(synthesize_cmd)
    tts_recipe.register(app)
