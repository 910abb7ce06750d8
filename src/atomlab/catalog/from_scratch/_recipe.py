"""What the 003 entries declare in common: 003's settings, its data and the trial of its network.

A scratch trial is declared exactly like a population trial: an :class:`~atomlab.nn.MLPSpec`
(widths, activation, LeCun-normal weights = 003's ``randn / sqrt(fan_in)``, zero biases) and a
:class:`~atomlab.engine.TrainSpec` (full-batch ``sgd``, mean cross-entropy, ``l2_sum`` penalty,
float64). Only :attr:`Trial.kind` says which engine trains it (:data:`ENGINES`; the kinds are in
:mod:`atomlab.engine.kinds.scratch_net`), so the "one flag" of the entries (``--set engine=...``)
changes nothing else.

003's step is ``epsilon = 0.01`` on the *summed* loss with ``reg_lambda = 0.01``; on 200 points
this is ``lr = 2.0`` on the mean loss with ``lambda = 5e-5`` in ``lambda/2 ||W||^2``
(:func:`atomlab.scratch.problem_set_hyperparameters`). ``l2_sum`` penalises ``reg_lambda * ||W||^2``,
so the TrainSpec carries ``lambda / 2``. The data (make_moons, make_blobs) are drawn on fixed boxes
(the ``with_domain`` transform), so every seed's grid is on one mesh.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from atomlab.engine import TrainSpec
from atomlab.errors import unknown_choice
from atomlab.lab import DataSpec, Trial
from atomlab.nn import MLPSpec
from atomlab.scratch import problem_set_hyperparameters

#: ``engine`` setting -> trial kind. ``nudged`` is the scratch engine started from the same weights
#: but one: ``W1[0, 0]`` is multiplied by ``1 + 1e-15``, a change of a few units in the last place.
#: ``scratch0`` is the scratch engine with PyTorch's ReLU'(0) = 0 instead of 003's ReLU'(0) = 1.
ENGINES = {"scratch": "scratch", "torch": "population", "autograd": "scratch_autograd",
           "nudged": "scratch_nudged", "scratch0": "scratch_relu0"}
#: 003's (epsilon, reg_lambda) on its 200-point data sets, as mean-loss (lr, lambda).
HYPER_003 = problem_set_hyperparameters(200)
#: Fixed drawing boxes (see :func:`with_domain`): 003's plots pad the data by 0.5 on every side.
MOONS_BOX = ((-2.0, 3.0), (-1.5, 2.0))
BLOBS_BOX = ((-14.0, 14.0), (-14.0, 14.0))
#: 003's settings (the ``paper`` scale) shared by the scratch entries, and the smaller scales.
SETTINGS_003 = {"n_train": 200, "n_test": 200, "noise": 0.2, "lr": HYPER_003["lr"],
                "reg_lambda": HYPER_003["reg_lambda"], "passes": 20000, "grid": 200, "engine": "scratch",
                "seeds": 10}
#: Where 003's shared settings come from. The problem set states its networks, data sets and activations but
#: none of its training hyperparameters; the values are those of the from-scratch tutorial its code follows
#: (make_moons(200, noise=0.20), epsilon = reg_lambda = 0.01 on the summed loss, 20,000 passes), so each is
#: *assumed*, apart from the settings the text does state.
PROVENANCE_003 = {
    "n_train": "assumed: 200 points, not stated in 003 (its plots show about that many)",
    "n_test": "assumed: 003 has no test set; 200 held-out points of the same distribution",
    "noise": "assumed: make_moons noise 0.2, not stated in 003",
    "lr": "assumed: the tutorial's epsilon = 0.01 on the summed loss (lr 2.0 on the mean of 200 points); 003 "
          "states no learning rate",
    "reg_lambda": "assumed: the tutorial's reg_lambda = 0.01 on the summed loss; 003 states no regularisation "
                  "strength (it mentions 'strong regularization' only as a guess)",
    "passes": "assumed: 20,000 full-batch passes; 003 states no number of epochs",
    "grid": "assumed: figure resolution",
    "engine": "source text: 003's network written from scratch with hand-derived backprop",
    "seeds": "changed: 10 seeds; 003 trained each network once, on one data set",
}
SCALES_003 = {"smoke": {"passes": 300, "grid": 40, "seeds": 2},
              "quick": {"passes": 3000, "grid": 120, "seeds": 6}}


def scratch_trial(levels: dict[str, Any], seed: int, data: DataSpec, layers: Sequence[int], activation: str, *,
                  passes: int, lr: float, reg_lambda: float, grid: int | None = None,
                  record_every: int | None = None, engine: str = "scratch") -> Trial:
    """A trial of 003's network: full-batch gradient descent on mean cross-entropy + L2.

    Parameters
    ----------
    levels : dict
        The arm's factor values.
    seed : int
        Initial weights (the data seed is ``data.seed``).
    data : DataSpec
        A 2-D classification set.
    layers : sequence of int
        Hidden widths (``[3]`` is 003's 3-layer network, ``[3, 3, 3, 3]`` its deep one).
    activation : {"tanh", "sigmoid", "relu"}
        Hidden activation.
    passes : int
        Gradient steps over the whole training set (003's ``num_passes``).
    lr, reg_lambda : float
        Step on the mean loss and L2 strength in ``reg_lambda / 2 * sum ||W||^2`` (DeepNet's convention).
    grid : int, optional
        Predict class probabilities on a ``grid x grid`` mesh (:func:`atomlab.engine.grid_axes`).
    record_every : int, optional
        Record metrics every this many passes (default: about 20 times).
    engine : {"scratch", "torch", "autograd"}
        Which engine trains it (see the module docstring).

    Returns
    -------
    Trial
    """
    if engine not in ENGINES:
        raise unknown_choice("engine", engine, ENGINES)
    model = MLPSpec(layers=tuple(int(w) for w in layers), activation=activation, init="lecun_normal",
                    bias_init="zeros")
    train = TrainSpec(optimizer="sgd", lr=float(lr), batch_size=None, steps=int(passes), loss="cross_entropy",
                      regularizer="l2_sum", reg_lambda=float(reg_lambda) / 2, grid=grid,
                      record_every=record_every, dtype="float64")
    return Trial(levels, seed, data, model, train, kind=ENGINES[engine])


def moons_data(cfg: dict[str, Any], seed: int) -> DataSpec:
    """003's make_moons (200 points, noise 0.2) drawn from ``seed``, plus a test set, on a fixed box."""
    return DataSpec("moons", {"n_train": cfg["n_train"], "n_test": cfg["n_test"], "noise": cfg["noise"]},
                    seed=seed, transforms=(("with_domain", {"box": MOONS_BOX}),))


def blobs_data(cfg: dict[str, Any], seed: int) -> DataSpec:
    """make_blobs with 4 classes and scikit-learn's defaults (centres in [-10, 10]^2, std 1) from ``seed``."""
    return DataSpec("blobs", {"n_train": cfg["n_train"], "n_test": cfg["n_test"], "centers": 4},
                    seed=seed, transforms=(("with_domain", {"box": BLOBS_BOX}),))


def trial_003(cfg: dict[str, Any], levels: dict[str, Any], seed: int, data: DataSpec, layers: Sequence[int],
              activation: str) -> Trial:
    """:func:`scratch_trial` with the entry's settings (``passes``, ``lr``, ``reg_lambda``, ``grid``, ``engine``)."""
    return scratch_trial(levels, seed, data, layers, activation, passes=cfg["passes"], lr=cfg["lr"],
                         reg_lambda=cfg["reg_lambda"], grid=cfg["grid"], engine=levels.get("engine", cfg["engine"]))


