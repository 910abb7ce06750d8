"""atomlab's optimisers against torch.optim: member i of a population, with its own learning rate, must end
where the same tensor updated alone by torch.optim ends (float64, several steps)."""

from __future__ import annotations

import importlib

import pytest
import torch

from atomlab.errors import ConfigError

# the module: the package attribute atomlab.nn.optimizers is the registry of the same name
O = importlib.import_module("atomlab.nn.optimizers")

#: case -> (atomlab name, torch.optim class, hyper-parameters shared by both)
TORCH = {
    "sgd": ("sgd", torch.optim.SGD, {}),
    "momentum": ("momentum", torch.optim.SGD, {"momentum": 0.5}),
    "nesterov": ("momentum", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": ("adam", torch.optim.Adam, {}),
    "rmsprop": ("rmsprop", torch.optim.RMSprop, {}),
    "adagrad": ("adagrad", torch.optim.Adagrad, {}),
}
SHAPES = [(4, 5, 3), (4, 1, 3)]  # stacked weights and biases of 4 members


def _gradients(steps: int) -> list[list[torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [[torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES] for _ in range(steps)]


@pytest.mark.parametrize("lrs", [[0.01] * 4, [0.001, 0.01, 0.03, 0.1]], ids=["shared-lr", "per-member-lr"])
@pytest.mark.parametrize("case", list(TORCH))
def test_population_update_equals_torch_optim_per_member(case, lrs):
    name, torch_cls, hyper = TORCH[case]
    start = [torch.randn(s, generator=torch.Generator().manual_seed(0), dtype=torch.float64) for s in SHAPES]
    params = [p.clone() for p in start]
    opt = O.make_optimizer(name, params, **hyper)
    grads = _gradients(6)
    lr = torch.tensor(lrs, dtype=torch.float64)
    for gs in grads:
        opt.step(gs, lr)
    for member, member_lr in enumerate(lrs):
        alone = [p[member].clone().requires_grad_() for p in start]
        ref = torch_cls(alone, lr=member_lr, **hyper)
        for gs in grads:
            for p, g in zip(alone, gs):
                p.grad = g[member].clone()
            ref.step()
        for ours, theirs in zip(params, alone):
            torch.testing.assert_close(ours[member], theirs.detach(), rtol=1e-12, atol=1e-12)


def test_adam_fused_and_foreach_paths_agree():
    """The fused kernel (one scalar lr, or per-member lr through a buffer) computes the foreach chain's numbers."""
    lr = torch.tensor([0.001, 0.01, 0.03, 0.1], dtype=torch.float64)
    fused, chain = ([torch.ones(s, dtype=torch.float64) for s in SHAPES] for _ in range(2))
    a, b = O.make_optimizer("adam", fused), O.make_optimizer("adam", chain)
    for gs in _gradients(4):
        a.step(gs, lr)
        b.t += 1
        if not b.state[0]:
            for p, st in zip(b.params, b.state):
                st["m"], st["v"] = torch.zeros_like(p), torch.zeros_like(p)
        b._foreach_step(gs, [st["m"] for st in b.state], [st["v"] for st in b.state], lr)
    assert "delta" in a.state[0]  # the per-member buffer path ran
    for x, y in zip(fused, chain):
        torch.testing.assert_close(x, y, rtol=1e-13, atol=1e-13)


def test_unknown_hyper_parameter_names_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['beta3'\].*known: \['beta1', 'beta2', 'eps'\]"):
        O.make_optimizer("adam", [torch.zeros(2)], beta3=0.5)


def test_subclass_with_its_own_rule_is_not_bypassed_by_the_fused_step():
    class HalfSGD(O.SGD):
        def update(self, p, g, state, lr):
            p.sub_(0.5 * lr * g)

    w = torch.zeros(2)
    HalfSGD([w]).step([torch.ones(2)], lr=1.0)
    assert w.tolist() == [-0.5, -0.5]
