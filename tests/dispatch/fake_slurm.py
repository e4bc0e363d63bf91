"""Fake ``sbatch``/``squeue``/``sacct``/``scancel`` for testing the Slurm backend without Slurm.

:func:`install_fake_slurm` writes four small Python scripts into a ``bin``
folder to put first on PATH. They keep their state in ``$FAKE_SLURM_DIR``:

- ``sbatch`` appends its argv (JSON) to ``sbatch.argv``, starts every task of
  ``--array`` in the background with ``SLURM_ARRAY_TASK_ID`` set (each in its
  own session; task pids go to ``tasks``) and prints job id 4242. With
  ``FAKE_SBATCH_ERROR`` set it prints that to stderr and exits 1 instead.
- ``squeue`` prints ``4242_<task>|RUNNING`` or ``|COMPLETED`` per task.
- ``sacct`` prints ``sacct.out`` when the test wrote one, else fails as a
  cluster without accounting does.
- ``scancel`` appends its argv to ``scancel.argv`` and kills the tasks.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

JOB_ID = "4242"

_COMMON = '''
import json, os, signal, subprocess, sys
from pathlib import Path
state = Path(os.environ["FAKE_SLURM_DIR"])

def tasks():
    path = state / "tasks"
    lines = path.read_text().split() if path.exists() else []
    return [(int(t), int(p)) for t, p in (line.split(":") for line in lines)]

def alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
'''

_SBATCH = '''
with open(state / "sbatch.argv", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if os.environ.get("FAKE_SBATCH_ERROR"):
    sys.stderr.write(os.environ["FAKE_SBATCH_ERROR"] + "\\n")
    sys.exit(1)
spec = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--array="))
ids = []
for part in spec.split("%")[0].split(","):
    low, _, high = part.partition("-")
    ids += range(int(low), int(high or low) + 1)
with open(state / "tasks", "a") as f:
    for task in ids:
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_JOB_ID="{job}")
        proc = subprocess.Popen(["bash", sys.argv[-1]], env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        f.write(f"{{task}}:{{proc.pid}}\\n")
print("{job}")
'''

_SQUEUE = '''
with open(state / "squeue.argv", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
for task, pid in tasks():
    print(f"{job}_{{task}}|" + ("RUNNING" if alive(pid) else "COMPLETED"))
'''

_SACCT = '''
out = state / "sacct.out"
if not out.exists():
    sys.stderr.write("sacct: error: Slurm accounting storage is disabled\\n")
    sys.exit(1)
print(out.read_text(), end="")
'''

_SCANCEL = '''
with open(state / "scancel.argv", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
for _, pid in tasks():
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
'''


def install_fake_slurm(tmp_path: Path, tools=("sbatch", "squeue", "sacct", "scancel")) -> dict:
    """Write the fake tools; return the env additions (PATH, FAKE_SLURM_DIR)."""
    bin_dir, state = tmp_path / "fake-bin", tmp_path / "fake-slurm"
    bin_dir.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    bodies = {"sbatch": _SBATCH, "squeue": _SQUEUE, "sacct": _SACCT, "scancel": _SCANCEL}
    for tool in tools:
        path = bin_dir / tool
        path.write_text(f"#!{sys.executable}\n{_COMMON}{bodies[tool].format(job=JOB_ID)}")
        path.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_SLURM_DIR": str(state)}


def calls(state: str | Path, tool: str) -> list[list[str]]:
    """The argv of every call of ``tool`` so far."""
    path = Path(state) / f"{tool}.argv"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
