"""Parallel jobs in Kaldi's ``JOB=1:N`` form on a local pool or Slurm (DESIGN.md principle 4).

Library form of ``sptk-cli run``::

    from toolkit.dispatch import JobArray, JobsFailed, run_jobs

    jobs = JobArray.from_args("JOB=1:4", "exp/log/feats.JOB.log",
                              ["sptk-cli", "features", "--shard", "JOB/4"])
    try:
        run_jobs(jobs, backend="slurm", max_jobs=2, options={"mem": "4G"})
    except JobsFailed as e:
        print([s.job for s in e.failed])

Modules: :mod:`~toolkit.dispatch.jobs` (range, substitution),
:mod:`~toolkit.dispatch.script` (the job script both backends run),
:mod:`~toolkit.dispatch.status` (footers, ``--pick``, failure summary),
:mod:`~toolkit.dispatch.local`, :mod:`~toolkit.dispatch.slurm` and
:mod:`~toolkit.dispatch.slurm_conf` (backends), :mod:`~toolkit.dispatch.runner`.
"""

from toolkit.dispatch.jobs import JobArray, parse_job_range
from toolkit.dispatch.runner import BACKENDS, read_statuses, run_jobs
from toolkit.dispatch.status import (
    PICKS,
    JobsFailed,
    JobsInterrupted,
    JobStatus,
    State,
    SubmitError,
    parse_footer,
    read_footer,
)

__all__ = [
    "BACKENDS", "PICKS", "JobArray", "JobStatus", "JobsFailed", "JobsInterrupted", "State",
    "SubmitError", "parse_footer", "parse_job_range", "read_footer", "read_statuses", "run_jobs",
]
