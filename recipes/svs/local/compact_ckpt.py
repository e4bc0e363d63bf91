"""Make a training checkpoint small enough to commit, and resumable by the current code.

    python local/compact_ckpt.py EXP CONFIG OUT

Copies ``EXP/last.pt`` to ``OUT/last.pt`` with Adam's moment estimates stored in
bfloat16 (the model stays float32; ``Adam.load_state_dict`` casts the moments back to
the parameters' dtype), so that the half-width U-Net's checkpoint is 39 MB instead of 59;
writes ``OUT/config.yaml`` as ``sptk-cli train`` resolves CONFIG with this code (the
resume check compares it), and copies ``EXP/meta.yaml``. To resume, copy the three files
into an empty experiment folder and rerun the training command on it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from toolkit.config import dump_yaml, load_config  # noqa: E402
from toolkit.fsutil import atomic_write_text  # noqa: E402
from toolkit.svs.config import SVSConfig  # noqa: E402
from toolkit.train.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402


def main(exp: Path, config: Path, out: Path) -> None:
    ck = load_checkpoint(exp / "last.pt")
    for state in ck["optimizer"]["state"].values():
        for k in ("exp_avg", "exp_avg_sq"):
            state[k] = state[k].to(torch.bfloat16)
    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(ck, out / "last.pt")
    atomic_write_text(out / "config.yaml", dump_yaml(load_config(SVSConfig, config, None)))
    shutil.copy2(exp / "meta.yaml", out / "meta.yaml")
    print(f"{out / 'last.pt'}: {(out / 'last.pt').stat().st_size / 1e6:.1f} MB, epoch "
          f"{ck['epoch']}, step {ck['global_step']}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python local/compact_ckpt.py EXP CONFIG OUT")
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
