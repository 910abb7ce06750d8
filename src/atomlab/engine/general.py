"""The general path: train any ``torch.nn.Module``, one model at a time.

Use it for architectures that cannot be stacked into a population (CNNs, a user's own module).
It shares the data order, the optimisers, the losses and the recorded metrics with the
population engine, so results from the two paths are comparable row for row.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from atomlab.data.dataset import Dataset
from atomlab.engine.device import resolve_device
from atomlab.engine.grids import grid_points
from atomlab.engine.outcome import DIVERGENCE_FACTOR, Outcome
from atomlab.engine.population import grid_outputs
from atomlab.engine.sampling import batch_indices
from atomlab.engine.spec import TrainSpec
from atomlab.nn.losses import get_loss
from atomlab.nn.optimizers import make_optimizer
from atomlab.nn.regularizers import regularizers

#: ``callback(step, model, inputs)`` runs after every update (``step`` counts from 1).
Callback = Callable[[int, torch.nn.Module, torch.Tensor], None]


def _weight_matrices(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p for name, p in model.named_parameters() if p.dim() >= 2 and name.endswith("weight")]


@torch.no_grad()
def evaluate_module(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, loss_name: str,
                    task: str, batch: int = 4096) -> dict[str, float]:
    """Mean loss and accuracy (or MSE) of ``model`` on ``X, y``, in eval mode.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]])), model.bias.zero_()
    >>> X, y = torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0])
    >>> evaluate_module(model, X, y, "cross_entropy", "classification")["acc"]  # the second is called 1
    0.5
    """
    was_training = model.training
    model.eval()
    loss_fn = get_loss(loss_name)
    total_loss, total_metric, n = 0.0, 0.0, len(X)
    for s in range(0, n, batch):
        out = model(X[s:s + batch])
        yb = y[s:s + batch]
        total_loss += float(loss_fn(out, yb).sum())
        if task == "classification":
            total_metric += float((out.argmax(-1) == yb).sum())
        else:
            total_metric += float((out - yb.reshape(out.shape)).square().mean(-1).sum())
    model.train(was_training)
    key = "acc" if task == "classification" else "mse"
    return {"loss": total_loss / n, key: total_metric / n}


def train_module(model: torch.nn.Module, data: Dataset, train: TrainSpec, *, seed: int,
                 device: str = "auto", callbacks: Sequence[Callback] = (),
                 flatten: bool = False) -> Outcome:
    """Train one module on ``data`` following ``train``, with the trial's ``seed`` for data order.

    Parameters
    ----------
    model : torch.nn.Module
        Any module mapping a batch of inputs to logits (or log-probabilities).
    data : Dataset
        Training and test arrays.
    train : TrainSpec
        The recipe; ``lr`` may be any float, the optimiser any registered name.
    seed : int
        The trial seed: the data order derives from it (initial weights are the module's own).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    callbacks : sequence of callable
        Called after every update as ``callback(step, model, inputs)`` (probes, TensorBoard).
    flatten : bool
        Flatten each input to a vector before the module sees it.

    Returns
    -------
    Outcome
        Recorded rows (train/test loss and accuracy or MSE), divergence, final state, and with
        ``train.grid`` set and 1-D or 2-D inputs the ``grid`` artefact, drawn as the population engine
        draws it (P(class 1) on a ``grid x grid`` mesh, or the predicted curve).

    Examples
    --------
    >>> import torch
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", random_state=0, n_train=100, n_test=50)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    >>> out = train_module(net, data, TrainSpec(steps=30, lr=0.05), seed=0, device="cpu")
    >>> out.rows[-1]["step"], out.diverged
    (30, False)
    >>> train_module(net, data, TrainSpec(steps=5, lr=0.05, grid=20), seed=0, device="cpu").artefacts["grid"].shape
    (20, 20)
    """
    start = time.perf_counter()
    dev = resolve_device(device)
    dtype = train.torch_dtype
    model = model.to(device=dev, dtype=dtype)
    ydtype = torch.int64 if data.task == "classification" else dtype

    def prep(X):
        X = torch.as_tensor(np.asarray(X), device=dev).to(dtype)
        return X.reshape(len(X), -1) if flatten else X

    X_train, X_test = prep(data.X_train), prep(data.X_test)
    y_train = torch.as_tensor(np.asarray(data.y_train), device=dev).to(ydtype)
    y_test = torch.as_tensor(np.asarray(data.y_test), device=dev).to(ydtype)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(train.optimizer, params, **train.optimizer_params)
    lr = torch.tensor(train.lr, dtype=dtype, device=dev)
    loss_fn = get_loss(train.loss)
    reg = regularizers.get(train.regularizer) if train.regularizer else None
    penalised = _weight_matrices(model)  # looked up once: walking the modules every step cost 10% of it
    record_at = set(train.record_steps(data.n_train))
    per_epoch = train.steps_per_epoch(data.n_train)
    rows: list[dict] = []
    diverged_step: int | None = None

    def record(step: int) -> None:
        row = {"step": step, "epoch": step / per_epoch}
        for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            row.update({f"{split}_{k}": v for k, v in evaluate_module(model, X, y, train.loss, data.task).items()})
        rows.append(row)

    model.train()
    if 0 in record_at:
        record(0)
    for step, idx in enumerate(batch_indices(train, [seed], [data.n_train]), 1):
        if idx is None:
            xb, yb = X_train, y_train
        else:
            i = idx[0].to(dev)
            xb, yb = X_train[i], y_train[i]
        loss = loss_fn(model(xb), yb).mean()
        if reg is not None:
            loss = loss + train.reg_lambda * reg(penalised)
        value = float(loss.detach())
        if step == 1:
            ceiling = DIVERGENCE_FACTOR * max(abs(value), 1.0)
        if not math.isfinite(value) or value > ceiling:
            diverged_step = step
            break
        grads = torch.autograd.grad(loss, params)
        opt.step(grads, lr)
        for cb in callbacks:
            cb(step, model, xb)
        if step in record_at:
            record(step)
    artefacts = {}
    points = grid_points(data, train.grid) if train.grid and diverged_step is None else None
    if points is not None:
        artefacts["grid"] = _predict_grid(model, torch.as_tensor(points, device=dev, dtype=dtype), train.grid,
                                          data.task)
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    return Outcome(rows=rows, diverged_step=diverged_step, state=state, artefacts=artefacts,
                   wall_time=time.perf_counter() - start, info={"device": str(dev), "path": "general"})


@torch.no_grad()
def _predict_grid(model: torch.nn.Module, points: torch.Tensor, G: int, task: str, batch: int = 65536) -> np.ndarray:
    """The ``grid`` artefact of one module, as the population engine draws it (:func:`grid_outputs`)."""
    was_training = model.training
    model.eval()
    logits = torch.cat([model(points[s:s + batch]) for s in range(0, len(points), batch)])
    model.train(was_training)
    return grid_outputs(logits[None], G, task=task, input_dim=points.shape[-1])[0]
