"""torch.distributed set-up for processes started by torchrun or srun.

A process is distributed when ``WORLD_SIZE`` > 1 (torchrun) or when Slurm's
``SLURM_NTASKS`` > 1 with ``MASTER_ADDR`` set (srun). gloo on CPU, NCCL on GPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class DistInfo:
    """Rank and world size of this process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def dist_env() -> DistInfo:
    """Read rank and world size from torchrun's or Slurm's environment."""
    env = os.environ
    if int(env.get("WORLD_SIZE", "1")) > 1:
        return DistInfo(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", 0)))
    if int(env.get("SLURM_NTASKS", "1")) > 1 and "MASTER_ADDR" in env:
        return DistInfo(int(env["SLURM_PROCID"]), int(env["SLURM_NTASKS"]),
                        int(env.get("SLURM_LOCALID", 0)))
    return DistInfo()


def init_distributed(device: str) -> DistInfo:
    """Join the process group when started distributed (idempotent)."""
    import torch.distributed as dist

    info = dist_env()
    if info.enabled and not dist.is_initialized():
        os.environ.setdefault("MASTER_PORT", "29500")
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend, rank=info.rank, world_size=info.world_size)
    return info


def resolve_device(device: str, info: DistInfo | None = None) -> str:
    """``auto`` → ``cuda[:local_rank]`` when available, else ``cpu``."""
    import torch

    from toolkit.errors import UserError

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError("--device cuda: no CUDA device is available; use --device cpu")
        if device == "cuda" and info is not None and info.enabled:
            device = f"cuda:{info.local_rank}"
    elif device != "cpu":
        raise UserError(f"--device {device!r}: use auto, cpu, cuda or cuda:N")
    return device


def all_reduce_sums(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Sum a dict of floats over all processes (same keys on every rank)."""
    if not info.enabled:
        return values
    import torch
    import torch.distributed as dist

    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    dist.all_reduce(t)
    return dict(zip(keys, t.tolist(), strict=True))
