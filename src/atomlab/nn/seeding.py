"""Independent random streams derived from one trial seed.

A trial draws its initial weights, its data order and its dropout masks from three separate
streams, so that changing, say, the batch size does not change the initial weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

STREAMS = {"init": 0, "data": 1, "dropout": 2, "dataset": 3, "other": 4}


def stream_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for ``stream`` derived from ``seed`` with NumPy's SeedSequence.

    Examples
    --------
    >>> stream_seed(0, "init") != stream_seed(0, "data")
    True
    >>> stream_seed(3, "init") == stream_seed(3, "init")
    True
    """
    state = np.random.SeedSequence([int(seed), STREAMS[stream]]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def torch_generator(seed: int, stream: str, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` for ``stream`` of trial ``seed``.

    Examples
    --------
    >>> import torch
    >>> a = torch.rand(2, generator=torch_generator(7, "init"))
    >>> torch.equal(a, torch.rand(2, generator=torch_generator(7, "init")))
    True
    >>> torch.equal(a, torch.rand(2, generator=torch_generator(7, "data")))
    False
    """
    import torch  # here, not at the top: seeds are named by code that never trains (declarations, data)

    return torch.Generator(device=device).manual_seed(stream_seed(seed, stream))


def numpy_generator(seed: int, stream: str) -> np.random.Generator:
    """A NumPy ``Generator`` for ``stream`` of trial ``seed``.

    Examples
    --------
    >>> int(numpy_generator(3, "other").integers(100)) == int(numpy_generator(3, "other").integers(100))
    True
    """
    return np.random.default_rng(stream_seed(seed, stream))
