"""One trainer for every task: loop, checkpoints, exact resume, early stop, DDP."""
