"""The one job script both backends run.

:func:`write_job_script` writes ``<logdir>/q/<name>.sh``: a bash script with a
``case`` on the job number that, for that job, writes the log header, runs the
command with ``bash -c`` (stdout and stderr appended to the log, stdin from
``/dev/null``) and appends the footer with the command's exit code, then exits
with that code. The job number is the first argument (local backend:
``bash x.sh 3``) or ``$SLURM_ARRAY_TASK_ID`` (``sbatch --array``). Running the
script by hand reruns one job exactly as the backend did.

A job killed by a signal (Ctrl-C, ``scancel``, a time limit) leaves no footer:
that is how a killed job is told apart from a failed one.
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
{{
  printf '# %s\\n' "$cmd"
  printf '# Started at %s on %s\\n' "$(date)" "${{HOSTNAME:-unknown}}"
}} > "$log" || exit 2
start=$SECONDS
bash -c "$cmd" >> "$log" 2>&1 < /dev/null
code=$?
printf '# Ended (code %d) at %s, elapsed %d s\\n' "$code" "$(date)" "$((SECONDS - start))" >> "$log"
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
