"""Ways to train P small MLPs on the same task, from naive to vectorised.

Each contender is ``fn(task, P) -> seconds`` for training ``P`` models of ``task`` (a
:class:`Task`). They all do the same arithmetic: same architecture, data, batch size, epochs and
optimiser; only the way the work is organised differs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from atomlab.bench.kernel_gate import KernelTierNotUsed, check_kernel_tier  # noqa: F401 (public here)
from atomlab.bench.workloads import Task
from atomlab.data.dataset import Dataset


@dataclass
class Skip:
    """A contender that cannot run this workload, and why (reported in the table instead of a rate)."""

    reason: str


def _act(name: str) -> torch.nn.Module:
    return {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid()}[name]


def naive_torch(task: Task, P: int) -> float:
    """One ``nn.Sequential`` and one ``torch.optim`` optimiser after another: the baseline."""
    X = torch.as_tensor(task.data.X_train, dtype=torch.float32).reshape(task.data.n_train, -1)
    y = torch.as_tensor(task.data.y_train)
    start = time.perf_counter()
    for seed in range(P):
        torch.manual_seed(seed)
        dims = [X.shape[1], *task.layers]
        layers: list[torch.nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [torch.nn.Linear(a, b), _act(task.activation)]
        model = torch.nn.Sequential(*layers, torch.nn.Linear(dims[-1], task.data.output_dim))
        opt = (torch.optim.SGD if task.optimizer == "sgd" else torch.optim.Adam)(model.parameters(), lr=task.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        g = torch.Generator().manual_seed(seed)
        for _ in range(task.epochs):
            perm = torch.randperm(len(X), generator=g)
            for s in range(0, len(X), task.batch_size):
                idx = perm[s:s + task.batch_size]
                opt.zero_grad()
                loss_fn(model(X[idx]), y[idx]).backward()
                opt.step()
    return time.perf_counter() - start


def sklearn_mlp(task: Task, P: int) -> float:
    """scikit-learn's ``MLPClassifier`` with the same recipe, one model after another."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X = task.data.X_train.reshape(task.data.n_train, -1)
    start = time.perf_counter()
    for seed in range(P):
        clf = MLPClassifier(hidden_layer_sizes=task.layers, activation=task.activation.replace("sigmoid", "logistic"),
                            solver=task.optimizer, learning_rate_init=task.lr, batch_size=task.batch_size,
                            max_iter=task.epochs, momentum=0.0, nesterovs_momentum=False, n_iter_no_change=10**9,
                            tol=0.0, alpha=0.0, random_state=seed, shuffle=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, task.data.y_train)
    return time.perf_counter() - start


def numpy_scratch(task: Task, P: int) -> float:
    """The problem set's NumPy network (``atomlab.scratch``) with minibatch SGD, one after another."""
    from atomlab.scratch import DeepNet

    X = task.data.X_train.reshape(task.data.n_train, -1).astype(np.float32)
    y = task.data.y_train
    sizes = [X.shape[1], *task.layers, task.data.output_dim]
    start = time.perf_counter()
    for seed in range(P):
        net = DeepNet(sizes, activation=task.activation, seed=seed, reg_lambda=0.0, init="he", dtype=np.float32)
        rng = np.random.default_rng(seed)
        for _ in range(task.epochs):
            perm = rng.permutation(len(X))
            for s in range(0, len(X), task.batch_size):
                idx = perm[s:s + task.batch_size]
                grads = net.backward(X[idx], y[idx])
                for i, (W, b) in enumerate(zip(net.weights, net.biases), 1):
                    W -= task.lr * grads[f"W{i}"]
                    b -= task.lr * grads[f"b{i}"]
    return time.perf_counter() - start


def torch_vmap(task: Task, P: int) -> float:
    """PyTorch's model-ensembling recipe: ``stack_module_state`` + ``vmap(functional_call)``."""
    from torch.func import functional_call, grad, stack_module_state, vmap

    X = torch.as_tensor(task.data.X_train, dtype=torch.float32).reshape(task.data.n_train, -1)
    y = torch.as_tensor(task.data.y_train)
    dims = [X.shape[1], *task.layers]

    def build():
        layers: list[torch.nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [torch.nn.Linear(a, b), _act(task.activation)]
        return torch.nn.Sequential(*layers, torch.nn.Linear(dims[-1], task.data.output_dim))

    models = [build() for _ in range(P)]
    params, buffers = stack_module_state(models)
    base = build().to("meta")

    def loss(p, b, xb, yb):
        return torch.nn.functional.cross_entropy(functional_call(base, (p, b), (xb,)), yb)

    grad_fn = vmap(grad(loss), in_dims=(0, 0, 0, 0))
    gens = [torch.Generator().manual_seed(s) for s in range(P)]
    start = time.perf_counter()
    for _ in range(task.epochs):
        perms = torch.stack([torch.randperm(len(X), generator=g) for g in gens])
        for s in range(0, len(X), task.batch_size):
            idx = perms[:, s:s + task.batch_size]
            grads = grad_fn(params, buffers, X[idx], y[idx])
            with torch.no_grad():
                for k in params:
                    params[k].sub_(task.lr * grads[k])
    return time.perf_counter() - start


def atomlab_members(task: Task, seeds) -> list:
    """The population of ``task`` as the engine's members (one per seed)."""
    from atomlab.engine import Member, TrainSpec
    from atomlab.nn import MLPSpec

    spec = MLPSpec(layers=task.layers, activation=task.activation, init="he_uniform")
    train = TrainSpec(optimizer=task.optimizer, lr=task.lr, batch_size=task.batch_size, epochs=task.epochs,
                      sampling="shuffle", record_every=10**9)
    return [Member(spec, train, s, task.data) for s in seeds]


def atomlab_population(task: Task, P: int, *, backend: str = "auto", fastpath: bool = True) -> float | Skip:
    """atomlab's population engine: all P models in one vectorised loop (``backend`` as PopulationTrainer's).

    With ``backend="auto"`` the run must have used the compiled tier where it covers the workload
    (:func:`check_kernel_tier`); ``backend="kernel"`` on a workload it does not cover is a :class:`Skip`.
    """
    from atomlab.engine import PopulationTrainer, compiled
    from atomlab.nn import PopulationMLP

    members = atomlab_members(task, range(P))
    if backend == "kernel":
        m = members[0]
        net = PopulationMLP([m.model], [0], m.data.input_dim, m.data.output_dim)
        rows = m.data.n_train if m.train.full_batch(m.data.n_train) else m.train.batch_size
        why = compiled.unsupported(net, m.train, [m.train.loss], m.data.task, rows=rows)
        if why is not None:
            return Skip(f"not covered by the kernel tier: {why}")
    start = time.perf_counter()
    # No evaluation before training: no other contender evaluates (the one at the end stays, as in a run)
    outcomes = PopulationTrainer(members, device="cpu", use_fastpath=fastpath, backend=backend,
                                 record_start=False).run()
    seconds = time.perf_counter() - start
    if fastpath and backend == "auto":
        check_kernel_tier(task.name, [o.info for o in outcomes])
    return seconds


def atomlab_workers(task: Task, P: int, *, workers: int = 2) -> float:
    """atomlab's runner with ``workers`` processes of one thread, each training part of the population."""
    from atomlab.bench import _worker

    return _worker.parallel_population(task, P, workers)


#: Activations the JAX contenders know, by atomlab name (looked up by name: JAX is imported lazily).
JAX_ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity", "sin", "square", "sign", "abs")


def jax_trainer(model, train, data: Dataset, *, record: bool = False):
    """One MLP's whole training as one traced JAX function; ``jit(vmap(run))`` trains a population.

    ``model`` (an :class:`~atomlab.nn.MLPSpec`) gives the layers and activation, ``train`` (a
    :class:`~atomlab.engine.TrainSpec`) the optimiser (SGD or Adam as ``torch.optim``), loss, L2
    penalty, batch size, sampling and steps; ``data`` the sizes. Every step lives inside ``lax.scan``.
    Weights start He-normal from ``key`` (the arithmetic, not the numbers, is what the benchmark compares).

    Without ``record``, ``run(key, X, y) -> params``: training and nothing else (workload W, whose
    atomlab contenders record nothing either). With ``record``, ``run(key, X, y, X_test, y_test, grid)
    -> (params, metrics, surface)`` does what atomlab's runner does for a catalog trial besides training:
    at each of ``train.record_steps`` (step 0 included) the loss and accuracy (or MSE) on the whole
    training and test sets, ``metrics`` of shape ``(records, 4)``, and after training the prediction on
    the trial's grid points (``grid``; P(class 1), or the raw output for regression), ``surface``. A record
    is a ``lax.cond`` on the step number, which is the same for every member, so ``vmap`` keeps it a branch
    taken at the record steps only.
    """
    import jax
    import jax.numpy as jnp

    act = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "identity": lambda z: z,
           "sin": jnp.sin, "square": jnp.square, "sign": jnp.sign, "abs": jnp.abs}[model.activation]
    dims = [data.input_dim, *model.layers, data.output_dim]
    n = data.n_train
    full = train.full_batch(n)
    B = n if full else train.batch_size
    steps = train.total_steps(n)
    regression = train.loss == "mse"
    record_steps = train.record_steps(n) if record else []
    slot_of_step = np.full(steps + 1, -1, dtype=np.int32)
    slot_of_step[record_steps] = np.arange(len(record_steps), dtype=np.int32)

    def forward(params, xb):
        h = xb
        for W, b in params[:-1]:
            h = act(h @ W + b)
        W, b = params[-1]
        return h @ W + b

    def data_loss(out, yb):
        if regression:
            return jnp.mean((out - yb.reshape(out.shape)) ** 2)
        return -jnp.mean(jax.nn.log_softmax(out)[jnp.arange(out.shape[0]), yb])

    def loss(params, xb, yb):
        value = data_loss(forward(params, xb), yb)
        if train.regularizer in ("l2", "l2_sum"):
            value = value + train.reg_lambda * sum(jnp.sum(W * W) for W, _ in params)
        return value

    def metrics(params, X, y, X_test, y_test):
        row = []
        for Xs, ys in ((X, y), (X_test, y_test)):
            out = forward(params, Xs)
            value = data_loss(out, ys)  # for regression the loss is the MSE atomlab records beside it
            row += [value, value if regression else jnp.mean(jnp.argmax(out, -1) == ys)]
        return jnp.stack(row)

    def update(carry, xb, yb):
        p, m, v, t = carry
        g = jax.grad(loss)(p, xb, yb)
        if train.optimizer == "sgd":
            return (jax.tree_util.tree_map(lambda w, gw: w - train.lr * gw, p, g), m, v, t)
        t = t + 1  # Adam, as torch.optim.Adam
        m = jax.tree_util.tree_map(lambda a, gw: 0.9 * a + 0.1 * gw, m, g)
        v = jax.tree_util.tree_map(lambda a, gw: 0.999 * a + 0.001 * gw * gw, v, g)
        c1, c2 = 1 - 0.9**t, jnp.sqrt(1 - 0.999**t)
        return (jax.tree_util.tree_map(lambda w, a, b: w - train.lr / c1 * a / (jnp.sqrt(b) / c2 + 1e-8), p, m, v),
                m, v, t)

    def run(key, X, y, X_test=None, y_test=None, grid=None):
        k_init, k_data = jax.random.split(key)
        params = []
        for a, b in zip(dims[:-1], dims[1:]):
            k_init, k = jax.random.split(k_init)
            params.append((jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / a), jnp.zeros(b)))
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        table = jnp.zeros((len(record_steps), 4), X.dtype)
        slots = jnp.asarray(slot_of_step)

        def recorded(state, step):
            """``state = (training carry, metrics table)`` after ``step`` updates, with the record if due."""
            if not record:
                return state
            carry, rows = state
            slot = slots[step]
            rows = jax.lax.cond(slot >= 0, lambda r: r.at[slot].set(metrics(carry[0], X, y, X_test, y_test)),
                                lambda r: r, rows)
            return carry, rows

        def step_on(state, step, xb, yb):
            return recorded((update(state[0], xb, yb), state[1]), step)

        state = recorded(((params, zeros, zeros, jnp.asarray(0.0)), table), 0)
        numbers = jnp.arange(1, steps + 1)
        if full:
            state, _ = jax.lax.scan(lambda c, i: (step_on(c, i, X, y), None), state, numbers)
        elif train.sampling == "random":  # a fresh random batch every step
            def random_step(c, xs):
                k, i = xs
                idx = jax.random.randint(k, (B,), 0, n)
                return step_on(c, i, X[idx], y[idx]), None
            state, _ = jax.lax.scan(random_step, state, (jax.random.split(k_data, steps), numbers))
        else:  # shuffle: one permutation an epoch, cut into whole batches
            per_epoch = n // B
            epochs = max(1, steps // per_epoch)

            def epoch(c, xs):
                k, first = xs
                order = jax.random.permutation(k, n)[: per_epoch * B].reshape(per_epoch, B)
                inner = (order, first + jnp.arange(per_epoch))
                return jax.lax.scan(lambda c2, o: (step_on(c2, o[1], X[o[0]], y[o[0]]), None), c, inner)[0], None
            state, _ = jax.lax.scan(epoch, state, (jax.random.split(k_data, epochs),
                                                   1 + per_epoch * jnp.arange(epochs)))
        (params, *_), rows = state
        if not record:
            return params
        surface = None
        if grid is not None:
            out = forward(params, grid)
            surface = out[..., 0] if regression else jax.nn.softmax(out)[..., 1]
        return params, rows, surface

    return run


def jax_population(task: Task, P: int) -> float | None:
    """JAX ``jit(vmap(...))`` with the epoch loop inside ``lax.scan`` (None when JAX is missing)."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    from atomlab.engine import TrainSpec
    from atomlab.nn import MLPSpec

    model = MLPSpec(layers=task.layers, activation=task.activation)
    train = TrainSpec(optimizer=task.optimizer, lr=task.lr, batch_size=task.batch_size, epochs=task.epochs,
                      sampling="shuffle", loss="cross_entropy")
    X = jnp.asarray(task.data.X_train.reshape(task.data.n_train, -1), dtype=jnp.float32)
    y = jnp.asarray(task.data.y_train)
    run = jax.jit(jax.vmap(jax_trainer(model, train, task.data), in_axes=(0, None, None)))
    keys = jax.random.split(jax.random.PRNGKey(0), P)
    jax.block_until_ready(run(keys, X, y))  # compile (not timed: reported separately)
    start = time.perf_counter()
    jax.block_until_ready(run(keys, X, y))
    return time.perf_counter() - start


def matmul_peak_gflops(threads: int | None = None, n: int = 1024, repeats: int = 10) -> float:
    """Measured float32 matmul throughput of this machine (GFLOP/s) with torch's current threads."""
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9
