"""Running a catalog experiment from a name to a checked verdict and a report."""

from __future__ import annotations

import functools
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from atomlab import stats
from atomlab._version import __version__
from atomlab.engine.allocator import allocator_in_use, keep_freed_memory
from atomlab.engine.outcome import Outcome
from atomlab.errors import ConfigError
from atomlab.lab.claims import check_claims
from atomlab.lab.executors import resolve_executor
from atomlab.lab.experiment import Experiment, experiments
from atomlab.lab.outdir import OutDirLock, atomic_write_bytes
from atomlab.lab.result import Result, final_table, tidy_table
from atomlab.lab.runner import check_workers, run_trials
from atomlab.lab.store import TrialStore
from atomlab.lab.trial import Trial, canonical_json

#: The error rate of one experiment's claims (Holm keeps it over the claims; rounds of seeds spend it).
ALPHA = 0.05


def provenance(wall: float, trained: int, total: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """Versions, machine, threads and timing of a run."""
    import numpy
    import sklearn

    return {
        "atomlab": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__, "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "threads": torch.get_num_threads(), "device": "cuda" if torch.cuda.is_available() else "cpu",
        "allocator": allocator_in_use(),  # what the training in this process ran with
        "wall_time_s": round(wall, 3), "trials": total, "trials_trained": trained,
        "trials_from_cache": total - trained, "seeds": [cfg["seed"], cfg["seed"] + cfg["seeds"] - 1],
        "command": _command(), "git_commit": git_commit(),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),  # written when the trials are done
    }


#: The ``quick`` scale (the default) runs as ``--seeds auto:MAX`` with MAX this many times its seeds.
QUICK_GROWTH = 2
@functools.cache
def git_commit() -> str | None:
    """The commit of the git checkout that holds the running atomlab, ``+dirty`` when its sources differ from it.

    None when atomlab was not imported from a git checkout (an installed wheel) or git is missing. Only
    uncommitted changes under the package's own folder count: a run folder or notes in the checkout do not
    change what the code computes. Asked once per process (a run asks before it trains), so a commit made
    while a long run goes on does not relabel the code it is running.

    Examples
    --------
    >>> commit = git_commit()
    >>> commit is None or len(commit.removesuffix("+dirty")) == 40
    True
    """
    import subprocess

    package = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=package,
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


#: ``--seeds auto`` without a maximum: at most this many times the scale's seeds, and never more than MAX_AUTO_SEEDS.
AUTO_GROWTH = 4
MAX_AUTO_SEEDS = 64


def seed_rounds(seeds: int | str | None, start: int) -> list[int] | None:
    """The seed counts of the rounds of a ``--seeds auto`` run (None for a fixed number of seeds).

    ``"auto"`` doubles the scale's ``start`` seeds each round up to ``AUTO_GROWTH`` times as many (at most
    :data:`MAX_AUTO_SEEDS`); ``"auto:MAX"`` doubles up to ``MAX``. Doubling keeps the number of looks, and
    so the price of the sequential correction, logarithmic in the budget.

    Examples
    --------
    >>> seed_rounds("auto", 5)
    [5, 10, 20]
    >>> seed_rounds("auto:12", 3)
    [3, 6, 12]
    >>> seed_rounds(8, 5) is None
    True
    """
    if seeds is None or isinstance(seeds, int) and not isinstance(seeds, bool):
        return None
    text = str(seeds).strip().lower()
    head, _, tail = text.partition(":")
    if head != "auto":
        raise ConfigError(f"seeds must be a positive integer, 'auto' or 'auto:MAX', got {seeds!r}")
    if tail:
        try:
            most = int(tail)
        except ValueError:
            raise ConfigError(f"seeds 'auto:MAX' needs a whole number MAX, got {seeds!r}") from None
        if not MIN_AUTO_START <= most <= 10_000:
            raise ConfigError(f"seeds 'auto:MAX' needs MAX between {MIN_AUTO_START} and 10000, got {most}")
    else:
        most = min(MAX_AUTO_SEEDS, AUTO_GROWTH * start)
    rounds = [min(max(start, MIN_AUTO_START), most)]
    while rounds[-1] < most:
        rounds.append(min(2 * rounds[-1], most))
    return rounds


#: The first round of ``--seeds auto`` has at least this many seeds (fewer are never decisive).
MIN_AUTO_START = 3


def run_experiment(experiment: str | Experiment, *, scale: str = "quick", seeds: int | str | None = None,
                   overrides: dict[str, Any] | None = None, out: str | Path | None = None,
                   cache: bool = True, cache_dir: str | Path | None = None, device: str = "auto",
                   progress: bool | Any = False, report: bool = True, formats: tuple[str, ...] = ("png",),
                   workers: int | None = None, executor: Any = None, force: bool = False) -> Result:
    """Run a catalog experiment and check its claims.

    Parameters
    ----------
    experiment : str or Experiment
        A registered name (see ``atomlab.experiments()``) or an :class:`Experiment`.
    scale : {"smoke", "quick", "paper"}
        How big: seconds (tests), under a minute (default), or the source's sizes.
    seeds : int or str, optional
        Number of seeds (overrides the scale's), or ``"auto"`` / ``"auto:MAX"``: add seeds in rounds
        (see :func:`seed_rounds`) until every claim is decisive or the budget is spent. Each look spends
        part of the error rate (:func:`atomlab.stats.alpha_spending`), so optional stopping keeps it.
        At the ``quick`` scale the default is ``"auto:MAX"`` with MAX twice the scale's seeds
        (:data:`QUICK_GROWTH`, or the entry's ``quick_seed_growth``); give a number for a fixed count.
    overrides : dict, optional
        Settings to change (``{"steps": 500}``); unknown keys raise a ConfigError listing the known.
    out : path, optional
        Directory for ``report.html``, ``results.csv``, ``verdict.json`` and the figures; nothing
        is written when None and ``report`` is False. It is checked (a ConfigError names a path
        that cannot hold results) and locked against other runs before any training.
    cache : bool
        Reuse finished trials from the trial store (``--no-cache`` sets False; results are still
        written to it).
    cache_dir : path, optional
        Folder of the trial store (default ``$ATOMLAB_CACHE`` or ``~/.cache/atomlab``); the run is
        recorded there too (``atomlab runs``).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    progress : bool or Progress
        Show a progress bar on stderr (or report to this :class:`~atomlab.lab.progress.Progress`).
    report : bool
        Draw figures and write the HTML report (needs ``out``; defaults to ``runs/NAME-SCALE``).
    formats : tuple of str
        Figure formats (``("png",)``, or ``("png", "svg")``).
    workers : int, optional
        Worker processes for independent populations (default ``$ATOMLAB_WORKERS`` or the number of
        cores); they are started only when the work is large enough to pay for them.
    executor : optional
        Where the jobs train instead (docs/cluster.md): ``"local"`` (default), ``"dask://HOST:PORT"``,
        ``"slurm"``, a ``concurrent.futures.Executor``, a ``dask.distributed.Client`` or a submitit
        executor (:func:`atomlab.lab.executors.resolve_executor`). Results come back to this process,
        which alone writes the store and the outputs.
    force : bool
        Run a plan that the time guard refuses (estimated to train longer than a day); a plan that
        cannot fit in memory is refused all the same (:mod:`atomlab.lab.guards`).

    Returns
    -------
    Result
        Its ``provenance`` holds the run's id in the store (``run_id``).

    Raises
    ------
    ConfigError
        Before any training: an unknown experiment or setting, a value out of its range, a metric the
        plan cannot produce, a bad ``out``, a plan over the guards' limits.
    """
    if not isinstance(experiment, str | Experiment):
        raise ConfigError(f"experiment must be a catalog name (a str, see atomlab.experiments()) or an Experiment, "
                          f"got {experiment!r} ({type(experiment).__name__})")
    check_workers(workers)
    keep_freed_memory()  # the allocator this run trains with; a bad ATOMLAB_MALLOC is refused before anything starts
    if not isinstance(force, bool):
        raise ConfigError(f"force must be True or False, got {force!r}")
    exp = experiments.get(experiment) if isinstance(experiment, str) else experiment
    git_commit()  # the code this run starts with, before any edit made while it trains
    start_seeds = int(exp.config(scale, overrides)["seeds"])
    if seeds is None and scale == "quick" and "seeds" not in (overrides or {}):
        # The default run adds rounds of seeds (one, or more where the entry allows) while a claim is undecided:
        # seeds are cheap, and an exact test on tied values (accuracies, epoch counts) cannot decide on 4 or 5.
        growth = QUICK_GROWTH if exp.quick_seed_growth is None else exp.quick_seed_growth
        seeds = f"auto:{growth * max(start_seeds, MIN_AUTO_START)}"
    rounds = seed_rounds(seeds, start_seeds)
    cfg = exp.config(scale, overrides, seeds if rounds is None else rounds[0])
    exp.check_metrics(cfg, exp.plan(cfg))  # a metric the plan cannot produce fails now, not after training
    if out is None and report:
        out = Path("runs") / f"{exp.name}-{scale}"
    # The output folder is checked and locked before any training: a bad --out costs nothing, and a
    # second run writing the same folder is refused instead of overwriting the first one's files.
    lock = OutDirLock(out).acquire() if out is not None else None
    try:
        pool = resolve_executor(executor)  # once for the run (a Dask client is connected once, for every round)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    store = TrialStore(cache_dir, enabled=cache)
    try:
        start = time.perf_counter()
        looks = rounds or [int(cfg["seeds"])]
        trials = exp.plan(cfg)
        run_id = store.start_run(experiment=exp.name, scale=scale, seeds=cfg.get("seeds", 0), config=cfg,
                                 trial_keys=[t.key for t in trials], out_dir=lock.path if lock else None,
                                 command=_command())
        try:
            known: dict[str, Outcome] = {}  # outcomes of earlier rounds: --no-cache does not retrain them
            trained = 0
            for look, n_seeds in enumerate(looks, start=1):
                cfg = {**cfg, "seeds": n_seeds}
                trials = exp.plan(cfg)
                todo = [t for t in trials if t.key not in known]
                done, fresh = run_trials(todo, store=store, device=device, progress=progress, workers=workers,
                                         run_id=run_id, executor=pool, force=force)
                known.update({t.key: o for t, o in zip(todo, done)})
                trained += fresh
                outcomes = [known[t.key] for t in trials]
                alpha = stats.alpha_spending(look, len(looks), information=looks) if rounds else ALPHA
                result = _judge(exp, cfg, trials, outcomes, alpha=alpha)
                if all(c.verdict != "inconclusive" for c in result.claims if not c.check):
                    break
            if rounds:
                cfg["seeds_rule"] = (f"auto: rounds of {', '.join(map(str, looks))} seeds; stopped after "
                                     f"{n_seeds} (look {look} of {len(looks)}, alpha {alpha:.3g} at this look)")
                cfg["seeds_alpha"] = alpha  # what the verdict was decided at (a rebuild decides at it again)
                result.config = cfg
            result.provenance = provenance(time.perf_counter() - start, trained, len(trials), cfg)
            result.provenance.update(_store_provenance(store, run_id, trials, outcomes))
            if out is not None:
                write_outputs(result, lock.path, report=report, formats=formats)
            result.provenance["wall_time_s"] = round(time.perf_counter() - start, 3)
            if out is not None:
                _write_json(lock.path / "verdict.json", result.verdict_dict())
        except BaseException:
            store.finish_run(run_id, status="failed")
            raise
        store.finish_run(run_id, status="finished", verdict=result.verdict,
                         statistic=" | ".join(c.summary() for c in result.claims), trained=trained,
                         reused=len(trials) - trained, failed=sum(o.failed for o in outcomes),
                         provenance=result.provenance,
                         **({"seeds": cfg["seeds"], "config": cfg, "trial_keys": [t.key for t in trials]}
                            if rounds else {}))
    finally:
        store.close()
        if pool is not None and pool.close is not None:
            pool.close()
        if lock is not None:
            lock.release()
    return result


def _judge(exp: Experiment, cfg: dict[str, Any], trials: list[Trial], outcomes: list[Outcome], *,
           alpha: float = ALPHA) -> Result:
    """Tables and verdict of trained (or stored) outcomes; failed trials are named in a warning."""
    failed = [(t, o) for t, o in zip(trials, outcomes) if o.failed]
    if failed:
        names = "; ".join(f"{t.arm or 'trial'} seed {t.seed}" for t, _ in failed[:10])
        warnings.warn(f"{len(failed)} trial(s) failed and are left out of the statistics ({failed[0][1].error}): "
                      f"{names}{' ...' if len(failed) > 10 else ''}", RuntimeWarning, stacklevel=3)
    final = final_table(trials, outcomes, derive=exp.derive_for(cfg))
    claims = exp.claims_for(cfg)
    # When every trial failed no metric was recorded at all: the claims' columns are there, empty, so that
    # each claim is inconclusive (and the report says why) instead of the run failing on a missing column.
    for metric in {exp.metric, *(getattr(c, "metric", None) for c in claims)} - {None, *final.columns}:
        final[metric] = float("nan")
    result = Result(exp, cfg, trials, outcomes, tidy_table(trials, outcomes), final)
    result.verdict, result.claims = check_claims(claims, final, alpha=alpha)
    return result


def _store_provenance(store: TrialStore, run_id: str | None, trials: list[Trial], outcomes: list[Outcome]
                      ) -> dict[str, Any]:
    failed = [{"trial": t.key, "arm": t.arm, "seed": t.seed, "error": o.error}
              for t, o in zip(trials, outcomes) if o.failed]
    return {"run_id": run_id, "store": str(store.path) if store.available else f"none ({store.problem})",
            "trials_failed": len(failed), **({"failed_trials": failed} if failed else {})}


def _command() -> str:
    return " ".join(sys.argv) if sys.argv and sys.argv[0] else ""


def rebuild_run(run: str | os.PathLike, *, cache_dir: str | Path | None = None, out: str | Path | None = None,
                report: bool = True, formats: tuple[str, ...] = ("png",),
                experiment: Experiment | None = None) -> Result:
    """Rebuild a recorded run's tables, verdict, figures and report from the trial store, without training.

    Parameters
    ----------
    run : str or path
        The run's id (or a unique prefix of it, as ``atomlab runs`` lists them), or its output folder.
    cache_dir : path, optional
        The store's folder (default ``$ATOMLAB_CACHE`` or ``~/.cache/atomlab``).
    out : path, optional
        Where to write (default: the run's own output folder, else ``runs/NAME-SCALE``).
    report, formats
        As for :func:`run_experiment`.
    experiment : Experiment, optional
        The experiment, for one that is not in the catalog (a comparison built in Python).

    Returns
    -------
    Result
        With the provenance of the original run, plus ``rebuilt_from_run``.

    Raises
    ------
    ConfigError
        No such run, an experiment that is no longer in the catalog or whose plan changed, or trials
        no longer in the store (removed by ``atomlab store gc``, or damaged).
    """
    store = TrialStore(cache_dir)
    if not store.path.is_file():
        raise ConfigError(f"no trial store at {store.path}; nothing to rebuild {str(run)!r} from")
    with store:
        rec = store.find_run(os.fspath(run))
        if rec is None or rec["status"] == "damaged":
            what = "is damaged" if rec else "is not recorded"
            raise ConfigError(f"run {os.fspath(run)!r} {what} in the trial store {store.path}; `atomlab runs` "
                              "lists the runs it holds")
        exp = experiment if experiment is not None else experiments.get(rec["experiment"])
        if rec["config"] is None:
            raise ConfigError(f"run {rec['id']} recorded no configuration (it held a value the store does not "
                              "write, such as a function); run it again instead")
        cfg = rec["config"]
        trials = exp.plan(cfg)
        keys = rec["trial_keys"]
        if len(trials) != len(keys):
            raise ConfigError(f"experiment {exp.name!r} now plans {len(trials)} trials for run {rec['id']}'s "
                              f"settings, where the run had {len(keys)}: its declaration changed; run it again")
        found = store.read_records(keys)
        outcomes: list[Outcome] = []
        gone = changed = 0
        for t, k in zip(trials, keys):
            got = found[k]
            if got is None:
                gone += 1
            elif got[1] != canonical_json(t.to_dict()):
                changed += 1
            else:
                outcomes.append(got[0])
        if gone or changed:
            why = (f"{gone} of its {len(keys)} trials are no longer in the store (removed by `atomlab store gc`, "
                   "never finished, or damaged)" if gone else
                   f"{changed} of its trials no longer match what {exp.name!r} plans (its declaration changed)")
            raise ConfigError(f"cannot rebuild run {rec['id']}: {why}; run it again with "
                              f"`atomlab run {exp.name} --scale {rec['scale']}`")
    result = _judge(exp, cfg, trials, outcomes, alpha=float(cfg.get("seeds_alpha", ALPHA)))
    result.provenance = {**(rec["provenance"] or {}), "rebuilt_from_run": rec["id"],
                         "rebuilt": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    target = out if out is not None else (rec["out_dir"] or Path("runs") / f"{exp.name}-{rec['scale']}")
    if report or out is not None:
        with OutDirLock(target) as lock:
            write_outputs(result, lock.path, report=report, formats=formats)
    return result


def _write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, default=str).encode())


def write_outputs(result: Result, out: Path, *, report: bool = True, formats: tuple[str, ...] = ("png",)) -> None:
    """Write ``results.csv``, ``final.csv``, ``verdict.json``, ``config.json``, figures and the report."""
    out.mkdir(parents=True, exist_ok=True)
    result.out_dir = out
    atomic_write_bytes(out / "results.csv", result.table.to_csv(index=False).encode())
    atomic_write_bytes(out / "final.csv", result.final.to_csv(index=False).encode())
    _write_json(out / "config.json", {k: v for k, v in result.config.items()})
    _write_json(out / "verdict.json", result.verdict_dict())
    if report:
        from atomlab.lab.report import write_report

        fig_dir = out / "figures"
        fig_dir.mkdir(exist_ok=True)
        # With no finite trial there is nothing to draw (a catalog entry's figures would fail on it); the report
        # still says what happened, in its sanity checks.
        anything = not result.final.empty and not (result.final["diverged"].astype(bool)
                                                   | result.final.get("failed", False)).all()
        comparison = callable(getattr(result.experiment, "comparison_dict", None))  # its figures cope
        if result.experiment.figures is not None and (anything or comparison):
            result.figures = list(result.experiment.figures(result, fig_dir, formats=formats))
        result.report_path = write_report(result, out)
