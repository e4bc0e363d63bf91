"""``sptk-cli run``: Kaldi's ``JOB=1:N LOG -- CMD`` on a local pool or Slurm.

A thin wrapper over :func:`toolkit.dispatch.run_jobs`; only typer and the
standard library are imported here so that ``sptk-cli --help`` stays fast.
"""

from __future__ import annotations

import re

import typer

RUN_HELP = "\n\n".join([
    "Run CMD as numbered jobs, each with its own log; fail if any job fails.",
    "Examples:",
    "  sptk-cli run JOB=1:4 logs/x.JOB.log -- cmd --shard JOB/4",
    "  sptk-cli run --backend slurm --gpu 1 JOB=1:8 logs/x.JOB.log -- 'a JOB | b'",
    "  sptk-cli run --pick failed JOB=1:4 logs/x.JOB.log -- cmd --shard JOB/4",
    "  sptk-cli run logs/one.log -- echo a single job",
    "The variable (JOB, or any NAME in NAME=A:B) is replaced by the job number in the log "
    "path and in every command argument. One argument after -- is run as a shell string "
    "(pipes work); several are quoted and joined. Options go before JOB=A:B.",
    "Each log starts with '# <command>' and '# Started at ..., run TOKEN' and ends with "
    "'# Ended (code N) at <date>, elapsed S s, run TOKEN'; success is read from these "
    "footers (only the job script's own, with the header's token). "
    "The exit status is 0 only when every job of the range ended with code 0.",
    "--pick all runs every job; --pick failed reruns only the jobs whose log ends with a "
    "non-zero footer; --pick incomplete reruns every job that did not end with code 0 "
    "(non-zero footer, no footer because it was killed or timed out, or no log).",
    "Slurm: one 'sbatch --array' job; --gpu, --mem, --time, --threads and --opt map to "
    "sbatch flags through tools/backends/slurm.yaml (or the file named by $SPTK_SLURM_CONF). "
    "Ctrl-C, SIGTERM or SIGHUP kills (local) or scancels (slurm) the running jobs and exits "
    "with 130; local jobs also die when the runner is killed outright (SIGKILL). "
    "A job still running (its log is locked) is never started twice: the run refuses, as "
    "does a second 'sptk-cli run' of the same jobs.",
])


def split_job_args(args: list[str]) -> tuple[str | None, str, list[str]]:
    """Split ``[JOB=A:B] LOG [--] CMD ...`` into (range or None, log, command argv).

    Raises:
        UserError: no log or no command.
    """
    from toolkit.dispatch.jobs import looks_like_range
    from toolkit.errors import UserError

    usage = "expected [JOB=A:B] LOG -- CMD ..."
    if "--" in args:
        cut = args.index("--")
        head, command = args[:cut], args[cut + 1:]
    else:  # Kaldi's form, without '--'
        cut = 2 if args and looks_like_range(args[0]) else 1
        head, command = args[:cut], args[cut:]
    if head and looks_like_range(head[0]):
        job_range, rest = head[0], head[1:]
    else:
        job_range, rest = None, head
    if not rest:
        raise UserError(f"no log file given: {usage}")
    if len(rest) > 1:
        raise UserError(f"{usage}, got {' '.join(head)!r} before the command "
                        "(options go before JOB=A:B)")
    if not command:
        raise UserError("no command to run: give it after '--', e.g. -- echo JOB")
    return job_range, rest[0], command


def parse_opts(pairs: list[str]) -> dict[str, str]:
    """``["partition=debug"]`` -> ``{"partition": "debug"}``."""
    from toolkit.errors import UserError

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise UserError(f"--opt {pair!r} is not of the form NAME=VALUE (e.g. partition=debug)")
        out[name] = value
    return out


def run(
    args: list[str] = typer.Argument(..., metavar="[JOB=A:B] LOG -- CMD ...",
                                     help="Job range, log path, '--', then the command."),
    backend: str = typer.Option("local", "--backend", help="Where jobs run: local or slurm."),
    max_jobs: int = typer.Option(None, "--max-jobs", help="At most K jobs at once "
                                 "(local default: number of CPUs; slurm: no limit, '%K')."),
    pick: str = typer.Option("all", "--pick", help="Jobs to run: all, failed or incomplete."),
    gpu: int = typer.Option(None, "--gpu", help="GPUs per job (slurm; 0 adds no flag)."),
    mem: str = typer.Option(None, "--mem", help="Memory per job, e.g. 4G (slurm)."),
    time: str = typer.Option(None, "--time", help="Time limit per job, e.g. 2:00:00 (slurm)."),
    threads: int = typer.Option(None, "--threads", help="CPUs per job (slurm)."),
    opt: list[str] = typer.Option([], "--opt", metavar="NAME=VALUE",
                                  help="Other generic option mapped by the backend yaml, "
                                  "e.g. partition=debug (repeatable)."),
) -> None:
    from toolkit.dispatch import JobArray, run_jobs

    job_range, log_template, command = split_job_args(args)
    jobs = JobArray.from_args(job_range, log_template, command)
    options: dict[str, str | int | None] = {"gpu": gpu, "mem": mem, "time": time,
                                            "threads": threads}
    options.update(parse_opts(opt))
    run_jobs(jobs, backend=backend, pick=pick, max_jobs=max_jobs, options=options)


run.__doc__ = RUN_HELP


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""
    app.command(
        "run",
        help=RUN_HELP,
        # stop option parsing at JOB=A:B so the command's own options stay its own
        context_settings={"allow_interspersed_args": False},
    )(run)
