"""Worker-process helper for the benchmark: split a population across processes."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor


def _init() -> None:
    from atomlab.engine.allocator import keep_freed_memory
    from atomlab.engine.threads import set_threads

    set_threads(1)  # torch's and NumPy's BLAS
    keep_freed_memory()  # as the runner's workers


def _train(name: str, epochs: int, seeds) -> tuple[float, list[dict]]:
    import dataclasses

    from atomlab.bench.workloads import WORKLOADS
    from atomlab.engine import Member, PopulationTrainer, TrainSpec
    from atomlab.nn import MLPSpec

    # Data sets hold closures (their true function), so the worker rebuilds the task by name.
    task = dataclasses.replace(WORKLOADS[name]()[0], epochs=epochs)

    spec = MLPSpec(layers=task.layers, activation=task.activation, init="he_uniform")
    train = TrainSpec(optimizer=task.optimizer, lr=task.lr, batch_size=task.batch_size, epochs=task.epochs,
                      sampling="shuffle", record_every=10**9)
    start = time.perf_counter()
    outcomes = PopulationTrainer([Member(spec, train, s, task.data) for s in seeds], device="cpu",
                                 record_start=False).run()  # as atomlab_population: no evaluation before
    return time.perf_counter() - start, [o.info for o in outcomes]


def parallel_population(task, P: int, workers: int) -> float:
    """Seconds to train P models split over ``workers`` single-thread processes (pool start-up excluded).

    Each population must have used the compiled tier where it covers the workload (``check_kernel_tier``).
    """
    ctx = multiprocessing.get_context("spawn")
    chunks = [list(range(P))[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init) as pool:
        args = [task.name] * workers, [task.epochs] * workers
        list(pool.map(_train, *args, [[0]] * workers))  # warm the workers (imports, data, compiled kernels)
        start = time.perf_counter()
        done = list(pool.map(_train, *args, chunks))
        seconds = time.perf_counter() - start
    from atomlab.bench.kernel_gate import check_kernel_tier

    check_kernel_tier(task.name, [info for _, infos in done for info in infos])
    return seconds
