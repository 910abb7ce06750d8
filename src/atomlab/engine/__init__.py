"""Training engines: the vectorised population trainer (fast path) and the general trainer."""

from atomlab.engine.device import resolve_device
from atomlab.engine.general import evaluate_module, train_module
from atomlab.engine.outcome import Outcome
from atomlab.engine.population import Member, PopulationTrainer, grid_axes, population_key, train_population
from atomlab.engine.spec import TrainSpec
from atomlab.engine.threads import set_threads, threads

__all__ = [
    "Member", "Outcome", "PopulationTrainer", "TrainSpec", "evaluate_module", "grid_axes",
    "population_key", "resolve_device", "set_threads", "threads", "train_module", "train_population",
]
