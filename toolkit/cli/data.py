"""``sptk-cli data``: validate, shard, merge, subset, combine, export data directories."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from toolkit.cli.app import App, fail
from toolkit.cli.options import OVERWRITE

app = App(help="Validate, shard, merge, subset, combine and export data directories.")



@app.command()
def validate(
    dirs: list[Path] = typer.Argument(..., help="Data directories to check."),
    task: str = typer.Option(None, "--task", "-t", help="Check the roles of this task "
                             "(default: task in meta.yaml)."),
    check_audio: str = typer.Option("header", "--check-audio",
                                    help="none | header (open each file) | full (decode)."),
) -> None:
    """Check sorting, keys, roles, audio files and sample rates; exit 1 on problems."""
    from toolkit.data.validate import validate_datadir

    if check_audio not in ("none", "header", "full"):
        fail(f"--check-audio {check_audio!r}: use none, header or full")
    if task is not None:
        from toolkit.data.roles import role_spec

        role_spec(task)  # an unknown task is a usage error, not a data problem
    bad = 0
    for d in dirs:
        report = validate_datadir(d, task=task, check_audio=check_audio)  # type: ignore[arg-type]
        if report.ok:
            hours = f", {report.hours:.2f} h" if report.hours is not None else ""
            typer.echo(f"{d}: OK ({report.utterances} utterances{hours}; "
                       f"{' '.join(report.files)})")
        else:
            bad += 1
            for problem in report.problems:
                typer.echo(f"{d}: {problem}" if not problem.startswith(str(d)) else problem)
    if bad:
        typer.echo(f"error: {bad} of {len(dirs)} data directories failed validation", err=True)
        raise typer.Exit(1)


@app.command()
def shard(
    src: Path = typer.Argument(..., help="Data directory to split."),
    n: int = typer.Argument(..., help="Number of shards N."),
    job: int = typer.Option(None, "--job", "-j", help="Write only shard J (1-based)."),
    out_dir: Path = typer.Option(None, "--out-dir", "-o", help="Folder of the shards "
                                 "(default SRC/splitN); shard J goes to OUT_DIR/J."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Split into N contiguous chunks of the sorted keys (Kaldi's split_data.sh)."""
    from toolkit.data.datadir import DataDir
    from toolkit.data.ops import parse_shard
    from toolkit.data.ops import shard as shard_dir
    from toolkit.fsutil import skip_if_done

    if n < 1:
        fail(f"N must be >= 1, got {n}")
    if n > len(DataDir(src)):
        fail(f"{src} has {len(DataDir(src))} utterances, fewer than {n} shards")
    out_dir = out_dir or src / f"split{n}"
    jobs = [parse_shard(f"{job}/{n}")[0]] if job is not None else range(1, n + 1)  # type: ignore[index]
    for j in jobs:
        if not skip_if_done(out_dir / str(j), overwrite):
            shard_dir(src, out_dir / str(j), j, n, overwrite=overwrite)
    typer.echo(f"{out_dir}: {len(jobs)} shard(s) of {n}")


@app.command()
def merge(
    srcs: list[Path] = typer.Argument(..., help="Shards of one data directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Merged data directory."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Merge shards (same files, disjoint keys), e.g. the outputs of JOB=1:N."""
    from toolkit.data.ops import merge as merge_dirs
    from toolkit.fsutil import skip_if_done

    if not skip_if_done(out, overwrite):
        merge_dirs(srcs, out, overwrite=overwrite)
        typer.echo(f"{out}: merged {len(srcs)} directories")


@app.command()
def combine(
    srcs: list[Path] = typer.Argument(..., help="Data directories (e.g. different corpora)."),
    out: Path = typer.Option(..., "--out", "-o", help="Combined data directory."),
    prefix: bool = typer.Option(False, "--prefix", help="Prefix keys and speakers with "
                                "'<dirname>-' so identical keys do not collide."),
    common: bool = typer.Option(False, "--common", help="Keep only the files every input "
                                "has (instead of refusing inputs with different files)."),
    names: list[str] = typer.Option(None, "--prefix-name", help="Prefix of the keys of one "
                                    "input instead of its folder name (repeat: one per input, "
                                    "in order; implies --prefix)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Union of data directories with the same files and sample rate."""
    from toolkit.data.ops import combine as combine_dirs
    from toolkit.fsutil import skip_if_done

    if not skip_if_done(out, overwrite):
        combine_dirs(srcs, out, prefix=prefix, overwrite=overwrite, common=common,
                     names=names or None)
        typer.echo(f"{out}: combined {len(srcs)} directories")


@app.command()
def subset(
    src: Path = typer.Argument(..., help="Data directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Subset data directory."),
    first: int = typer.Option(None, "--first", help="The first N utterances."),
    last: int = typer.Option(None, "--last", help="The last N utterances."),
    random_n: int = typer.Option(None, "--random", help="N utterances at random."),
    seed: int = typer.Option(0, "--seed", help="Seed of --random."),
    keys: Path = typer.Option(None, "--keys", help="File listing the keys to keep (first column)."),
    speakers: str = typer.Option(None, "--speakers", help="Comma-separated speakers (utt2spk)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Keep some utterances; every file stays consistent."""
    from toolkit.data.ops import select_keys
    from toolkit.data.ops import subset as subset_dir
    from toolkit.fsutil import skip_if_done

    if all(v is None for v in (first, last, random_n, keys, speakers)):
        fail("say which utterances to keep: --first, --last, --random, --keys or --speakers")
    given = [n for n, v in (("--first", first), ("--last", last), ("--random", random_n))
             if v is not None]
    if len(given) > 1:
        fail(f"{' and '.join(given)} exclude each other; give one of them")
    for name, value in (("--first", first), ("--last", last), ("--random", random_n)):
        if value is not None and value < 0:
            fail(f"{name} must be >= 0, got {value}")
    if skip_if_done(out, overwrite):
        return
    chosen = select_keys(src, first=first, last=last, random_n=random_n, seed=seed,
                         key_file=keys, speakers=speakers.split(",") if speakers else None)
    if not chosen:
        fail(f"the selection from {src} is empty; nothing to write")
    subset_dir(src, out, chosen, overwrite=overwrite)
    typer.echo(f"{out}: {len(chosen)} utterances")


@app.command("split")
def split_cmd(
    src: Path = typer.Argument(..., help="Data directory."),
    out_dir: Path = typer.Option(..., "--out-dir", "-o", help="Parts go to OUT_DIR/<name>."),
    parts: str = typer.Option("train:0.8,dev:0.1,test:0.1", "--parts",
                              help="name:fraction,... adding up to 1."),
    seed: int = typer.Option(0, "--seed", help="Shuffling seed."),
    by_speaker: bool = typer.Option(False, "--by-speaker", help="Speaker-disjoint parts."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Split at random into disjoint parts (e.g. train/dev/test)."""
    from toolkit.data.ops import parse_parts, split
    from toolkit.fsutil import is_done

    spec = parse_parts(parts)
    if not overwrite and all(is_done(out_dir / name) for name, _ in spec):
        typer.echo(f"{out_dir}: parts already complete (use --overwrite to redo)")
        return
    for name, _ in spec:  # parts of an earlier split are redone; anything else is not ours
        part = out_dir / name
        if part.exists() and not overwrite and not is_done(part) and (
                not part.is_dir() or any(part.iterdir())):
            fail(f"{part} exists, is not empty and is not a finished output (no .done); pass "
                 "--overwrite to replace it, or choose another --out-dir")
    for p in split(src, out_dir, spec, seed=seed, by_speaker=by_speaker, overwrite=True):
        from toolkit.data.datadir import DataDir

        typer.echo(f"{p}: {len(DataDir(p))} utterances")


@app.command("to-jsonl")
def to_jsonl(
    src: Path = typer.Argument(..., help="Data directory."),
    out: str = typer.Option("-", "--out", "-o", help="Output file ('-' for stdout)."),
) -> None:
    """Export one JSON object per utterance (fields named after the files)."""
    import tempfile

    from toolkit.data.ops import to_jsonl as export

    if out != "-":
        export(src, out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        sys.stdout.write(export(src, Path(tmp) / "x.jsonl").read_text(encoding="utf-8"))
