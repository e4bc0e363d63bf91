"""One STFT and one chunked overlap-add."""

import numpy as np
import pytest
import torch

from toolkit.dsp.ola import chunk_plan, fades, process_array, process_chunked
from toolkit.dsp.stft import istft, stft


@pytest.mark.parametrize("kind", ["hann", "sqrt_hann"])
def test_stft_round_trip_any_batch_shape(kind):
    x = torch.randn(2, 3, 4000)
    z = stft(x, 512, 128, kind)
    assert z.shape == (2, 3, 257, 4000 // 128 + 1)
    y = istft(z, 512, 128, 4100, kind)
    assert y.shape == (2, 3, 4100)
    assert torch.allclose(y[..., :3900], x[..., :3900], atol=1e-4)
    assert y[..., 4000:].abs().max() < 1e-3 * x.abs().max() * 10


def test_fades_sum_to_one_and_plan_covers():
    fi, fo = fades(400)
    assert np.allclose(fi + fo, 1) and fi[0] == 0 and fi[-1] == 1
    plan = chunk_plan(1000, 300, 100)
    assert plan[0] == (0, 300) and plan[-1][0] + plan[-1][1] == 1000
    assert all(b[0] == a[0] + a[1] - 100 for a, b in zip(plan, plan[1:], strict=False))


def test_chunked_identity_is_exact_and_streams_in_order():
    x = np.random.default_rng(0).standard_normal((2, 10_007)).astype(np.float32)
    assert np.allclose(process_array(x, lambda c: c, 1000, 200), x, atol=1e-6)
    blocks, seen = [], []
    process_chunked(lambda s, n: x[:, s:s + n], x.shape[1], lambda c: {"a": 2 * c},
                    lambda b: blocks.append(b["a"]), 3000, 500, progress=seen.append)
    assert np.allclose(np.concatenate(blocks, axis=1), 2 * x, atol=1e-5)
    assert seen == sorted(seen) and seen[-1] == x.shape[1]


def test_chunked_hides_chunk_edges():
    """A processor that corrupts its chunk edges leaves no trace in the output."""
    x = np.ones(20_000, dtype=np.float32)

    def bad_edges(c):
        c = c.copy()
        c[:50] = c[-50:] = 100.0
        return c

    y = process_array(x, bad_edges, 4000, 400)
    assert np.abs(y[50:-50] - 1).max() < 1e-6
