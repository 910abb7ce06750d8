"""Running trials: look them up in the store, claim what is missing, group it into jobs, train, store.

Population trials (MLPs) that share layer shapes and a recipe train together in one vectorised
program; other kinds (a CNN, a scikit-learn estimator, the NumPy network) run through their
registered trial kind. Every finished job is written to the store at once, and no job is planned
to train longer than :data:`JOB_SECONDS`, so an interrupted run keeps all finished trials and
loses about a minute of work at most. Trials another run has claimed are waited for, not trained
twice (see :mod:`atomlab.lab.store`). A worker process killed by the system (out of memory, a
signal) costs its job one retry in a fresh process; a job that kills its worker twice is recorded
as failed and the run goes on.

With ``workers > 1`` independent jobs run in worker processes with one intra-op thread each:
for networks this small that beats one process with two threads (docs/benchmarks.md). Workers
are used only when the work is large enough to pay for starting them and every function the
trials name is importable in a fresh process (not defined in ``__main__`` or a notebook). A run of
populations too short for that runs its jobs on threads of this process instead (the compiled
tier releases the GIL while it trains), the costliest population split between them.

With an ``executor`` (:mod:`atomlab.lab.executors`: a Dask cluster, SLURM, any
``concurrent.futures.Executor``) every job is shipped to it and its outcomes come back here, where
this process alone writes them to the store. Before anything trains, the plan's memory and time are
estimated and a plan that cannot fit, or would train for days, is refused (:mod:`atomlab.lab.guards`).
"""

from __future__ import annotations

import importlib
import math
import os
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from atomlab._version import __version__
from atomlab.data.dataset import Dataset, datasets
from atomlab.engine.allocator import keep_freed_memory
from atomlab.engine.compiled import LANE_MULTIPLE
from atomlab.engine.device import resolve_device
from atomlab.engine.outcome import Outcome
from atomlab.engine.population import Member, PopulationTrainer, member_bytes, population_key
from atomlab.engine.threads import set_threads, threads
from atomlab.engine.trial_kinds import (
    load_builtin_kinds,
    register_trial_kind,
    trial_kind_groups,
    trial_kind_step_seconds,
    trial_kinds,
)
from atomlab.errors import ConfigError
from atomlab.lab.data import materialize, transforms
from atomlab.lab.executors import JobExecutor, resolve_executor, worker_died
from atomlab.lab.guards import PlanEstimate, available_memory, check_plan
from atomlab.lab.plugins import Plugin, load_in_worker, loaded_plugins
from atomlab.lab.progress import Progress, trial_record
from atomlab.lab.store import TrialStore
from atomlab.lab.trial import Trial, engine_fingerprint

# The trial-kind registry is the engine's; the runner consumes it (re-exported for older imports).
__all__ = ["estimate_plan", "register_trial_kind", "run_trials", "trial_kinds"]

MAX_POPULATION = 1024
#: Most elements in a population's widest activation ([members, batch rows, width]). Past a few MB the
#: element-wise work of a step runs from main memory instead of the cache: class-imbalance's 38 members of
#: 1,188 rows x 100 units trained 2x faster as populations of 1 to 4 members (10 s against 20 s), while
#: width-surfaces' 16 x 1,000 x 20, which is overhead-bound, lost 13% when halved. 2**19 splits the first,
#: not the second (measured on the 2-core machine, `docs/benchmarks.md`).
CACHE_ELEMENTS = 2**19
#: Data sets up to this many bytes in all travel to a worker with its job instead of being rebuilt there: the
#: parent has built them already to plan the jobs, and rebuilding repeats work such as pca-dummy-dimensions'
#: 2,000-dimensional random rotations. Larger ones (MNIST) load faster from disk than through a pipe.
SHIP_DATA_BYTES = 64 * 2**20
#: Estimated seconds of training below which a run stays in one process (a worker takes ~2 s to start).
PARALLEL_MIN_SECONDS = 8.0
#: Estimated seconds one job may train before it is split (``$ATOMLAB_JOB_SECONDS`` overrides): a job's
#: trials reach the store when it ends, so this bounds the work a kill loses. Half a minute, because the
#: estimate can be twice too low. Only members are split, not steps: a population whose per-step overhead
#: alone exceeds it is split only while that adds at most a quarter to its time (a single trial longer
#: than this loses its progress when killed).
JOB_SECONDS = 30.0
#: Seconds per multiply-add of a member's forward pass, backward pass included, in a job's estimate
#: (measured 1.1e-10 to 1.8e-10 on 784x100 and 100x100 layers on the 2-core machine, loaded).
SECONDS_PER_MAC = 1.5e-10
#: Seconds per hidden unit and example of a member's activation, forward and backward (a sigmoid on the
#: compiled tier: universal-approximation's 16 units cost 5x its 2 units in a step, not the same).
SECONDS_PER_UNIT = 1.5e-9
#: A run too short for worker processes plans its populations for this many workers whatever the machine
#: (the project's machine has two cores): a population's members then share the same populations, and so
#: the same numbers to the last bit, on every machine and with any ``workers`` (a split can change which
#: path trains a half, and torch's activations round a tensor's last elements differently).
SHORT_RUN_JOBS = 2
#: Fewest members in a part of a split population.
SMALLEST_SPLIT = 8
#: Seconds between looks at the store while another run trains trials this run needs.
POLL_SECONDS = 0.5


def estimated_seconds(jobs: Sequence[tuple[str, list[int]]], work: dict[int, int]) -> float:
    """A rough cost model of a list of jobs on one core: per step, a fixed overhead plus a little per member.

    Measured on the catalog's small MLPs (docs/benchmarks.md); it only decides whether starting
    worker processes can pay off, so being within a factor of two is enough.

    Examples
    --------
    >>> estimated_seconds([("population", [0, 1])], {0: 1000, 1: 1000})  # 1,000 steps of 2 members
    0.106
    """
    total = 0.0
    for kind, idx in jobs:
        steps = max(work[i] for i in idx)
        total += steps * (1e-4 + 3e-6 * len(idx)) if kind == "population" else sum(work[i] for i in idx) * 1e-3
    return total


def memory_budget() -> int:
    """Bytes one population may use: ``$ATOMLAB_MEMORY_GB``, else a quarter of the available memory.

    Examples
    --------
    >>> import os
    >>> os.environ["ATOMLAB_MEMORY_GB"] = "0.5"
    >>> memory_budget()
    536870912
    >>> del os.environ["ATOMLAB_MEMORY_GB"]
    """
    if os.environ.get("ATOMLAB_MEMORY_GB"):
        return available_memory()
    return available_memory() // 4


def default_workers() -> int:
    """``$ATOMLAB_WORKERS`` if set, else the number of CPU cores (at most 8).

    Examples
    --------
    >>> import os
    >>> os.environ["ATOMLAB_WORKERS"] = "3"
    >>> default_workers()
    3
    >>> del os.environ["ATOMLAB_WORKERS"]
    >>> 1 <= default_workers() <= 8
    True
    """
    env = os.environ.get("ATOMLAB_WORKERS")
    if env:
        if not env.strip().isdigit() or int(env) < 1:
            raise ConfigError(f"ATOMLAB_WORKERS={env!r} is not allowed; give a whole number of worker processes >= 1")
        return int(env)
    return max(1, min(8, os.cpu_count() or 1))


def check_workers(workers: object) -> int | None:
    """``workers`` if it is None or a whole number >= 1; a ConfigError naming it otherwise.

    Examples
    --------
    >>> check_workers(2), check_workers(None)
    (2, None)
    >>> check_workers(-1)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: workers must be a whole number >= 1 (worker processes), got -1
    """
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a whole number >= 1 (worker processes), got {workers!r}")
    return workers


def _activation_elements(trials: Sequence[Trial], data: Sequence[Dataset]) -> int:
    """Elements of one member's widest activation in a step: rows of its batch x widest layer."""
    rows = max(d.n_train if t.train.full_batch(d.n_train) else t.train.batch_size for t, d in zip(trials, data))
    width = max(max(t.model.layers, default=1) for t in trials)
    return max(1, rows * width)


def _population_batches(trials: Sequence[Trial], data: Sequence[Dataset], split_into: int = 1) -> list[list[int]]:
    groups: dict[Any, list[int]] = {}
    for i, (t, d) in enumerate(zip(trials, data)):
        key = population_key(Member(t.model, t.train, t.seed, d))
        groups.setdefault(key, []).append(i)
    batches = []
    budget = memory_budget()
    for idx in groups.values():
        # members with the same activation side by side, so the population applies each once
        idx = sorted(idx, key=lambda i: (trials[i].model.activation, trials[i].train.loss))
        # A sweep that would not fit in memory is split into populations that do.
        each = max(member_bytes(Member(trials[i].model, trials[i].train, trials[i].seed, data[i])) for i in idx)
        size = max(1, min(MAX_POPULATION, budget // max(1, each), CACHE_ELEMENTS // _activation_elements(
            [trials[i] for i in idx], [data[i] for i in idx])))
        for s in range(0, len(idx), size):
            batches.append(idx[s:s + size])

    def cut(batch: list[int]) -> int:
        # At a whole number of vectors of lanes, so that neither half pads a block more than the whole did;
        # between two groups of lanes (another activation or loss) instead where that is about as even.
        n, smallest = len(batch), SMALLEST_SPLIT
        lanes = [k for k in range(LANE_MULTIPLE, n, LANE_MULTIPLE) if smallest <= k <= n - smallest]
        best = min(lanes or [n // 2], key=lambda k: abs(2 * k - n))
        groups = [k for k in range(smallest, n - smallest + 1)
                  if (trials[batch[k]].model.activation, trials[batch[k]].train.loss)
                  != (trials[batch[k - 1]].model.activation, trials[batch[k - 1]].train.loss)
                  and abs(2 * k - n) <= abs(2 * best - n) + 2 * LANE_MULTIPLE]
        return min(groups or [best], key=lambda k: abs(2 * k - n))

    return _balance_for_workers(batches, split_into, smallest=SMALLEST_SPLIT,
                                cost=lambda b: _arithmetic_seconds(b, trials, data), cut=cut)


def _balance_for_workers(batches: list[list[int]], split_into: int, smallest: int,
                         cost: Callable[[list[int]], float] = len,
                         cut: Callable[[list[int]], int] = lambda b: len(b) // 2,
                         by_share: bool = True) -> list[list[int]]:
    """Split the costliest job in two while there are fewer jobs than workers or (``by_share``) it holds
    more than a worker's share of the work; every job keeps ``smallest`` members at least.

    A population of 16 hidden units next to two of 2 and 4 is most of the work: splitting by count alone
    left one worker with two thirds of it.

    Examples
    --------
    >>> _balance_for_workers([[0, 1], [2, 3, 4, 5, 6, 7, 8, 9]], 2, smallest=2)
    [[0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    >>> _balance_for_workers([[0, 1], [2, 3, 4, 5, 6, 7, 8, 9]], 2, smallest=2, by_share=False)
    [[0, 1], [2, 3, 4, 5, 6, 7, 8, 9]]
    >>> _balance_for_workers([[0, 1], [2, 3, 4, 5, 6, 7, 8, 9]], 1, smallest=2)
    [[0, 1], [2, 3, 4, 5, 6, 7, 8, 9]]
    """
    batches = list(batches)
    while batches and split_into > 1:
        big = max(batches, key=cost)
        if len(batches) >= split_into and (not by_share or cost(big) <= sum(map(cost, batches)) / split_into):
            break
        k = cut(big)
        if not smallest <= k <= len(big) - smallest:
            break
        at = batches.index(big)
        batches[at:at + 1] = [big[:k], big[k:]]
    return batches


def _kind_batches(trials: Sequence[Trial], data: Sequence[Dataset], split_into: int = 1
                  ) -> list[tuple[str, list[int]]]:
    """Jobs of non-population trials: one trial each, or one group each for kinds with a ``group_by``."""
    singles, groups = [], {}
    for i, (t, d) in enumerate(zip(trials, data)):
        group_by = trial_kind_groups.get(t.kind)
        if group_by is None:
            singles.append((t.kind, [i]))
        else:
            groups.setdefault((t.kind, group_by(t, d)), []).append(i)
    batches = _balance_for_workers(list(groups.values()), max(1, split_into - len(singles)), smallest=2,
                                   by_share=False)
    return singles + [(trials[b[0]].kind, b) for b in batches]


def _work(trial: Trial, data: Dataset) -> int:
    if trial.train is None:
        return 1
    return trial.train.total_steps(data.n_train)


def _modules_of(trials: Sequence[Trial]) -> set[str] | None:
    """Modules that define the functions the trials use; None if one lives in ``__main__``."""
    from atomlab.nn import activations, initializers, losses, optimizers, parse_initializer, regularizers

    objs: list[Any] = []
    for t in trials:
        objs.append(datasets.get(t.data.name))
        objs += [transforms.get(name) for name, _ in t.data.transforms]
        if t.kind != "population":
            objs.append(trial_kinds.get(t.kind))
        m = t.model
        if hasattr(m, "activation"):
            objs.append(activations.get(m.activation))
            objs.append(initializers.get(parse_initializer(m.init)[0]))
        if t.train is not None:
            objs += [losses.get(t.train.loss), optimizers.get(t.train.optimizer)]
            if t.train.regularizer:
                objs.append(regularizers.get(t.train.regularizer))
    modules = set()
    for obj in objs:
        mod = getattr(obj, "__module__", None) or ""
        if mod in ("__main__", "") or mod.startswith("__"):
            return None
        modules.add(mod)
    return modules


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    A pool's workers outlive a parent killed by a signal (``kill``, a closed terminal, a CI timeout)
    and would go on training for nobody; a daemon thread watching the parent's pid stops them.
    Finished trials are already in the store, so nothing computed is lost.
    """
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="atomlab-exit-with-parent", daemon=True).start()


def _init_worker(modules: Sequence[str], plugins: Sequence[Plugin] = ()) -> None:

    exit_with_parent()
    set_threads(1)  # torch's and NumPy's BLAS: one core per worker
    # The parent's plugins first: a plugin file's module (named in ``modules``) exists only once loaded.
    load_in_worker(plugins)
    # The modules that define what the trials name (their data sets, transforms, trial kinds, losses...):
    # importing them registers those objects in this fresh process, as they were in the parent. The
    # built-in trial kinds register themselves on first lookup (atomlab.engine.trial_kinds).
    for mod in modules:
        importlib.import_module(mod)


def _run_job(kind: str, trials: list[Trial], device: str, data: list[Dataset] | None = None,
             progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Train one job (a population, or one trial of another kind) in this process.

    ``data`` are the trials' data sets when the caller has them; else they are built here. ``progress``
    is handed to the population trainer, which calls it with the steps it has just done.
    """
    keep_freed_memory()  # once per process: a step's arrays reuse freed heap, not fresh pages (engine.allocator)
    data = [materialize(t.data) for t in trials] if data is None else data
    if kind == "population":
        members = [Member(t.model, t.train, t.seed, d) for t, d in zip(trials, data)]
        outs = PopulationTrainer(members, device=device, progress=progress).run()
    else:
        outs = trial_kinds.get(kind)(trials, data, device=device)
    for o, d in zip(outs, data):
        if d.note:
            o.info.setdefault("data_note", d.note)
    return outs


def _remote_job(modules: Sequence[str], expected: tuple[str, str], threads: int | None, kind: str,
                trials: list[Trial], device: str, data: list[Dataset] | None) -> list[Outcome]:
    """:func:`_run_job` on an executor's worker: import what the trials name, check the code, train.

    The outcomes are stored by the process that submitted the job under keys that include its code's
    fingerprint, so a worker running other code (another atomlab version, an edited checkout) is refused
    rather than trusted to compute the same numbers.
    """
    found = (__version__, engine_fingerprint())
    if found != tuple(expected):
        raise ConfigError(f"a worker runs atomlab {found[0]} with training code {found[1]}, but the run that "
                          f"submitted the job has {expected[0]} with {expected[1]}: install the same atomlab on "
                          "every worker")
    if threads:
        set_threads(threads)
    for mod in modules:
        importlib.import_module(mod)
    return _run_job(kind, trials, device, data)


def _shippable(data: list[Dataset]) -> list[Dataset] | None:
    """``data`` if it is small enough to send to a worker and can be pickled, else None (rebuild it there)."""
    if sum(sum(getattr(a, "nbytes", 0) for a in (d.X_train, d.X_test)) for d in data) > SHIP_DATA_BYTES:
        return None
    try:
        pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None  # e.g. a target function defined in a notebook
    return data


def job_seconds() -> float:
    """Seconds one job may train: ``$ATOMLAB_JOB_SECONDS``, else :data:`JOB_SECONDS`.

    Examples
    --------
    >>> job_seconds() == float(os.environ.get("ATOMLAB_JOB_SECONDS") or JOB_SECONDS)
    True
    """
    env = os.environ.get("ATOMLAB_JOB_SECONDS")
    if not env:
        return JOB_SECONDS
    try:
        value = float(env)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise ConfigError(f"ATOMLAB_JOB_SECONDS={env!r} is not allowed; give a positive number of seconds")
    return value


def _rows_and_weights(trial: Trial, data: Dataset) -> tuple[int, int]:
    """Examples in one of the member's steps, and its weights (multiply-adds per example)."""
    dims = [data.input_dim, *trial.model.layers, data.output_dim]
    rows = data.n_train if trial.train.full_batch(data.n_train) else trial.train.batch_size
    return rows, sum(a * b for a, b in zip(dims[:-1], dims[1:]))


def _member_step_seconds(trial: Trial, data: Dataset) -> float:
    """Estimated seconds of one member's share of a population step: a constant plus its multiply-adds."""
    rows, weights = _rows_and_weights(trial, data)
    return 3e-6 + rows * weights * SECONDS_PER_MAC


def _member_arithmetic_seconds(trial: Trial, data: Dataset) -> float:
    """A member's arithmetic in a step (multiply-adds and activations, no per-call overhead): what splits a
    sweep's work evenly between workers, where a population's fixed costs do not move."""
    rows, weights = _rows_and_weights(trial, data)
    return rows * (weights * SECONDS_PER_MAC + sum(trial.model.layers) * SECONDS_PER_UNIT)


def _arithmetic_seconds(idx: Sequence[int], trials: Sequence[Trial], data) -> float:
    """A population job's arithmetic over its whole training (``data`` indexed like ``trials``)."""
    steps = max(_work(trials[i], data[i]) for i in idx)
    return steps * sum(_member_arithmetic_seconds(trials[i], data[i]) for i in idx)


def _split_long_jobs(jobs: list[tuple[str, list[int]]], trials: Sequence[Trial], data: dict[int, Dataset],
                     work: dict[int, int], limit: float) -> list[tuple[str, list[int]]]:
    """Split each job estimated to train longer than ``limit`` seconds into near-equal parts."""
    out = []
    for kind, idx in jobs:
        if len(idx) < 2:
            out.append((kind, idx))
            continue
        if kind == "population":
            steps = max(work[i] for i in idx)
            overhead = max(steps, 1) * 1e-4  # per step, whatever the size (see estimated_seconds)
            members = steps * max(_member_step_seconds(trials[i], data[i]) for i in idx) * len(idx)
            estimate = overhead + members
            needed = math.ceil(members / (limit - overhead)) if limit > overhead else len(idx)
            parts = min(needed, 1 + int(0.25 * estimate / overhead))
        else:
            # as few parts as keep each within the limit: a kind's fixed cost a step (a stack's NumPy calls)
            # makes a part cost more than its share of the whole
            estimate = _job_seconds(kind, idx, trials, data, work)
            parts = max(1, min(len(idx), math.ceil(estimate / limit)))  # no part costs less than its share
            while parts < len(idx) and max(_job_seconds(kind, part, trials, data, work)
                                           for part in _cut(idx, parts)) > limit:
                parts += 1
        parts = max(1, min(len(idx), parts)) if estimate > limit else 1
        out += [(kind, part) for part in _cut(idx, parts)]
    return out


def _cut(idx: list[int], parts: int) -> list[list[int]]:
    """``idx`` in ``parts`` consecutive pieces of at most ``ceil(len / parts)`` (fewer pieces where that is enough).

    Examples
    --------
    >>> _cut([0, 1, 2, 3, 4], 2), _cut([0, 1, 2, 3, 4], 4)
    ([[0, 1, 2], [3, 4]], [[0, 1], [2, 3], [4]])
    """
    size = math.ceil(len(idx) / parts)
    return [idx[s:s + size] for s in range(0, len(idx), size)]


def _failed(error: str) -> Outcome:
    return Outcome(error=error, info={"error": error})


def _run_in_threads(jobs: list[tuple[str, list[int]]], trials: Sequence[Trial], data: dict[int, Dataset],
                    device: str, workers: int, finish: Callable[[list[int], list[Outcome]], None]) -> None:
    """Run population ``jobs`` on ``workers`` threads of this process, the longest first.

    Each thread trains as a worker process would, with one intra-op thread (set for the whole block:
    torch's thread count is global to the process); a job's outcomes do not depend on which thread
    trains it, or when.
    Every job that ends is handed to ``finish`` at once. An error in a job (or an interrupt) ends the run,
    as it does in one process: jobs not yet started are dropped, and the jobs already running (a thread
    cannot be stopped) are waited for and kept before the error is raised.
    """
    order = sorted(jobs, key=lambda job: -_arithmetic_seconds(job[1], trials, data))
    error: BaseException | None = None
    with threads(1):
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="atomlab-job")
        futures = {pool.submit(_run_job, kind, [trials[i] for i in idx], device, [data[i] for i in idx]): idx
                   for kind, idx in order}
        pending = set(futures)

        def stop() -> set:
            # Jobs not started are cancelled and never complete: wait only for the running ones.
            pool.shutdown(wait=False, cancel_futures=True)
            return {f for f in pending if not f.cancelled()}

        while pending:
            try:
                for future in as_completed(pending):
                    pending.discard(future)
                    if future.cancelled():
                        continue
                    if future.exception() is None:
                        finish(futures[future], future.result())
                    elif error is None:
                        error = future.exception()
                        pending = stop()
                        break
            except BaseException as exc:  # an interrupt: keep what the running threads finish, then stop
                if error is not None:
                    raise  # interrupted again while waiting: stop waiting
                error = exc
                pending = stop()
        pool.shutdown(wait=True)
    if error is not None:
        raise error


def _run_in_pool(jobs: list[tuple[str, list[int]]], trials: Sequence[Trial], data: dict[int, Dataset], device: str,
                 workers: int, modules: Sequence[str], finish: Callable[[list[int], list[Outcome]], None],
                 *, alone: bool = False) -> list[tuple[str, list[int]]]:
    """Run ``jobs`` on ``workers`` spawned processes; return the jobs whose process died under them.

    With ``alone``, each job gets a fresh process of its own (``workers`` at a time), so a job that
    kills its process takes no other job down with it.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # fork is unsafe after torch's thread pools start
    broken = []
    batches = [jobs[s:s + workers] for s in range(0, len(jobs), workers)] if alone else [jobs]
    for batch in batches:
        pools = [ProcessPoolExecutor(max_workers=1 if alone else min(workers, len(batch)), mp_context=ctx,
                                     initializer=_init_worker, initargs=(sorted(modules), loaded_plugins()))
                 for _ in (batch if alone else [None])]
        try:
            futures = {}
            for n, (kind, idx) in enumerate(batch):
                try:
                    fut = pools[n % len(pools)].submit(_run_job, kind, [trials[i] for i in idx], device,
                                                       _shippable([data[i] for i in idx]))
                except BrokenProcessPool:  # a worker died before every job was handed out
                    broken.append((kind, idx))
                    continue
                futures[fut] = (kind, idx)
            for fut in as_completed(futures):
                try:
                    outs = fut.result()
                except BrokenProcessPool:  # a worker was killed: every job not yet finished lands here
                    broken.append(futures[fut])
                    continue
                finish(futures[fut][1], outs)
        finally:
            for pool in pools:
                pool.shutdown(cancel_futures=True)
    return broken


def _make_jobs(idx_all: list[int], trials: Sequence[Trial], data: dict[int, Dataset], work: dict[int, int],
               split_into: int) -> list[tuple[str, list[int]]]:
    """The jobs of the trials ``idx_all``: populations and groups of other kinds, at least ``split_into``,
    the longest first (by :func:`_job_seconds`), so that workers do not end with one long job left."""
    pop = [i for i in idx_all if trials[i].kind == "population"]
    jobs = [("population", [pop[j] for j in batch]) for batch in
            _population_batches([trials[i] for i in pop], [data[i] for i in pop], split_into)] if pop else []
    others = [i for i in idx_all if trials[i].kind != "population"]
    jobs += [(kind, [others[j] for j in idx]) for kind, idx in
             _kind_batches([trials[i] for i in others], [data[i] for i in others], split_into)]
    jobs = _split_long_jobs(jobs, trials, data, work, job_seconds())
    return sorted(jobs, key=lambda job: -_job_seconds(*job, trials, data, work))


def _job_seconds(kind: str, idx: list[int], trials: Sequence[Trial], data: dict[int, Dataset],
                 work: dict[int, int]) -> float:
    """A job's estimated seconds on one core: for a population, the per-step overhead plus every member's
    multiply-adds; for another kind, its own ``step_seconds`` (see :func:`register_trial_kind`), else a
    millisecond per trial and step."""
    if kind != "population":
        step_seconds = trial_kind_step_seconds.get(kind)
        if step_seconds is None:
            return sum(work[i] for i in idx) * 1e-3
        seconds = step_seconds([trials[i] for i in idx], [data[i] for i in idx])
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
            raise ConfigError(f"trial kind {kind!r}: its step_seconds returned {seconds!r}; it must return the "
                              "estimated seconds of one step, a finite number >= 0")
        return max(work[i] for i in idx) * float(seconds)
    steps = max(work[i] for i in idx)
    return steps * (1e-4 + sum(_member_step_seconds(trials[i], data[i]) for i in idx))


def estimate_plan(trials: Sequence[Trial], *, parallel: int = 1, memory_limit: int | None = None) -> PlanEstimate:
    """Estimate, without training, the memory and time of training ``trials``.

    Parameters
    ----------
    trials : sequence of Trial
        The plan (or the part of it that the store lacks).
    parallel : int
        Jobs that can run at once.
    memory_limit : int, optional
        Bytes one worker may use (default :func:`atomlab.lab.guards.available_memory`).

    Returns
    -------
    PlanEstimate
        Checked by :func:`atomlab.lab.guards.check_plan`.

    Examples
    --------
    >>> from atomlab.engine import TrainSpec
    >>> from atomlab.lab.trial import DataSpec
    >>> from atomlab.nn import MLPSpec
    >>> data = DataSpec("moons", {"n_train": 40, "n_test": 20})
    >>> small = [Trial({}, s, data, MLPSpec(layers=(4,)), TrainSpec(steps=10)) for s in range(3)]
    >>> est = estimate_plan(small)
    >>> est.trials, 0 < est.member_bytes < 2**20, est.seconds < 1
    (3, True, True)
    >>> wide = [Trial({}, 0, data, MLPSpec(layers=(100_000, 100_000)), TrainSpec(steps=10))]
    >>> estimate_plan(wide).member_bytes > 100 * 2**30  # 10^10 weights, Adam's two copies, float32
    True
    """
    load_builtin_kinds()
    idx_all = list(range(len(trials)))
    data = {i: materialize(trials[i].data) for i in idx_all}
    work = {i: _work(trials[i], data[i]) for i in idx_all}
    seconds = sum(_job_seconds(kind, idx, trials, data, work)
                  for kind, idx in _make_jobs(idx_all, trials, data, work, 1))
    biggest, member = 0, ""
    for i in idx_all:
        t, d = trials[i], data[i]
        if t.kind != "population":
            continue
        size = member_bytes(Member(t.model, t.train, t.seed, d))
        if size > biggest:
            batch = d.n_train if t.train.full_batch(d.n_train) else t.train.batch_size
            biggest = size
            member = (f"layers {list(t.model.layers)} on {d.input_dim} inputs: "
                      f"{t.model.n_params(d.input_dim, d.output_dim):,} parameters, batches of {batch:,}, "
                      f"{t.train.optimizer}, {t.train.dtype}")
    return PlanEstimate(trials=len(trials), seconds=seconds, parallel=max(1, parallel), member_bytes=biggest,
                        member=member, memory_limit=available_memory() if memory_limit is None else memory_limit)


def _run_on_executor(executor: JobExecutor, jobs: list[tuple[str, list[int]]], trials: Sequence[Trial],
                     data: dict[int, Dataset], device: str, modules: Sequence[str],
                     finish: Callable[[list[int], list[Outcome]], None], note: Callable[[str], None] | None) -> None:
    """Run ``jobs`` on ``executor``; a job whose worker died is retried once, then its trials fail."""
    expected = (__version__, engine_fingerprint())

    def submit(kind: str, idx: list[int]):
        return executor.submit(_remote_job, sorted(modules), expected, executor.threads, kind,
                               [trials[i] for i in idx], device, _shippable([data[i] for i in idx]))

    def run(batch: list[tuple[str, list[int]]]) -> list[tuple[str, list[int], BaseException]]:
        futures, died = {}, []
        for kind, idx in batch:
            try:
                futures[submit(kind, idx)] = (kind, idx)
            except Exception as exc:  # a broken pool refuses new work: its jobs go to the retry
                if not worker_died(exc):
                    raise
                died.append((kind, idx, exc))
        for fut in as_completed(futures):
            kind, idx = futures[fut]
            try:
                outs = fut.result()
            except Exception as exc:
                if not worker_died(exc):
                    raise
                died.append((kind, idx, exc))
                continue
            finish(idx, outs)
        return died

    died = run(jobs)
    if died and executor.retries:
        retried = run([(kind, idx) for kind, idx, _ in died])
        # a pool broken for good (a user's ProcessPoolExecutor) cannot take the retry: a fresh local process can
        local = [(kind, idx) for kind, idx, exc in retried if type(exc).__name__ == "BrokenProcessPool"]
        died = [d for d in retried if (d[0], d[1]) not in local]
        if local:
            died += [(kind, idx, BrokenProcessPool("killed twice")) for kind, idx in
                     _run_in_pool(local, trials, data, device, min(len(local), default_workers()), modules, finish,
                                  alone=True)]
    for kind, idx, exc in died:
        error = (f"its worker was killed ({type(exc).__name__}: {exc}) on {executor.name}, in a {kind} job of "
                 f"{len(idx)} trial(s)")
        if note:
            note(f"{kind} job of {len(idx)} failed: {error}")
        finish(idx, [_failed(error) for _ in idx])


def _train(idx_all: list[int], trials: Sequence[Trial], *, device: str, workers: int,
           finish: Callable[[list[int], list[Outcome]], None], log: Callable[[str], None] | None,
           note: Callable[[str], None] | None = None, executor: JobExecutor | None = None,
           on_steps: Callable[[int], Callable[[int], None]] | None = None) -> None:
    """Train the trials ``idx_all`` in jobs and hand each job's outcomes to ``finish`` as it ends.

    ``on_steps(members)`` gives the callback an in-process population of that many members reports its steps
    to (worker processes report nothing until their job ends).
    """
    load_builtin_kinds()  # their group_by decides the jobs
    data = {i: materialize(trials[i].data) for i in idx_all}
    work = {i: _work(trials[i], data[i]) for i in idx_all}

    def make_jobs(split_into: int) -> list[tuple[str, list[int]]]:
        return _make_jobs(idx_all, trials, data, work, split_into)

    if executor is not None:
        modules: set[str] | None = set()
        if executor.processes:
            modules = _modules_of([trials[i] for i in idx_all])
            if modules is None:
                raise ConfigError(f"the trials use a function defined in __main__ (a script or a notebook), which "
                                  f"the workers of {executor.name} cannot import: move it to a module")
        jobs = make_jobs(executor.workers)
        if log:
            log(f"{len(jobs)} jobs on {executor.name}")
        _run_on_executor(executor, jobs, trials, data, device, sorted(modules), finish, note)
        return
    jobs = make_jobs(1)
    modules = None
    short = estimated_seconds(jobs, work) < PARALLEL_MIN_SECONDS
    if workers > 1 and device != "cuda" and not short:
        modules = _modules_of([trials[i] for i in idx_all])
    if modules is not None:
        jobs = make_jobs(workers)
    elif short and all(kind == "population" for kind, _ in jobs) and resolve_device(device).type == "cpu":
        # Too little work to pay for starting processes, but populations on the compiled tier release
        # the GIL while they train: threads of this process share the cores at no start-up cost. The jobs
        # are the same whatever ``workers`` is (SHORT_RUN_JOBS), so are the numbers.
        jobs = make_jobs(SHORT_RUN_JOBS)
        if workers > 1 and len(jobs) > 1:
            if log:
                log(f"{len(jobs)} population jobs on {workers} threads")
            _run_in_threads(jobs, trials, data, device, workers, finish)
            return
    if modules is None or len(jobs) == 1:
        for kind, idx in jobs:
            if log:
                log(f"{kind} job of {len(idx)}")
            finish(idx, _run_job(kind, [trials[i] for i in idx], device, [data[i] for i in idx],
                                 on_steps(len(idx)) if on_steps is not None else None))
        return
    if log:
        log(f"{len(jobs)} jobs on {workers} worker processes")
    broken = _run_in_pool(jobs, trials, data, device, workers, modules, finish)
    # Each broken job once more, alone in a fresh process, so that a job that kills its worker cannot
    # take the others down with it a second time.
    for kind, idx in _run_in_pool(broken, trials, data, device, workers, modules, finish, alone=True):
        error = f"its worker process was killed twice (BrokenProcessPool), in a {kind} job of {len(idx)} trial(s)"
        if note:
            note(f"{kind} job of {len(idx)} failed: {error}")
        finish(idx, [_failed(error) for _ in idx])


def run_trials(trials: Sequence[Trial], *, store: TrialStore, device: str = "auto", progress: bool | Progress = False,
               workers: int | None = None, log: Callable[[str], None] | None = None,
               run_id: str | None = None, executor: Any = None, force: bool = False
               ) -> tuple[list[Outcome], int]:
    """Outcomes for ``trials`` (same order), training only what the store lacks.

    The missing trials are claimed in the store first; those another live run has claimed are
    waited for and read, not trained again. Each finished job is written to the store at once.

    Parameters
    ----------
    trials : sequence of Trial
        What to run.
    store : TrialStore
        Where finished trials are looked up and written (``TrialStore(enabled=False)`` retrains all).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    progress : bool or Progress
        Show a progress bar on stderr (True), or report to this :class:`~atomlab.lab.progress.Progress`
        (its bar, in member-steps of training, and its events: one per trial).
    workers : int, optional
        Worker processes (default :func:`default_workers`).
    log : callable, optional
        Called with a line on each job and on waiting for another run.
    run_id : str, optional
        The run recorded in the store, written beside each trial it trains.
    executor : optional
        Where jobs train (:func:`atomlab.lab.executors.resolve_executor`: ``"dask://HOST:PORT"``,
        ``"slurm"``, a ``concurrent.futures.Executor``, a ``dask.distributed.Client``...); default local.
    force : bool
        Train a plan the time guard refuses (:mod:`atomlab.lab.guards`); never one that cannot fit in memory.

    Returns
    -------
    outcomes : list of Outcome
        One per trial; a trial whose worker was killed twice has ``outcome.failed`` set.
    trained : int
        How many trials this call trained (not served from the store, not trained by another run).

    Examples
    --------
    >>> from atomlab.engine import TrainSpec
    >>> from atomlab.lab.trial import DataSpec
    >>> from atomlab.nn import MLPSpec
    >>> data = DataSpec("moons", {"n_train": 40, "n_test": 20})
    >>> trials = [Trial({}, s, data, MLPSpec(layers=(4,)), TrainSpec(steps=10)) for s in range(3)]
    >>> outcomes, trained = run_trials(trials, store=TrialStore(enabled=False), workers=1)
    >>> trained, [o.info["population_size"] for o in outcomes]  # one population of three
    (3, [3, 3, 3])
    """
    workers = check_workers(workers)
    if not isinstance(executor, JobExecutor | None):
        executor = resolve_executor(executor)
        try:
            return run_trials(trials, store=store, device=device, progress=progress, workers=workers, log=log,
                              run_id=run_id, executor=executor, force=force)
        finally:
            if executor is not None and executor.close is not None:
                executor.close()
    # A key hashes the trial's whole config and the training code's fingerprint: once per trial and run.
    keys = [t.key for t in trials]
    found = store.get_many(keys)
    outcomes: list[Outcome | None] = [found[k] for k in keys]
    missing = [i for i, o in enumerate(outcomes) if o is None]
    own = progress is True  # a bar of our own, closed here; a Progress handed in is the caller's
    bar: Progress | None = Progress(bar=True) if own else progress or None  # type: ignore[assignment]
    if bar is not None:
        bar.cached([trial_record(t, o, status="cached") for t, o in zip(trials, outcomes) if o is not None])
    if not missing:
        return outcomes, 0  # type: ignore[return-value]
    workers = default_workers() if workers is None else workers
    keep_freed_memory()  # this process evaluates and draws what the jobs train (workers do it in _run_job)
    # Before anything is claimed or trained: refuse what cannot fit in memory, or would train for days.
    parallel = executor.workers if executor is not None else workers
    check_plan(estimate_plan([trials[i] for i in missing], parallel=parallel,
                             memory_limit=executor.memory_bytes if executor is not None else None), force=force)

    def note(message: str) -> None:  # waiting for another run, a failed job: worth a line even without log
        if log:
            log(message)
        elif progress:
            print(f"atomlab: {message}", file=sys.stderr, flush=True)

    # The bar counts member-steps (a population of P trained for S steps is P * S): it moves while one
    # population trains, where a count of trials would sit at 0 until the population ends.
    work = {i: _work(trials[i], materialize(trials[i].data)) for i in missing} if bar is not None else {}
    counted = [0]  # member-steps the running in-process job has reported
    if bar is not None:
        bar.begin(trials=len(trials), cached=len(trials) - len(missing), steps=sum(work.values()))

    def on_steps(members: int) -> Callable[[int], None]:
        def report(steps: int) -> None:
            counted[0] += steps * members
            bar.add_steps(steps * members)
        return report

    def finish(idx: list[int], outs: list[Outcome]) -> None:
        for i, out in zip(idx, outs):
            outcomes[i] = out
        store.put_many([(keys[i], out, trials[i]) for i, out in zip(idx, outs)], run_id=run_id)
        if bar is not None:
            bar.trials_done([trial_record(trials[i], out) for i, out in zip(idx, outs)],
                            steps=sum(work.get(i, 0) for i in idx), counted=counted[0])
            counted[0] = 0

    trained = 0
    told: set[str] = set()
    with store.holding():
        while missing:
            claims = store.claim([keys[i] for i in missing])
            mine = [i for i in missing if keys[i] in claims.granted]
            if mine:
                trained += len(mine)
                _train(mine, trials, device=device, workers=workers, finish=finish, log=log, note=note,
                       on_steps=on_steps if bar is not None else None, executor=executor)
            rest = [i for i in missing if keys[i] not in claims.granted]
            done = store.get_many([keys[i] for i in rest])
            for i in rest:
                if done[keys[i]] is not None:
                    outcomes[i] = done[keys[i]]
                    if bar is not None:  # trained by another run: its steps are done, by someone
                        bar.trials_done([trial_record(trials[i], outcomes[i], status="cached")],
                                        steps=work.get(i, 0))
            missing = [i for i in rest if outcomes[i] is None]
            owners = {o.describe() for k, o in claims.waiting.items()} - told
            if missing and owners:
                note(f"waiting for {len(missing)} trial(s) that another run is training ({', '.join(sorted(owners))})")
                told |= owners
            if missing and not mine:
                time.sleep(POLL_SECONDS)
    if own:
        bar.close()
    return outcomes, trained  # type: ignore[return-value]
