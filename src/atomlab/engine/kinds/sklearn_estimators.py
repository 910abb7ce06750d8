"""The ``sklearn`` trial kind: fit a scikit-learn estimator on an optionally subsampled training set and score it.

A trial of this kind has a ``model`` dict made by :func:`sklearn_model` (an estimator name, its
parameters and a training-subsample size) and, for the iterative MLP, a recipe made by
:func:`mlp_classifier_recipe` (scikit-learn's own defaults, declared as a :class:`TrainSpec` so that
the runner's cost model can read the number of steps). The estimators are scikit-learn's, not
re-implemented: 000 compared a neural network with an SVM and a decision tree as scikit-learn ships
them.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from atomlab.engine.outcome import Outcome
from atomlab.engine.spec import TrainSpec
from atomlab.engine.trial_kinds import register_trial_kind
from atomlab.errors import ConfigError, unknown_choice
from atomlab.nn.seeding import numpy_generator

#: Estimators the ``sklearn`` trial kind knows, by short name.
ESTIMATORS = ("svm", "tree", "mlp")


def sklearn_model(estimator: str, *, n_train: int | None = None, **params: Any) -> dict[str, Any]:
    """The ``model`` of an ``sklearn`` trial: an estimator name, its parameters, a training subsample.

    Parameters
    ----------
    estimator : {"svm", "tree", "mlp"}
        ``SVC``, ``DecisionTreeClassifier`` or ``MLPClassifier``.
    n_train : int, optional
        Fit on this many training examples: a prefix of a permutation drawn from the trial's seed,
        so that for one seed the subsets of different sizes are nested (as 000's
        ``X_train[:n_train]`` are). None uses the whole training set.
    **params
        Keyword arguments of the estimator (``hidden_layer_sizes=(100, 100)``).

    Examples
    --------
    >>> sklearn_model("mlp", n_train=400, hidden_layer_sizes=(100, 100))
    {'estimator': 'mlp', 'params': {'hidden_layer_sizes': [100, 100]}, 'n_train': 400}
    """
    if estimator not in ESTIMATORS:
        raise unknown_choice("estimator", estimator, ESTIMATORS)
    clean = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    return {"estimator": estimator, "params": clean, "n_train": None if n_train is None else int(n_train)}


def mlp_classifier_recipe(*, max_iter: int = 200, lr: float = 0.001, batch_size: int = 200) -> TrainSpec:
    """scikit-learn's ``MLPClassifier`` defaults declared as a :class:`TrainSpec`.

    Adam at 0.001, shuffled minibatches of ``min(200, n)``, at most ``max_iter`` epochs (it stops
    earlier when the training loss stalls for 10 epochs). The ``sklearn`` kind reads the learning
    rate, batch size and epochs from it, and the runner's cost model reads the number of steps, so
    that long fits are spread over worker processes.

    Examples
    --------
    >>> recipe = mlp_classifier_recipe(max_iter=50)
    >>> recipe.epochs, recipe.batch_size, recipe.lr
    (50, 200, 0.001)
    """
    return TrainSpec(optimizer="adam", lr=lr, batch_size=batch_size, epochs=max_iter, sampling="shuffle",
                     loss="cross_entropy")


def make_estimator(model: dict[str, Any], train: TrainSpec | None, seed: int, n_train: int | None = None):
    """Build the scikit-learn estimator of an ``sklearn`` trial, seeded with ``seed``.

    ``n_train`` (the size of the set it will be fitted on) caps an MLP's batch size, as
    scikit-learn's own ``batch_size="auto"`` does (``min(200, n)``).

    Examples
    --------
    >>> est = make_estimator(sklearn_model("mlp", hidden_layer_sizes=(8,)), mlp_classifier_recipe(), seed=3, n_train=50)
    >>> type(est).__name__, est.batch_size, est.random_state  # the batch is capped at the set's size
    ('MLPClassifier', 50, 3)
    """
    name, params = model["estimator"], dict(model.get("params", {}))
    if name == "svm":
        from sklearn.svm import SVC

        return SVC(**params, random_state=seed)
    if name == "tree":
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(**params, random_state=seed)
    if name == "mlp":
        from sklearn.neural_network import MLPClassifier

        if "hidden_layer_sizes" in params:
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        if train is not None:
            params.setdefault("learning_rate_init", train.lr)
            batch = train.batch_size or "auto"
            if batch != "auto" and n_train is not None:
                batch = min(int(batch), int(n_train))
            params.setdefault("batch_size", batch)
            params.setdefault("max_iter", train.epochs or 200)
        return MLPClassifier(**params, random_state=seed)
    raise unknown_choice("estimator", name, ESTIMATORS)


def subsample(n_total: int, n: int | None, seed: int) -> np.ndarray:
    """Indices of the training subsample of size ``n``: a prefix of one permutation per seed.

    Examples
    --------
    >>> a, b = subsample(100, 10, seed=3), subsample(100, 40, seed=3)
    >>> bool(np.array_equal(a, b[:10]))
    True
    """
    if n is None:
        return np.arange(n_total)
    if not 1 <= n <= n_total:
        raise ConfigError(f"training subsample of {n} examples asked from a pool of {n_total}")
    return numpy_generator(seed, "other").permutation(n_total)[:n]


@register_trial_kind("sklearn")
def run_sklearn(trials, datasets, *, device: str = "auto") -> list[Outcome]:
    """Fit and score the scikit-learn estimator of each trial (the ``sklearn`` trial kind).

    Each outcome has one row ``{"step": 0, "train_acc", "test_acc", "n_train", "n_iter"}``: the accuracies,
    the training-set size and, for iterative estimators, the number of iterations run.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> trial = SimpleNamespace(levels={}, seed=0, model=sklearn_model("tree", n_train=30), train=None, kind="sklearn")
    >>> out = run_sklearn([trial], [data])[0]
    >>> out.final["train_acc"], out.final["n_train"]  # a full tree fits its training set
    (1.0, 30)
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    outs = []
    for t, d in zip(trials, datasets):
        idx = subsample(d.n_train, t.model.get("n_train"), t.seed)
        X, y = d.X_train[idx], d.y_train[idx]
        est = make_estimator(t.model, t.train, t.seed, len(idx))
        start = time.perf_counter()
        # One BLAS thread: these fits are small, and the runner already spreads trials over worker
        # processes; several spinning BLAS threads per process cost more CPU than they save.
        with warnings.catch_warnings(), threadpool_limits(1):
            # an MLP stopped by max_iter warns; the iteration count is recorded instead
            warnings.simplefilter("ignore", ConvergenceWarning)
            if len(np.unique(y)) < 2:
                est = None  # a subsample of one class: predict it everywhere
            else:
                est.fit(X, y)
        wall = time.perf_counter() - start
        if est is None:
            train_acc, test_acc = 1.0, float(np.mean(d.y_test == y[0]))
        else:
            train_acc, test_acc = float(est.score(X, y)), float(est.score(d.X_test, d.y_test))
        n_iter = getattr(est, "n_iter_", math.nan)
        extra = {"n_train": len(idx), "n_iter": float(np.max(n_iter)) if np.size(n_iter) else math.nan}
        outs.append(Outcome(rows=[{"step": 0, "epoch": 0, "train_acc": train_acc, "test_acc": test_acc, **extra}],
                            wall_time=wall, info={"estimator": repr(est)}))
    return outs
