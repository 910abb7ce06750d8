"""atomlab: a laboratory for atomic deep-learning experiments.

Small, controlled, seeded experiments on small data, each isolating one effect and ending in a
figure and a verdict that the code checked over many seeds.

Examples
--------
>>> import atomlab
>>> "universal-approximation" in atomlab.experiments()
True
"""

from __future__ import annotations

from atomlab._lazy import lazy_exports
from atomlab._version import __version__
from atomlab.data.dataset import Dataset, make_dataset, register_dataset
from atomlab.errors import ConfigError
from atomlab.nn import (
    MLPSpec,
    register_activation,
    register_initializer,
    register_loss,
    register_optimizer,
    register_regularizer,
)


def _load_catalog() -> None:
    import atomlab.catalog  # noqa: F401  (registers the catalog)


def experiments() -> list[str]:
    """Names of every experiment in the catalog."""
    _load_catalog()
    from atomlab.lab.experiment import experiments as registry

    return registry.names()


def get_experiment(name: str):
    """The :class:`~atomlab.lab.experiment.Experiment` registered as ``name``."""
    _load_catalog()
    from atomlab.lab.experiment import experiments as registry

    return registry.get(name)


def run(name: str, *, scale: str = "quick", seeds: int | str | None = None, out=None, cache: bool = True,
        device: str = "auto", progress: bool = False, report: bool = True, workers: int | None = None,
        executor=None, force: bool = False, **overrides):
    """Run the catalog experiment ``name`` and return its :class:`~atomlab.lab.result.Result`.

    Settings of the experiment may be overridden by keyword (``atomlab.run("memorization",
    steps=500)``); ``executor=`` sends the training to a Dask cluster, SLURM or any
    ``concurrent.futures.Executor`` (docs/cluster.md). See :func:`atomlab.lab.api.run_experiment` for the
    parameters.
    """
    _load_catalog()
    from atomlab.lab.api import run_experiment

    return run_experiment(name, scale=scale, seeds=seeds, overrides=overrides, out=out, cache=cache,
                          device=device, progress=progress, report=report, workers=workers, executor=executor,
                          force=force)


# ``atomlab.compare`` is :func:`atomlab.lab.compare.compare` itself (its signature and docstring for help()),
# imported on first use so that ``import atomlab`` stays light (the lab loads torch).
__getattr__, _lazy_dir = lazy_exports(__name__, {"compare": "atomlab.lab.compare"})


def __dir__() -> list[str]:
    return sorted([*globals(), *_lazy_dir()])


__all__ = [
    "ConfigError", "Dataset", "MLPSpec", "__version__", "compare", "experiments", "get_experiment",
    "make_dataset", "register_activation", "register_dataset", "register_initializer", "register_loss",
    "register_optimizer", "register_regularizer", "run",
]
