"""Benchmark real catalog entries at ``paper`` scale: atomlab's runner against the alternatives.

The workload of an entry is its planned population trials (every arm and seed), exactly as
``atomlab run NAME --scale paper`` trains them. The naive contender trains each trial as a user
without atomlab would: one ``nn.Module`` built from the trial's spec, ``torch.optim``, autograd, the
trial's own loss, regulariser and batch order; scikit-learn's ``MLPClassifier``/``MLPRegressor`` fits
the same sample where it can express the trial. Both run on an evenly spaced sample of the trials
(the full sweep would take hours); rates are trials per second, so all are comparable. JAX, when
installed, trains every trial, equal networks vmapped together (:func:`jax_groups`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from atomlab.bench.contenders import Skip
from atomlab.data.dataset import Dataset
from atomlab.engine.sampling import batch_indices
from atomlab.lab.trial import Trial

#: Entries benchmarked by default: a classifier sweep with Adam (000), a long regression sweep
#: (000) and a full-batch SGD sweep with an L2 penalty (002).
CATALOG_WORKLOADS = ("activation-functions", "universal-approximation", "depth-surfaces")

_TORCH_OPTIMIZERS = {"sgd": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}),
                     "adam": (torch.optim.Adam, {}), "rmsprop": (torch.optim.RMSprop, {}),
                     "adagrad": (torch.optim.Adagrad, {})}


def catalog_trials(name: str, scale: str = "paper") -> list[Trial]:
    """The population trials of catalog entry ``name`` at ``scale`` (what ``atomlab run`` trains)."""
    import atomlab

    exp = atomlab.get_experiment(name)
    return [t for t in exp.plan(exp.config(scale)) if t.kind == "population"]


def trial_flops(trial: Trial, data: Dataset) -> float:
    """Multiply-adds x 2 of the trial's forward and backward passes over its whole training."""
    from atomlab.bench.workloads import mlp_flops_per_example

    batch = data.n_train if trial.train.full_batch(data.n_train) else trial.train.batch_size
    dims = [data.input_dim, *trial.model.layers, data.output_dim]
    return mlp_flops_per_example(dims) * batch * trial.train.total_steps(data.n_train)


def naive_one_at_a_time(trials: Sequence[Trial], datasets: Sequence[Dataset]) -> float:
    """Seconds to train ``trials`` one after another with ``nn.Module`` + ``torch.optim`` + autograd."""
    from atomlab.nn.losses import get_loss
    from atomlab.nn.regularizers import regularizers

    start = time.perf_counter()
    for trial, data in zip(trials, datasets):
        spec, train = trial.model, trial.train
        model = spec.build_module(data.input_dim, data.output_dim, trial.seed)
        cls, hyper = _TORCH_OPTIMIZERS[train.optimizer]
        opt = cls(model.parameters(), lr=train.lr, **{**hyper, **train.optimizer_params})
        loss_fn = get_loss(train.loss)
        reg = regularizers.get(train.regularizer) if train.regularizer else None
        X = torch.as_tensor(np.asarray(data.X_train), dtype=torch.float32).reshape(data.n_train, -1)
        y = torch.as_tensor(np.asarray(data.y_train))
        y = y if data.task == "classification" else y.to(torch.float32)
        weights = [p for n, p in model.named_parameters() if p.dim() >= 2 and n.endswith("weight")]
        for idx in batch_indices(train, [trial.seed], [data.n_train]):
            xb, yb = (X, y) if idx is None else (X[idx[0]], y[idx[0]])
            opt.zero_grad()
            loss = loss_fn(model(xb), yb).mean()
            if reg is not None:
                loss = loss + train.reg_lambda * reg(weights)
            loss.backward()
            opt.step()
    return time.perf_counter() - start


#: Activations scikit-learn's MLPs and the JAX contender know, by atomlab name.
SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic", "identity": "identity"}


def _epochs(trial: Trial, data: Dataset) -> int:
    """Whole passes over the training set that cover the trial's steps (scikit-learn counts epochs)."""
    per_epoch = trial.train.steps_per_epoch(data.n_train)
    return max(1, -(-trial.train.total_steps(data.n_train) // per_epoch))


def sklearn_unsupported(trial: Trial) -> str | None:
    """Why scikit-learn's MLP cannot train ``trial`` as atomlab does, or None if it can."""
    m, t = trial.model, trial.train
    if m.activation not in SKLEARN_ACTIVATIONS:
        return f"activation {m.activation!r}"
    if t.optimizer not in ("sgd", "adam") or t.loss not in ("cross_entropy", "mse"):
        return f"{t.optimizer} on {t.loss}"
    if m.dropout or m.batchnorm or m.residual or t.regularizer not in (None, "l2", "l2_sum"):
        return "dropout, batch norm, residual connections or an L1 penalty"
    return None


def sklearn_one_at_a_time(trials: Sequence[Trial], datasets: Sequence[Dataset]) -> float:
    """Seconds for scikit-learn's ``MLPClassifier``/``MLPRegressor`` to fit ``trials`` one after another.

    Same layers, activation, optimiser, learning rate, batch size and number of passes; scikit-learn
    reshuffles every epoch and its L2 penalty (``alpha``) is scaled to match ``lambda * ||W||^2``
    per batch. Trials it cannot express are refused (:func:`sklearn_unsupported`).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    start = time.perf_counter()
    for trial, data in zip(trials, datasets):
        why = sklearn_unsupported(trial)
        if why is not None:
            raise ValueError(f"scikit-learn cannot train this trial: {why}")
        m, t = trial.model, trial.train
        batch = data.n_train if t.full_batch(data.n_train) else t.batch_size
        cls = MLPClassifier if data.task == "classification" else MLPRegressor
        alpha = 2 * t.reg_lambda * batch if t.regularizer else 0.0
        model = cls(hidden_layer_sizes=m.layers, activation=SKLEARN_ACTIVATIONS[m.activation], solver=t.optimizer,
                    learning_rate_init=t.lr, batch_size=batch, max_iter=_epochs(trial, data), momentum=0.0,
                    nesterovs_momentum=False, n_iter_no_change=10**9, tol=0.0, alpha=alpha,
                    random_state=trial.seed, shuffle=True)
        X = np.asarray(data.X_train).reshape(data.n_train, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, np.asarray(data.y_train))
    return time.perf_counter() - start


def jax_unsupported(trial: Trial) -> str | None:
    """Why the JAX contender cannot train ``trial`` as atomlab does, or None if it can.

    Examples
    --------
    >>> from atomlab.lab import DataSpec
    >>> from atomlab.nn import MLPSpec
    >>> jax_unsupported(Trial({}, 0, DataSpec("moons"), MLPSpec(layers=(4,), residual=True)))
    'residual connections'
    """
    from atomlab.bench.contenders import JAX_ACTIVATIONS

    m = trial.model
    if m.activation not in JAX_ACTIVATIONS:
        return f"activation {m.activation!r}"
    for what, present in (("dropout", m.dropout), ("batch norm", m.batchnorm), ("residual connections", m.residual)):
        if present:
            return what
    return None


def jax_groups(trials: Sequence[Trial], datasets: Sequence[Dataset]) -> float | Skip | None:
    """Seconds for JAX to train ``trials`` and record what atomlab records, equal networks vmapped together.

    Trials with the same model, recipe and data shape form one ``jit(vmap(train))`` over their seeds and
    data, with the whole run inside ``lax.scan``; compilation is excluded from the time, as for W. Like
    atomlab's runner, it records the training and test loss and accuracy (or MSE) at the trial's record
    steps and predicts on the trial's grid after training (:func:`~atomlab.bench.contenders.jax_trainer`
    with ``record=True``); it keeps no weight snapshots and no grid frames (``snapshot_every``,
    ``grid_every``), stores nothing and plans no jobs. The initial weights are JAX's own draws (the
    arithmetic, not the numbers, is compared).
    """
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    from atomlab.bench.contenders import jax_trainer
    from atomlab.engine.grids import grid_points

    def inputs(arrays, n: int):  # one float32 matrix per member, stacked
        return jnp.stack([jnp.asarray(np.asarray(a).reshape(n, -1), jnp.float32) for a in arrays])

    reasons = sorted({why for t in trials if (why := jax_unsupported(t)) is not None})
    if reasons:  # checked before any work: a contender that cannot run every trial is not measured
        return Skip("the JAX contender cannot train " + ", ".join(reasons))
    groups: dict[tuple, list[int]] = {}
    for i, (t, d) in enumerate(zip(trials, datasets)):
        groups.setdefault((repr(t.model), repr(t.train), d.n_train, d.n_test, d.input_dim, d.output_dim, d.task),
                          []).append(i)
    total = 0.0
    for idx in groups.values():
        trial, data = trials[idx[0]], datasets[idx[0]]
        m, t = trial.model, trial.train
        member_data = [datasets[i] for i in idx]
        X = inputs([d.X_train for d in member_data], data.n_train)
        X_test = inputs([d.X_test for d in member_data], data.n_test)
        y_type = jnp.float32 if data.task == "regression" else jnp.int32
        y = jnp.stack([jnp.asarray(np.asarray(d.y_train), y_type) for d in member_data])
        y_test = jnp.stack([jnp.asarray(np.asarray(d.y_test), y_type) for d in member_data])
        points = [grid_points(d, t.grid) if t.grid else None for d in member_data]
        grid = None if points[0] is None else jnp.stack([jnp.asarray(p, jnp.float32) for p in points])
        run = jax.jit(jax.vmap(jax_trainer(m, t, data, record=True),
                               in_axes=(0, 0, 0, 0, 0, None if grid is None else 0)))
        keys = jax.random.split(jax.random.PRNGKey(0), len(idx))
        jax.block_until_ready(run(keys, X, y, X_test, y_test, grid))  # compile (not timed)
        start = time.perf_counter()
        jax.block_until_ready(run(keys, X, y, X_test, y_test, grid))
        total += time.perf_counter() - start
    return total


def atomlab_runner(trials: Sequence[Trial], *, workers: int, name: str = "catalog entry") -> float:
    """Seconds for atomlab's runner to train ``trials`` (populations; store lookups off; its own processes).

    Every population the compiled tier covers must have been trained by it (``check_kernel_tier``).
    """
    from atomlab.bench.contenders import check_kernel_tier
    from atomlab.lab.runner import run_trials
    from atomlab.lab.store import TrialStore

    start = time.perf_counter()
    outcomes, _ = run_trials(list(trials), store=TrialStore(enabled=False), device="cpu", workers=workers)
    seconds = time.perf_counter() - start
    check_kernel_tier(name, [o.info for t, o in zip(trials, outcomes) if t.kind == "population"])
    return seconds


def sample(trials: Sequence[Trial], k: int) -> list[Trial]:
    """``k`` trials evenly spaced through the plan (so every kind of arm is represented)."""
    idx = np.unique(np.linspace(0, len(trials) - 1, min(k, len(trials))).round().astype(int))
    return [trials[i] for i in idx]
