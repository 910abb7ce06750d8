"""A population of P MLPs with identical layer shapes, stacked for one vectorised program.

Weights are stored as ``[P, fan_in, fan_out]`` and biases as ``[P, 1, fan_out]``, so a layer for all
members is one batched matmul: ``h @ W + b`` with ``h`` of shape ``[P, batch, fan_in]`` (or a shared
``[batch, fan_in]`` input, broadcast without a copy). Members differ in their initial weights,
activation, dropout rate (and, in the trainer, learning rate, data order and loss), never in shape.

Member ``i`` computes exactly what ``MLPSpec.build_module(..., seed_i)`` computes alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from atomlab.errors import ConfigError
from atomlab.nn.activations import activations
from atomlab.nn.seeding import torch_generator
from atomlab.nn.spec import MLPSpec


def _runs(values: Sequence[object]) -> list[tuple[object, int, int]]:
    """Contiguous runs ``(value, start, stop)`` of equal values."""
    runs: list[tuple[object, int, int]] = []
    for i, v in enumerate(values):
        if runs and runs[-1][0] == v:
            runs[-1] = (v, runs[-1][1], i + 1)
        else:
            runs.append((v, i, i + 1))
    return runs


class PopulationMLP:
    """P stacked MLPs.

    Parameters
    ----------
    specs : sequence of MLPSpec
        One spec per member. They must share :meth:`MLPSpec.shape_key`; activation, initialisers
        and dropout may differ.
    seeds : sequence of int
        One trial seed per member (initial weights and dropout masks derive from it).
    input_dim, output_dim : int
        Widths of the input and the output layer.
    dtype, device
        Where the stacked tensors live.

    Examples
    --------
    >>> import torch
    >>> net = PopulationMLP([MLPSpec(layers=(4,))] * 3, seeds=[0, 1, 2], input_dim=2, output_dim=2)
    >>> net.P, net(torch.zeros(5, 2)).shape  # one shared input batch, three members
    (3, torch.Size([3, 5, 2]))
    """

    def __init__(self, specs: Sequence[MLPSpec], seeds: Sequence[int], input_dim: int, output_dim: int,
                 *, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> None:
        if len(specs) != len(seeds) or not specs:
            raise ConfigError(f"need one spec per seed, got {len(specs)} specs and {len(seeds)} seeds")
        keys = {s.shape_key(input_dim, output_dim) for s in specs}
        if len(keys) != 1:
            raise ConfigError(f"members of a population must share layer shapes, got {sorted(map(str, keys))}")
        self.specs = list(specs)
        self.seeds = [int(s) for s in seeds]
        self.P = len(specs)
        self.input_dim, self.output_dim = input_dim, output_dim
        self.dtype, self.device = dtype, torch.device(device)
        first = specs[0]
        self.n_hidden = len(first.layers)
        self.batchnorm, self.residual = first.batchnorm, first.residual
        self.bn_momentum, self.bn_eps = first.bn_momentum, first.bn_eps
        _, self.slots = first.layer_plan(input_dim, output_dim)

        member_params = [s.init_params(input_dim, output_dim, seed) for s, seed in zip(specs, self.seeds)]
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        for slot in range(len(member_params[0])):
            w = torch.stack([mp[slot][0] for mp in member_params])
            b = torch.stack([mp[slot][1] for mp in member_params]).unsqueeze(1)
            self.weights.append(w.to(device=self.device, dtype=dtype).requires_grad_(True))
            self.biases.append(b.to(device=self.device, dtype=dtype).requires_grad_(True))
        self.gammas: list[torch.Tensor] = []
        self.betas: list[torch.Tensor] = []
        self.running: list[tuple[torch.Tensor, torch.Tensor]] = []
        if self.batchnorm:
            for width in first.layers:
                kw = {"device": self.device, "dtype": dtype}
                self.gammas.append(torch.ones(self.P, 1, width, **kw).requires_grad_(True))
                self.betas.append(torch.zeros(self.P, 1, width, **kw).requires_grad_(True))
                self.running.append((torch.zeros(self.P, 1, width, **kw), torch.ones(self.P, 1, width, **kw)))

        self.activation_runs = [(activations.get(name), a, b) for name, a, b in
                                _runs([s.activation for s in specs])]
        drop = torch.tensor([s.dropout for s in specs], dtype=dtype, device=self.device)
        self.drop_rate = drop.view(self.P, 1, 1)
        self.any_dropout = bool((drop > 0).any())
        self.dropout_generators = (
            [torch_generator(seed, "dropout") for seed in self.seeds] if self.any_dropout else []
        )

    # ----- parameters ---------------------------------------------------------------------
    def parameters(self) -> list[torch.Tensor]:
        """Every trainable stacked tensor, weights first."""
        return [*self.weights, *self.biases, *self.gammas, *self.betas]

    def weight_matrices(self) -> list[torch.Tensor]:
        """The stacked weight matrices (what a weight regulariser penalises)."""
        return list(self.weights)

    def member_state(self, i: int) -> dict[str, torch.Tensor]:
        """Member ``i``'s parameters as a dict of detached CPU tensors (``W0, b0, W1, ...``)."""
        state = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            state[f"W{k}"] = w[i].detach().cpu().clone()
            state[f"b{k}"] = b[i, 0].detach().cpu().clone()
        for k, (g, be) in enumerate(zip(self.gammas, self.betas)):
            state[f"gamma{k}"] = g[i, 0].detach().cpu().clone()
            state[f"beta{k}"] = be[i, 0].detach().cpu().clone()
        return state

    # ----- forward ------------------------------------------------------------------------
    def _activate(self, z: torch.Tensor) -> torch.Tensor:
        if len(self.activation_runs) == 1:
            return self.activation_runs[0][0](z)
        return torch.cat([fn(z[a:b]) for fn, a, b in self.activation_runs], dim=0)

    def _batchnorm(self, z: torch.Tensor, k: int, train: bool) -> torch.Tensor:
        mean_r, var_r = self.running[k]
        if train:
            mean = z.mean(dim=1, keepdim=True)
            var = z.var(dim=1, keepdim=True, unbiased=False)
            with torch.no_grad():
                n = z.shape[1]
                unbiased = var * (n / max(n - 1, 1))
                mean_r.lerp_(mean.detach(), self.bn_momentum)
                var_r.lerp_(unbiased.detach(), self.bn_momentum)
        else:
            mean, var = mean_r, var_r
        return (z - mean) / torch.sqrt(var + self.bn_eps) * self.gammas[k] + self.betas[k]

    def _dropout(self, h: torch.Tensor) -> torch.Tensor:
        # One generator per member, so a member's masks do not depend on its population.
        shape = h.shape[1:]
        u = torch.stack([torch.rand(shape, generator=g, dtype=h.dtype) for g in self.dropout_generators])
        keep = 1 - self.drop_rate
        return h * (u.to(h.device) >= self.drop_rate) / keep

    def forward(self, x: torch.Tensor, *, train: bool = False,
                hidden: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits ``[P, batch, output_dim]`` for inputs ``[batch, d]`` (shared) or ``[P, batch, d]``.

        When ``hidden`` is a list, each hidden layer's activations are appended to it.
        """
        h = x.reshape(*x.shape[:-1], -1) if x.dim() <= 3 else x.flatten(-3)
        if h.dim() == 2:
            h = h.unsqueeze(0)  # broadcast one shared input over the members
        for i, slot in enumerate(self.slots):
            if h.shape[0] == self.P:
                z = torch.baddbmm(self.biases[slot], h, self.weights[slot])
            else:  # one input shared by every member (evaluation, grids): one 2-D product for all of them
                z = _shared_input_layer(h[0], self.weights[slot], self.biases[slot])
            if i == self.n_hidden:
                return z
            if self.batchnorm:
                z = self._batchnorm(z, i, train)
            if self.residual and z.shape[-1] == h.shape[-1]:
                z = z + h
            h = self._activate(z)
            if hidden is not None:
                hidden.append(h)
            if train and self.any_dropout:
                h = self._dropout(h)
        return h

    __call__ = forward


def _shared_input_layer(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``x @ W[p] + b[p]`` for every member p, as ``[P, n, k]``, from one input ``x`` of shape ``[n, d]``.

    Broadcasting ``[1, n, d] @ [P, d, k]`` copies x once per member before a batched product (125 MB for
    8 members on 5,000 MNIST images); one ``[n, d] @ [d, P * k]`` product reads x once and runs at the
    2-D product's speed (measured in docs/benchmarks.md).
    """
    P, d, k = W.shape
    z = x @ W.transpose(0, 1).reshape(d, P * k)
    return z.view(x.shape[0], P, k).transpose(0, 1) + b
