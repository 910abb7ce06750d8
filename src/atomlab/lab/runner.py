"""Running trials: check the cache, group what is missing into populations, train, store.

Population trials (MLPs) that share layer shapes and a recipe train together in one vectorised
program; other kinds (a CNN, a scikit-learn estimator, the NumPy network) run through their
registered trial kind. Every finished population is written to the cache at once, so an
interrupted run keeps all finished trials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from atomlab.data.dataset import Dataset
from atomlab.engine.outcome import Outcome
from atomlab.engine.population import Member, PopulationTrainer, population_key
from atomlab.lab.cache import TrialCache
from atomlab.lab.data import materialize
from atomlab.lab.trial import Trial
from atomlab.registry import Registry

#: ``run(trials, datasets, *, device) -> list[Outcome]`` for trials of a non-population kind.
TrialKind = Callable[..., list[Outcome]]
trial_kinds: Registry[TrialKind] = Registry("trial kind")

MAX_POPULATION = 1024


def register_trial_kind(name: str, *, overwrite: bool = False):
    """Register a function that trains trials of kind ``name``.

    It is called as ``fn(trials, datasets, device=...)`` with lists of equal length and returns
    one :class:`~atomlab.engine.Outcome` per trial.
    """
    return trial_kinds.register(name, overwrite=overwrite)


def _population_batches(trials: Sequence[Trial], datasets: Sequence[Dataset]) -> list[list[int]]:
    groups: dict[Any, list[int]] = {}
    for i, (t, d) in enumerate(zip(trials, datasets)):
        key = population_key(Member(t.model, t.train, t.seed, d))
        groups.setdefault(key, []).append(i)
    batches = []
    for idx in groups.values():
        # members with the same activation side by side, so the population applies each once
        idx = sorted(idx, key=lambda i: (trials[i].model.activation, trials[i].train.loss))
        for s in range(0, len(idx), MAX_POPULATION):
            batches.append(idx[s:s + MAX_POPULATION])
    return batches


def run_trials(trials: Sequence[Trial], *, cache: TrialCache, device: str = "auto",
               progress: bool = False, log: Callable[[str], None] | None = None) -> tuple[list[Outcome], int]:
    """Outcomes for ``trials`` (same order), training only what the cache lacks.

    Returns the outcomes and how many trials were trained (not served from the cache).
    """
    outcomes: list[Outcome | None] = [cache.get(t.key) for t in trials]
    missing = [i for i, o in enumerate(outcomes) if o is None]
    if not missing:
        return outcomes, 0  # type: ignore[return-value]
    datasets = {i: materialize(trials[i].data) for i in missing}
    by_kind: dict[str, list[int]] = {}
    for i in missing:
        by_kind.setdefault(trials[i].kind, []).append(i)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = sum(trials[i].train.total_steps(datasets[i].n_train) if trials[i].train else 1
                    for i in missing)
        bar = tqdm(total=total, unit="step", desc="training", leave=False, mininterval=0.5)

    for kind, idx in by_kind.items():
        if kind == "population":
            sub_trials = [trials[i] for i in idx]
            for batch in _population_batches(sub_trials, [datasets[i] for i in idx]):
                members = [Member(sub_trials[j].model, sub_trials[j].train, sub_trials[j].seed,
                                  datasets[idx[j]]) for j in batch]
                if log:
                    log(f"population of {len(members)} x {members[0].model.layers}")

                def tick(n, _k=len(members)):
                    if bar is not None:
                        bar.update(n * _k)

                outs = PopulationTrainer(members, device=device, progress=tick if bar else None).run()
                for j, out in zip(batch, outs):
                    outcomes[idx[j]] = out
                    cache.put(trials[idx[j]].key, out)
        else:
            runner = trial_kinds.get(kind)
            for i in idx:
                out = runner([trials[i]], [datasets[i]], device=device)[0]
                outcomes[i] = out
                cache.put(trials[i].key, out)
                if bar is not None:
                    bar.update(trials[i].train.total_steps(datasets[i].n_train) if trials[i].train else 1)
    if bar is not None:
        bar.close()
    return outcomes, len(missing)  # type: ignore[return-value]
