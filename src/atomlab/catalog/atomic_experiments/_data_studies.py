"""Shared pieces of 000's experiments 2-6 (depth at a fixed parameter count to PCA).

000 is "Atomic Experiments in Deep Learning" (Abid, 2018); its code lives in ``experiments.py`` and
``utils.py`` of the AtomsOfDeepLearning repository. The five entries built on this module are
``depth-fixed-parameters``, ``dataset-size-vs-classifier``, ``class-imbalance``, ``memorization``
and ``pca-dummy-dimensions``. What they share:

- the notebook-wide recipe: a sigmoid MLP with Glorot-uniform weights *and biases* (TensorFlow's
  ``tf.get_variable`` default initialises both), linear logits, Adam at 0.003
  (:func:`mlp` and :func:`recipe`);
- an ``sklearn`` trial kind (:func:`run_sklearn`) that fits a scikit-learn estimator on an
  optionally subsampled training set and scores it;
- small figure and text helpers.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.engine import Outcome, TrainSpec
from atomlab.errors import ConfigError, unknown_choice
from atomlab.lab.runner import register_trial_kind, trial_kinds
from atomlab.nn import MLPSpec
from atomlab.nn.seeding import numpy_generator

SOURCE = "000"


def section(number: int, title: str) -> str:
    """The ``section`` field of an entry: where in 000 it comes from."""
    return f"Atomic Experiments in Deep Learning (Abid, 2018), experiment {number}: {title}"


# ----- the notebook's network and recipe --------------------------------------------------------
def mlp(layers: Sequence[int], activation: str = "sigmoid", **overrides: Any) -> MLPSpec:
    """000's MLP: Glorot-uniform weights and biases, ``activation`` in every hidden layer, linear logits."""
    return MLPSpec(layers=tuple(int(w) for w in layers), activation=activation, init="xavier",
                   bias_init="same", **overrides)


def recipe(cfg: dict[str, Any], **overrides: Any) -> TrainSpec:
    """000's training recipe from an entry's settings: Adam at ``cfg["lr"]``, cross-entropy, a fresh
    random minibatch each step (``cfg["batch_size"]``, ``None`` or at least the set size = full batch)."""
    spec = {"optimizer": "adam", "lr": float(cfg["lr"]), "batch_size": cfg.get("batch_size"),
            "steps": int(cfg["steps"]), "sampling": "random", "loss": "cross_entropy"}
    spec.update(overrides)
    return TrainSpec(**spec)


# ----- the sklearn trial kind ----------------------------------------------------------------------
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
    """
    return TrainSpec(optimizer="adam", lr=lr, batch_size=batch_size, epochs=max_iter, sampling="shuffle",
                     loss="cross_entropy")


def make_estimator(model: dict[str, Any], train: TrainSpec | None, seed: int, n_train: int | None = None):
    """Build the scikit-learn estimator of an ``sklearn`` trial, seeded with ``seed``.

    ``n_train`` (the size of the set it will be fitted on) caps an MLP's batch size, as
    scikit-learn's own ``batch_size="auto"`` does (``min(200, n)``).
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


def run_sklearn(trials, datasets, *, device: str = "auto") -> list[Outcome]:
    """Fit and score the scikit-learn estimator of each trial (the ``sklearn`` trial kind).

    Each outcome has one row ``{"step": 0, "train_acc", "test_acc", "n_train", "n_iter"}``: the accuracies,
    the training-set size and, for iterative estimators, the number of iterations run.
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


if "sklearn" not in trial_kinds:  # idempotent: the catalog may be imported twice
    register_trial_kind("sklearn")(run_sklearn)


def pivot(final: pd.DataFrame, metric: str, columns: str, where: dict[str, Any] | None = None) -> pd.DataFrame:
    """Seeds x levels of ``columns``: the mean of ``metric`` over the rows matching ``where``."""
    df = final
    for k, v in (where or {}).items():
        df = df[df[k].isin(v) if isinstance(v, list) else df[k] == v]
    return df.pivot_table(index="seed", columns=columns, values=metric, aggfunc="mean")


# ----- figures --------------------------------------------------------------------------------------
#: Resolution of saved figures: sharp on a page, small enough for the docs (< 300 KB).
DPI = 100


def save(fig, out_dir, name: str, caption: str, *, main: bool = False, formats=("png",)):
    """Save ``fig`` as ``out_dir/name.<format>`` at :data:`DPI` and return its ``FigureRecord``."""
    from pathlib import Path

    from atomlab.viz import style

    paths = style.save_figure(fig, Path(out_dir) / name, formats=formats, dpi=DPI)
    return style.FigureRecord(name=name, path=paths[0], caption=caption, main=main)


def ci_text(values, fmt: str = ".3g", bounds: tuple[float, float] | None = None) -> str:
    """``mean [low, high]`` of the finite ``values`` over seeds (:func:`atomlab.stats.mean_interval`)."""
    v = np.asarray(values, dtype=float)
    mean, low, high = stats.mean_interval(v[np.isfinite(v)], bounds=bounds)
    return f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def pct_text(values) -> str:
    """``mean% [low, high]`` of accuracies over seeds, in percent (the interval stays within [0, 100])."""
    v = 100 * np.asarray(values, dtype=float)
    mean, low, high = stats.mean_interval(v[np.isfinite(v)], bounds=(0.0, 100.0))
    return f"{mean:.1f}% [{low:.1f}, {high:.1f}]"


def first_seed(pairs, seed: int):
    """The ``(trial, outcome)`` of ``pairs`` with ``seed``, else the first."""
    return next(((t, o) for t, o in pairs if t.seed == seed), pairs[0])
