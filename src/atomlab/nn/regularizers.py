"""Weight regularisers: penalties on the weight matrices (never the biases).

A regulariser is called as ``reg(weights)`` with the list of a model's weight matrices and returns
the penalty before scaling; the trainer multiplies it by the spec's ``reg_lambda``. With stacked
population weights ``[P, fan_in, fan_out]`` it returns one penalty per member ``[P]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from atomlab.registry import Registry

Regularizer = Callable[[Sequence[torch.Tensor]], torch.Tensor]

#: Registered regularisers, by name.
regularizers: Registry[Regularizer] = Registry("regularizer")


def register_regularizer(name: str, *aliases: str, overwrite: bool = False):
    """Register a weight penalty ``f(list_of_weight_tensors) -> tensor`` under ``name``."""
    return regularizers.register(name, *aliases, overwrite=overwrite)


def _matrix_dims(w: torch.Tensor) -> tuple[int, ...]:
    # The last two dimensions are the matrix; a leading one (if any) indexes population members.
    return tuple(range(w.dim() - 2, w.dim())) if w.dim() >= 2 else (0,)


@regularizers.register("l2")
def l2(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum over weight matrices of ``mean(w^2)`` (000's regularisation experiment)."""
    return sum(w.square().mean(dim=_matrix_dims(w)) for w in weights)


@regularizers.register("l1")
def l1(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum over weight matrices of ``mean(|w|)`` (000's regularisation experiment)."""
    return sum(w.abs().mean(dim=_matrix_dims(w)) for w in weights)


@regularizers.register("l2_sum", "keras_l2")
def l2_sum(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum of ``w^2`` over every weight: Keras' ``l2`` kernel regulariser, used by 002."""
    return sum(w.square().sum(dim=_matrix_dims(w)) for w in weights)


@regularizers.register("l1_sum", "keras_l1")
def l1_sum(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Sum of ``|w|`` over every weight: Keras' ``l1`` kernel regulariser."""
    return sum(w.abs().sum(dim=_matrix_dims(w)) for w in weights)
