"""Activations with their derivatives, and the softmax + cross-entropy output layer.

Every derivative here is written as a function of the *pre-activation* ``z`` (``df(z) = f'(z)``), the
form that also covers ReLU. Problem set 003 writes tanh's and sigmoid's in terms of the output
``a = f(z)`` instead: ``1 - a**2`` and ``a * (1 - a)``; those are ``df_out``, and backpropagation
reads ``delta * act.slope(z, a)``, which takes 003's form where there is one. The two forms give the
same bits (``a`` is the very ``f(z)`` that ``df`` recomputes), and 003's skips a second ``tanh`` of
every hidden unit: on 003's networks that second ``tanh`` was a third of a training pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from atomlab.errors import unknown_choice


class Activation(NamedTuple):
    """An activation ``f`` and its derivative ``df``, both taking the pre-activation ``z``.

    ``df_out``, where given, is the same derivative as a function of the output ``a = f(z)``.

    Examples
    --------
    >>> z = np.linspace(-3, 3, 7)
    >>> tanh = get_activation("tanh")
    >>> bool(np.array_equal(tanh.slope(z, tanh.f(z)), tanh.df(z)))  # the same bits, one tanh fewer
    True
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    df_out: Callable[[np.ndarray], np.ndarray] | None = None

    def slope(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``f'(z)``, from the output ``a = f(z)`` where ``df_out`` is given, else from ``z``."""
        return self.df(z) if self.df_out is None else self.df_out(a)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z) overflows in e^-z for z << 0; the identity sigma(z) = (1 + tanh(z/2)) / 2 does not.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _dsigmoid(z: np.ndarray) -> np.ndarray:
    # d/dz 1/(1+e^-z) = e^-z / (1+e^-z)^2 = sigma(z) * (1 - sigma(z))
    s = _sigmoid(z)
    return s * (1.0 - s)


def _dtanh(z: np.ndarray) -> np.ndarray:
    # d/dz tanh(z) = sech^2(z) = 1 - tanh^2(z)
    return 1.0 - np.tanh(z) ** 2


def _dsigmoid_out(a: np.ndarray) -> np.ndarray:
    # 003's form: sigma' = a (1 - a), with a = sigma(z) from the forward pass
    return a * (1.0 - a)


def _dtanh_out(a: np.ndarray) -> np.ndarray:
    # 003's form: tanh' = 1 - a^2, with a = tanh(z) from the forward pass
    return 1.0 - a**2


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _drelu(z: np.ndarray) -> np.ndarray:
    # max(0, z) has slope 1 for z > 0 and 0 for z < 0. At z = 0 we take 1, as 003 writes it
    # ("1 for z >= 0"); PyTorch takes 0. Any value in [0, 1] is a subgradient, and z is never
    # exactly 0 on real data, so gradient checks against torch agree.
    return (z >= 0).astype(z.dtype)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


# Named module-level functions, not lambdas, so that networks holding them can be pickled.
ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, _dtanh, _dtanh_out),
    "sigmoid": Activation("sigmoid", _sigmoid, _dsigmoid, _dsigmoid_out),
    "relu": Activation("relu", _relu, _drelu),
    "identity": Activation("identity", _identity, np.ones_like),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name.

    Parameters
    ----------
    name : str
        One of ``"tanh"``, ``"sigmoid"``, ``"relu"``, ``"identity"``.

    Returns
    -------
    Activation
        The named tuple ``(name, f, df)``.

    Raises
    ------
    atomlab.errors.ConfigError
        If ``name`` is not known; the message lists the known names.

    Examples
    --------
    >>> act = get_activation("tanh")
    >>> float(act.f(np.array(0.0))), float(act.df(np.array(0.0)))
    (0.0, 1.0)
    >>> get_activation("rleu")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: unknown activation 'rleu'; did you mean 'relu'? known: identity, relu, \
sigmoid, tanh
    """
    if name not in ACTIVATIONS:
        raise unknown_choice("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``p_ij = exp(z_ij) / sum_k exp(z_ik)``.

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).round(3)
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    # Subtracting the row maximum leaves p unchanged (it cancels in the ratio) and keeps exp finite.
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot(y: np.ndarray, n_classes: int, dtype: type = np.float64) -> np.ndarray:
    """Integer labels ``(n,)`` to a one-hot matrix ``(n, n_classes)``.

    Examples
    --------
    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    Y = np.zeros((len(y), n_classes), dtype=dtype)
    Y[np.arange(len(y)), y] = 1.0
    return Y


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy ``L = -1/n sum_n log p_{n, y_n}`` of integer labels under ``probs``.

    Examples
    --------
    >>> round(cross_entropy(np.array([[0.5, 0.5]]), np.array([1])), 4)
    0.6931
    """
    # The one-hot sum  -1/n sum_n sum_i Y_ni log p_ni  keeps one term per row: the true class.
    # The floor stops log(0) = -inf when a diverging run saturates the softmax; it never binds otherwise.
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(y)), y], 1e-300))))


def softmax_cross_entropy_grad(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the logits: ``(probs - onehot) / n``.

    Examples
    --------
    >>> softmax_cross_entropy_grad(np.array([[0.25, 0.75]]), np.array([1]))
    array([[ 0.25, -0.25]])
    """
    # For one row with logits z, p = softmax(z) and true class c:  L = -log p_c = -z_c + log sum_k e^{z_k}.
    #   dL/dz_j = -[j == c] + e^{z_j} / sum_k e^{z_k} = p_j - Y_j.
    # The softmax Jacobian (dp_i/dz_j = p_i([i == j] - p_j)) never has to be formed: it cancels against
    # d(-log p_c)/dp_c = -1/p_c. Averaging over n rows divides every row's gradient by n.
    return (probs - one_hot(y, probs.shape[1], probs.dtype)) / len(y)
