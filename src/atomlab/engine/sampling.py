"""Which examples each member sees at each step, drawn from the member's own data stream."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from atomlab.engine.spec import TrainSpec
from atomlab.nn.seeding import torch_generator


def index_blocks(spec: TrainSpec, seeds: Sequence[int], n_train: Sequence[int],
                 chunk: int = 256) -> Iterator[tuple[torch.Tensor, list[int]]]:
    """Yield the minibatch indices of consecutive steps in blocks, as drawn: ``(indices [P, m], sizes)``.

    The steps of a block take ``sizes[0]``, ``sizes[1]``, ... consecutive columns of ``indices`` (the
    last batch of a shuffled epoch may be short). Yields nothing for full-batch training. Member ``i``
    draws from a generator seeded by its own trial seed, so its data order is the same whatever
    population it trains in. :func:`batch_indices` cuts these blocks into steps; the compiled tier
    takes them whole.

    Examples
    --------
    >>> spec = TrainSpec(steps=5, batch_size=4, sampling="shuffle")
    >>> [(tuple(idx.shape), sizes) for idx, sizes in index_blocks(spec, [0, 1], [10, 10])]
    [((2, 10), [4, 4, 2]), ((2, 10), [4, 4])]
    """
    n_max = max(n_train)
    total = spec.total_steps(n_max)
    if spec.full_batch(min(n_train)) and spec.full_batch(n_max):
        return
    gens = [torch_generator(seed, "data") for seed in seeds]
    B = spec.batch_size
    if spec.sampling == "random":
        done = 0
        while done < total:
            k = min(chunk, total - done)
            block = torch.stack([torch.randint(n, (k, B), generator=g) for g, n in zip(gens, n_train)])
            yield block.reshape(len(gens), k * B), [B] * k
            done += k
        return
    # shuffle: every member has the same n (the population's group key guarantees it).
    n = n_train[0]
    step = 0
    while step < total:
        perms = torch.stack([torch.randperm(n, generator=g) for g in gens])
        sizes = [min(B, n - start) for start in range(0, n, B)][: total - step]
        yield perms, sizes
        step += len(sizes)


def batch_indices(spec: TrainSpec, seeds: Sequence[int], n_train: Sequence[int],
                  chunk: int = 256) -> Iterator[torch.Tensor | None]:
    """Yield, for every step, the ``[P, batch]`` int64 indices of each member's minibatch.

    Yields ``None`` for full-batch steps. Member ``i`` draws from a generator seeded by its own
    trial seed, so its data order is the same whatever population it trains in.

    Examples
    --------
    >>> spec = TrainSpec(steps=3, batch_size=2, sampling="shuffle")
    >>> batches = list(batch_indices(spec, seeds=[0, 1], n_train=[4, 4]))
    >>> len(batches), tuple(batches[0].shape)
    (3, (2, 2))
    >>> [b.tolist() for b in batch_indices(spec, [1], [4])] == [b[1:].tolist() for b in batches]  # own order
    True
    """
    n_max = max(n_train)
    if spec.full_batch(min(n_train)) and spec.full_batch(n_max):
        for _ in range(spec.total_steps(n_max)):
            yield None
        return
    for block, sizes in index_blocks(spec, seeds, n_train, chunk):
        start = 0
        for size in sizes:
            yield block[:, start:start + size]
            start += size
