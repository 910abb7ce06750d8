"""Shared pieces of the principles experiments of 004, part 1 (problem A: initialisation).

- ``playground_circle``: the "circle" data set of the TensorFlow playground, which 004's
  problem A links to (a disc of one class inside a ring of the other, inputs in [-6, 6]^2).
- :func:`playground_trial`: the playground's network and recipe (two hidden layers of 4, SGD with
  step 0.03 on batches of 10), with weights all zero or uniform in [-0.5, 0.5] as the playground
  draws them.
- The trial kind ``population_probed``: a population trial trained alone, whose rows also say how
  far every parameter group has moved from its initial value (``dW_hidden``, ``dW_out``,
  ``db_hidden``, ``db_out``: max absolute change), and whose final row gets the epochs it took to
  reach a training loss of 0.3 and 0.1 and how much of the input box the network is affine on.
  Claims read only the table of final metrics, so "no weight moves" has to be a column of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from atomlab.catalog.from_scratch._scratch_trials import single_thread
from atomlab.data._validation import check_float, check_int, check_random_state, seed_record
from atomlab.data.dataset import Dataset, register_dataset
from atomlab.engine import Outcome, TrainSpec
from atomlab.engine.population import Member, PopulationTrainer, population_key
from atomlab.errors import ConfigError
from atomlab.lab import DataSpec, Trial, register_trial_kind
from atomlab.nn import MLPSpec, get_activation
from atomlab.nn.seeding import numpy_generator

#: The playground's drawing box.
PLAYGROUND_BOX = ((-6.0, 6.0), (-6.0, 6.0))
#: Initialisations by their name in the entries: the playground draws weights as ``Math.random() - 0.5``.
INITS = {"zeros": "zeros", "random": "uniform(0.5)"}
#: Training-loss levels whose first crossing is recorded (``epochs_to_0.3``, ``epochs_to_0.1``).
LOSS_TARGETS = (0.3, 0.1)
#: The playground's settings (the ``paper`` values) shared by the entries of problem A.
PLAYGROUND_SETTINGS = {"layers": [4, 4], "n_train": 250, "n_test": 250, "noise": 0.0, "lr": 0.03,
                       "batch_size": 10, "records": 100, "grid": 150}


@register_dataset("playground_circle", overwrite=True)
def make_playground_circle(*, n_train: int = 250, n_test: int = 250, noise: float = 0.0, radius: float = 5.0,
                           random_state: int | np.random.Generator = 0) -> Dataset:
    """The TensorFlow playground's "circle" set: class 1 in a disc, class 0 in a ring around it.

    As in the playground's ``classifyCircleData``: half the points have radius ``U(0, r/2)``,
    half ``U(0.7 r, r)``, at a uniform angle; each coordinate gets ``U(-r, r) * noise`` added and the
    label is whether the noisy point lies within ``r/2`` of the centre. The playground draws 500
    points and trains on half of them.

    Parameters
    ----------
    n_train, n_test : int, default 250
        Sizes (each split evenly between disc and ring).
    noise : float, default 0.0
        The playground's noise level (0 to 0.5).
    radius : float, default 5.0
        Outer radius ``r``.
    random_state : int or numpy.random.Generator, default 0
        Seed.

    Returns
    -------
    Dataset
        Binary classification on ``[-6, 6]^2``; ``target_fn(X) = 0.6 r - |X|`` is positive inside
        the circle halfway between disc and ring.

    Examples
    --------
    >>> ds = make_playground_circle(n_train=100, random_state=0)
    >>> ds.X_train.shape, np.bincount(ds.y_train).tolist()
    ((100, 2), [50, 50])
    >>> bool(np.all((ds.target_fn(ds.X_train) > 0) == ds.y_train))
    True
    """
    n_train = check_int("n_train", n_train, minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    noise = check_float("noise", noise, minimum=0.0, maximum=0.5)
    radius = check_float("radius", radius, minimum=0.0, min_inclusive=False)
    train_rng, test_rng = check_random_state(random_state).spawn(2)

    def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        inside = np.arange(n) < n // 2
        r = np.where(inside, rng.uniform(0, 0.5 * radius, n), rng.uniform(0.7 * radius, radius, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
        X_noisy = X + rng.uniform(-radius, radius, (n, 2)) * noise
        # The playground labels by the noisy position but plots (and trains on) the clean one.
        y = (np.hypot(X_noisy[:, 0], X_noisy[:, 1]) < 0.5 * radius).astype(np.int64)
        order = rng.permutation(n)
        return X[order], y[order]

    X_train, y_train = sample(n_train, train_rng)
    X_test, y_test = sample(n_test, test_rng)

    def target_fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return 0.6 * radius - np.hypot(X[:, 0], X[:, 1])

    params = {"n_train": n_train, "n_test": n_test, "noise": noise, "radius": radius,
              "random_state": seed_record(random_state)}
    return Dataset(X_train, y_train, X_test, y_test, task="classification", n_classes=2,
                   name="playground_circle", params=params, target_fn=target_fn, domain=PLAYGROUND_BOX,
                   note=f"TensorFlow playground 'circle' (radius {radius:g}, noise {noise:g})")


def playground_trial(cfg: dict[str, Any], levels: dict[str, Any], seed: int, *, activation: str, init: str,
                     epochs: int) -> Trial:
    """A playground network on the circle: data and weights drawn from ``seed``, recorded ``records`` times."""
    data = DataSpec("playground_circle", {"n_train": cfg["n_train"], "n_test": cfg["n_test"], "noise": cfg["noise"]},
                    seed=seed)
    model = MLPSpec(layers=tuple(cfg["layers"]), activation=activation, init=INITS[init], bias_init="zeros")
    steps = epochs * -(-cfg["n_train"] // cfg["batch_size"])
    every = max(1, steps // cfg["records"])
    # sampling="shuffle": every epoch visits each point once, as the playground does.
    train = TrainSpec(optimizer="sgd", lr=cfg["lr"], batch_size=cfg["batch_size"], epochs=epochs,
                      sampling="shuffle", loss="cross_entropy", grid=cfg["grid"], record_every=every,
                      snapshot_every=every, unit_spread=True)
    return Trial(levels, seed, data, model, train, kind="population_probed")


def epochs_to(rows: Sequence[dict[str, Any]], target: float, metric: str = "train_loss") -> float:
    """First recorded epoch with ``metric <= target``; the last epoch if never (a censored, low value)."""
    for r in rows:
        if r.get(metric, np.inf) <= target:
            return float(r["epoch"])
    return float(rows[-1]["epoch"]) if rows else float("nan")


def affine_fraction(model: MLPSpec, state: dict[str, np.ndarray], domain, *, n_lines: int = 24, n_points: int = 201,
                    seed: int = 0, tol: float = 1e-9) -> float:
    """Share of points on random lines across ``domain`` where the network's logit gap is locally affine.

    A ReLU network is piecewise affine, so its second differences vanish (to rounding) except at the few
    points where a line crosses a kink; a smooth network's do not. Evaluated in float64.
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


def surfaces_figure(result, out_dir, panels: Sequence[tuple[str, dict[str, Any]]], *, name: str, caption: str,
                    main: bool = False, formats=("png",)):
    """One row of prediction surfaces (the first seed's), one per ``(title, levels)``."""
    import matplotlib.pyplot as plt

    from atomlab.catalog import _figures as F
    from atomlab.catalog._boundary_figures import acc_text, seed0_pair
    from atomlab.engine import grid_axes
    from atomlab.lab.data import materialize

    with F.viz.style.apply_style():
        fig, axes = plt.subplots(1, len(panels), figsize=(3.0 * len(panels) + 0.9, 3.2), squeeze=False)
        image = None
        for ax, (title, levels) in zip(axes[0], panels):
            pair = seed0_pair(result, **levels)
            if pair is None or pair[1].artefacts.get("grid") is None:
                ax.axis("off")
                continue
            trial, outcome = pair
            data = materialize(trial.data)
            grid = outcome.artefacts["grid"]
            xx, yy = grid_axes(data, grid.shape[0])
            image = F.viz.surfaces.plot_surface(ax, xx, yy, grid, true_fn=data.target_fn, X=data.X_train,
                                                y=data.y_train, title=title, point_size=4, ticks=False)
            ax.text(0.03, 0.03, f"acc {acc_text(result, **levels)}", transform=ax.transAxes, fontsize=7,
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5})
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="P(class 1)")
    return F.save(fig, out_dir, name, caption, main=main, formats=formats)


def _changes(snaps: dict[str, np.ndarray], n_layers: int) -> dict[str, np.ndarray]:
    """Max absolute change from the first snapshot, per snapshot, for hidden and output parameters."""
    def moved(keys: Sequence[str]) -> np.ndarray:
        if not keys:
            return np.zeros(len(next(iter(snaps.values()))))
        return np.max([np.abs(snaps[k] - snaps[k][:1]).reshape(len(snaps[k]), -1).max(axis=1) for k in keys], axis=0)

    hidden = range(n_layers - 1)
    return {"dW_hidden": moved([f"snap/W{k}" for k in hidden]), "db_hidden": moved([f"snap/b{k}" for k in hidden]),
            "dW_out": moved([f"snap/W{n_layers - 1}"]), "db_out": moved([f"snap/b{n_layers - 1}"])}


def probed_group_key(trial: Trial, data: Dataset) -> Any:
    """Probed trials with equal keys train in one population (one activation each, for the NumPy fast path)."""
    return population_key(Member(trial.model, trial.train, trial.seed, data)), trial.model.activation


@register_trial_kind("population_probed", overwrite=True, group_by=probed_group_key)
def run_probed(trials: Sequence[Trial], datasets: Sequence[Dataset], *, device: str = "auto") -> list[Outcome]:
    """Trial kind ``population_probed``: the population engine, plus how far the parameters moved.

    Each trial needs ``snapshot_every`` equal to its ``record_every`` so that every recorded row
    has a snapshot; the rows get ``dW_hidden``, ``db_hidden``, ``dW_out`` and ``db_out``. Trials
    with equal :func:`probed_group_key` train together, as one population.
    """
    for t in trials:
        if t.train is None or not t.train.snapshot_every or t.train.snapshot_every != t.train.record_every:
            raise ConfigError("population_probed trials need snapshot_every == record_every")
    groups: dict[Any, list[int]] = {}
    for i, (t, d) in enumerate(zip(trials, datasets)):
        groups.setdefault(probed_group_key(t, d), []).append(i)
    trained: dict[int, Outcome] = {}
    with single_thread():
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
