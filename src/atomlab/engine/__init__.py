"""Training engines: the vectorised population trainer (fast path), the general trainer and the trial kinds.

The recipe (:class:`TrainSpec`), the outcome, the grids, the thread settings and the trial-kind
registry import torch only when they run; the trainers, which are torch code, are imported on
first use, so that declaring a recipe does not load torch.
"""

from atomlab._lazy import lazy_exports
from atomlab.engine.device import resolve_device
from atomlab.engine.grids import grid_axes, grid_points
from atomlab.engine.outcome import Outcome
from atomlab.engine.spec import TrainSpec
from atomlab.engine.threads import set_threads, threads
from atomlab.engine.trial_kinds import register_trial_kind, trial_kinds

__getattr__, _lazy_dir = lazy_exports(__name__, {
    **dict.fromkeys(["evaluate_module", "train_module"], "atomlab.engine.general"),
    **dict.fromkeys(["Member", "PopulationTrainer", "population_key", "train_population"], "atomlab.engine.population"),
})

__all__ = [
    "Member", "Outcome", "PopulationTrainer", "TrainSpec", "evaluate_module", "grid_axes", "grid_points",
    "population_key", "register_trial_kind", "resolve_device", "set_threads", "threads", "train_module",
    "train_population", "trial_kinds",
]
