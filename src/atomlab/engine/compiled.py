"""The compiled tier of the population engine: numba kernels train a stretch of steps in one call.

For the small MLPs of the catalog a step of the NumPy fast path is about 40 to 80 library calls of a
microsecond or two on arrays of a few hundred numbers: the arithmetic is a small part of it. The
kernels in :mod:`atomlab.engine._kernels` run every step between two record points, for every member,
in one call, with the members as the SIMD lanes; recording, evaluation, prediction grids and snapshots
stay with :class:`~atomlab.engine.population.PopulationTrainer`, which writes the kernel's weights back
into the population's tensors before each of them.

What the tier covers (:func:`unsupported` says why a population is not covered): dense layers of up to
:data:`MAX_MATRIX` weights each, optionally shared, with or without residual connections (002's
``z = h W + b + h`` on the hidden layers whose widths match); the built-in activations of
:data:`ACTIVATIONS` (members may differ in activation and loss: each combination trains as its own group
of lanes); every built-in loss of :mod:`atomlab.nn.losses` (:data:`LOSSES`: cross-entropy and 002's padded
cross-entropy; MSE, MAE and the fourth power on softmax probabilities; their ``logit_*`` twins, the hinge and
the constant control on raw outputs; on regression targets all but the two cross-entropies); the built-in
SGD, momentum (Nesterov too), Adam, RMSprop and Adagrad; L1 / L2 penalties; minibatches drawn exactly as
:func:`~atomlab.engine.sampling.batch_indices` draws them, or full batch; float32 or float64. Everything
else (user-registered functions, dropout, batch norm, wide layers, CUDA) runs on the NumPy / torch path,
chosen automatically; the outcome's ``info["backend"]`` says which path trained it.

numba is a dependency of the package; where it cannot be imported atomlab says so once (a
``RuntimeWarning``) and trains on the NumPy / torch path.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from atomlab.engine.sampling import index_blocks
from atomlab.engine.spec import TrainSpec
from atomlab.nn.activations import activations as _activations
from atomlab.nn.losses import (
    PADDED_CE_EPSILON,
    constant,
    cross_entropy,
    fourth_power,
    hinge,
    logit_fourth_power,
    logit_mae,
    logit_mse,
    mae,
    mse,
    padded_cross_entropy,
)
from atomlab.nn.losses import losses as _losses
from atomlab.nn.optimizers import SGD, Adagrad, Adam, Momentum, RMSprop
from atomlab.nn.optimizers import optimizers as _optimizers
from atomlab.nn.regularizers import l1, l1_sum, l2, l2_sum
from atomlab.nn.regularizers import regularizers as _regularizers

#: Largest weight matrix (fan_in x fan_out) the kernels train; wider layers go to BLAS (torch / NumPy).
MAX_MATRIX = 4096
#: Most multiply-adds per member and step (examples x weights) the kernels take; above, BLAS (the NumPy
#: fast path or autograd). Measured with ``benchmarks/profile_kernel_tier.py``'s part 3 (kernels against
#: the path ``auto`` takes otherwise, one thread, busy 2-core Zen 3; Adam 2-w-w-2 at batch b, 120 members
#: of six activations -> autograd, 40 of one -> NumPy): w 30, b 64 (65,280, activation-functions) 1.9x
#: autograd, 1.6x NumPy; w 30, b 256 (261,120) 2.1x / 1.4x; w 45, b 128 (282,240) 1.5x / 1.1x; w 60, b 64
#: (245,760) 1.4x / 0.99x; SGD 2-10-10-10-10-2 on 1,000 rows (340,000) 3.2x / 1.7x. BLAS wins on wide
#: layers: 2-40-40-40-40-2 at b 100 (496,000) 1.4x autograd but 0.83x NumPy. Below this limit every
#: measured population was at least level with both paths.
MAX_STEP_MACS = 250_000
#: Weight matrices of at most this many weights (20 x 20) are narrow: BLAS gains nothing on them, so
#: :data:`MAX_STEP_MACS` does not apply and the kernels take them at any batch size. Measured with
#: ``benchmarks/kernel_crossover.py`` (one thread, idle 2-core machine): the 2-D suite's 2-10-10-10-10-2 at
#: 1,000 rows (340,000 multiply-adds) 2.1 to 2.8x autograd, its eight layers of 10 (740,000) 2.0 to 2.2x;
#: ``--narrow``: four of 16 (832,000) 1.74x autograd and 1.24x NumPy, four of 20 (1.28 million) 1.60x and
#: 1.33x, eight of 10 3.19x and 1.62x; wider matrices lose at that size (four of 40 at 1,000 rows: 0.81x
#: autograd).
NARROW_MATRIX = 400
#: Lanes of one block are a multiple of this: one AVX2 register of float32 lanes, the kernels' SIMD
#: value (``_kernels.VEC_BYTES``). With 16, activation-functions' groups of 20 members ran on 32 lanes.
LANE_MULTIPLE = 8
#: Most lanes in one block (64 lanes measured 1.6x 16 lanes on a dense layer of W).
MAX_LANES = 64
#: Most minibatch indices held at once (members x batch x steps), bounding the memory of long stretches.
MAX_INDEX_ELEMENTS = 2**21

_K = None  # the kernels module, once imported
_WARNED = False


def _kernels():
    """The numba kernels module, or None (said once) when numba cannot be imported."""
    global _K, _WARNED
    if _K is None:
        try:
            _kernels = _import_kernels()
        except ImportError as exc:
            if not _WARNED:
                _WARNED = True
                warnings.warn(f"numba cannot be imported ({exc}); atomlab trains on its NumPy / torch path, "
                              "several times slower for small networks. Install numba to use the compiled tier.",
                              RuntimeWarning, stacklevel=3)
            return None
        _K = _kernels
    return _K


def _import_kernels():
    """Import the kernels; where no cache directory is writable, with a private temporary one.

    numba caches compiled code beside the source (``__pycache__``) or in the user's cache directory
    (``NUMBA_CACHE_DIR`` overrides both); when none of them can be written (a read-only install and
    home), ``cache=True`` raises at import. The kernels then cache in a temporary directory for this
    process: every process compiles them once, nothing fails.
    """
    try:
        return importlib.import_module("atomlab.engine._kernels")
    except RuntimeError as exc:
        if "cannot cache" not in str(exc):
            raise
    import tempfile

    from numba.core import config

    config.CACHE_DIR = tempfile.mkdtemp(prefix="atomlab-numba-cache-")
    warnings.warn(f"no writable numba cache directory; compiled kernels are cached in {config.CACHE_DIR} for "
                  "this process only (set NUMBA_CACHE_DIR to keep them)", RuntimeWarning, stacklevel=4)
    return importlib.import_module("atomlab.engine._kernels")


def available() -> bool:
    """Whether the compiled tier can run here (numba imports).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return _kernels() is not None


# The built-in functions by name, captured when atomlab registers them: a name re-registered by a user
# (``overwrite=True``) is a user function and runs on the general path.
ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity", "square", "sin", "abs", "sign", "swish", "elu", "softplus",
               "leaky_relu")
_BUILTIN_ACTIVATIONS = {name: _activations.get(name) for name in ACTIVATIONS}
_BUILTIN_LOSSES = {"cross_entropy": cross_entropy, "mse": mse, "mae": mae, "fourth_power": fourth_power, "hinge": hinge,
                   "constant": constant, "logit_mse": logit_mse, "logit_mae": logit_mae,
                   "logit_fourth_power": logit_fourth_power, "padded_cross_entropy": padded_cross_entropy}
#: The built-in losses the kernels train (``_LABEL_LOSSES`` on classification only).
LOSSES = tuple(_BUILTIN_LOSSES)
#: The losses that need integer labels (the autograd path cannot compute them on regression targets either).
_LABEL_LOSSES = ("cross_entropy", "padded_cross_entropy")
_BUILTIN_OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}
_BUILTIN_PENALTIES = {"l2": l2, "l1": l1, "l2_sum": l2_sum, "l1_sum": l1_sum}


def _loss_code(K, name: str, regression: bool) -> int:
    """The kernels' code of the built-in loss ``name`` (on regression targets when ``regression``)."""
    assert K.PADDED_CE_EPSILON == PADDED_CE_EPSILON  # the kernels' copy of 002's floor
    if regression:  # the logit_* losses are their plain namesakes on float targets
        return {"mse": K.MSE_REGRESSION, "logit_mse": K.MSE_REGRESSION, "mae": K.MAE_REGRESSION,
                "logit_mae": K.MAE_REGRESSION, "fourth_power": K.FOURTH_POWER_REGRESSION,
                "logit_fourth_power": K.FOURTH_POWER_REGRESSION, "hinge": K.HINGE_REGRESSION,
                "constant": K.CONSTANT_REGRESSION}[name]
    return {"cross_entropy": K.CROSS_ENTROPY, "mse": K.MSE, "padded_cross_entropy": K.PADDED_CROSS_ENTROPY,
            "mae": K.MAE, "fourth_power": K.FOURTH_POWER, "logit_mse": K.LOGIT_MSE, "logit_mae": K.LOGIT_MAE,
            "logit_fourth_power": K.LOGIT_FOURTH_POWER, "hinge": K.HINGE, "constant": K.CONSTANT}[name]


def _builtin(registry, table: dict, name: str) -> bool:
    return name in table and name in registry and registry.get(name) is table[name]


def unsupported(net, spec: TrainSpec, losses: Sequence[str], task: str, *, masked: bool = False,
                rows: int | None = None) -> str | None:
    """Why the compiled tier cannot train this population, or None when it can.

    Parameters
    ----------
    net : PopulationMLP
        The population (architecture, activations, device).
    spec : TrainSpec
        The shared recipe (optimiser, penalty, dtype).
    losses : sequence of str
        Each member's loss.
    task : {"classification", "regression"}
        The data's task.
    masked : bool
        Whether members' training sets differ in size (full batch over padded data).
    rows : int, optional
        Examples per step (the batch, or the training set for full batch); with it, populations above
        :data:`MAX_STEP_MACS` multiply-adds per member and step are left to BLAS, unless every weight
        matrix is narrow (:data:`NARROW_MATRIX`).

    Examples
    --------
    >>> from atomlab.nn import MLPSpec, PopulationMLP
    >>> net = PopulationMLP([MLPSpec(layers=(8,), dropout=0.1)], [0], 2, 2)
    >>> unsupported(net, TrainSpec(steps=1), ["cross_entropy"], "classification")
    'dropout'
    """
    if net.device.type != "cpu":
        return f"device {net.device.type} (the kernels run on the CPU)"
    if net.batchnorm:
        return "batch norm"
    if net.any_dropout:
        return "dropout"
    for s in net.specs:
        if not _builtin(_activations, _BUILTIN_ACTIVATIONS, s.activation):
            return f"activation {s.activation!r}"
    for loss in set(losses):
        if not _builtin(_losses, _BUILTIN_LOSSES, loss):
            return f"loss {loss!r}"
        if task == "regression" and loss in _LABEL_LOSSES:
            return f"loss {loss!r} on regression"
    if not _builtin(_optimizers, _BUILTIN_OPTIMIZERS, spec.optimizer):
        return f"optimizer {spec.optimizer!r}"
    if spec.regularizer is not None and not _builtin(_regularizers, _BUILTIN_PENALTIES, spec.regularizer):
        return f"regularizer {spec.regularizer!r}"
    if masked:
        return "members' training sets differ in size"
    shapes, _ = net.specs[0].layer_plan(net.input_dim, net.output_dim)
    widest = max(shapes, key=lambda s: s[0] * s[1])
    if widest[0] * widest[1] > MAX_MATRIX:
        return f"a {widest[0]} x {widest[1]} weight matrix (the kernels take up to {MAX_MATRIX} weights a layer)"
    if rows is not None and widest[0] * widest[1] > NARROW_MATRIX:
        _, slots = net.specs[0].layer_plan(net.input_dim, net.output_dim)
        macs = rows * sum(shapes[s][0] * shapes[s][1] for s in slots)
        if macs > MAX_STEP_MACS:
            return (f"{macs} multiply-adds per member and step (BLAS is faster above {MAX_STEP_MACS}: "
                    f"{rows} examples x {macs // rows} weights)")
    if not available():
        return "numba is not installed"
    return None


def lane_blocks(n: int) -> tuple[int, int]:
    """``(blocks, lanes)`` for a group of ``n`` members: as few blocks as :data:`MAX_LANES` allows, each a
    multiple of :data:`LANE_MULTIPLE` lanes (padding lanes repeat a member and are discarded).

    Examples
    --------
    >>> lane_blocks(1), lane_blocks(24), lane_blocks(64), lane_blocks(120)
    ((1, 8), (1, 24), (1, 64), (2, 64))
    """
    blocks = _ceil_div(n, MAX_LANES)
    return blocks, _ceil_div(_ceil_div(n, blocks), LANE_MULTIPLE) * LANE_MULTIPLE


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class _IndexStream:
    """The population's minibatch indices, step after step, cut from :func:`index_blocks` as drawn."""

    def __init__(self, blocks: Iterator[tuple[torch.Tensor, list[int]]]) -> None:
        self._blocks = blocks
        self._idx = np.zeros((0, 0), dtype=np.int64)
        self._sizes: list[int] = []
        self._step = self._col = 0

    def take(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``k`` steps' indices ``[P, m]`` and where each step's start ``[k + 1]``."""
        parts, starts = [], [0]
        while k > 0:
            if self._step == len(self._sizes):
                block, self._sizes = next(self._blocks)
                self._idx = block.numpy()
                self._step = self._col = 0
            sizes = self._sizes[self._step:self._step + k]
            width = sum(sizes)
            parts.append(self._idx[:, self._col:self._col + width])
            for s in sizes:
                starts.append(starts[-1] + s)
            self._step += len(sizes)
            self._col += width
            k -= len(sizes)
        return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.int64), np.asarray(starts, np.int64)


class _Group:
    """Members that share an activation and a loss, in blocks of lanes, with their packed state."""

    def __init__(self, members: np.ndarray, act: int, loss: int, n_rows: int, dtype) -> None:
        self.members = members
        self.act, self.loss_code = act, loss
        self.blocks, self.lanes = lane_blocks(len(members))
        # lane -> member: members in order, a block's padding lanes repeating its last member;
        # ``real`` marks the lane that reports each member
        per_block = _ceil_div(len(members), self.blocks)
        self.lane_member = np.zeros((self.blocks, self.lanes), dtype=np.int64)
        self.real = np.zeros((self.blocks, self.lanes), dtype=bool)
        for b in range(self.blocks):
            chunk = members[b * per_block:(b + 1) * per_block]
            self.lane_member[b] = chunk[-1]
            self.lane_member[b, :len(chunk)] = chunk
            self.real[b, :len(chunk)] = True
        shape = (self.blocks, n_rows, self.lanes)
        self.theta = np.zeros(shape, dtype=dtype)
        self.ceiling = np.zeros((self.blocks, self.lanes), dtype=dtype)
        self.diverged = np.full((self.blocks, self.lanes), -1, dtype=np.int64)


class KernelTier:
    """Trains a population with the numba kernels, a stretch of steps per call.

    Parameters
    ----------
    net : PopulationMLP
        The population; its tensors hold the initial weights and receive the trained ones
        (:meth:`write_back`).
    spec : TrainSpec
        The shared recipe.
    losses : sequence of str
        Each member's loss.
    lr, reg_lambda : ndarray
        Each member's learning rate and penalty strength ``[P]``.
    X, y : ndarray
        Training data: ``[n, d]`` and ``[n]`` (or ``[n, K]``) when every member shares it, else with a
        leading member axis.
    shared : bool
        Whether ``X`` and ``y`` are one data set for every member.
    seeds, n_train : sequence of int
        Each member's seed and training-set size (the minibatch stream).

    The caller checks :func:`unsupported` first.
    """

    def __init__(self, net, spec: TrainSpec, losses: Sequence[str], lr: np.ndarray, reg_lambda: np.ndarray,
                 X: np.ndarray, y: np.ndarray, *, shared: bool, seeds: Sequence[int], n_train: Sequence[int]) -> None:
        K = _kernels()
        self.K = K
        self.net = net
        self.spec = spec
        self.dtype = np.float32 if net.dtype == torch.float32 else np.float64
        P = net.P
        self.P = P
        dt = self.dtype
        shapes, slots = net.specs[0].layer_plan(net.input_dim, net.output_dim)
        self.dims = np.asarray([net.input_dim, *net.specs[0].layers, net.output_dim], dtype=np.int64)
        woff, boff, row = [], [], 0
        for fi, fo in shapes:
            woff.append(row)
            boff.append(row + fi * fo)
            row += fi * fo + fo
        self.n_rows = row
        self.shapes = shapes
        self.woff, self.boff = woff, boff
        self.slots_w = np.asarray([woff[s] for s in slots], dtype=np.int64)
        self.slots_b = np.asarray([boff[s] for s in slots], dtype=np.int64)
        self.swoff = np.asarray(woff, dtype=np.int64)
        self.snumel = np.asarray([fi * fo for fi, fo in shapes], dtype=np.int64)
        n_layers = len(self.dims) - 1
        # a hidden layer adds its input where the widths match, as PopulationMLP.forward does
        self.residual = np.asarray([int(bool(net.residual) and layer < n_layers - 1
                                    and self.dims[layer] == self.dims[layer + 1]) for layer in range(n_layers)],
                               dtype=np.int64)

        # data: a member axis always; y as labels [Pd, n] or regression targets [Pd, n, K]
        Xa = np.asarray(X, dtype=dt)
        Xa = Xa.reshape(1 if shared else P, Xa.shape[-2] if shared else Xa.shape[1], -1)
        self.X = np.ascontiguousarray(Xa)
        n = self.X.shape[1]
        out = net.output_dim
        self.regression = np.asarray(y).dtype.kind == "f"
        ya = np.asarray(y)
        if self.regression:
            self.Yr = np.ascontiguousarray(ya.reshape(self.X.shape[0], n, out), dtype=dt)
            self.Yl = np.zeros((1, 1), dtype=np.int64)
        else:
            self.Yl = np.ascontiguousarray(ya.reshape(self.X.shape[0], n), dtype=np.int64)
            self.Yr = np.zeros((1, 1, 1), dtype=dt)
        self.shared = shared
        self.full = spec.full_batch(min(n_train)) and spec.full_batch(max(n_train))
        rows = n if self.full else spec.batch_size
        self.rows = rows

        # groups of lanes by (activation, loss)
        loss_code = {name: _loss_code(K, name, self.regression) for name in set(losses)}
        act_code = {name: i for i, name in enumerate(ACTIVATIONS)}
        assert [act_code[a] for a in ("relu", "tanh", "sigmoid")] == [K.RELU, K.TANH, K.SIGMOID]
        combos: dict[tuple[int, int], list[int]] = {}
        for i, (s, loss) in enumerate(zip(net.specs, losses)):
            combos.setdefault((act_code[s.activation], loss_code[loss]), []).append(i)
        self.groups = [_Group(np.asarray(idx, dtype=np.int64), a, lo, self.n_rows, dt)
                       for (a, lo), idx in combos.items()]

        # the optimiser's hyper-parameters as fastpath_numpy reads them, and its state
        h = {**_BUILTIN_OPTIMIZERS[spec.optimizer].defaults, **spec.optimizer_params}
        self.hyper = np.zeros(7, dtype=np.float64)
        self.hyper[K.H_MOMENTUM] = h.get("momentum", 0.9)
        self.hyper[K.H_NESTEROV] = float(bool(h.get("nesterov", False)))
        self.hyper[K.H_BETA1] = h.get("beta1", 0.9)
        self.hyper[K.H_BETA2] = h.get("beta2", 0.999)
        self.hyper[K.H_EPS] = h.get("eps", 1e-10 if spec.optimizer == "adagrad" else 1e-8)
        self.hyper[K.H_ALPHA] = h.get("alpha", 0.99)
        from atomlab.engine.outcome import DIVERGENCE_FACTOR

        self.hyper[K.H_DIVERGENCE] = DIVERGENCE_FACTOR
        self.opt = {"sgd": K.SGD, "momentum": K.MOMENTUM, "adam": K.ADAM, "rmsprop": K.RMSPROP,
                    "adagrad": K.ADAGRAD}[spec.optimizer]
        copies = {K.SGD: 0, K.MOMENTUM: 1, K.RMSPROP: 1, K.ADAGRAD: 1, K.ADAM: 2}[self.opt]
        self.penalty = {None: K.NO_PENALTY, "l2": K.L2, "l1": K.L1, "l2_sum": K.L2_SUM,
                        "l1_sum": K.L1_SUM}[spec.regularizer]
        lr = np.asarray(lr, dtype=dt).reshape(P)
        lam = np.asarray(reg_lambda, dtype=dt).reshape(P)
        for g in self.groups:
            g.lr = np.ascontiguousarray(lr[g.lane_member])
            g.lam = np.ascontiguousarray(lam[g.lane_member])
            shape = (g.blocks, self.n_rows if copies >= 1 else 0, g.lanes)
            g.opt_a = np.zeros(shape, dtype=dt)
            g.opt_b = np.zeros((g.blocks, self.n_rows if copies >= 2 else 0, g.lanes), dtype=dt)
            if self.opt == K.ADAGRAD:
                g.opt_a[...] = h.get("initial_accumulator_value", 0.0)
            g.lane_data = np.zeros_like(g.lane_member) if shared else g.lane_member.copy()
            if self.full:  # every training row in lane layout, once
                q = g.lane_data  # [blocks, lanes]
                xs = self.X[q]  # [blocks, lanes, n, d]
                g.xb = np.ascontiguousarray(xs.reshape(g.blocks, g.lanes, -1).transpose(0, 2, 1))
                if self.regression:
                    g.yr = np.ascontiguousarray(self.Yr[q].reshape(g.blocks, g.lanes, -1).transpose(0, 2, 1))
                    g.yl = np.zeros((g.blocks, 1, g.lanes), dtype=np.int64)
                else:
                    g.yl = np.ascontiguousarray(self.Yl[q].transpose(0, 2, 1))
                    g.yr = np.zeros((g.blocks, 1, g.lanes), dtype=dt)
            else:
                g.xb = np.zeros((1, rows * net.input_dim, g.lanes), dtype=dt)
                g.yl = np.zeros((1, rows, g.lanes), dtype=np.int64)
                g.yr = np.zeros((1, rows * out if self.regression else 1, g.lanes), dtype=dt)
            widths = [int(w) for w in self.dims[1:]]
            g.zoff = np.asarray(np.cumsum([0, *[rows * w for w in widths[:-1]]]), dtype=np.int64)
            z_rows = rows * sum(widths)
            g.Z = np.zeros((z_rows, g.lanes), dtype=dt)
            g.H = np.zeros((z_rows, g.lanes), dtype=dt)
            g.G = np.zeros((rows * max(widths), g.lanes), dtype=dt)
            g.D = np.zeros((rows * max([1, *widths[:-1]]), g.lanes), dtype=dt)
            g.grad = np.zeros((self.n_rows, g.lanes), dtype=dt)
            g.losses = np.zeros(g.lanes, dtype=dt)
            g.scratch = np.zeros((2, g.lanes), dtype=dt)
        assert n_layers == len(slots)
        self._pack()
        self._stream = None if self.full else _IndexStream(index_blocks(spec, seeds, n_train))
        self._empty_idx = np.zeros((1, 1, 1), dtype=np.int64)
        self.step = 0

    # ----- state ----------------------------------------------------------------------------
    def _pack(self) -> None:
        """Copy the population's tensors into each group's lanes."""
        for s, (fi, fo) in enumerate(self.shapes):
            W = self.net.weights[s].detach().numpy()
            b = self.net.biases[s].detach().numpy()[:, 0, :]
            for g in self.groups:
                m = g.lane_member
                rows = slice(self.woff[s], self.woff[s] + fi * fo)
                g.theta[:, rows, :] = W[m].reshape(g.blocks, g.lanes, -1).transpose(0, 2, 1)
                g.theta[:, self.boff[s]:self.boff[s] + fo, :] = b[m].transpose(0, 2, 1)

    def write_back(self) -> None:
        """Copy every member's trained parameters into the population's tensors (in place)."""
        for s, (fi, fo) in enumerate(self.shapes):
            W = self.net.weights[s].detach().numpy()
            b = self.net.biases[s].detach().numpy()
            for g in self.groups:
                blk, lane = np.nonzero(g.real)
                member = g.lane_member[blk, lane]
                W[member] = g.theta[blk, self.woff[s]:self.woff[s] + fi * fo, lane].reshape(-1, fi, fo)
                b[member, 0] = g.theta[blk, self.boff[s]:self.boff[s] + fo, lane]

    @property
    def diverged_at(self) -> np.ndarray:
        """Each member's first diverged step (-1: none so far) ``[P]``."""
        out = np.full(self.P, -1, dtype=np.int64)
        for g in self.groups:
            out[g.lane_member[g.real]] = g.diverged[g.real]
        return out

    # ----- training -------------------------------------------------------------------------
    def train(self, stop: int) -> None:
        """Train every member from the current step to step ``stop``."""
        while self.step < stop:
            k = stop - self.step
            if not self.full:
                k = min(k, max(1, MAX_INDEX_ELEMENTS // (self.P * self.rows)))
            self._run(k)

    def _run(self, k: int) -> None:
        K = self.K
        first = self.step + 1
        b1, b2 = self.hyper[K.H_BETA1], self.hyper[K.H_BETA2]
        # Adam's bias corrections in Python floats, exactly as fastpath_numpy computes them
        bc1 = np.asarray([1 - b1**t for t in range(first, first + k)], dtype=np.float64)
        bc2 = np.asarray([(1 - b2**t) ** 0.5 for t in range(first, first + k)], dtype=np.float64)
        if self.full:
            starts = np.zeros(k + 1, dtype=np.int64)
            idx_all = None
        else:
            idx_all, starts = self._stream.take(k)
        for g in self.groups:
            idx = self._empty_idx if idx_all is None else np.ascontiguousarray(idx_all[g.lane_member])
            K.train_steps(g.theta, g.opt_a, g.opt_b, g.lr, g.lam, self.hyper, bc1, bc2, self.dims, self.slots_w,
                          self.slots_b, self.swoff, self.snumel, g.zoff, self.residual, g.act, g.loss_code, self.opt,
                          self.penalty, self.X, self.Yl, self.Yr, g.lane_data, idx, starts, self.full, self.rows,
                          g.xb, g.yl, g.yr, first, k, g.ceiling, g.diverged, g.Z, g.H, g.G, g.D, g.grad, g.losses,
                          g.scratch)
        self.step += k


def steps_between(total: int, record_at: Sequence[int], snapshot_every: int | None,
                  grid_every: int | None) -> list[int]:
    """The steps after which the trainer needs the weights (records, snapshots, frames, the end).

    Examples
    --------
    >>> steps_between(10, [0, 5, 10], snapshot_every=4, grid_every=None)
    [4, 5, 8, 10]
    """
    events = {s for s in record_at if s > 0} | {total}
    for every in (snapshot_every, grid_every):
        if every:
            events |= set(range(every, total + 1, every))
    return sorted(s for s in events if 0 < s <= total)


__all__ = ["ACTIVATIONS", "KernelTier", "LOSSES", "MAX_MATRIX", "NARROW_MATRIX", "available", "lane_blocks",
           "steps_between", "unsupported"]
