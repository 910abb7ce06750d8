"""What 000's experiments 2-6 (depth at a fixed parameter count to PCA) declare in common.

000 is "Atomic Experiments in Deep Learning" (Abid, 2018); its code lives in ``experiments.py`` and
``utils.py`` of the AtomsOfDeepLearning repository. The five entries built on this module are
``depth-fixed-parameters``, ``dataset-size-vs-classifier``, ``class-imbalance``, ``memorization``
and ``pca-dummy-dimensions``. What they share:

- the notebook-wide recipe: a sigmoid MLP with Glorot-uniform weights *and biases* (TensorFlow's
  ``tf.get_variable`` default initialises both), linear logits, Adam at 0.003
  (:func:`mlp` and :func:`recipe`); the scikit-learn estimators they compare with are trained by the
  ``sklearn`` trial kind (:mod:`atomlab.engine.kinds.sklearn_estimators`);
- small figure and text helpers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pandas as pd

from atomlab.engine import TrainSpec
from atomlab.lab import figures
from atomlab.lab.figures import ci_text, pct_text  # noqa: F401 (the entries' helpers)
from atomlab.nn import MLPSpec

#: Figures at 100 dpi: sharp on a page, small enough for the docs (< 300 KB).
save = functools.partial(figures.save, dpi=100)

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




def pivot(final: pd.DataFrame, metric: str, columns: str, where: dict[str, Any] | None = None) -> pd.DataFrame:
    """Seeds x levels of ``columns``: the mean of ``metric`` over the rows matching ``where``."""
    df = final
    for k, v in (where or {}).items():
        df = df[df[k].isin(v) if isinstance(v, list) else df[k] == v]
    return df.pivot_table(index="seed", columns=columns, values=metric, aggfunc="mean")


def first_seed(pairs, seed: int):
    """The ``(trial, outcome)`` of ``pairs`` with ``seed``, else the first."""
    return next(((t, o) for t, o in pairs if t.seed == seed), pairs[0])
