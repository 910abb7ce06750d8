"""Check hand-derived gradients against central finite differences.

For each parameter entry theta_i,

    dL/dtheta_i ~= (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps)

with error O(eps^2) from truncation (the even terms of the Taylor series cancel) plus about
machine_eps * |L| / eps from rounding. In float64 with eps = 1e-6 both are far below 1e-8, so an
analytic gradient that is right agrees to about 1e-9 and one that is wrong shows up at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from atomlab.scratch._base import ScratchNet


def numerical_gradient(
    net: ScratchNet, X: np.ndarray, y: np.ndarray, eps: float = 1e-6
) -> dict[str, np.ndarray]:
    """Central-difference gradient of ``net.loss(X, y)`` for every parameter.

    Parameters
    ----------
    net : ThreeLayerNet or DeepNet
        Its parameters are nudged in place and restored exactly.
    X, y : arrays
        Inputs ``(n, d)`` and integer labels ``(n,)``.
    eps : float
        Step of the central difference.

    Returns
    -------
    dict
        Same keys and shapes as ``net.backward(X, y)``.

    Examples
    --------
    >>> from atomlab.scratch import DeepNet
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.randn(10, 3), rng.randint(0, 2, 10)
    >>> net = DeepNet([3, 4, 2], "sigmoid", seed=1, reg_lambda=0.1)
    >>> num, ana = numerical_gradient(net, X, y), net.backward(X, y)
    >>> all(relative_error(num[k], ana[k]) < 1e-8 for k in ana)
    True
    """
    grads = {}
    for name, p in net.parameters().items():
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = net.loss(X, y)
            p[i] = old - eps
            down = net.loss(X, y)
            p[i] = old
            g[i] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


ArrayOrDict = np.ndarray | Mapping[str, np.ndarray]


def relative_error(a: ArrayOrDict, b: ArrayOrDict) -> float:
    """``||a - b|| / (||a|| + ||b||)`` over all entries (0 when both are zero).

    A norm ratio rather than an elementwise one, so that entries whose true gradient is ~0 (where the
    finite difference is all rounding noise) do not dominate. Dicts of arrays (gradients keyed by
    parameter) are compared over all their entries together.

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) < 1e-9
    True
    >>> relative_error({"W": np.ones(2)}, {"W": -np.ones(2)})
    1.0
    """
    if isinstance(a, Mapping):
        a, b = (np.concatenate([np.ravel(d[k]) for k in sorted(a)]) for d in (a, b))
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0
