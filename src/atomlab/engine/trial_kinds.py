"""The registry of trial kinds: how a trial that is not a plain population member gets trained.

A *trial kind* is a function ``run(trials, datasets, *, device) -> list[Outcome]``. The runner
(:mod:`atomlab.lab.runner`) hands it the trials of its kind, one at a time or, for a kind
registered with ``group_by``, every trial whose ``group_by(trial, data)`` is equal in one call (one
job, as a population's members are). ``"population"`` is the runner's own (the vectorised MLP
engine) and is not in the registry.

The built-in kinds live in :mod:`atomlab.engine.kinds`, one module each; the registry imports them
the first time it is asked for a kind, so nothing has to list them and importing atomlab stays
cheap. A kind reads only ``trial.model``, ``trial.train``, ``trial.seed``, ``trial.levels`` and
``trial.kind`` (see :class:`TrialLike`): the engine knows nothing of experiments.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from atomlab.registry import Registry

if TYPE_CHECKING:  # for annotations only: the engine does not import the data floor's heavy modules
    from atomlab.data.dataset import Dataset
    from atomlab.engine.outcome import Outcome


class TrialLike(Protocol):
    """What a trial kind may read of a trial (:class:`atomlab.lab.Trial` has all of it).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> trial = SimpleNamespace(levels={}, seed=0, model={"case": "x"}, train=None, kind="conv_arithmetic")
    >>> isinstance(trial.seed, int) and trial.kind in trial_kinds  # anything with these attributes will do
    True
    """

    levels: dict[str, Any]
    seed: int
    model: Any
    train: Any
    kind: str


#: ``run(trials, datasets, *, device) -> list[Outcome]``.
TrialKind = Callable[..., "list[Outcome]"]
#: ``group_by(trial, data) -> key``: trials with equal keys go to one call.
GroupBy = Callable[[TrialLike, "Dataset"], Any]
#: ``step_seconds(trials, datasets) -> seconds``: one step of a call that trains these trials together.
StepSeconds = Callable[[Sequence[TrialLike], Sequence["Dataset"]], float]

#: The package whose every module defines built-in kinds.
BUILTIN_KINDS_PACKAGE = "atomlab.engine.kinds"
_loaded = False
#: Above zero while a kind is being registered: registering checks the registry for the name, and that
#: check must not import the built-ins (a built-in module registers itself while they are imported).
_registering = 0


def load_builtin_kinds() -> None:
    """Import every module of :mod:`atomlab.engine.kinds` (each registers its kinds); once per process.

    Examples
    --------
    >>> load_builtin_kinds()
    >>> {"sklearn", "module", "scratch"} <= set(trial_kinds)
    True
    """
    global _loaded
    if _loaded or _registering:
        return
    _loaded = True  # first: the modules register through the registry, which would call us again
    # Found by name, as the catalog finds its entries: the registry depends on no kind, every kind on it.
    kinds = importlib.import_module(BUILTIN_KINDS_PACKAGE)
    for info in sorted(pkgutil.iter_modules(kinds.__path__), key=lambda m: m.name):
        importlib.import_module(f"{kinds.__name__}.{info.name}")


class TrialKinds(Registry[TrialKind]):
    """A :class:`~atomlab.registry.Registry` that loads the built-in kinds before any lookup.

    Examples
    --------
    >>> kinds = TrialKinds("trial kind")
    >>> "scratch" in kinds, "sklearn" in trial_kinds  # a new registry is empty; the built-ins load on lookup
    (False, True)
    """

    def register(self, name: str, *aliases: str, overwrite: bool = False) -> Callable[[TrialKind], TrialKind]:
        inner = super().register(name, *aliases, overwrite=overwrite)

        def decorator(fn: TrialKind) -> TrialKind:
            global _registering
            _registering += 1
            try:
                return inner(fn)
            finally:
                _registering -= 1

        return decorator

    def canonical(self, name: str) -> str:
        load_builtin_kinds()
        return super().canonical(name)

    def names(self, *, include_aliases: bool = False) -> list[str]:
        load_builtin_kinds()
        return super().names(include_aliases=include_aliases)

    def __contains__(self, name: object) -> bool:
        load_builtin_kinds()
        return super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        load_builtin_kinds()
        return super().__iter__()

    def __len__(self) -> int:
        load_builtin_kinds()
        return super().__len__()


#: Registered trial kinds, by name.
trial_kinds: TrialKinds = TrialKinds("trial kind")
#: The ``group_by`` of the kinds that train several trials in one call.
trial_kind_groups: dict[str, GroupBy] = {}
#: The ``step_seconds`` of the kinds that estimate their own cost (the runner's guess otherwise).
trial_kind_step_seconds: dict[str, StepSeconds] = {}


def register_trial_kind(name: str, *, overwrite: bool = False, group_by: GroupBy | None = None,
                        step_seconds: StepSeconds | None = None):
    """Register a function that trains trials of kind ``name``.

    It is called as ``fn(trials, datasets, device=...)`` with lists of equal length and returns
    one :class:`~atomlab.engine.Outcome` per trial. By default the runner calls it with one trial
    at a time; with ``group_by``, with every trial whose ``group_by(trial, data)`` is equal (a kind
    that vectorises over seeds, as the scratch network's stacks do).

    Parameters
    ----------
    name : str
        The name trials give as their ``kind``.
    overwrite : bool, default False
        Replace a kind already registered under ``name``.
    group_by : callable, optional
        ``group_by(trial, data) -> hashable``.
    step_seconds : callable, optional
        ``step_seconds(trials, datasets) -> float``: the estimated seconds, on one core, of one training
        step of a call that trains ``trials`` together. The runner plans with it: how to cut a group into
        jobs that each end within a bounded time, and which jobs to start first. Without it the runner
        guesses a millisecond per trial and step.

    Returns
    -------
    callable
        A decorator that registers its argument and returns it unchanged.

    Examples
    --------
    >>> from atomlab.engine.outcome import Outcome
    >>> @register_trial_kind("constant-doc-example", overwrite=True)
    ... def constant(trials, datasets, *, device="auto"):
    ...     return [Outcome(rows=[{"step": 0, "test_acc": 0.5}]) for _ in trials]
    >>> trial_kinds.get("constant-doc-example")([None], [None])[0].final["test_acc"]
    0.5
    """
    register = trial_kinds.register(name, overwrite=overwrite)

    def decorator(fn: TrialKind) -> TrialKind:
        register(fn)
        for table, value in ((trial_kind_groups, group_by), (trial_kind_step_seconds, step_seconds)):
            if value is None:
                table.pop(name, None)
            else:
                table[name] = value
        return fn

    return decorator
