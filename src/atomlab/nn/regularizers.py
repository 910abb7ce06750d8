"""Weight regularisers: penalties on the weight matrices (never the biases).

A regulariser is called as ``reg(weights)`` with the list of a model's weight matrices and returns
the penalty before scaling; the trainer multiplies it by the spec's ``reg_lambda``. With stacked
population weights ``[P, fan_in, fan_out]`` it returns one penalty per member ``[P]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from atomlab._lazy import torch  # imported when a penalty is first computed
from atomlab.registry import Registry

#: ``f(list_of_weight_tensors) -> tensor``.
Regularizer = Callable[[Sequence[Any]], Any]

#: Registered regularisers, by name.
regularizers: Registry[Regularizer] = Registry("regularizer")


def register_regularizer(name: str, *aliases: str, overwrite: bool = False):
    """Register a weight penalty ``f(list_of_weight_tensors) -> tensor`` under ``name``.

    Examples
    --------
    >>> import torch
    >>> @register_regularizer("max-doc-example", overwrite=True)
    ... def biggest(weights):
    ...     return max(w.abs().amax(dim=(-2, -1)) for w in weights)
    >>> regularizers.get("max-doc-example")([torch.tensor([[1.0, -3.0]])]).item()
    3.0
    """
    return regularizers.register(name, *aliases, overwrite=overwrite)


def _matrix_dims(w: torch.Tensor) -> tuple[int, ...]:
    # The last two dimensions are the matrix; a leading one (if any) indexes population members.
    return tuple(range(w.dim() - 2, w.dim())) if w.dim() >= 2 else (0,)


@regularizers.register("l2")
def l2(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum over weight matrices of ``mean(w^2)`` (000's regularisation experiment).

    Examples
    --------
    >>> import torch
    >>> l2([torch.tensor([[1.0, 3.0]]), torch.tensor([[2.0]])]).item()  # (1 + 9) / 2 + 4
    9.0
    >>> l2([torch.ones(5, 2, 3)]).shape  # one penalty per population member
    torch.Size([5])
    """
    return sum(w.square().mean(dim=_matrix_dims(w)) for w in weights)


@regularizers.register("l1")
def l1(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum over weight matrices of ``mean(|w|)`` (000's regularisation experiment).

    Examples
    --------
    >>> import torch
    >>> l1([torch.tensor([[1.0, -3.0]])]).item()
    2.0
    """
    return sum(w.abs().mean(dim=_matrix_dims(w)) for w in weights)


@regularizers.register("l2_sum", "keras_l2")
def l2_sum(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum of ``w^2`` over every weight: Keras' ``l2`` kernel regulariser, used by 002.

    Examples
    --------
    >>> import torch
    >>> l2_sum([torch.tensor([[1.0, 3.0]]), torch.tensor([[2.0]])]).item()
    14.0
    """
    return sum(w.square().sum(dim=_matrix_dims(w)) for w in weights)


@regularizers.register("l1_sum", "keras_l1")
def l1_sum(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum of ``|w|`` over every weight: Keras' ``l1`` kernel regulariser.

    Examples
    --------
    >>> import torch
    >>> l1_sum([torch.tensor([[1.0, -3.0]])]).item()
    4.0
    """
    return sum(w.abs().sum(dim=_matrix_dims(w)) for w in weights)
