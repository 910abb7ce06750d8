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

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.engine import TrainSpec
from atomlab.nn import MLPSpec

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
