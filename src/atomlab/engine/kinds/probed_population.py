"""The ``population_probed`` trial kind: the population engine, plus how far every parameter group moved.

A probed trial is a population trial trained alone (or with the members of its group), whose rows
also say how far every parameter group has moved from its initial value (``dW_hidden``, ``dW_out``,
``db_hidden``, ``db_out``: max absolute change), and whose final row gets the epochs it took to
reach a training loss of 0.3 and 0.1 and how much of the input box the network is affine on.
Claims read only the table of final metrics, so "no weight moves" has to be a column of it (004's
problem A: zero against random initialisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from atomlab.data.dataset import Dataset
from atomlab.engine.outcome import Outcome
from atomlab.engine.population import Member, PopulationTrainer, population_key
from atomlab.engine.threads import threads
from atomlab.engine.trial_kinds import TrialLike, register_trial_kind
from atomlab.errors import ConfigError
from atomlab.nn import MLPSpec, get_activation
from atomlab.nn.seeding import numpy_generator

#: Training-loss levels whose first crossing is recorded (``epochs_to_0.3``, ``epochs_to_0.1``).
LOSS_TARGETS = (0.3, 0.1)


def epochs_to(rows: Sequence[dict[str, Any]], target: float, metric: str = "train_loss") -> float:
    """First recorded epoch with ``metric <= target``; the last epoch if never (a censored, low value).

    Examples
    --------
    >>> rows = [{"epoch": 0, "train_loss": 0.7}, {"epoch": 5, "train_loss": 0.2}, {"epoch": 9, "train_loss": 0.05}]
    >>> epochs_to(rows, 0.3), epochs_to(rows, 0.1), epochs_to(rows, 0.01)  # never: the last epoch
    (5.0, 9.0, 9.0)
    """
    for r in rows:
        if r.get(metric, np.inf) <= target:
            return float(r["epoch"])
    return float(rows[-1]["epoch"]) if rows else float("nan")


def affine_fraction(model: MLPSpec, state: dict[str, np.ndarray], domain, *, n_lines: int = 24, n_points: int = 201,
                    seed: int = 0, tol: float = 1e-9) -> float:
    """Share of points on random lines across ``domain`` where the network's logit gap is locally affine.

    A ReLU network is piecewise affine, so its second differences vanish (to rounding) except at the few
    points where a line crosses a kink; a smooth network's do not. Evaluated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from atomlab.nn import MLPSpec
    >>> state = {"W0": np.eye(2), "b0": np.zeros(2), "W1": np.eye(2), "b1": np.zeros(2)}
    >>> box = ((-1.0, 1.0), (-1.0, 1.0))
    >>> affine_fraction(MLPSpec(layers=(2,), activation="identity"), state, box)  # a linear network
    1.0
    >>> affine_fraction(MLPSpec(layers=(2,), activation="tanh"), state, box) < 0.5
    True
    """
    rng = numpy_generator(seed, "other")
    (x0, x1), (y0, y1) = domain
    lo, hi = np.array([x0, y0]), np.array([x1, y1])
    a, b = rng.uniform(lo, hi, (n_lines, 2)), rng.uniform(lo, hi, (n_lines, 2))
    t = np.linspace(0.0, 1.0, n_points)[None, :, None]
    h = torch.as_tensor(a[:, None, :] + t * (b - a)[:, None, :], dtype=torch.float64)
    act = get_activation(model.activation)
    n_layers = sum(1 for k in state if k.startswith("W"))
    def f64(name: str) -> torch.Tensor:
        return torch.as_tensor(np.asarray(state[name]), dtype=torch.float64)

    for k in range(n_layers):
        z = h @ f64(f"W{k}") + f64(f"b{k}")
        h = act(z) if k < n_layers - 1 else z
    gap = (h[..., 1] - h[..., 0]).numpy()
    second = np.abs(gap[:, 2:] - 2 * gap[:, 1:-1] + gap[:, :-2])
    scale = np.abs(np.diff(gap, axis=1)).max(axis=1, keepdims=True) + 1e-300
    return float(np.mean(second <= tol * scale))


def _changes(snaps: dict[str, np.ndarray], n_layers: int) -> dict[str, np.ndarray]:
    """Max absolute change from the first snapshot, per snapshot, for hidden and output parameters."""
    def moved(keys: Sequence[str]) -> np.ndarray:
        if not keys:
            return np.zeros(len(next(iter(snaps.values()))))
        return np.max([np.abs(snaps[k] - snaps[k][:1]).reshape(len(snaps[k]), -1).max(axis=1) for k in keys], axis=0)

    hidden = range(n_layers - 1)
    return {"dW_hidden": moved([f"snap/W{k}" for k in hidden]), "db_hidden": moved([f"snap/b{k}" for k in hidden]),
            "dW_out": moved([f"snap/W{n_layers - 1}"]), "db_out": moved([f"snap/b{n_layers - 1}"])}


def probed_group_key(trial: TrialLike, data: Dataset) -> Any:
    """Probed trials with equal keys train in one population (one activation each, for the NumPy fast path).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> from atomlab.engine.spec import TrainSpec
    >>> from atomlab.nn import MLPSpec
    >>> data = make_dataset("playground_circle", n_train=40, n_test=20, random_state=0)
    >>> recipe = TrainSpec(epochs=1, batch_size=10, record_every=2, snapshot_every=2)
    >>> key = lambda act, seed: probed_group_key(SimpleNamespace(model=MLPSpec(layers=(4,), activation=act),
    ...                                                           train=recipe, seed=seed), data)
    >>> key("relu", 0) == key("relu", 1), key("relu", 0) == key("tanh", 0)
    (True, False)
    """
    return population_key(Member(trial.model, trial.train, trial.seed, data)), trial.model.activation


@register_trial_kind("population_probed", group_by=probed_group_key)
def run_probed(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, device: str = "auto") -> list[Outcome]:
    """Trial kind ``population_probed``: the population engine, plus how far the parameters moved.

    Each trial needs ``snapshot_every`` equal to its ``record_every`` so that every recorded row
    has a snapshot; the rows get ``dW_hidden``, ``db_hidden``, ``dW_out`` and ``db_out``. Trials
    with equal :func:`probed_group_key` train together, as one population.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> from atomlab.engine.spec import TrainSpec
    >>> from atomlab.nn import MLPSpec
    >>> data = make_dataset("playground_circle", n_train=40, n_test=20, random_state=0)
    >>> recipe = TrainSpec(optimizer="sgd", lr=0.03, epochs=2, batch_size=10, record_every=2, snapshot_every=2)
    >>> zero = SimpleNamespace(levels={}, seed=0, model=MLPSpec(layers=(4, 4), init="zeros", bias_init="zeros"),
    ...                        train=recipe, kind="population_probed")
    >>> out = run_probed([zero], [data], device="cpu")[0]
    >>> out.final["dW_hidden"], out.final["db_out"] > 0  # all-zero ReLU weights never move; the output bias does
    (0.0, True)
    """
    for t in trials:
        if t.train is None or not t.train.snapshot_every or t.train.snapshot_every != t.train.record_every:
            raise ConfigError("population_probed trials need snapshot_every == record_every")
    groups: dict[Any, list[int]] = {}
    for i, (t, d) in enumerate(zip(trials, datasets)):
        groups.setdefault(probed_group_key(t, d), []).append(i)
    trained: dict[int, Outcome] = {}
    with threads(1):  # matrices this small gain nothing from intra-op threads (see scratch_net)
        for idx in groups.values():
            members = [Member(trials[i].model, trials[i].train, trials[i].seed, datasets[i]) for i in idx]
            trained.update(zip(idx, PopulationTrainer(members, device=device).run()))
    outcomes = []
    for i, (t, d) in enumerate(zip(trials, datasets)):
        out = trained[i]
        steps = [int(s) for s in out.artefacts["snapshot_steps"]]
        n_layers = sum(1 for k in out.artefacts if k.startswith("snap/W"))
        changes = _changes(out.artefacts, n_layers)
        # The last recorded step need not be a snapshot step: the final state stands in for it.
        final = {f"snap/{k}": np.concatenate([out.artefacts[f"snap/{k}"][:1], v[None]])
                 for k, v in out.state.items() if f"snap/{k}" in out.artefacts}
        last = {k: v[-1] for k, v in _changes(final, n_layers).items()}
        at = {s: i for i, s in enumerate(steps)}
        for row in out.rows:
            j = at.get(int(row["step"]))
            row.update({k: float(v[j]) if j is not None else float(last[k]) for k, v in changes.items()})
        out.info["path"] = "population_probed"
        extra = {f"epochs_to_{v:g}": epochs_to(out.rows, v) for v in LOSS_TARGETS}
        if d.input_dim == 2 and d.domain is not None and not out.diverged:
            extra["affine_fraction"] = affine_fraction(t.model, out.state, d.domain, seed=t.seed)
        if out.rows:  # measurements of the whole run: columns of its final row
            out.rows[-1].update(extra)
        outcomes.append(out)
    return outcomes
