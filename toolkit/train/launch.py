"""Start ``sptk-cli train`` as several processes: torchrun locally, srun on Slurm.

Both launchers only start processes; the processes find each other through
torch.distributed's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
read by :mod:`toolkit.train.distributed`.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys

from toolkit.errors import UserError

log = logging.getLogger(__name__)


def torchrun_command(args: list[str], nproc: int) -> list[str]:
    """``python -m torch.distributed.run --standalone`` with N processes on this node."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={nproc}", "-m", "toolkit", *args]


def srun_command(args: list[str], nproc: int, nodes: int) -> list[str]:
    """``srun`` with nodes x nproc tasks; the first node of the job is the master.

    Each task runs ``python -m toolkit train ...`` with MASTER_ADDR set to the
    first host of ``$SLURM_JOB_NODELIST``; rank and world size come from
    ``SLURM_PROCID`` / ``SLURM_NTASKS``.
    """
    inner = shlex.join([sys.executable, "-m", "toolkit", *args])
    port = 29500 + os.getpid() % 1000
    script = ('export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1) '
              f'MASTER_PORT={port}; exec {inner}')
    return ["srun", f"--nodes={nodes}", f"--ntasks-per-node={nproc}", "--kill-on-bad-exit=1",
            "bash", "-c", script]


def launch_distributed(args: list[str], nproc: int, nodes: int, backend: str) -> int:
    """Run the training command distributed; return its exit status."""
    if backend == "slurm":
        if shutil.which("srun") is None:
            raise UserError("--backend slurm: srun is not on PATH (is Slurm installed?)")
        cmd = srun_command(args, nproc, nodes)
    else:
        cmd = torchrun_command(args, nproc)
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(nproc, 1))))
    log.info("launching %d x %d processes: %s", nodes, nproc, shlex.join(cmd))
    return subprocess.call(cmd, env=env)
