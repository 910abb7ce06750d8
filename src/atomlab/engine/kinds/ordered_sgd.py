"""The ``ordered_sgd`` trial kind: plain SGD that visits the examples in a chosen order (004, part 1, problem B).

The population engine draws its batches itself (shuffled or at random), so an ordered schedule gets its
own small loop here: every epoch visits each training example once, either in a fresh random order
(``shuffled``) or all negatives (class 0) first and then all positives (class 1), each group in a fresh
random order (``ordered``). The metrics are recorded after each *phase*: after the negatives and after
the positives of every epoch (for the shuffled schedule, after the same numbers of examples).

A trial's model is a dict ``{"model": MLPSpec, "recipe": {...}}``: the network (built with
:meth:`MLPSpec.build_module`, so it starts from the weights the population engine would give it) and
its recipe ``{"order": "ordered" | "shuffled", "lr": float, "batch_size": int, "epochs": int, "grid": int}``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from atomlab._lazy import torch  # imported when a trial trains: the catalog reads ORDERS at declaration
from atomlab.data.dataset import Dataset
from atomlab.engine.grids import grid_axes
from atomlab.engine.outcome import Outcome
from atomlab.engine.threads import threads
from atomlab.engine.trial_kinds import TrialLike, register_trial_kind
from atomlab.errors import ConfigError, unknown_choice
from atomlab.nn import MLPSpec
from atomlab.nn.seeding import torch_generator

#: The orders an ``ordered_sgd`` recipe may ask for.
ORDERS = ("shuffled", "ordered")


#: Epochs at the end over which the swing of the predictions between phases is averaged.
SWING_EPOCHS = 10


def epoch_order(y: torch.Tensor, order: str, gen: torch.Generator) -> torch.Tensor:
    """Indices of one epoch: a permutation, or the negatives (permuted) followed by the positives (permuted).

    Examples
    --------
    >>> import torch
    >>> y = torch.tensor([1, 0, 1, 0])
    >>> y[epoch_order(y, "ordered", torch.Generator().manual_seed(0))].tolist()
    [0, 0, 1, 1]
    """
    if order == "shuffled":
        return torch.randperm(len(y), generator=gen)
    parts = []
    for label in (0, 1):
        idx = torch.nonzero(y == label).flatten()
        parts.append(idx[torch.randperm(len(idx), generator=gen)])
    return torch.cat(parts)


def hidden_activations(model: torch.nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """The activations of every hidden layer of an :class:`atomlab.nn.MLP` on ``X``.

    Examples
    --------
    >>> import torch
    >>> from atomlab.nn import MLPSpec
    >>> net = MLPSpec(layers=(3, 2), activation="relu").build_module(2, 2, seed=0)
    >>> [tuple(h.shape) for h in hidden_activations(net, torch.zeros(5, 2))]
    [(5, 3), (5, 2)]
    """
    out, h = [], X
    for slot in model.slots[:len(model.spec.layers)]:
        h = model.act(model.linears[slot](h))
        out.append(h)
    return out


def probe(model: torch.nn.Module, data: dict[str, torch.Tensor]) -> dict[str, float]:
    """Loss and accuracy on both sets, how the test set is split between the classes, dead units, weight sizes.

    Examples
    --------
    >>> import torch
    >>> from atomlab.nn import MLPSpec
    >>> net = MLPSpec(layers=(3,), activation="relu").build_module(2, 2, seed=0)
    >>> data = {"X_train": torch.zeros(4, 2), "y_train": torch.tensor([0, 1, 0, 1]),
    ...         "X_test": torch.zeros(2, 2), "y_test": torch.tensor([0, 1])}
    >>> row = probe(net, data)
    >>> row["train_acc"], row["pos_rate"] in (0.0, 1.0)  # one input, one prediction for all
    (0.5, True)
    """
    with torch.no_grad():
        return _probe(model, data)


def _probe(model: torch.nn.Module, data: dict[str, torch.Tensor]) -> dict[str, float]:
    row: dict[str, float] = {}
    for split in ("train", "test"):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        logits = model(X)
        pred = logits.argmax(-1)
        row[f"{split}_loss"] = float(torch.nn.functional.cross_entropy(logits, y))
        row[f"{split}_acc"] = float((pred == y).double().mean())
        if split == "test":
            row["pos_rate"] = float((pred == 1).double().mean())
            row["acc_neg"] = float((pred[y == 0] == 0).double().mean())
            row["acc_pos"] = float((pred[y == 1] == 1).double().mean())
    hidden = hidden_activations(model, data["X_train"])
    if hidden and model.spec.activation == "relu":
        # A ReLU unit is dead when it outputs 0 on every training input: it passes no gradient at all.
        dead = torch.cat([(h <= 0).all(dim=0) for h in hidden])
        row["dead_units"] = float(dead.double().mean())
    weights = [lin.weight for lin in model.linears]
    row["w_norm"] = float(torch.sqrt(sum((w.double() ** 2).sum() for w in weights)))
    out_bias = model.linears[-1].bias
    row["b_out"] = float(out_bias[1] - out_bias[0])  # > 0 pushes every prediction towards class 1
    return row


def _grid(model: torch.nn.Module, dataset: Dataset, G: int) -> np.ndarray:
    xx, yy = grid_axes(dataset, G)
    pts = torch.as_tensor(np.stack([xx.ravel(), yy.ravel()], axis=1), dtype=torch.float32)
    with torch.no_grad():
        return model(pts).softmax(-1)[:, 1].reshape(G, G).numpy()


def train_ordered(trial: TrialLike, dataset: Dataset) -> Outcome:
    """Train one ``ordered_sgd`` trial and record its metrics after every phase.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> from atomlab.engine.spec import TrainSpec
    >>> from atomlab.nn import MLPSpec
    >>> data = make_dataset("playground_circle", n_train=40, n_test=20, random_state=0)
    >>> recipe = {"order": "shuffled", "lr": 0.03, "batch_size": 10, "epochs": 1, "grid": None}
    >>> model = {"model": MLPSpec(layers=(4,), init="uniform(0.5)"), "recipe": recipe}
    >>> out = train_ordered(SimpleNamespace(levels={}, seed=0, model=model, train=None, kind="ordered_sgd"), data)
    >>> [r["phase"] for r in out.rows]
    ['start', 'negatives', 'positives']
    """
    start = time.perf_counter()
    spec: MLPSpec = trial.model["model"]
    r = trial.model["recipe"]
    if r["order"] not in ORDERS:
        raise unknown_choice("order", r["order"], ORDERS)
    if dataset.task != "classification" or dataset.n_classes != 2:
        raise ConfigError("ordered SGD needs a two-class data set (class 0 = negatives, class 1 = positives)")
    if spec.batchnorm or spec.residual or spec.dropout:
        raise ConfigError("ordered SGD trains plain MLPs (no batch norm, residual connections or dropout)")
    model = spec.build_module(dataset.input_dim, dataset.output_dim, trial.seed)
    data = {"X_train": torch.as_tensor(dataset.X_train, dtype=torch.float32),
            "y_train": torch.as_tensor(dataset.y_train, dtype=torch.int64),
            "X_test": torch.as_tensor(dataset.X_test, dtype=torch.float32),
            "y_test": torch.as_tensor(dataset.y_test, dtype=torch.int64)}
    n, n_neg = dataset.n_train, int((data["y_train"] == 0).sum())
    gen = torch_generator(trial.seed, "data")
    params = list(model.parameters())
    lr, B = r["lr"], r["batch_size"]
    rows = [{"step": 0, "epoch": 0.0, "phase": "start", **probe(model, data)}]
    artefacts: dict[str, np.ndarray] = {}
    diverged = None
    step = 0
    for epoch in range(r["epochs"]):
        idx = epoch_order(data["y_train"], r["order"], gen)
        # Phase boundaries: after the negatives and at the end (the same positions for the shuffled order).
        for phase, (a, b) in (("negatives", (0, n_neg)), ("positives", (n_neg, n))):
            for s in range(a, b, B):
                batch = idx[s:min(s + B, b)]
                loss = torch.nn.functional.cross_entropy(model(data["X_train"][batch]), data["y_train"][batch])
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    for p, g in zip(params, grads):
                        p -= lr * g
                step += 1
                if diverged is None and not torch.isfinite(loss):
                    diverged = step
            row = {"step": step, "epoch": epoch + b / n, "phase": phase, **probe(model, data)}
            rows.append(row)
            if diverged is not None:
                break
            if r["grid"] and epoch == r["epochs"] - 1:
                artefacts["grid" if phase == "positives" else "grid_after_negatives"] = _grid(model, dataset,
                                                                                              r["grid"])
        if diverged is not None:
            break
    phased = [row for row in rows if row["phase"] != "start"]

    def swing(part: list[dict[str, Any]]) -> float:
        def rate(phase: str) -> float:
            return float(np.mean([row["pos_rate"] for row in part if row["phase"] == phase]))

        return rate("positives") - rate("negatives")

    tail = phased[-2 * SWING_EPOCHS:]
    # measurements of the whole run: columns of its final row
    rows[-1].update({"swing_first": swing(phased[:2]), "swing": swing(tail),
                     "acc_after_negatives": float(np.mean([row["test_acc"] for row in tail
                                                           if row["phase"] == "negatives"]))})
    return Outcome(rows=rows, diverged_step=diverged,
                   state={k: v.detach().numpy().copy() for k, v in model.state_dict().items()},
                   artefacts=artefacts, wall_time=time.perf_counter() - start,
                   info={"path": "ordered_sgd", "steps": step})


@register_trial_kind("ordered_sgd")
def run_ordered(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, device: str = "cpu") -> list[Outcome]:
    """Trial kind ``ordered_sgd``: one trial at a time, plain torch on the CPU.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> from atomlab.engine.spec import TrainSpec
    >>> from atomlab.nn import MLPSpec
    >>> data = make_dataset("playground_circle", n_train=40, n_test=20, random_state=0)
    >>> recipe = {"order": "ordered", "lr": 0.03, "batch_size": 10, "epochs": 1, "grid": 4}
    >>> model = {"model": MLPSpec(layers=(4,), init="uniform(0.5)"), "recipe": recipe}
    >>> out = run_ordered([SimpleNamespace(levels={}, seed=0, model=model, train=None, kind="ordered_sgd")], [data])[0]
    >>> sorted(out.artefacts), out.info["steps"]
    (['grid', 'grid_after_negatives'], 4)
    """
    with threads(1):  # matrices this small gain nothing from intra-op threads (see scratch_net)
        return [train_ordered(t, d) for t, d in zip(trials, datasets)]
