"""A NumPy network with hand-derived backpropagation, written to be read (problem set 003, part I).

- :mod:`~atomlab.scratch.activations`: tanh, sigmoid, relu, identity with derivatives; softmax and
  cross-entropy with their combined gradient ``(p - Y) / n``.
- :class:`ThreeLayerNet`: input -> hidden -> softmax, every gradient spelled out.
- :class:`DeepNet`: the same for any list of layer widths.
- :class:`DeepNetStack`: many DeepNets of one shape trained at once, each on its own data (one more axis).
- :func:`numerical_gradient`, :func:`relative_error`: the check that the derivations are right.

Only NumPy; float64 by default.

Examples
--------
>>> from sklearn.datasets import make_moons
>>> X, y = make_moons(200, noise=0.2, random_state=0)
>>> net = DeepNet([2, 3, 2], "tanh", seed=0)
>>> relative_error(numerical_gradient(net, X, y), net.backward(X, y)) < 1e-8
True
"""

from atomlab.scratch.activations import (
    ACTIVATIONS,
    Activation,
    cross_entropy,
    get_activation,
    one_hot,
    softmax,
    softmax_cross_entropy_grad,
)
from atomlab.scratch.deep import INITS, DeepNet, check_layer_sizes
from atomlab.scratch.gradcheck import numerical_gradient, relative_error
from atomlab.scratch.stack import DeepNetStack
from atomlab.scratch.three_layer import ThreeLayerNet, problem_set_hyperparameters

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Activation",
    "DeepNet",
    "DeepNetStack",
    "ThreeLayerNet",
    "check_layer_sizes",
    "cross_entropy",
    "get_activation",
    "numerical_gradient",
    "one_hot",
    "problem_set_hyperparameters",
    "relative_error",
    "softmax",
    "softmax_cross_entropy_grad",
]
