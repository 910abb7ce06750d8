"""Threads for arithmetic: PyTorch's intra-op pool and the BLAS that NumPy and SciPy call, set together.

``torch.set_num_threads`` does not reach NumPy: its OpenBLAS starts one thread per core of its own.
A worker process meant to use one core then used two for every large NumPy product (measured: a
[8, 64, 784] x [8, 784, 100] float32 matmul ran in 0.66 ms on two OpenBLAS threads and 0.94 ms on one),
and a benchmark row labelled "one thread" was not. :func:`set_threads` sets both pools;
``threadpoolctl`` (a scikit-learn dependency) finds the BLAS libraries loaded in the process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from threadpoolctl import threadpool_limits

from atomlab._lazy import torch  # set when a run starts; importing this module does not load torch
from atomlab.errors import ConfigError


def set_threads(n: int) -> None:
    """From now on, use ``n`` threads in torch's intra-op pool and in every loaded BLAS.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> set_threads(1); torch.get_num_threads()
    1
    >>> set_threads(before)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"threads must be a positive integer; got {n!r}")
    torch.set_num_threads(n)
    threadpool_limits(limits=n)


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Use ``n`` threads in torch and the BLAS inside the block, and restore both afterwards.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"threads must be a positive integer; got {n!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)
