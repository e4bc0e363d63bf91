"""The one job script both backends run.

:func:`write_job_script` writes ``<logdir>/q/<name>.sh``: a bash script with a
``case`` on the job number that, for that job, locks its log (``flock``: a
second copy of the same job refuses to start, and ``sptk-cli run`` can tell a
job that still runs from one that was killed), writes the log header with a
random run token, runs the command with ``bash -c`` (stdout and stderr
appended to the log, stdin from ``/dev/null``) and appends the footer with the
command's exit code and the same token, then exits with that code. The job
number is the first argument (local backend: ``bash x.sh 3``) or
``$SLURM_ARRAY_TASK_ID`` (``sbatch --array``). Running the script by hand
reruns one job exactly as the backend did.

A job killed by a signal (Ctrl-C, ``scancel``, a time limit) leaves no footer:
that is how a killed job is told apart from a failed one. Only the script
writes footers, and only its own token makes one count, so a command printing
a footer-like line is never taken for a finished job.

Under the local backend (``SPTK_WATCH_RUNNER=1``) the script's stdin is a pipe
whose other end only ``sptk-cli run`` holds: a watcher in the background reads
it, and end of file means the runner died, however (SIGKILL, a closed
terminal): the watcher then kills the job's whole process group (SIGTERM, and
SIGKILL 3 s later). Jobs therefore never outlive their runner.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from toolkit.dispatch.jobs import JobArray
from toolkit.fsutil import atomic_write_text

_TEMPLATE = """\
#!/usr/bin/env bash
# Written by sptk-cli run: {count} job(s) of
# {template}
# Run one job by hand with: bash {script} JOB_NUMBER
job=${{1:-${{SLURM_ARRAY_TASK_ID:-}}}}
case "$job" in
{cases}
  *) echo "$0: no job number '$job' (expected {start}..{end})" >&2; exit 2 ;;
esac
cd {workdir} || exit 2
mkdir -p "$(dirname "$log")" || exit 2
exec 9>>"$log" || exit 2
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  echo "$0: job $job is already running (its log $log is locked); not starting it twice" >&2
  exit 75
fi
watcher=
if [ "${{SPTK_WATCH_RUNNER:-}}" = 1 ]; then
  # stdin: a pipe only sptk-cli run writes to; end of file = the runner died: end the job
  exec 8<&0
  ( trap '' TERM; while read -r -u 8 _; do :; done
    kill -TERM -- -$$ 2>/dev/null; sleep 3; kill -KILL -- -$$ 2>/dev/null ) &
  watcher=$!
fi
unset SPTK_WATCH_RUNNER
token=$(printf '%04x%04x%04x' "$RANDOM" "$RANDOM" "$RANDOM")
{{
  printf '# %s\\n' "${{cmd//$'\\n'/ }}"
  printf '# Started at %s on %s, run %s\\n' "$(date)" "${{HOSTNAME:-unknown}}" "$token"
}} > "$log" || exit 2
start=$SECONDS
bash -c "$cmd" >> "$log" 2>&1 < /dev/null 8<&-
code=$?
if [ -n "$watcher" ]; then kill -KILL "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null; fi
printf '# Ended (code %d) at %s, elapsed %d s, run %s\\n' "$code" "$(date)" \\
  "$((SECONDS - start))" "$token" >> "$log"
exit "$code"
"""


def job_script_text(jobs: JobArray, script: str | Path, workdir: str | Path) -> str:
    """Text of the job script for ``jobs`` (every job of the range is in the ``case``).

    Args:
        jobs: the job array.
        script: where the script will live (named in its usage comment).
        workdir: folder the commands run in; relative log paths resolve against it.
    """
    workdir = Path(workdir).resolve()
    cases = []
    for job in jobs.ids:
        log = (workdir / jobs.log_path(job)).resolve()
        cases.append(
            f"  {job}) log={shlex.quote(str(log))}\n"
            f"     cmd={shlex.quote(jobs.command(job))} ;;"
        )
    template = " ".join(
        part for part in (f"{jobs.var}={jobs.start}:{jobs.end}" if jobs.var else "",
                          jobs.log_template, "--", shlex.join(jobs.argv)) if part
    )
    return _TEMPLATE.format(
        count=len(jobs.ids),
        template=template.replace("\n", " "),
        script=shlex.quote(str(script)),
        cases="\n".join(cases),
        start=jobs.start,
        end=jobs.end,
        workdir=shlex.quote(str(workdir)),
    )


def write_job_script(jobs: JobArray, workdir: str | Path | None = None) -> Path:
    """Write ``<logdir>/q/<name>.sh`` for ``jobs`` (atomically) and return its path.

    Args:
        jobs: the job array.
        workdir: folder the commands run in (default: the current directory).
    """
    workdir = Path(workdir or os.getcwd())
    script = (workdir / jobs.queue_dir / f"{jobs.name}.sh").resolve()
    atomic_write_text(script, job_script_text(jobs, script, workdir))
    script.chmod(0o755)
    return script
