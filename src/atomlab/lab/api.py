"""Running a catalog experiment from a name to a checked verdict and a report."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

from atomlab import __version__, stats
from atomlab.errors import ConfigError
from atomlab.lab.cache import TrialCache, atomic_write_bytes
from atomlab.lab.claims import check_claims
from atomlab.lab.experiment import Experiment, experiments
from atomlab.lab.result import Result, final_table, tidy_table
from atomlab.lab.runner import run_trials

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
        "wall_time_s": round(wall, 3), "trials": total, "trials_trained": trained,
        "trials_from_cache": total - trained, "seeds": [cfg["seed"], cfg["seed"] + cfg["seeds"] - 1],
        "command": " ".join(sys.argv) if sys.argv and sys.argv[0] else "",
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),  # written when the trials are done
    }


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
                   progress: bool = False, report: bool = True, formats: tuple[str, ...] = ("png",),
                   workers: int | None = None) -> Result:
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
    overrides : dict, optional
        Settings to change (``{"steps": 500}``); unknown keys raise a ConfigError listing the known.
    out : path, optional
        Directory for ``report.html``, ``results.csv``, ``verdict.json`` and the figures; nothing
        is written when None and ``report`` is False.
    cache : bool
        Reuse finished trials from the on-disk cache (``--no-cache`` sets False; results are still
        written to it).
    cache_dir : path, optional
        Cache location (default ``$ATOMLAB_CACHE`` or ``~/.cache/atomlab/trials``).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    progress : bool
        Show a progress bar on stderr.
    report : bool
        Draw figures and write the HTML report (needs ``out``; defaults to ``runs/NAME-SCALE``).
    formats : tuple of str
        Figure formats (``("png",)``, or ``("png", "svg")``).
    workers : int, optional
        Worker processes for independent populations (default ``$ATOMLAB_WORKERS`` or the number of
        cores); they are started only when the work is large enough to pay for them.

    Returns
    -------
    Result
    """
    exp = experiments.get(experiment) if isinstance(experiment, str) else experiment
    rounds = seed_rounds(seeds, int(exp.config(scale, overrides)["seeds"]))
    cfg = exp.config(scale, overrides, seeds if rounds is None else rounds[0])
    start = time.perf_counter()
    store = TrialCache(cache_dir, enabled=cache)
    known: dict[str, Any] = {}  # outcomes of earlier rounds, so --no-cache does not retrain them
    trained_total = 0
    looks = rounds or [int(cfg["seeds"])]
    for look, n_seeds in enumerate(looks, start=1):
        cfg = {**cfg, "seeds": n_seeds}
        trials = exp.plan(cfg)
        todo = [t for t in trials if t.key not in known]
        outcomes, trained = run_trials(todo, cache=store, device=device, progress=progress, workers=workers)
        known.update({t.key: o for t, o in zip(todo, outcomes)})
        trained_total += trained
        outcomes = [known[t.key] for t in trials]
        final = final_table(trials, outcomes, derive=exp.derive_for(cfg))
        alpha = stats.alpha_spending(look, len(looks)) if rounds else ALPHA
        verdict, claim_results = check_claims(exp.claims_for(cfg), final, alpha=alpha)
        if all(c.verdict != "inconclusive" for c in claim_results if not c.check):
            break
    if rounds:
        cfg["seeds_rule"] = (f"auto: rounds of {', '.join(map(str, looks))} seeds; stopped after {n_seeds} "
                             f"(look {look} of {len(looks)}, alpha {alpha:.3g} at this look)")
    result = Result(exp, cfg, trials, outcomes, tidy_table(trials, outcomes), final)
    result.verdict, result.claims = verdict, claim_results
    trained = trained_total
    result.provenance = provenance(time.perf_counter() - start, trained, len(trials), cfg)
    if out is None and report:
        out = Path("runs") / f"{exp.name}-{scale}"
    if out is not None:
        write_outputs(result, Path(out), report=report, formats=formats)
    result.provenance["wall_time_s"] = round(time.perf_counter() - start, 3)
    if out is not None:
        _write_json(Path(out) / "verdict.json", result.verdict_dict())
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
        if result.experiment.figures is not None:
            result.figures = list(result.experiment.figures(result, fig_dir, formats=formats))
        result.report_path = write_report(result, out)
