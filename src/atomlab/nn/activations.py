"""Activation functions: a registry of element-wise torch functions.

Each entry maps a tensor to a tensor of the same shape. The population engine applies it to
stacked activations ``[P, batch, units]`` and the general path to ordinary ones, so one function
serves both. Register a new one in a line::

    @atomlab.register_activation("mish")
    def mish(x):
        return x * torch.tanh(torch.nn.functional.softplus(x))
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from atomlab.registry import Registry

Activation = Callable[[torch.Tensor], torch.Tensor]

#: Registered activations, by name.
activations: Registry[Activation] = Registry("activation")


def register_activation(name: str, *aliases: str, overwrite: bool = False):
    """Register an element-wise activation ``f(tensor) -> tensor`` under ``name``.

    Examples
    --------
    >>> import torch
    >>> @register_activation("cube-doc-example", overwrite=True)
    ... def cube(x):
    ...     return x**3
    >>> get_activation("cube-doc-example")(torch.tensor([2.0])).item()
    8.0
    """
    return activations.register(name, *aliases, overwrite=overwrite)


def get_activation(name: str) -> Activation:
    """Return the activation registered under ``name``; unknown names raise a ConfigError."""
    return activations.get(name)


activations.add("relu", torch.relu)
activations.add("tanh", torch.tanh)
activations.add("sigmoid", torch.sigmoid, "logistic")
activations.add("elu", F.elu)
activations.add("swish", F.silu, "silu")
activations.add("gelu", F.gelu)
activations.add("softplus", F.softplus)
activations.add("leaky_relu", F.leaky_relu, "leaky-relu", "lrelu")
activations.add("identity", lambda x: x, "linear", "none")
activations.add("square", torch.square)
activations.add("sin", torch.sin)
# sign has zero gradient almost everywhere, as in the source: with it only the output layer learns.
activations.add("sign", torch.sign)
activations.add("abs", torch.abs)
