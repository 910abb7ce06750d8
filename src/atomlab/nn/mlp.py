"""One MLP built from an :class:`~atomlab.nn.spec.MLPSpec` as plain PyTorch modules (the general path)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from atomlab.nn.activations import activations

if TYPE_CHECKING:  # the spec builds this module (MLPSpec.build_module), not the reverse
    from atomlab.nn.spec import MLPSpec


class MLP(torch.nn.Module):
    """One MLP built from an :class:`MLPSpec`, as plain PyTorch modules (the general path).

    It computes exactly what a member of a population computes, layer for layer.

    Examples
    --------
    >>> import torch
    >>> from atomlab.nn import MLPSpec
    >>> spec = MLPSpec(layers=(4,), activation="tanh")
    >>> net = spec.build_module(2, 3, seed=0)
    >>> net(torch.zeros(5, 2)).shape
    torch.Size([5, 3])
    >>> torch.equal(net.linears[0].weight, spec.build_module(2, 3, seed=0).linears[0].weight)
    True
    """

    def __init__(self, spec: MLPSpec, input_dim: int, output_dim: int, seed: int,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        dtype = torch.float32 if dtype is None else dtype
        self.spec = spec
        shapes, self.slots = spec.layer_plan(input_dim, output_dim)
        self.linears = torch.nn.ModuleList()
        for (w, b), (fan_in, fan_out) in zip(spec.init_params(input_dim, output_dim, seed), shapes):
            lin = torch.nn.Linear(fan_in, fan_out, dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(w.T)
                lin.bias.copy_(b)
            self.linears.append(lin)
        self.norms = torch.nn.ModuleList(
            torch.nn.BatchNorm1d(w, momentum=spec.bn_momentum, eps=spec.bn_eps, dtype=dtype)
            for w in (spec.layers if spec.batchnorm else ())
        )
        self.act = activations.get(spec.activation)
        self.drop = torch.nn.Dropout(spec.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)
        n_hidden = len(self.spec.layers)
        for i, slot in enumerate(self.slots):
            z = self.linears[slot](h)
            if i == n_hidden:
                return z
            if self.spec.batchnorm:
                z = self.norms[i](z)
            if self.spec.residual and z.shape[-1] == h.shape[-1]:
                z = z + h
            h = self.act(z)
            if self.spec.dropout:  # a Dropout(0) call per layer costs as much as the activation on small nets
                h = self.drop(h)
        return h  # unreachable: the last slot is the output layer
