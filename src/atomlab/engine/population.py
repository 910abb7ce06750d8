"""The fast path: train P MLPs of one shape in one vectorised loop.

The loop is the ordinary one (sample a batch, forward, loss, backward, update), written once for
all members: tensors carry a leading member dimension, each member's loss is a separate entry
of a ``[P]`` vector, and their sum is differentiated, which gives every member exactly its own
gradient because no member's loss depends on another member's weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from atomlab.data.dataset import Dataset
from atomlab.engine import compiled
from atomlab.engine.device import resolve_device
from atomlab.engine.grids import grid_axes, grid_points  # noqa: F401 (the population draws on them; re-exported)
from atomlab.engine.outcome import DIVERGENCE_FACTOR, Outcome
from atomlab.engine.sampling import batch_indices
from atomlab.engine.spec import TrainSpec
from atomlab.errors import ConfigError
from atomlab.nn import fastpath, fastpath_numpy
from atomlab.nn.losses import get_loss
from atomlab.nn.optimizers import make_optimizer
from atomlab.nn.population import PopulationMLP, _runs
from atomlab.nn.regularizers import regularizers
from atomlab.nn.spec import MLPSpec

#: Where the fast path may run (see :class:`PopulationTrainer`).
BACKENDS = ("auto", "kernel", "numpy", "torch")
EVAL_CHUNK = 16384
#: Rows evaluated at once per member; the chunk shrinks as the population grows (see _forward_chunks).
EVAL_CHUNK_ROWS = 4096
#: Elements of one evaluation chunk across the whole population (bounds evaluation memory).
EVAL_BUDGET = 2**25
#: Largest weight matrix (fan_in x fan_out) for which ``backend="auto"`` uses the NumPy fast path.
NUMPY_MAX_MATRIX = 4096
#: Below this many multiply-adds per step (all members) a population trains on one thread.
SMALL_STEP_MACS = 2_000_000


@dataclass
class Member:
    """One model to train: its architecture, recipe, seed and data.

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> m = Member(MLPSpec(layers=(4,)), TrainSpec(steps=5), seed=0, data=data)
    >>> PopulationTrainer([m], device="cpu").run()[0].final["step"]
    5
    """

    model: MLPSpec
    train: TrainSpec
    seed: int
    data: Dataset


def member_bytes(member: Member) -> int:
    """Estimated peak memory of one member while training (parameters, optimiser state, activations).

    Used to split a sweep into populations that fit in memory; reported in each outcome's info.

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> small = member_bytes(Member(MLPSpec(layers=(4,)), TrainSpec(steps=5), 0, data))
    >>> big = member_bytes(Member(MLPSpec(layers=(400, 400)), TrainSpec(steps=5), 0, data))
    >>> 0 < small < big
    True
    """
    d = member.data
    itemsize = 8 if member.train.dtype == "float64" else 4
    n_params = member.model.n_params(d.input_dim, d.output_dim)
    optimizer_copies = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adagrad": 1}.get(member.train.optimizer, 2)
    batch = d.n_train if member.train.full_batch(d.n_train) else member.train.batch_size
    widths = sum(member.model.layers) + d.output_dim
    activations = 4 * batch * (widths + d.input_dim)  # z, h, their gradients, inputs gathered per member
    evaluation = 2 * min(EVAL_CHUNK_ROWS, max(d.n_train, d.n_test)) * widths
    grid = (member.train.grid or 0) ** 2 * (2 + max(1, (member.train.grid_every or 0) and 1))
    snapshots = 0
    if member.train.snapshot_every:
        snapshots = n_params * (member.train.total_steps(d.n_train) // member.train.snapshot_every + 1)
    return itemsize * ((2 + optimizer_copies) * n_params + activations + evaluation + grid + snapshots)


def population_key(member: Member) -> tuple:
    """Members with equal keys can train together in one population.

    A population predicts on one grid, so members that ask for a prediction grid share a population only
    when their data gives the same grid (a domain fitted to each seed's sample differs between seeds).

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> key = lambda layers, lr: population_key(Member(MLPSpec(layers=layers), TrainSpec(steps=5, lr=lr), 0, data))
    >>> key((4,), 0.1) == key((4,), 0.01), key((4,), 0.1) == key((8,), 0.1)  # lr may differ, shapes not
    (True, False)
    """
    d = member.data
    grid = None
    if member.train.grid and d.input_dim in (1, 2):
        grid = tuple(round(float(v), 12) for axis in grid_axes(d, 2) for v in (axis.min(), axis.max()))
    return (member.model.shape_key(d.input_dim, d.output_dim), member.train.group_key(d.n_train), d.task, grid)


class _Data:
    """Training and test tensors for the members, shared when every member has the same data."""

    def __init__(self, datasets: Sequence[Dataset], dtype: torch.dtype, device: torch.device) -> None:
        first = datasets[0]
        self.task = first.task
        self.shared = all(d is first for d in datasets)
        self.n_train = [d.n_train for d in datasets]
        self.n_test = [d.n_test for d in datasets]
        ydtype = torch.int64 if self.task == "classification" else dtype

        def tensor(a, dt):
            return torch.as_tensor(np.asarray(a), device=device).to(dt)

        def flat(a):
            a = np.asarray(a)
            return a.reshape(len(a), -1)

        if self.shared:
            self.X_train, self.y_train = tensor(flat(first.X_train), dtype), tensor(first.y_train, ydtype)
            self.X_test, self.y_test = tensor(flat(first.X_test), dtype), tensor(first.y_test, ydtype)
            self.train_mask = self.test_mask = None
        else:
            self.X_train, self.y_train, self.train_mask = self._stack(
                [flat(d.X_train) for d in datasets], [d.y_train for d in datasets], dtype, ydtype, device)
            self.X_test, self.y_test, self.test_mask = self._stack(
                [flat(d.X_test) for d in datasets], [d.y_test for d in datasets], dtype, ydtype, device)

    @staticmethod
    def _stack(Xs, ys, dtype, ydtype, device):
        n_max = max(len(x) for x in Xs)
        P = len(Xs)
        X = torch.zeros(P, n_max, Xs[0].shape[1], dtype=dtype, device=device)
        y = torch.zeros(P, n_max, *np.asarray(ys[0]).shape[1:], dtype=ydtype, device=device)
        mask = torch.zeros(P, n_max, dtype=dtype, device=device)
        for i, (x_i, y_i) in enumerate(zip(Xs, ys)):
            X[i, : len(x_i)] = torch.as_tensor(x_i, dtype=dtype)
            y[i, : len(y_i)] = torch.as_tensor(np.asarray(y_i)).to(ydtype)
            mask[i, : len(x_i)] = 1
        if bool(mask.all()):
            mask = None
        return X, y, mask

    def batch(self, idx: torch.Tensor | None):
        """Inputs, targets and mask for one step's indices (None = full batch)."""
        if idx is None:
            return self.X_train, self.y_train, self.train_mask
        # index_select on flat row numbers: ~5x faster than advanced indexing for [8, 64] rows of 784
        # floats (0.14 against 0.68 ms), which is a tenth of a W2 step.
        if self.shared:
            flat = idx.reshape(-1)
            return (self.X_train.index_select(0, flat).view(*idx.shape, *self.X_train.shape[1:]),
                    self.y_train.index_select(0, flat).view(*idx.shape, *self.y_train.shape[1:]), None)
        n = self.X_train.shape[1]
        flat = (idx + n * torch.arange(idx.shape[0], device=idx.device).unsqueeze(1)).reshape(-1)
        X = self.X_train.reshape(-1, *self.X_train.shape[2:]).index_select(0, flat)
        y = self.y_train.reshape(-1, *self.y_train.shape[2:]).index_select(0, flat)
        return X.view(*idx.shape, *X.shape[1:]), y.view(*idx.shape, *y.shape[1:]), None


class _NumpyBatches:
    """NumPy views of the training data, gathered by the torch sampler's indices."""

    def __init__(self, data: _Data) -> None:
        self.shared = data.shared
        self.X = data.X_train.numpy()
        self.y = data.y_train.numpy()
        # Members' rows as one flat array, gathered with np.take at flat row numbers: 7x faster than
        # X[rows, idx] fancy indexing for 20 members' batches of 100 from 100,000 rows (11 against 74 us).
        self.X_flat = self.X if self.shared else self.X.reshape(-1, *self.X.shape[2:])
        self.y_flat = self.y if self.shared else self.y.reshape(-1, *self.y.shape[2:])
        self.offsets = None if self.shared else (np.arange(self.X.shape[0]) * self.X.shape[1])[:, None]

    def batch(self, idx: torch.Tensor | None):
        if idx is None:
            return self.X, self.y
        i = idx.numpy()
        flat = (i if self.shared else i + self.offsets).reshape(-1)
        X = self.X_flat.take(flat, axis=0)
        y = self.y_flat.take(flat, axis=0)
        return X.reshape(*i.shape, *X.shape[1:]), y.reshape(*i.shape, *y.shape[1:])


def _member_losses(losses: list[tuple[Callable, int, int]], out: torch.Tensor, y: torch.Tensor,
                   mask: torch.Tensor | None) -> torch.Tensor:
    """Mean loss per member ``[P]`` (masked examples excluded)."""
    if y.dim() < out.dim() - 1 or (y.dim() == out.dim() - 1 and y.shape[0] != out.shape[0]):
        y = y.expand(out.shape[0], *y.shape)
    parts = [fn(out[a:b], y[a:b]) for fn, a, b in losses]
    per_example = parts[0] if len(parts) == 1 else torch.cat(parts, dim=0)
    if mask is None:
        return per_example.mean(dim=1)
    return (per_example * mask).sum(dim=1) / mask.sum(dim=1)


class PopulationTrainer:
    """Train a list of :class:`Member` that share a :func:`population_key`.

    Parameters
    ----------
    members : sequence of Member
        The models; one population.
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    progress : callable, optional
        Called with the number of steps just done, for progress bars.
    use_fastpath : bool
        Use the hand-derived backward pass where it applies (identical results, faster); False
        always uses autograd.
    backend : {"auto", "kernel", "numpy", "torch"}
        Where the fast path runs: ``auto`` uses the compiled kernels (:mod:`atomlab.engine.compiled`)
        for the small-MLP family they cover, else NumPy on the CPU when every weight matrix is small
        (less overhead per call), and torch otherwise and on CUDA; ``kernel`` insists on the kernels
        (a ConfigError says why they cannot train the population). Each outcome's
        ``info["backend"]`` says which path trained it, and ``info["kernel_unsupported"]`` why the
        kernels did not, when ``auto`` passed them over.
    record_start : bool
        Record the metrics before training (step 0) when the spec asks for it; False skips that one
        evaluation (the benchmark's other contenders do not evaluate; on W2 one evaluation is about 9% on top
        of training).

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> members = [Member(MLPSpec(layers=(4,)), TrainSpec(steps=20, lr=0.1), seed=s, data=data) for s in range(3)]
    >>> outs = PopulationTrainer(members, device="cpu").run()
    >>> alone = PopulationTrainer(members[1:2], device="cpu").run()[0]
    >>> bool(np.allclose(outs[1].state["W0"], alone.state["W0"], atol=1e-6))  # member 1 = model 1 alone
    True
    """

    def __init__(self, members: Sequence[Member], *, device: str = "auto",
                 progress: Callable[[int], None] | None = None, use_fastpath: bool = True,
                 backend: str = "auto", record_start: bool = True) -> None:
        if not members:
            raise ConfigError("a population needs at least one member")
        keys = {population_key(m) for m in members}
        if len(keys) != 1:
            raise ConfigError("members of one population must share their population_key")
        self.members = list(members)
        self.device = resolve_device(device)
        self.progress = progress
        self.use_fastpath = use_fastpath
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
        self.backend = backend
        self.record_start = record_start
        self.spec = members[0].train
        self.dtype = self.spec.torch_dtype
        self.P = len(members)

    def run(self) -> list[Outcome]:
        """Train every member and return one :class:`Outcome` each, in order."""
        # For tiny networks a second intra-op thread only adds synchronisation (measured 13x slower
        # per baddbmm under load, docs/benchmarks.md): small populations train on one thread.
        threads = torch.get_num_threads()
        if self.device.type == "cpu" and self._macs_per_step() < SMALL_STEP_MACS:
            torch.set_num_threads(1)
        try:
            return self._run()
        finally:
            torch.set_num_threads(threads)

    def _macs_per_step(self) -> int:
        m = self.members[0]
        d = m.data
        dims = [d.input_dim, *m.model.layers, d.output_dim]
        batch = d.n_train if m.train.full_batch(d.n_train) else m.train.batch_size
        return self.P * batch * sum(a * b for a, b in zip(dims[:-1], dims[1:]))

    def _run(self) -> list[Outcome]:
        start = time.perf_counter()
        m0 = self.members[0]
        spec, P, dev = self.spec, self.P, self.device
        data = _Data([m.data for m in self.members], self.dtype, dev)
        net = PopulationMLP([m.model for m in self.members], [m.seed for m in self.members],
                            m0.data.input_dim, m0.data.output_dim, dtype=self.dtype, device=dev)
        params = net.parameters()
        opt = make_optimizer(spec.optimizer, params, **spec.optimizer_params)
        lr = torch.tensor([m.train.lr for m in self.members], dtype=self.dtype, device=dev).view(P, 1, 1)
        loss_runs = [(get_loss(name), a, b) for name, a, b in _runs([m.train.loss for m in self.members])]
        reg = regularizers.get(spec.regularizer) if spec.regularizer else None
        reg_lambda = torch.tensor([m.train.reg_lambda for m in self.members], dtype=self.dtype, device=dev)

        n_max = max(data.n_train)
        # The compiled kernels when they cover the population (engine/compiled.py), else the hand-derived
        # backward pass when every member fits it (nn/fastpath.py), else autograd.
        tier, why_not = None, None
        if self.use_fastpath and self.backend in ("auto", "kernel"):
            why_not = compiled.unsupported(net, spec, [m.train.loss for m in self.members], data.task,
                                           masked=data.train_mask is not None,
                                           rows=n_max if spec.full_batch(n_max) else spec.batch_size)
            if why_not is None:
                tier = compiled.KernelTier(
                    net, spec, [m.train.loss for m in self.members], lr.reshape(P).cpu().numpy(),
                    reg_lambda.cpu().numpy(), data.X_train.numpy(), data.y_train.numpy(), shared=data.shared,
                    seeds=[m.seed for m in self.members], n_train=data.n_train)
            elif self.backend == "kernel":
                raise ConfigError(f"the kernel backend cannot train this population: {why_not}")
        fast = (tier is None and self.use_fastpath and len(loss_runs) == 1
                and fastpath.supported(net, spec.loss, spec.regularizer, data.task))
        np_path = None
        # NumPy wins on per-call overhead for small matrices only; for wide layers (MNIST's 784 x 100)
        # torch's batched kernels are several times faster (docs/benchmarks.md, W2).
        small = max(a * b for a, b in net.specs[0].layer_plan(net.input_dim, net.output_dim)[0]) <= NUMPY_MAX_MATRIX
        if (tier is None and self.use_fastpath and (self.backend == "numpy" or (self.backend == "auto" and small))
                and len(loss_runs) == 1
                and data.train_mask is None
                and fastpath_numpy.supported(net, spec.loss, spec.regularizer, spec.optimizer, data.task)):
            np_path = fastpath_numpy.NumpyFastPath(net, spec.loss, spec.regularizer, reg_lambda,
                                                   spec.optimizer, spec.optimizer_params, lr)
            np_data = _NumpyBatches(data)
            div_np = np.full(P, -1, dtype=np.int64)
        total = spec.total_steps(n_max)
        record_at = set(spec.record_steps(n_max))
        steps_per_epoch = spec.steps_per_epoch(n_max)
        rows: list[list[dict]] = [[] for _ in range(P)]
        snaps: list[dict[str, np.ndarray]] = []
        snap_steps: list[int] = []
        frames: list[np.ndarray] = []
        frame_steps: list[int] = []
        grid_X = self._grid(m0.data) if spec.grid else None
        diverged_at = torch.full((P,), -1, dtype=torch.int64, device=dev)

        def record(step: int) -> None:
            metrics = self._evaluate(net, data, loss_runs)
            div = diverged_at.tolist()
            for i in range(P):
                if 0 <= div[i] < step:
                    continue  # a diverged member is stopped: nothing after its divergence
                row = {"step": step, "epoch": step / steps_per_epoch}
                row.update({k: float(v[i]) for k, v in metrics.items()})
                rows[i].append(row)

        def snapshot(step: int) -> None:
            snaps.append({f"W{k}": w.detach().cpu().numpy().copy() for k, w in enumerate(net.weights)}
                         | {f"b{k}": b.detach()[:, 0].cpu().numpy().copy() for k, b in enumerate(net.biases)})
            snap_steps.append(step)

        if 0 in record_at and self.record_start:
            record(0)
        if spec.snapshot_every:
            snapshot(0)
        if spec.grid_every and grid_X is not None:
            frames.append(self._predict_grid(net, grid_X, spec.grid))
            frame_steps.append(0)

        def after_step(step: int, steps_done: int = 1) -> bool:
            """Record, snapshot and draw as asked after ``steps_done`` steps that end at ``step``; True when
            every member has diverged."""
            if step in record_at:
                record(step)
                if bool((diverged_at >= 0).all()):
                    return True
            if spec.snapshot_every and step % spec.snapshot_every == 0:
                snapshot(step)
            if spec.grid_every and grid_X is not None and step % spec.grid_every == 0:
                frames.append(self._predict_grid(net, grid_X, spec.grid))
                frame_steps.append(step)
            if self.progress is not None:
                self.progress(steps_done)
            return False

        if tier is not None:
            # One kernel call per stretch between two steps that need the weights; the guard's semantics are
            # the per-step loop's below (the kernel keeps each member's first bad step).
            done = 0
            for stop in compiled.steps_between(total, sorted(record_at), spec.snapshot_every,
                                               spec.grid_every if grid_X is not None else None):
                tier.train(stop)
                tier.write_back()
                diverged_at = torch.as_tensor(tier.diverged_at)
                if after_step(stop, stop - done):
                    break
                done = stop
        for step, idx in enumerate(batch_indices(spec, [m.seed for m in self.members], data.n_train)
                                   if tier is None else (), 1):
            # Divergence: the first step whose loss is not finite, or has exploded to DIVERGENCE_FACTOR
            # times its first value, is kept per member.
            if np_path is not None:
                loss_np, grads_np = np_path.loss_and_grads(*np_data.batch(idx))
                np_path.step(grads_np)
                if step == 1:
                    ceiling_np = DIVERGENCE_FACTOR * np.maximum(np.abs(loss_np), 1.0)
                bad_np = ~np.isfinite(loss_np) | (loss_np > ceiling_np)
                if bad_np.any():
                    div_np[bad_np & (div_np < 0)] = step
                    diverged_at = torch.as_tensor(div_np)
            else:
                X, y, mask = data.batch(idx)
                if fast:
                    loss, grads = fastpath.loss_and_grads(net, X, y, spec.loss, spec.regularizer, reg_lambda,
                                                          mask=mask)
                else:
                    out = net.forward(X, train=True)
                    loss = _member_losses(loss_runs, out, y, mask)
                    if reg is not None:
                        loss = loss + reg_lambda * reg(net.weight_matrices())
                    grads = torch.autograd.grad(loss.sum(), params)
                if step == 1:
                    loss_ceiling = DIVERGENCE_FACTOR * loss.detach().abs().clamp(min=1.0)
                bad = ~torch.isfinite(loss) | (loss.detach() > loss_ceiling)
                diverged_at = torch.where(bad & (diverged_at < 0), step, diverged_at)  # no device sync
                opt.step(grads, lr)
            if after_step(step):
                break

        backend_name = ("kernel" if tier is not None else "numpy" if np_path is not None
                        else "torch-fastpath" if fast else "autograd")
        final_grid = self._predict_grid(net, grid_X, spec.grid) if grid_X is not None else None
        wall = (time.perf_counter() - start) / P
        div = diverged_at.tolist()
        memory = sum(member_bytes(m) for m in self.members)  # once: per outcome it cost P^2 calls (0.4 s at P=64)
        outcomes = []
        for i in range(P):
            artefacts: dict[str, np.ndarray] = {}
            if snaps:
                for name in snaps[0]:
                    artefacts[f"snap/{name}"] = np.stack([s[name][i] for s in snaps])
                artefacts["snapshot_steps"] = np.asarray(snap_steps)
            if final_grid is not None:
                artefacts["grid"] = final_grid[i]
            if frames:
                artefacts["frames"] = np.stack([f[i] for f in frames])
                artefacts["frame_steps"] = np.asarray(frame_steps)
            outcomes.append(Outcome(
                rows=rows[i], diverged_step=div[i] if div[i] >= 0 else None,
                state={k: v.numpy() for k, v in net.member_state(i).items()},
                artefacts=artefacts, wall_time=wall,
                info={"population_size": P, "device": str(dev), "steps": total,
                      "population_memory_bytes": memory,
                      "backend": backend_name}
                | ({"kernel_unsupported": why_not} if why_not is not None and self.backend == "auto" else {}),
            ))
        return outcomes

    # ----- evaluation ---------------------------------------------------------------------
    @torch.no_grad()
    def _evaluate(self, net: PopulationMLP, data: _Data, loss_runs) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for split, X, y, mask in (("train", data.X_train, data.y_train, data.train_mask),
                                  ("test", data.X_test, data.y_test, data.test_mask)):
            hidden: list[torch.Tensor] | None = [] if (split == "train" and self.spec.unit_spread) else None
            logits = self._forward_chunks(net, X, hidden)
            out[f"{split}_loss"] = _member_losses(loss_runs, logits, y, mask)
            yy = y if y.dim() == logits.dim() - 1 and y.shape[0] == logits.shape[0] else \
                y.expand(logits.shape[0], *y.shape)
            if data.task == "classification":
                hit = (logits.argmax(-1) == yy).to(logits.dtype)
            else:
                hit = (logits - yy.reshape(logits.shape)).square().mean(-1)
            metric = f"{split}_acc" if data.task == "classification" else f"{split}_mse"
            out[metric] = hit.mean(1) if mask is None else (hit * mask).sum(1) / mask.sum(1)
            if hidden:
                for k, h in enumerate(hidden):
                    # Spread of units: std across the units of a layer, averaged over examples.
                    out[f"unit_spread_{k}"] = h.std(dim=-1, unbiased=False).mean(dim=1)
        return {k: v.cpu() for k, v in out.items()}

    def _forward_chunks(self, net: PopulationMLP, X: torch.Tensor, hidden=None) -> torch.Tensor:
        n = X.shape[-2]
        # Rows per chunk so that P x rows x widest layer stays within EVAL_BUDGET elements.
        widest = max([*net.specs[0].layers, net.output_dim, 1])
        chunk = max(256, min(EVAL_CHUNK, EVAL_BUDGET // max(1, net.P * widest)))
        if n <= chunk or hidden is not None:
            return net.forward(X, train=False, hidden=hidden)
        parts = [net.forward(X[..., s:s + chunk, :], train=False) for s in range(0, n, chunk)]
        return torch.cat(parts, dim=-2)

    def _grid(self, data: Dataset) -> torch.Tensor | None:
        points = grid_points(data, self.spec.grid)
        return None if points is None else torch.as_tensor(points, dtype=self.dtype, device=self.device)

    @torch.no_grad()
    def _predict_grid(self, net: PopulationMLP, grid_X: torch.Tensor, G: int) -> np.ndarray:
        return grid_outputs(self._forward_chunks(net, grid_X), G, task=self.members[0].data.task,
                            input_dim=grid_X.shape[-1])


def grid_outputs(logits: torch.Tensor, G: int, *, task: str, input_dim: int) -> np.ndarray:
    """What the ``grid`` artefact holds, from outputs ``[P, points, K]`` on :func:`grid_points`.

    2-D inputs: ``P(class 1)`` of shape ``[P, G, G]`` for two classes, else ``[P, G, G, K]``.
    1-D inputs: the curve ``[P, G]`` (raw outputs for regression, else ``P(class 1)``). Float32, on the CPU.

    Examples
    --------
    >>> import torch
    >>> grid_outputs(torch.zeros(2, 9, 2), 3, task="classification", input_dim=2).shape  # P(class 1) per member
    (2, 3, 3)
    """
    P = logits.shape[0]
    if input_dim == 1:  # the predicted curve
        curve = logits if task == "regression" else logits.softmax(-1)[..., 1:2]
        return curve[..., 0].to(torch.float32).cpu().numpy()
    probs = logits.softmax(-1)
    if probs.shape[-1] == 2:
        return probs[..., 1].reshape(P, G, G).to(torch.float32).cpu().numpy()
    return probs.reshape(P, G, G, -1).to(torch.float32).cpu().numpy()


def train_population(members: Sequence[Member], *, device: str = "auto") -> list[Outcome]:
    """Train ``members`` (one population) and return their outcomes.

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", random_state=0, n_train=100, n_test=50)
    >>> members = [Member(MLPSpec(layers=(8,)), TrainSpec(steps=20, lr=0.01), seed, data) for seed in range(3)]
    >>> outs = train_population(members, device="cpu")
    >>> len(outs), outs[0].rows[-1]["step"]
    (3, 20)
    """
    return PopulationTrainer(members, device=device).run()

