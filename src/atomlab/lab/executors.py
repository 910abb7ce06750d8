"""Where jobs train: local worker processes (the default), or an executor a user names.

The runner hands each job (a population of MLPs, or a group of trials of another kind) to an executor
and writes what comes back to the trial store itself, so the process that owns the store stays its one
writer however many machines train. An executor is named by

- ``"local"`` (or ``None``): this machine, in this process or worker processes (``workers=``);
- ``"dask://HOST:PORT"``: the Dask scheduler at that address (``pip install 'atomlab[dask]'``);
- ``"slurm"``: SLURM jobs through submitit (``pip install 'atomlab[slurm]'``), see :func:`slurm_executor`;

or given as an object: any ``concurrent.futures.Executor`` (a ``ThreadPoolExecutor``, a
``ProcessPoolExecutor``...), a ``dask.distributed.Client``, or a submitit executor. Objects the caller
gives are left open; what atomlab opens from a name it closes. See docs/cluster.md.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atomlab.errors import ConfigError

EXECUTOR_FORMS = ("local", "dask://HOST:PORT", "slurm", "a concurrent.futures.Executor",
                  "a dask.distributed.Client", "a submitit executor")
#: Seconds to wait for a Dask scheduler to answer before giving up with an error.
CONNECT_SECONDS = 10
#: Exceptions (by class name) that mean the worker process died under a job, not that the job failed:
#: a killed local worker (BrokenProcessPool), a Dask worker that died on the task more often than the
#: scheduler's ``allowed-failures`` (KilledWorker), a SLURM job killed without a result (UncompletedJobError).
WORKER_DIED = ("BrokenProcessPool", "BrokenExecutor", "KilledWorker", "UncompletedJobError")


def check_executor_name(text: str) -> str:
    """Validate an executor named on the command line: ``local``, ``dask://HOST:PORT`` or ``slurm``.

    Examples
    --------
    >>> check_executor_name("dask://10.0.0.5:8786")
    'dask://10.0.0.5:8786'
    >>> check_executor_name("dask://nowhere")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: executor 'dask://nowhere' needs a port: dask://HOST:PORT (a Dask scheduler's address)
    """
    name = text.strip()
    if name in ("local", "slurm"):
        return name
    if name.startswith("dask://"):
        host, _, port = name[len("dask://"):].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"executor {text!r} needs a port: dask://HOST:PORT (a Dask scheduler's address)")
        return name
    raise ConfigError(f"unknown executor {text!r}; known: local, dask://HOST:PORT, slurm")


@dataclass
class JobExecutor:
    """A ``concurrent.futures.Executor`` with what the runner needs to know about it.

    Attributes
    ----------
    pool : concurrent.futures.Executor
        Where ``submit`` sends a job.
    name : str
        For logs and errors (``"dask://127.0.0.1:8786 (2 workers)"``).
    workers : int
        Jobs that run at once: the runner cuts the plan into at least this many jobs.
    processes : bool
        Jobs run in other processes, which must import the modules that define what the trials name.
    threads : int or None
        Intra-op threads each job sets in its process (None: leave them).
    memory_bytes : int or None
        Memory of one worker, when the executor tells it (else this machine's is assumed).
    retries : bool
        A job whose worker died is submitted once more (False where the executor retries itself: Dask).
    close : callable or None
        Called when the run ends, for what atomlab opened itself.
    """

    pool: cf.Executor
    name: str
    workers: int = 1
    processes: bool = True
    threads: int | None = 1
    memory_bytes: int | None = None
    retries: bool = True
    close: Callable[[], None] | None = field(default=None, repr=False)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        """Submit ``fn(*args)``; a ``concurrent.futures.Future`` of its result."""
        return self.pool.submit(fn, *args)


def worker_died(exc: BaseException) -> bool:
    """Whether ``exc`` says the worker under a job died (killed, out of memory), not that the job raised.

    Examples
    --------
    >>> from concurrent.futures.process import BrokenProcessPool
    >>> worker_died(BrokenProcessPool("killed")), worker_died(ValueError("a bug"))
    (True, False)
    """
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(names & set(WORKER_DIED)) and "FailedJobError" not in names  # submitit: the job itself raised


def resolve_executor(executor: Any, *, slurm: dict[str, Any] | None = None) -> JobExecutor | None:
    """The :class:`JobExecutor` for ``executor``, or None for the local default.

    Parameters
    ----------
    executor : str, Executor, dask Client, submitit executor or None
        See the module's docstring.
    slurm : dict, optional
        Options of :func:`slurm_executor` when ``executor`` is ``"slurm"``.

    Raises
    ------
    ConfigError
        An unknown executor, a missing optional package, a scheduler that does not answer.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as pool:
    ...     ex = resolve_executor(pool)
    >>> ex.workers, ex.processes, resolve_executor("local") is None
    (2, False, True)
    >>> resolve_executor(42)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: executor must be one of local, dask://HOST:PORT, slurm, ... got 42 (int)
    """
    if executor is None or isinstance(executor, str) and executor.strip() == "local":
        return None
    if isinstance(executor, str):
        name = check_executor_name(executor)
        if name == "slurm":
            return _submitit(slurm_executor(**(slurm or {})), owned=True)
        return _dask_address(name)
    if slurm:
        raise ConfigError("SLURM options are for executor='slurm'; configure a submitit executor you pass yourself")
    module = type(executor).__module__ or ""
    if module.startswith("distributed") and hasattr(executor, "get_executor"):
        return _dask_client(executor, owned=False)
    if module.startswith("submitit"):
        return _submitit(executor, owned=False)
    if isinstance(executor, cf.Executor):
        threads = isinstance(executor, cf.ThreadPoolExecutor)
        workers = int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 1)
        # Threads share this process: its registries, and its thread settings, which one job must not change.
        return JobExecutor(executor, name=type(executor).__name__, workers=workers, processes=not threads,
                           threads=None if threads else 1)
    raise ConfigError(f"executor must be one of {', '.join(EXECUTOR_FORMS)}; got {executor!r} "
                      f"({type(executor).__name__})")


def _needs(package: str, extra: str, what: str) -> None:
    raise ConfigError(f"{what} needs the {package} package, which is not installed: pip install 'atomlab[{extra}]'")


def _dask_address(name: str) -> JobExecutor:
    try:
        from distributed import Client
    except ImportError:
        _needs("dask.distributed", "dask", f"executor {name!r}")
    address = "tcp://" + name[len("dask://"):]
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} within {CONNECT_SECONDS} s ({exc}); start "
                          "one with `dask scheduler` and `dask worker ADDRESS`, or check the address") from None
    return _dask_client(client, owned=True, name=name)


def _dask_client(client: Any, *, owned: bool, name: str | None = None) -> JobExecutor:
    workers = client.scheduler_info(n_workers=-1).get("workers", {}) if _takes_n_workers(client) else \
        client.scheduler_info().get("workers", {})
    slots = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
    limits = [int(w["memory_limit"]) for w in workers.values() if w.get("memory_limit")]
    label = name or f"dask {getattr(client, 'scheduler', None) and client.scheduler.address}"
    return JobExecutor(
        # pure=False: every job is a new task (two equal jobs are both trained: the store decides reuse)
        client.get_executor(pure=False), name=f"{label} ({len(workers)} workers, {slots} threads)", workers=slots,
        processes=True, threads=1, memory_bytes=min(limits) if limits else None,
        retries=False,  # the scheduler reruns a task whose worker died, then raises KilledWorker
        close=client.close if owned else None)


def _takes_n_workers(client: Any) -> bool:
    import inspect

    try:
        return "n_workers" in inspect.signature(client.scheduler_info).parameters
    except (TypeError, ValueError):
        return False


def slurm_executor(*, folder: str | os.PathLike | None = None, partition: str | None = None,
                   time_min: int = 60, cpus: int = 1, mem_gb: float = 4.0, max_jobs: int = 32) -> Any:
    """A submitit executor that runs each job as a SLURM job (``--executor slurm``).

    Parameters
    ----------
    folder : path, optional
        Where submitit keeps each job's script, logs and its pickled input and result (default
        ``atomlab-slurm/`` in the current folder). It must be on a file system the compute nodes share;
        it is created private (mode 0700), since whoever can write there can run code in this process.
    partition : str, optional
        The SLURM partition (``--slurm-partition``); the cluster's default when None.
    time_min : int
        Minutes a job may run (``--slurm-time``); the runner keeps jobs to about half a minute of
        training each, so the default hour is ample unless jobs wait for data.
    cpus : int
        CPUs per job (``--slurm-cpus``): each job trains with this many intra-op threads.
    mem_gb : float
        Memory per job in GB (``--slurm-mem``); the memory guard checks each model against it.
    max_jobs : int
        Jobs submitted at once: the runner cuts the plan into at least this many.

    Returns
    -------
    submitit.AutoExecutor
        Pass it as ``executor=`` (or let ``executor="slurm"`` build it).

    Raises
    ------
    ConfigError
        submitit is not installed, ``sbatch`` is not on the PATH, or an option is out of range.
    """
    for key, value, low in (("time_min", time_min, 1), ("cpus", cpus, 1), ("max_jobs", max_jobs, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"SLURM option {key} must be a whole number >= {low}, got {value!r}")
    if isinstance(mem_gb, bool) or not isinstance(mem_gb, int | float) or not 0 < mem_gb < 1e6:
        raise ConfigError(f"SLURM option mem_gb must be a positive number of gigabytes, got {mem_gb!r}")
    try:
        import submitit
    except ImportError:
        _needs("submitit", "slurm", "executor 'slurm'")
    if shutil.which("sbatch") is None:
        raise ConfigError("executor 'slurm' needs SLURM's sbatch on the PATH of this machine (a login node of the "
                          "cluster); it was not found")
    path = Path(folder if folder is not None else "atomlab-slurm")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    ex = submitit.AutoExecutor(folder=path, cluster="slurm")
    ex.update_parameters(timeout_min=time_min, cpus_per_task=cpus, mem_gb=mem_gb, tasks_per_node=1, nodes=1,
                         **({"slurm_partition": partition} if partition else {}))
    ex.atomlab_max_jobs = max_jobs  # read by _submitit
    return ex


class _SubmititPool(cf.Executor):
    """submitit's jobs as ``concurrent.futures`` futures: a thread per job waits for its result."""

    def __init__(self, executor: Any, waiters: int) -> None:
        self._executor = executor
        self._waiters = cf.ThreadPoolExecutor(max_workers=waiters, thread_name_prefix="atomlab-submitit")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        job = self._executor.submit(fn, *args, **kwargs)  # queued at once, whatever the waiters do
        return self._waiters.submit(job.result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._waiters.shutdown(wait=wait, cancel_futures=cancel_futures)


def _submitit(executor: Any, *, owned: bool) -> JobExecutor:
    params = getattr(executor, "parameters", {}) or {}
    jobs = int(getattr(executor, "atomlab_max_jobs", 0) or 32)
    cpus = params.get("cpus_per_task") or params.get("slurm_cpus_per_task")
    mem = params.get("mem_gb")
    pool = _SubmititPool(executor, waiters=jobs)
    return JobExecutor(pool, name=f"submitit {type(executor).__name__} ({jobs} jobs at once)", workers=jobs,
                       processes=True, threads=int(cpus) if cpus else 1,
                       memory_bytes=int(float(mem) * 2**30) if mem else None, retries=True,
                       close=lambda: pool.shutdown(wait=False, cancel_futures=True))
