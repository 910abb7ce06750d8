"""Many :class:`~atomlab.scratch.DeepNet` networks trained at once: the same equations, one more axis.

Problem set 003 trains one NumPy network at a time, and on its 200-point data sets a pass costs a
few dozen NumPy calls on matrices of a few hundred by three: the calls' fixed cost, not arithmetic,
sets the speed. A stack of P networks of the same layer sizes does every call once for all P: each
array gains a leading member axis (``W_l`` of shape ``(P, d_{l-1}, d_l)``, inputs ``(P, n, d_0)``,
each member with its own data) and ``@`` becomes NumPy's batched matrix product. The equations are
:mod:`atomlab.scratch.deep`'s, line for line:

    z_l = a_{l-1} W_l + b_l,  a_l = f(z_l);   p = softmax(z_L)
    delta_L = (p - Y) / n;   dW_l = a_{l-1}^T delta_l + lambda W_l;   db_l = sum_n delta_l
    delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})

Members never mix: each slice of a batched product is its own matrix product, so a member trains
exactly as it would alone (a test checks it against :meth:`DeepNet.fit`, bit for bit), and a member
that diverges fills its own slice with inf or NaN without touching the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from atomlab.errors import ConfigError
from atomlab.scratch.activations import softmax
from atomlab.scratch.deep import DeepNet


class DeepNetStack:
    """P networks of the same shape, activation and L2 strength, trained by full-batch gradient descent.

    The stack owns the parameters; each member :class:`DeepNet` keeps *views* into them, so after
    :meth:`fit` every member predicts, scores and reports its parameters as if trained alone.

    Parameters
    ----------
    nets : sequence of DeepNet
        The members, with their initial weights. Same ``layer_sizes``, activation (the same
        :class:`~atomlab.scratch.Activation`, derivative included), ``reg_lambda`` and ``dtype``.

    Attributes
    ----------
    nets : list of DeepNet
        The members, whose ``weights`` and ``biases`` now view the stack's arrays.
    weights, biases : list of ndarray
        ``W_l`` of shape ``(P, d_{l-1}, d_l)`` and ``b_l`` of shape ``(P, d_l)``.
    history_ : list of (int, ndarray)
        ``(step, loss of each member)`` at every recorded step.
    diverged_at_ : ndarray of int
        Per member, the recorded step whose loss was NaN or inf, else -1.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> data = [make_moons(200, noise=0.2, random_state=s) for s in range(3)]
    >>> X, y = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
    >>> stack = DeepNetStack([DeepNet([2, 3, 2], "tanh", seed=s) for s in range(3)])
    >>> stack.weights[0].shape
    (3, 2, 3)
    >>> stack = stack.fit(X, y, num_passes=500, lr=2.0)
    >>> [round(net.score(X[k], y[k]), 2) > 0.8 for k, net in enumerate(stack.nets)]
    [True, True, True]
    >>> alone = DeepNet([2, 3, 2], "tanh", seed=1).fit(X[1], y[1], num_passes=500, lr=2.0)
    >>> bool(np.array_equal(alone.weights[0], stack.nets[1].weights[0]))
    True
    """

    def __init__(self, nets: Sequence[DeepNet]) -> None:
        self.nets = list(nets)
        if not self.nets:
            raise ConfigError("a DeepNetStack needs at least one network; got none")
        first = self.nets[0]
        for k, net in enumerate(self.nets[1:], start=1):
            mine = (net.layer_sizes, net.act, net.reg_lambda, net.dtype)
            theirs = (first.layer_sizes, first.act, first.reg_lambda, first.dtype)
            if mine != theirs:
                raise ConfigError(f"member {k} has (layer_sizes, activation, reg_lambda, dtype) = {mine}; a stack "
                                  f"needs every member equal to member 0's {theirs}")
        self.act, self.reg_lambda, self.dtype = first.act, first.reg_lambda, first.dtype
        self.n_classes = first.layer_sizes[-1]
        self.weights = [np.stack([net.weights[l] for net in self.nets]) for l in range(len(first.weights))]
        self.biases = [np.stack([net.biases[l] for net in self.nets]) for l in range(len(first.biases))]
        for k, net in enumerate(self.nets):  # the members see the stack's arrays from now on
            net.weights = [W[k] for W in self.weights]
            net.biases = [b[k] for b in self.biases]
        self.history_: list[tuple[int, np.ndarray]] = []
        self.diverged_at_ = np.full(len(self.nets), -1)

    def __len__(self) -> int:
        return len(self.nets)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Probabilities ``(P, n, n_classes)`` for inputs ``(P, n, d_0)``; caches ``zs`` and ``activations``."""
        a = X
        self.zs, self.activations = [], [a]
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            z = a @ W + b[:, None, :]
            self.zs.append(z)
            if l < len(self.weights):
                a = self.act.f(z)
                self.activations.append(a)
        return softmax(self.zs[-1])

    def loss(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each member's ``-1/n sum_n log p[n, y_n] + reg_lambda/2 sum_l ||W_l||^2``, shape ``(P,)``."""
        probs = self.forward(X)
        true = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]
        penalty = self.reg_lambda / 2 * sum(np.sum(W**2, axis=(1, 2)) for W in self.weights)
        return -np.mean(np.log(np.maximum(true, 1e-300)), axis=1) + penalty

    def backward(self, X: np.ndarray, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(dW_l, db_l)`` for l = 1 .. L, each with the member axis first; ``Y`` one-hot ``(P, n, K)``."""
        delta = (self.forward(X) - Y) / X.shape[1]
        grads = []
        for l in range(len(self.weights), 0, -1):
            W, a_prev = self.weights[l - 1], self.activations[l - 1]
            grads.append((np.swapaxes(a_prev, 1, 2) @ delta + self.reg_lambda * W, delta.sum(axis=1)))
            if l > 1:
                delta = (delta @ np.swapaxes(W, 1, 2)) * self.act.slope(self.zs[l - 2], a_prev)
        return grads[::-1]

    def fit(self, X: np.ndarray, y: np.ndarray, *, num_passes: int = 20000, lr: float = 2.0,
            record_every: int = 1000) -> DeepNetStack:
        """:meth:`DeepNet.fit` for every member at once, each on its own data.

        Parameters
        ----------
        X : array of shape (P, n, d_0)
            Member k trains on ``X[k]``.
        y : int array of shape (P, n)
            Labels in ``0 .. n_classes - 1``.
        num_passes, lr, record_every
            As :meth:`DeepNet.fit`. A member whose recorded loss is NaN or inf gets ``diverged_at_``; the
            others train on (its slice cannot reach theirs).

        Returns
        -------
        self
        """
        X, y = np.asarray(X, dtype=self.dtype), np.asarray(y)
        P = len(self.nets)
        if X.ndim != 3 or len(X) != P or X.shape[2] != self.weights[0].shape[1]:
            raise ConfigError(f"X must have shape ({P}, n, {self.weights[0].shape[1]}); got {X.shape}")
        if y.shape != X.shape[:2] or not np.issubdtype(y.dtype, np.integer) or (
                y.size and (y.min() < 0 or y.max() >= self.n_classes)):
            raise ConfigError(f"y must hold integer labels in 0..{self.n_classes - 1} with shape {X.shape[:2]}; "
                              f"got shape {y.shape}")
        Y = np.zeros((*y.shape, self.n_classes), dtype=self.dtype)
        np.put_along_axis(Y, y[..., None], 1.0, axis=-1)  # one-hot once, not every pass
        self.history_ = []
        self.diverged_at_ = np.full(P, -1)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging member's own problem, recorded below
            for step in range(num_passes + 1):
                if step % record_every == 0 or step == num_passes:
                    losses = self.loss(X, y)
                    self.history_.append((step, losses))
                    self.diverged_at_[(self.diverged_at_ < 0) & ~np.isfinite(losses)] = step
                if step == num_passes:
                    break
                for (W, b), (dW, db) in zip(zip(self.weights, self.biases), self.backward(X, Y)):
                    W -= lr * dW  # in place: the members' views see the update
                    b -= lr * db
        return self
