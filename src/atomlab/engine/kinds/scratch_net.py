"""The trial kinds of problem set 003's network from scratch (``atomlab.scratch``), and an autograd control.

A scratch trial is declared exactly like a population trial: an :class:`~atomlab.nn.MLPSpec`
(widths, activation, LeCun-normal weights = 003's ``randn / sqrt(fan_in)``, zero biases) and a
:class:`~atomlab.engine.TrainSpec` (full-batch ``sgd``, mean cross-entropy, ``l2_sum`` penalty,
float64). Only the trial's ``kind`` says which engine trains it:

``scratch``
    :class:`atomlab.scratch.DeepNet`, NumPy with hand-derived backpropagation (equal networks
    trained side by side in a :class:`~atomlab.scratch.DeepNetStack`).
``scratch_autograd``
    one plain ``torch.nn.Module`` (:meth:`MLPSpec.build_module`) trained by
    :func:`atomlab.engine.train_module`, i.e. PyTorch autograd and nothing hand-written.
``scratch_nudged``, ``scratch_relu0``
    two controls: the scratch engine with one initial weight multiplied by ``1 + 1e-15``, and the
    scratch engine with PyTorch's ReLU'(0) = 0 instead of 003's 1.

(``population``, the vectorised engine, trains the same declaration too.) All start from the same
initial weights: those :meth:`MLPSpec.init_params` draws from the trial's seed. DeepNet draws its own
weights from ``np.random.RandomState(seed)``; these kinds overwrite them with
:meth:`DeepNet.set_params`, so a seed means the same network in every engine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from atomlab.data.dataset import Dataset
from atomlab.engine.grids import grid_points
from atomlab.engine.outcome import DIVERGENCE_FACTOR, Outcome
from atomlab.engine.trial_kinds import TrialLike, register_trial_kind
from atomlab.errors import ConfigError, unknown_choice
from atomlab.nn import MLPSpec
from atomlab.scratch import ACTIVATIONS, Activation, DeepNet, cross_entropy
from atomlab.scratch.stack import DeepNetStack

#: The factor by which ``scratch_nudged`` multiplies the first initial weight, minus one: a change of a
#: few units in the last place.
NUDGE = 1e-15
#: Most elements in a stack's widest activation (members x points x widest layer): measured on 003's
#: networks, a pass costs per member 85 us alone and 29-38 us in stacks of 10 to 40 three-unit networks,
#: but past about 10^5 elements (10 networks of 50 units on 200 points) a stack was 2x slower than one at a
#: time, its arrays no longer in the cache.
STACK_ELEMENTS = 2**16


def initial_params(model: MLPSpec, input_dim: int, output_dim: int, seed: int
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The trial's initial ``(weights, biases)`` as float64 arrays, shared by every engine.

    Examples
    --------
    >>> from atomlab.nn import MLPSpec
    >>> weights, biases = initial_params(MLPSpec(layers=(3,)), 2, 2, seed=0)
    >>> [w.shape for w in weights], weights[0].dtype
    ([(2, 3), (3, 2)], dtype('float64'))
    """
    params = model.init_params(input_dim, output_dim, seed)
    return [w.numpy().copy() for w, _ in params], [b.numpy().copy() for _, b in params]


def _check_recipe(trial: TrialLike) -> None:
    """The scratch network does one thing: full-batch gradient descent on CE + L2; refuse the rest."""
    m, t = trial.model, trial.train
    if not isinstance(m, MLPSpec) or t is None:
        raise ConfigError("a scratch trial needs an MLPSpec model and a TrainSpec recipe")
    unsupported = {
        "optimizer": (t.optimizer, "sgd"), "loss": (t.loss, "cross_entropy"),
        "regularizer": (t.regularizer, "l2_sum"), "dropout": (m.dropout, 0.0), "batchnorm": (m.batchnorm, False),
        "residual": (m.residual, False), "share_weights": (m.share_weights, False),
        "snapshot_every": (t.snapshot_every, None), "grid_every": (t.grid_every, None),
        "unit_spread": (t.unit_spread, False),
    }
    for name, (value, allowed) in unsupported.items():
        if value != allowed and not (name == "regularizer" and value is None):
            raise ConfigError(f"the scratch engine supports {name}={allowed!r} only, got {value!r}")
    if m.activation not in ACTIVATIONS:
        raise unknown_choice("scratch activation", m.activation, ACTIVATIONS)


def _row(step: int, metrics: dict[str, float]) -> dict[str, float]:
    return {"step": step, "epoch": float(step), **metrics}


def _metrics(predict_proba, data: Dataset) -> dict[str, float]:
    """Mean cross-entropy (no penalty, as the population engine records it) and accuracy."""
    out = {}
    for split, X, y in (("train", data.X_train, data.y_train), ("test", data.X_test, data.y_test)):
        p = predict_proba(np.asarray(X, dtype=np.float64))
        out[f"{split}_loss"] = cross_entropy(p, np.asarray(y))
        out[f"{split}_acc"] = float(np.mean(p.argmax(-1) == np.asarray(y)))
    return out


def grid_probabilities(predict_proba, data: Dataset, G: int) -> np.ndarray:
    """Predicted probabilities on the engine's mesh, in the population engine's convention.

    ``P(class 1)`` of shape ``(G, G)`` for two classes, else ``(G, G, K)``; float32.

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> import numpy as np
    >>> uniform = lambda X: np.full((len(X), 2), 0.5)
    >>> grid_probabilities(uniform, data, 4).shape  # P(class 1) on a 4 x 4 mesh
    (4, 4)
    """
    p = predict_proba(grid_points(data, G)).reshape(G, G, -1)
    return (p[..., 1] if p.shape[-1] == 2 else p).astype(np.float32)


def _drelu_torch(z: np.ndarray) -> np.ndarray:
    # PyTorch's subgradient of max(0, z): 0 at z = 0, where 003 (and atomlab.scratch) take 1.
    return (z > 0).astype(z.dtype)


#: ReLU with PyTorch's derivative; one object, so that every scratch0 member of a stack has the same activation.
RELU_TORCH = Activation("relu", ACTIVATIONS["relu"].f, _drelu_torch)


def _initial_net(trial: TrialLike, data: Dataset, nudge: float, relu_grad_at_zero: float) -> DeepNet:
    """The trial's DeepNet from the initial weights every engine shares."""
    m, t = trial.model, trial.train
    sizes = [data.input_dim, *m.layers, data.output_dim]
    net = DeepNet(sizes, m.activation, seed=trial.seed, reg_lambda=2 * t.reg_lambda, dtype=np.float64)
    weights, biases = initial_params(m, data.input_dim, data.output_dim, trial.seed)
    weights[0][0, 0] *= 1.0 + nudge
    net.set_params(weights, biases)
    if m.activation == "relu" and relu_grad_at_zero == 0.0:
        net.act = RELU_TORCH
    return net


def stack_size(n_train: int, widths: Sequence[int]) -> int:
    """How many networks one :class:`~atomlab.scratch.DeepNetStack` holds: its widest activation at most
    :data:`STACK_ELEMENTS` elements, so a pass's element-wise work stays in the cache.

    Examples
    --------
    >>> stack_size(200, [3, 3]), stack_size(200, [50]), stack_size(100_000, [3])
    (109, 6, 1)
    """
    return max(1, STACK_ELEMENTS // max(1, n_train * max(widths, default=1)))


def example_trial(seed: int = 0):
    """A tiny 003 trial and its data, for the examples of this module: 3 tanh units on 40 moons, 10 steps.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> trial.kind, trial.model.layers, data.n_train
    ('scratch', (3,), 40)
    """
    from types import SimpleNamespace

    from atomlab.data import make_dataset
    from atomlab.engine.spec import TrainSpec
    from atomlab.nn import MLPSpec

    data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    model = MLPSpec(layers=(3,), activation="tanh", init="lecun_normal", bias_init="zeros")
    recipe = TrainSpec(optimizer="sgd", lr=0.5, batch_size=None, steps=10, loss="cross_entropy",
                       regularizer="l2_sum", reg_lambda=1e-4, record_every=5, dtype="float64")
    return SimpleNamespace(levels={}, seed=seed, model=model, train=recipe, kind="scratch"), data


def train_scratch_group(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, nudge: float = 0.0,
                        relu_grad_at_zero: float = 1.0) -> list[Outcome]:
    """Train trials that differ only in seed and data with :class:`atomlab.scratch.DeepNetStack`.

    Each member records what the population engine records, and trains exactly as
    :class:`~atomlab.scratch.DeepNet` alone would (a stack's members never mix). ``nudge`` multiplies
    each member's first initial weight by ``1 + nudge`` (the ``nudged`` engine); ``relu_grad_at_zero=0``
    uses PyTorch's ReLU'(0) (the ``scratch0`` engine).

    Examples
    --------
    >>> trial, data = example_trial()
    >>> other = example_trial(seed=1)[0]
    >>> outs = train_scratch_group([trial, other], [data, data])
    >>> [o.info["population_size"] for o in outs], [r["step"] for r in outs[0].rows]
    ([2, 2], [0, 5, 10])
    """
    for trial in trials:
        _check_recipe(trial)
    t = trials[0].train
    if any((x.model, x.train) != (trials[0].model, t) for x in trials) or len({d.n_train for d in datasets}) > 1:
        raise ConfigError("a scratch group needs one model, one recipe and one training-set size")
    start = time.perf_counter()
    nets = [_initial_net(trial, d, nudge, relu_grad_at_zero) for trial, d in zip(trials, datasets)]
    stack = DeepNetStack(nets)  # the nets now view the stack's parameters
    X = np.stack([np.asarray(d.X_train, dtype=np.float64) for d in datasets])
    y = np.stack([np.asarray(d.y_train) for d in datasets])
    rows = [[_row(0, _metrics(net.predict_proba, d))] for net, d in zip(nets, datasets)]
    ceilings = [DIVERGENCE_FACTOR * max(abs(r[0]["train_loss"]), 1.0) for r in rows]
    diverged: list[int | None] = [None] * len(nets)
    done = 0
    for target in t.record_steps(datasets[0].n_train)[1:]:
        # Plain gradient descent in chunks between record steps takes the same steps as one long fit and
        # lets us record accuracy. A diverged member keeps its slice of the stack busy but reaches nobody.
        stack.fit(X, y, num_passes=target - done, lr=t.lr, record_every=target - done)
        for k, (net, d) in enumerate(zip(nets, datasets)):
            if diverged[k] is not None:
                continue
            if stack.diverged_at_[k] >= 0:
                diverged[k] = done + max(int(stack.diverged_at_[k]), 1)
                continue
            row = _row(target, _metrics(net.predict_proba, d))
            if not np.isfinite(row["train_loss"]) or row["train_loss"] > ceilings[k]:
                diverged[k] = target
            else:
                rows[k].append(row)
        done = target
        if all(step is not None for step in diverged):
            break
    engine = "nudged" if nudge else ("scratch0" if relu_grad_at_zero == 0.0 else "scratch")
    wall = (time.perf_counter() - start) / len(nets)
    outcomes = []
    for net, d, r, div in zip(nets, datasets, rows, diverged):
        artefacts = {}
        if t.grid and d.input_dim == 2 and div is None:
            artefacts["grid"] = grid_probabilities(net.predict_proba, d, t.grid)
        weights, biases = net.get_params()
        state = {f"W{k}": w for k, w in enumerate(weights)} | {f"b{k}": b for k, b in enumerate(biases)}
        outcomes.append(Outcome(rows=r, diverged_step=div, state=state, artefacts=artefacts, wall_time=wall,
                                info={"engine": engine, "steps": t.total_steps(d.n_train), "device": "cpu (numpy)",
                                      "population_size": len(nets)}))
    return outcomes


def train_scratch(trial: TrialLike, data: Dataset, *, nudge: float = 0.0, relu_grad_at_zero: float = 1.0) -> Outcome:
    """Train one trial with :class:`atomlab.scratch.DeepNet` (a group of one; see :func:`train_scratch_group`).

    Examples
    --------
    >>> trial, data = example_trial()
    >>> out = train_scratch(trial, data)
    >>> out.info["engine"], out.rows[-1]["train_loss"] < out.rows[0]["train_loss"]
    ('scratch', True)
    """
    return train_scratch_group([trial], [data], nudge=nudge, relu_grad_at_zero=relu_grad_at_zero)[0]


def scratch_group_key(trial: TrialLike, data: Dataset) -> Any:
    """Scratch trials with equal keys (same network, recipe and data sizes) may train in one stack.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> other = example_trial(seed=5)[0]
    >>> scratch_group_key(trial, data) == scratch_group_key(other, data)  # seeds stack
    True
    """
    return (repr(trial.model), repr(trial.train), data.n_train, data.input_dim, data.output_dim)


#: A stack's pass, for the runner's plan (:func:`stack_step_seconds`): fixed seconds a pass and a layer (the
#: NumPy calls' own cost), and seconds per unit (hidden or output) and training example of each member.
#: Fitted on the 2-core machine, idle, to stacks of 1, 2 and 10 tanh networks of 1 x 3 to 4 x 20 and 2 x 50
#: units on 200 points (measured 91 us a pass for one 2-3-2 network, 452 us for ten, 3.7 ms for ten of 4 x 20):
#: within 0.7 to 1.2x of every one.
STACK_PASS_SECONDS, STACK_LAYER_SECONDS, STACK_UNIT_SECONDS = 10e-6, 25e-6, 30e-9


def stack_step_seconds(trials: Sequence[TrialLike], datasets: Sequence[Dataset]) -> float:
    """Estimated seconds of one pass of ``trials`` trained together in stacks (a plan, not a promise).

    A pass of a small stack is mostly the NumPy calls' fixed cost, so ten networks cost far less than ten
    times one: the runner then keeps a group whole instead of cutting it into jobs of one or two.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> one, ten = stack_step_seconds([trial], [data]), stack_step_seconds([trial] * 10, [data] * 10)
    >>> bool(ten < 5 * one)
    True
    """
    fixed = STACK_PASS_SECONDS + STACK_LAYER_SECONDS * (len(trials[0].model.layers) + 1)
    stacks = math.ceil(len(trials) / stack_size(datasets[0].n_train, trials[0].model.layers))  # as _in_stacks cuts
    units = sum(d.n_train * (sum(t.model.layers) + d.output_dim) for t, d in zip(trials, datasets))
    return stacks * fixed + units * STACK_UNIT_SECONDS


def _in_stacks(trials: Sequence[TrialLike], datasets: Sequence[Dataset], **engine: float) -> list[Outcome]:
    """Train ``trials`` in stacks of equal networks, at most :func:`stack_size` members each."""
    groups: dict[Any, list[int]] = {}
    for i, (t, d) in enumerate(zip(trials, datasets)):
        groups.setdefault(scratch_group_key(t, d), []).append(i)
    outcomes: list[Outcome | None] = [None] * len(trials)
    for idx in groups.values():
        size = stack_size(datasets[idx[0]].n_train, trials[idx[0]].model.layers)
        for s in range(0, len(idx), size):
            chunk = idx[s:s + size]
            outs = train_scratch_group([trials[i] for i in chunk], [datasets[i] for i in chunk], **engine)
            for i, o in zip(chunk, outs):
                outcomes[i] = o
    return outcomes  # type: ignore[return-value]


def train_autograd(trial: TrialLike, data: Dataset, *, device: str = "cpu") -> Outcome:
    """Train one trial as a plain ``torch.nn.Module`` with autograd (:func:`atomlab.engine.train_module`).

    Examples
    --------
    >>> trial, data = example_trial()
    >>> out = train_autograd(trial, data)
    >>> alone = train_scratch(trial, data)
    >>> out.info["engine"], bool(abs(out.rows[-1]["train_loss"] - alone.rows[-1]["train_loss"]) < 1e-9)
    ('autograd', True)
    """
    from atomlab.engine.general import train_module  # torch: only this kind needs it

    _check_recipe(trial)
    m, t = trial.model, trial.train
    module = m.build_module(data.input_dim, data.output_dim, trial.seed, dtype=t.torch_dtype)
    out = train_module(module, data, t, seed=trial.seed, device=device)  # draws the grid too
    out.info["engine"] = "autograd"
    return out


@register_trial_kind("scratch", group_by=scratch_group_key, step_seconds=stack_step_seconds)
def run_scratch(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, device: str = "cpu") -> list[Outcome]:
    """Trial kind ``scratch``: :class:`atomlab.scratch.DeepNet` (NumPy, CPU), equal networks stacked.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> from atomlab.engine.trial_kinds import trial_kinds
    >>> trial_kinds.get("scratch") is run_scratch, len(run_scratch([trial], [data]))
    (True, 1)
    """
    return _in_stacks(trials, datasets)


@register_trial_kind("scratch_nudged", group_by=scratch_group_key, step_seconds=stack_step_seconds)
def run_nudged(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, device: str = "cpu") -> list[Outcome]:
    """Trial kind ``scratch_nudged``: the scratch engine from the trial's weights with ``W1[0, 0] * (1 + 1e-15)``.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> a, b = run_scratch([trial], [data])[0], run_nudged([trial], [data])[0]
    >>> bool(a.state["W0"][0, 0] != b.state["W0"][0, 0]), b.info["engine"]
    (True, 'nudged')
    """
    return _in_stacks(trials, datasets, nudge=NUDGE)


@register_trial_kind("scratch_relu0", group_by=scratch_group_key, step_seconds=stack_step_seconds)
def run_relu0(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, device: str = "cpu") -> list[Outcome]:
    """Trial kind ``scratch_relu0``: the scratch engine with PyTorch's ReLU'(0) = 0.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> run_relu0([trial], [data])[0].info["engine"]
    'scratch0'
    """
    return _in_stacks(trials, datasets, relu_grad_at_zero=0.0)


@register_trial_kind("scratch_autograd")
def run_autograd(trials: Sequence[TrialLike], datasets: Sequence[Dataset], *, device: str = "cpu") -> list[Outcome]:
    """Trial kind ``scratch_autograd``: each trial trained as one ``torch.nn.Module`` with autograd.

    Examples
    --------
    >>> trial, data = example_trial()
    >>> run_autograd([trial], [data])[0].info["engine"]
    'autograd'
    """
    from atomlab.engine.threads import threads  # torch's threads: only this kind uses torch

    dev = "cpu" if device == "auto" else device
    # Matrices of a few hundred by a few units gain nothing from intra-op threads, and on a busy machine
    # the threads' waiting made a step 10 to 50 times slower (measured: 200 autograd steps of a 2-3-2
    # network in 4 to 18 s with 2 threads, 0.33 s with 1).
    with threads(1):
        return [train_autograd(t, d, device=dev) for t, d in zip(trials, datasets)]
