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

from atomlab._version import __version__
from atomlab.lab.cache import TrialCache, atomic_write_bytes
from atomlab.lab.claims import check_claims
from atomlab.lab.experiment import Experiment, experiments
from atomlab.lab.result import Result, final_table, tidy_table
from atomlab.lab.runner import run_trials


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


def run_experiment(experiment: str | Experiment, *, scale: str = "quick", seeds: int | None = None,
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
    seeds : int, optional
        Number of seeds (overrides the scale's).
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
    cfg = exp.config(scale, overrides, seeds)
    start = time.perf_counter()
    trials = exp.plan(cfg)
    outcomes, trained = run_trials(trials, cache=TrialCache(cache_dir, enabled=cache), device=device,
                                   progress=progress, workers=workers)
    final = final_table(trials, outcomes)
    result = Result(exp, cfg, trials, outcomes, tidy_table(trials, outcomes), final)
    result.verdict, result.claims = check_claims(exp.claims_for(cfg), final,
                                                 outcomes={t.key: o for t, o in zip(trials, outcomes)})
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
