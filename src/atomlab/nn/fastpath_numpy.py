"""The fast path on the CPU, in NumPy: the same hand-derived backward pass as ``fastpath.py``.

Why NumPy: for the tiny matrices of the catalog (a few to a few dozen units, batches of 10 to 64)
each step is dominated by per-call overhead, and NumPy's stacked ``matmul`` costs about 5 us for
64 matrices of 10 x 10 where ``torch.bmm`` costs about 16 us on this machine (see
docs/benchmarks.md). The parameters stay torch tensors: this module updates NumPy *views* of
their memory in place, so evaluation, checkpoints and the general path are unchanged.
``tests/engine`` checks it against autograd to 1e-10 in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from atomlab.nn.fastpath import LOSSES, REGULARIZERS


def _sigmoid(z):
    # sigma(z) = (1 + tanh(z / 2)) / 2: no overflow, and NumPy's vectorised tanh makes it 5x faster than
    # scipy.special.expit on a population's activations (13 against 66 us for 24 x 50 x 16 float32).
    out = np.multiply(z, 0.5)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


# (forward f(z), backward g * f'(z) from g, z and h = f(z))
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "relu": (lambda z: np.maximum(z, 0), lambda g, z, h: g * (h > 0)),
    "tanh": (np.tanh, lambda g, z, h: g * (1 - h * h)),
    "sigmoid": (_sigmoid, lambda g, z, h: g * h * (1 - h)),
    "identity": (lambda z: z, lambda g, z, h: g),
    "square": (np.square, lambda g, z, h: g * 2 * z),
    "sin": (np.sin, lambda g, z, h: g * np.cos(z)),
    "abs": (np.abs, lambda g, z, h: g * np.sign(z)),
    "sign": (np.sign, lambda g, z, h: np.zeros_like(g)),
    "swish": (lambda z: z * _sigmoid(z), lambda g, z, h: g * (_sigmoid(z) * (1 + z * (1 - _sigmoid(z))))),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
            lambda g, z, h: g * np.where(z > 0, 1.0, h + 1.0)),
    "softplus": (lambda z: np.where(z > 20, z, np.log1p(np.exp(np.minimum(z, 20)))),
                 lambda g, z, h: g * np.where(z > 20, 1.0, _sigmoid(z))),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda g, z, h: g * np.where(z > 0, 1.0, 0.01)),
}
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "adagrad")


def supported(net, loss: str, regularizer: str | None, optimizer: str, task: str = "classification") -> bool:
    """Whether the NumPy fast path can train ``net`` with this recipe (CPU only).

    Examples
    --------
    >>> from atomlab.nn import MLPSpec, PopulationMLP
    >>> net = PopulationMLP([MLPSpec(layers=(4,))] * 2, seeds=[0, 1], input_dim=2, output_dim=2)
    >>> supported(net, "cross_entropy", None, "adam"), supported(net, "cross_entropy", None, "lbfgs")
    (True, False)
    """
    return ((task == "classification" or loss == "mse")
            and net.device.type == "cpu" and not net.batchnorm and len(net.activation_runs) == 1
            and all(s.activation == net.specs[0].activation for s in net.specs)
            and net.specs[0].activation in ACTIVATIONS and loss in LOSSES and regularizer in REGULARIZERS
            and optimizer in OPTIMIZERS)


class NumpyFastPath:
    """Loss, gradients and optimiser updates of a :class:`PopulationMLP` computed in NumPy.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from atomlab.nn import MLPSpec, PopulationMLP
    >>> net = PopulationMLP([MLPSpec(layers=(4,))] * 2, seeds=[0, 1], input_dim=2, output_dim=2)
    >>> fp = NumpyFastPath(net, "cross_entropy", None, torch.zeros(2), "sgd", {}, torch.full((2,), 0.1))
    >>> X, y = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32), np.arange(8) % 2
    >>> before, _ = fp.loss_and_grads(X, y)
    >>> for _ in range(20):
    ...     fp.step(fp.loss_and_grads(X, y)[1])
    >>> bool((fp.loss_and_grads(X, y)[0] < before).all())  # each member's loss went down
    True
    """

    def __init__(self, net, loss: str, regularizer: str | None, reg_lambda, optimizer: str,
                 hyper: dict, lr) -> None:
        self.net = net
        self.loss, self.regularizer, self.optimizer = loss, regularizer, optimizer
        self.hyper = hyper
        self.W = [w.detach().numpy() for w in net.weights]  # views: updates land in the tensors
        self.b = [b.detach().numpy() for b in net.biases]
        self.params = [*self.W, *self.b]
        self.lr = np.asarray(lr.detach().cpu().numpy()).reshape(net.P, 1, 1)
        self.lam = np.asarray(reg_lambda.detach().cpu().numpy()).reshape(net.P, 1, 1)
        self.act, self.act_back = ACTIVATIONS[net.specs[0].activation]
        self.residual = net.residual
        self.state: dict[str, list[np.ndarray]] = {}
        self._ones_cache: dict[tuple, np.ndarray] = {}
        self.t = 0

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Per-member mean loss ``[P]`` and gradients of ``[*W, *b]``."""
        net = self.net
        h = X if X.ndim == 3 else X[None]
        inputs, pre, post, masks = [], [], [], []
        for i, slot in enumerate(net.slots):
            z = np.matmul(h, self.W[slot])
            z += self.b[slot]
            inputs.append(h)
            if i == net.n_hidden:
                break
            if self.residual and z.shape[-1] == h.shape[-1]:
                z = z + h
            a = self.act(z)
            pre.append(z)
            post.append(a)
            if net.any_dropout:
                mask = self._dropout_mask(a)
                masks.append(mask)
                a = a * mask
            h = a
        P, n, K = z.shape
        if y.dtype.kind == "f":  # regression: mse on the raw outputs
            target = y.reshape(*y.shape[:-1], n, K) if y.shape[-1] != K or y.ndim < 3 else y
            diff = z - (target if target.ndim == 3 else target[None])
            member_loss = np.square(diff).mean(axis=(1, 2))
            return self._backward(member_loss, diff * (2.0 / (K * n)), inputs, pre, post, masks, P, n)
        # NumPy's reductions over a short axis cost 3-6x a matmul with a ones vector or a loop of
        # element-wise maxima on these shapes (measured: docs/benchmarks.md), hence the forms below.
        zmax = z[..., 0:1]
        for k in range(1, K):
            zmax = np.maximum(zmax, z[..., k:k + 1])
        z = z - zmax
        e = np.exp(z)
        esum = np.matmul(e, self._ones(K, 1, e.dtype))
        probs = e / esum
        yy = y if y.ndim == 2 else np.broadcast_to(y, (P, n))
        rows = np.arange(P)[:, None], np.arange(n)[None, :], yy
        if self.loss == "cross_entropy":
            member_loss = -(z[rows] - np.log(esum[..., 0])).mean(1)
            g = probs.copy()
            g[rows] -= 1.0
            g /= n
        else:
            diff = probs.copy()
            diff[rows] -= 1.0
            member_loss = np.square(diff).mean(axis=(1, 2))
            gp = diff * (2.0 / (K * n))
            g = probs * (gp - (gp * probs).sum(-1, keepdims=True))
        return self._backward(member_loss, g, inputs, pre, post, masks, P, n)

    def _backward(self, member_loss, g, inputs, pre, post, masks, P, n):
        net = self.net
        gW: list = [None] * len(self.W)
        gb: list = [None] * len(self.b)
        skip = None
        for i in range(len(net.slots) - 1, -1, -1):
            slot = net.slots[i]
            h_t = inputs[i].transpose(0, 2, 1)
            # BLAS reads a transposed view directly (2x faster for 20 x 1,000 x 10); only 2-wide inputs, a
            # tiny copy, gain from a contiguous one (measured, docs/benchmarks.md)
            dW = np.matmul(np.ascontiguousarray(h_t) if h_t.shape[1] <= 2 else h_t, g)
            if dW.shape[0] != P:
                dW = np.broadcast_to(dW, (P, *dW.shape[1:]))
            db = np.matmul(self._ones(1, n, g.dtype), g)
            gW[slot] = dW if gW[slot] is None else gW[slot] + dW
            gb[slot] = db if gb[slot] is None else gb[slot] + db
            if i == 0:
                break
            dh = np.matmul(g, np.ascontiguousarray(self.W[slot].transpose(0, 2, 1)))
            if skip is not None:
                dh = dh + skip
            k = i - 1
            if net.any_dropout:
                dh = dh * masks[k]
            g = self.act_back(dh, pre[k], post[k])
            skip = g if self.residual and pre[k].shape[-1] == inputs[k].shape[-1] else None
        if self.regularizer is not None:
            penalty = np.zeros(P, dtype=member_loss.dtype)
            for k, W in enumerate(self.W):
                numel = W.shape[1] * W.shape[2]
                if self.regularizer == "l2":
                    penalty += np.square(W).sum(axis=(1, 2)) / numel
                    gW[k] = gW[k] + W * (self.lam * (2.0 / numel))
                elif self.regularizer == "l2_sum":
                    penalty += np.square(W).sum(axis=(1, 2))
                    gW[k] = gW[k] + W * (self.lam * 2.0)
                elif self.regularizer == "l1":
                    penalty += np.abs(W).sum(axis=(1, 2)) / numel
                    gW[k] = gW[k] + np.sign(W) * (self.lam / numel)
                else:
                    penalty += np.abs(W).sum(axis=(1, 2))
                    gW[k] = gW[k] + np.sign(W) * self.lam
            member_loss = member_loss + self.lam[:, 0, 0] * penalty
        return member_loss, [*gW, *gb]

    def _ones(self, rows: int, cols: int, dtype) -> np.ndarray:
        key = (rows, cols, np.dtype(dtype).str)
        if key not in self._ones_cache:
            self._ones_cache[key] = np.ones((rows, cols), dtype=dtype)
        return self._ones_cache[key]

    def _dropout_mask(self, a: np.ndarray) -> np.ndarray:
        import torch

        net = self.net
        u = torch.stack([torch.rand(a.shape[1:], generator=g, dtype=net.dtype) for g in net.dropout_generators])
        rate = net.drop_rate.detach().cpu()
        return ((u >= rate) / (1 - rate)).numpy()

    def _buffers(self, name: str, fill: float | None = 0.0) -> list:
        """The optimiser's ``name`` state, one array per parameter, created on first use.

        (``dict.setdefault`` would build its default list of arrays on every call: a third of a small
        population's Adam step.)
        """
        if name not in self.state:
            self.state[name] = [None if fill is None else np.full_like(q, fill) for q in self.params]
        return self.state[name]

    def step(self, grads: list[np.ndarray]) -> None:
        """One optimiser update, in place, with the arithmetic of ``atomlab.nn.optimizers``."""
        self.t += 1
        lr = self.lr
        h = self.hyper
        for k, (p, g) in enumerate(zip(self.params, grads)):
            if self.optimizer == "sgd":
                p -= lr * g
            elif self.optimizer == "momentum":
                buf = self._buffers("buf", None)
                if buf[k] is None:
                    buf[k] = np.array(g, copy=True)
                else:
                    buf[k] *= h.get("momentum", 0.9)
                    buf[k] += g
                step = g + h.get("momentum", 0.9) * buf[k] if h.get("nesterov", False) else buf[k]
                p -= lr * step
            elif self.optimizer == "adam":
                b1, b2, eps = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8)
                m, v = self._buffers("m")[k], self._buffers("v")[k]
                m += (g - m) * (1 - b1)
                v *= b2
                v += (1 - b2) * g * g
                denom = np.sqrt(v) / (1 - b2**self.t) ** 0.5 + eps
                p -= (lr / (1 - b1**self.t)) * (m / denom)
            elif self.optimizer == "rmsprop":
                alpha, eps = h.get("alpha", 0.99), h.get("eps", 1e-8)
                s = self._buffers("s")[k]
                s *= alpha
                s += (1 - alpha) * g * g
                p -= lr * (g / (np.sqrt(s) + eps))
            else:  # adagrad
                eps = h.get("eps", 1e-10)
                s = self._buffers("s", h.get("initial_accumulator_value", 0.0))[k]
                s += g * g
                p -= lr * (g / (np.sqrt(s) + eps))
