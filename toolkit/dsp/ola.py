"""Chunked processing of long signals with cross-faded overlap-add.

Inference on a long file must run in memory bounded independently of its
length. :func:`process_chunked` reads a signal chunk by chunk, runs a function
on each chunk (a model's forward pass on ``chunk`` samples), cross-fades the
``overlap`` samples two neighbouring chunks share and hands finished samples to
a writer in order. Only one chunk of input and output is in memory at a time.

The fade is a raised-sine over the middle half of the overlap (the outer
quarters belong fully to one chunk), so each chunk's edge samples, where a
convolutional or recurrent model sees no context, are dropped. Fade-in and
fade-out sum to one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Blocks = dict[str, np.ndarray]


def fades(overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-in ``(overlap,)`` (0, raised sine over the middle half, 1) and its complement."""
    q = overlap // 4
    ramp = np.sin(0.5 * np.pi * np.linspace(0, 1, overlap - 2 * q, endpoint=False)) ** 2
    fade_in = np.concatenate([np.zeros(q), ramp, np.ones(q)]).astype(np.float32)
    return fade_in, 1 - fade_in


def chunk_plan(total: int, chunk: int, overlap: int) -> list[tuple[int, int]]:
    """``(start, length)`` of the chunks that cover ``total`` samples.

    Consecutive chunks share ``overlap`` samples; the last one ends at ``total``.
    """
    if chunk <= overlap:
        raise ValueError(f"chunk ({chunk}) must be longer than overlap ({overlap})")
    plan, pos = [], 0
    while True:
        n = min(chunk, total - pos)
        plan.append((pos, n))
        if pos + n >= total:
            return plan
        pos += n - overlap


def process_chunked(read: Callable[[int, int], np.ndarray], total: int,
                    fn: Callable[[np.ndarray], np.ndarray | Blocks],
                    write: Callable[[Blocks], None], chunk: int, overlap: int,
                    progress: Callable[[int], None] | None = None) -> None:
    """Run ``fn`` over a long signal chunk by chunk and write the cross-faded result.

    Args:
        read: ``read(start, n)`` returns input samples ``(..., n)``.
        total: input length in samples.
        fn: maps a chunk ``(..., n)`` to an output ``(..., n)`` (same last axis) or to a
            dict of such outputs (several stems or reconstructions).
        write: receives dicts of finished blocks ``(..., m)``; in call order they
            cover samples ``0..total`` exactly. A single-array ``fn`` gives the key ``""``.
        chunk: samples per chunk (memory bound).
        overlap: samples shared by neighbouring chunks (``< chunk``).
        progress: called with the number of input samples finished so far.
    """
    overlap = min(overlap, max(chunk - 1, 0))
    fade_in, fade_out = fades(overlap)
    pending: Blocks = {}
    plan = chunk_plan(total, chunk, overlap)
    for k, (pos, n) in enumerate(plan):
        ys = fn(read(pos, n))
        ys = ys if isinstance(ys, dict) else {"": ys}
        last = k == len(plan) - 1
        for key, y in ys.items():
            if y.shape[-1] != n:
                raise ValueError(f"fn returned {y.shape[-1]} samples for a {n}-sample chunk")
            y = np.array(y, dtype=np.float32, copy=True)
            if pos > 0:
                y[..., :overlap] = y[..., :overlap] * fade_in + pending[key]
            if not last:
                pending[key] = y[..., n - overlap:] * fade_out
                y = y[..., : n - overlap]
            ys[key] = y
        write(ys)
        if progress:
            progress(total if last else pos + n - overlap)


def process_array(x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], chunk: int,
                  overlap: int) -> np.ndarray:
    """:func:`process_chunked` over an in-memory signal ``(..., samples)``."""
    parts: list[np.ndarray] = []
    process_chunked(lambda s, n: x[..., s: s + n], x.shape[-1], fn,
                    lambda b: parts.append(b[""]), chunk, overlap)
    return np.concatenate(parts, axis=-1)
