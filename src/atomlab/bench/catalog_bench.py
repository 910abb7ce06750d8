"""Benchmark real catalog entries at ``paper`` scale: atomlab's runner against one model at a time.

The workload of an entry is its planned population trials (every arm and seed), exactly as
``atomlab run NAME --scale paper`` trains them. The naive contender trains each trial as a user
without atomlab would: one ``nn.Module`` built from the trial's spec, ``torch.optim``, autograd, the
trial's own loss, regulariser and batch order. It runs on an evenly spaced sample of the trials
(the full sweep would take hours); rates are trials per second, so the two are comparable.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

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
    from atomlab.bench.contenders import mlp_flops_per_example

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


def atomlab_runner(trials: Sequence[Trial], *, workers: int) -> float:
    """Seconds for atomlab's runner to train ``trials`` (populations; cache off; its own choice of processes)."""
    from atomlab.lab.cache import TrialCache
    from atomlab.lab.runner import run_trials

    start = time.perf_counter()
    run_trials(list(trials), cache=TrialCache(enabled=False), device="cpu", workers=workers)
    return time.perf_counter() - start


def sample(trials: Sequence[Trial], k: int) -> list[Trial]:
    """``k`` trials evenly spaced through the plan (so every kind of arm is represented)."""
    idx = np.unique(np.linspace(0, len(trials) - 1, min(k, len(trials))).round().astype(int))
    return [trials[i] for i in idx]
