"""Corpus commands (sound): ``sptk-cli corpus noise|rir|music``; see toolkit.cli.corpus.

Each command is a thin wrapper over a library builder
(:mod:`toolkit.corpora.sounds.noise`, :mod:`toolkit.corpora.sounds.rooms`,
:mod:`toolkit.corpora.sounds.music`). Shared options: ``--out DIR`` (a data directory
holding its own audio under ``DIR/audio``), ``--shard J/N`` (build chunk J of
N; merge the shards with ``sptk-cli data merge``), ``--seed S`` and
``--overwrite`` (a finished directory is otherwise skipped).
"""

from __future__ import annotations

from pathlib import Path

import typer

SHARD_HELP = "Build only chunk J of N of the sorted keys (e.g. 2/4); merge shards afterwards."
SEED_HELP = "Seed; item i draws from (seed, i) only, so shards reproduce the whole pool."


def noise(
    out: Path | None = typer.Option(None, "--out", help="Output data directory."),
    sources: list[str] | None = typer.Option(
        None, "--sources", help="Comma-separated sources: hedgewars, wesnoth, colobot, "
        "freedesktop, procedural, babble (default: all installed)."),
    types: list[str] | None = typer.Option(None, "--types", help="Keep only these noise "
                                           "types (comma-separated; see --list)."),
    exclude_types: list[str] | None = typer.Option(None, "--exclude-types",
                                                   help="Drop these noise types."),
    babble_from: Path | None = typer.Option(None, "--babble-from", help="Speech data "
                                            "directory (wav.scp, utt2spk) to make babble."),
    n_procedural: int = typer.Option(20, "--n-procedural", help="Clips per procedural type "
                                     "and babble clips."),
    duration: float = typer.Option(10.0, "--duration", help="Length of generated clips (s)."),
    max_duration: float = typer.Option(10.0, "--max-duration", help="Recordings longer than "
                                       "this are cut into equal segments (s)."),
    max_segments: int = typer.Option(6, "--max-segments", help="At most this many segments "
                                     "per recording."),
    shard: str | None = typer.Option(None, "--shard", help=SHARD_HELP),
    seed: int = typer.Option(0, "--seed", help=SEED_HELP),
    list_: bool = typer.Option(False, "--list", help="List the noise types and exit."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rebuild a finished directory."),
) -> None:
    """Noise pool: Debian recorded sounds labelled by type, procedural noises, babble."""
    from toolkit.corpora.sounds.noise import build_noise_pool, list_types
    from toolkit.corpora.sounds.soundpool import comma_list
    from toolkit.errors import UserError

    if list_:
        rows = list_types()
        typer.echo(f"{'type':<8} {'files':>5}  {'sources':<52} description")
        for r in rows:
            typer.echo(f"{r['type']:<8} {r['files']:>5}  {r['sources']:<52} {r['description']}")
        return
    if out is None:
        raise UserError("corpus noise needs --out DIR (or --list)")
    build_noise_pool(out, comma_list(sources), comma_list(types), comma_list(exclude_types),
                     shard, seed, n_procedural, duration, max_duration, babble_from,
                     max_segments, overwrite)
    _report(out)


def rir(
    out: Path = typer.Option(..., "--out", help="Output data directory."),
    n: int = typer.Option(100, "--n", help="Number of simulated rooms."),
    rt60: str = typer.Option("0.2:0.8", "--rt60", help="Target RT60 range LO:HI in seconds."),
    from_folder: Path | None = typer.Option(None, "--from-folder", help="Import measured RIRs "
                                            "(audio files and/or .sofa files) instead."),
    sofa: list[Path] | None = typer.Option(None, "--sofa", help="Import this SOFA file "
                                           "(repeatable) instead of simulating."),
    licence: str | None = typer.Option(None, "--licence", help="Licence of imported RIRs."),
    shard: str | None = typer.Option(None, "--shard", help=SHARD_HELP),
    seed: int = typer.Option(0, "--seed", help=SEED_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rebuild a finished directory."),
) -> None:
    """Room impulse responses: simulated shoebox rooms (or imported measurements)."""
    from toolkit.corpora.sounds.rooms import build_rir_pool, import_rirs, parse_range

    if from_folder is not None or sofa:
        import_rirs(out, from_folder, list(sofa or []), shard, licence, overwrite)
    else:
        build_rir_pool(out, n, parse_range(rt60), shard, seed, overwrite)
    _report(out)


def music(
    out: Path = typer.Option(..., "--out", help="Output data directory."),
    n: int = typer.Option(20, "--n", help="Number of songs."),
    speech_from: Path = typer.Option(..., "--speech-from", help="Speech data directory "
                                     "(wav.scp, utt2spk) whose speakers sing."),
    duration: float = typer.Option(10.0, "--duration", help="Song length in seconds."),
    soundfont: Path = typer.Option(Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), "--soundfont",
                                   help="General MIDI soundfont (.sf2)."),
    shard: str | None = typer.Option(None, "--shard", help=SHARD_HELP),
    seed: int = typer.Option(0, "--seed", help=SEED_HELP),
    stereo: bool = typer.Option(False, "--stereo", help="Stereo songs: instruments panned "
                                "at random, the vocal near the centre."),
    sample_rate: int = typer.Option(16000, "--sample-rate", help="Output rate of stereo "
                                    "songs (e.g. 44100; mono songs are 16 kHz)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rebuild a finished directory."),
) -> None:
    """Songs: FluidSynth-rendered stems and a vocal sung from real speech (MIR-1K style)."""
    from toolkit.corpora.sounds.music import build_music

    build_music(out, n, speech_from, duration, soundfont, shard, seed, overwrite, sample_rate,
                stereo)
    _report(out)


def _report(out: Path) -> None:
    """One summary line on stdout from the directory's meta.yaml."""
    from toolkit.data.datadir import DataDir

    d = DataDir(out)
    meta = d.meta
    build = meta.get("build", {})
    line = (f"{out}: {len(d)} items, {build.get('audio_seconds', 0):.1f} s of audio, "
            f"built at {build.get('audio_s_per_s', 0):.1f} s of audio per second")
    if meta.get("pitch_err_median_cents") is not None:
        line += f"; median pitch error of the sung vocals {meta['pitch_err_median_cents']} cents"
    if meta.get("rt60_relative_error"):
        err = meta["rt60_relative_error"]
        line += (f"; RT60 relative error median {100 * err['median']:.1f} %, "
                 f"max {100 * err['max']:.1f} %")
    typer.echo(line)


def register(app) -> None:
    """Add this module's commands to the corpus group."""
    app.command("noise")(noise)
    app.command("rir")(rir)
    app.command("music")(music)
