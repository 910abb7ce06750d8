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
from typing import TYPE_CHECKING, Any

from atomlab.registry import Registry

if TYPE_CHECKING:
    import torch

#: ``f(tensor) -> tensor``, element-wise.
Activation = Callable[["torch.Tensor"], Any]

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
    """Return the activation registered under ``name``; unknown names raise a ConfigError.

    Examples
    --------
    >>> import torch
    >>> get_activation("relu")(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    >>> get_activation("logistic") is get_activation("sigmoid")
    True
    """
    return activations.get(name)


# torch's own functions, imported when first used: declaring a model does not load torch.
activations.add_deferred("relu", "torch:relu")
activations.add_deferred("tanh", "torch:tanh")
activations.add_deferred("sigmoid", "torch:sigmoid", "logistic")
activations.add_deferred("elu", "torch.nn.functional:elu")
activations.add_deferred("swish", "torch.nn.functional:silu", "silu")
activations.add_deferred("gelu", "torch.nn.functional:gelu")
activations.add_deferred("softplus", "torch.nn.functional:softplus")
activations.add_deferred("leaky_relu", "torch.nn.functional:leaky_relu", "leaky-relu", "lrelu")
activations.add("identity", lambda x: x, "linear", "none")
activations.add_deferred("square", "torch:square")
activations.add_deferred("sin", "torch:sin")
# sign has zero gradient almost everywhere, as in the source: with it only the output layer learns.
activations.add_deferred("sign", "torch:sign")
activations.add_deferred("abs", "torch:abs")
