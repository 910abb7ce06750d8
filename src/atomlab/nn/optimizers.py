"""Optimisers that update a list of tensors in place, with a learning rate per population member.

The update rules follow ``torch.optim`` exactly (same order of operations and the same defaults),
so that member ``i`` of a population ends where the same model trained alone with ``torch.optim``
ends. They are written here rather than taken from ``torch.optim`` because a population needs a
*different learning rate per member*: ``lr`` is a tensor that broadcasts against each parameter
(``[P, 1, 1]`` for stacked weights ``[P, fan_in, fan_out]``, or a 0-d tensor for a lone model).

Register a new rule by subclassing :class:`Optimizer`::

    @atomlab.register_optimizer("signsgd")
    class SignSGD(atomlab.nn.Optimizer):
        def update(self, p, g, state, lr):
            p.sub_(lr * g.sign())
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from atomlab.errors import ConfigError
from atomlab.registry import Registry


class Optimizer:
    """Base class: holds per-parameter state and applies :meth:`update` to each parameter.

    Parameters
    ----------
    params : sequence of Tensor
        The tensors to update in place (plain tensors; gradients are passed to :meth:`step`).
    **hyper
        Hyper-parameters of the rule; unknown ones raise a ConfigError listing the allowed ones.
    """

    defaults: dict[str, Any] = {}

    def __init__(self, params: Sequence[torch.Tensor], **hyper: Any) -> None:
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise ConfigError(
                f"unknown parameter(s) {sorted(unknown)} for optimizer {type(self).__name__}; "
                f"known: {sorted(self.defaults) or 'none'}"
            )
        self.hyper = {**self.defaults, **hyper}
        self.params = list(params)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: torch.Tensor | float) -> None:
        """Apply one update with ``grads`` (same order as ``params``) and learning rate ``lr``."""
        self.t += 1
        for p, g, state in zip(self.params, grads, self.state):
            if g is None:
                continue
            self.update(p, g, state, lr)

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict[str, Any], lr) -> None:
        """Update ``p`` in place from its gradient ``g``; subclasses implement the rule."""
        raise NotImplementedError


#: Registered optimisers, by name.
optimizers: Registry[type[Optimizer]] = Registry("optimizer")


def register_optimizer(name: str, *aliases: str, overwrite: bool = False):
    """Register an :class:`Optimizer` subclass under ``name``.

    Examples
    --------
    >>> import torch
    >>> @register_optimizer("signsgd-doc-example", overwrite=True)
    ... class SignSGD(Optimizer):
    ...     def update(self, p, g, state, lr):
    ...         p.sub_(lr * g.sign())
    >>> w = torch.zeros(2)
    >>> make_optimizer("signsgd-doc-example", [w]).step([torch.tensor([3.0, -1.0])], lr=0.5)
    >>> w.tolist()
    [-0.5, 0.5]
    """
    return optimizers.register(name, *aliases, overwrite=overwrite)


def make_optimizer(name: str, params: Sequence[torch.Tensor], **hyper: Any) -> Optimizer:
    """Build the optimiser registered under ``name`` for ``params``."""
    return optimizers.get(name)(params, **hyper)


def _per_param(lr, params: list[torch.Tensor]) -> list:
    """The learning rate broadcast to each parameter (a ``[P]`` tensor gains trailing dims)."""
    if isinstance(lr, torch.Tensor) and lr.dim() > 0:
        return [lr.reshape(lr.shape[0], *([1] * (p.dim() - 1))) for p in params]
    return [lr for _ in params]


@register_optimizer("sgd")
class SGD(Optimizer):
    """Plain gradient descent: ``p -= lr * g``."""

    @torch.no_grad()
    def step(self, grads, lr):
        # Fused over all parameters with torch._foreach_*: one call instead of one per tensor.
        self.t += 1
        torch._foreach_sub_(self.params, torch._foreach_mul(list(grads), _per_param(lr, self.params)))

    def update(self, p, g, state, lr):
        p.sub_(lr * g)


@register_optimizer("momentum", "sgd_momentum")
class Momentum(SGD):
    """Heavy-ball momentum as ``torch.optim.SGD(momentum=...)``: ``b = m b + g; p -= lr b``."""

    defaults = {"momentum": 0.9, "nesterov": False}

    def update(self, p, g, state, lr):
        buf = state.get("buf")
        if buf is None:
            buf = state["buf"] = g.clone()
        else:
            buf.mul_(self.hyper["momentum"]).add_(g)
        step = g.add(buf, alpha=self.hyper["momentum"]) if self.hyper["nesterov"] else buf
        p.sub_(lr * step)


@register_optimizer("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, as ``torch.optim.Adam``."""

    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    @torch.no_grad()
    def step(self, grads, lr):
        # The same arithmetic as update(), fused over all parameters with torch._foreach_*.
        self.t += 1
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["eps"]
        grads = list(grads)
        if not self.state[0]:
            for p, st in zip(self.params, self.state):
                st["m"], st["v"] = torch.zeros_like(p), torch.zeros_like(p)
        ms = [st["m"] for st in self.state]
        vs = [st["v"] for st in self.state]
        torch._foreach_lerp_(ms, grads, 1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, grads, grads, value=1 - b2)
        bias1 = 1 - b1**self.t
        bias2_sqrt = (1 - b2**self.t) ** 0.5
        denom = torch._foreach_sqrt(vs)
        torch._foreach_div_(denom, bias2_sqrt)
        torch._foreach_add_(denom, eps)
        steps = torch._foreach_div(ms, denom)
        torch._foreach_mul_(steps, [x / bias1 for x in _per_param(lr, self.params)])
        torch._foreach_sub_(self.params, steps)

    def update(self, p, g, state, lr):
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["eps"]
        if not state:
            state["m"] = torch.zeros_like(p)
            state["v"] = torch.zeros_like(p)
        m, v = state["m"], state["v"]
        m.lerp_(g, 1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        bias1 = 1 - b1**self.t
        bias2_sqrt = (1 - b2**self.t) ** 0.5
        denom = (v.sqrt() / bias2_sqrt).add_(eps)
        p.sub_((lr / bias1) * (m / denom))


@register_optimizer("rmsprop")
class RMSprop(Optimizer):
    """RMSprop as ``torch.optim.RMSprop``: ``s = a s + (1-a) g^2; p -= lr g / (sqrt(s) + eps)``."""

    defaults = {"alpha": 0.99, "eps": 1e-8}

    def update(self, p, g, state, lr):
        if not state:
            state["s"] = torch.zeros_like(p)
        s = state["s"]
        s.mul_(self.hyper["alpha"]).addcmul_(g, g, value=1 - self.hyper["alpha"])
        p.sub_(lr * (g / s.sqrt().add_(self.hyper["eps"])))


@register_optimizer("adagrad")
class Adagrad(Optimizer):
    """Adagrad as ``torch.optim.Adagrad``: ``s += g^2; p -= lr g / (sqrt(s) + eps)``."""

    defaults = {"eps": 1e-10, "initial_accumulator_value": 0.0}

    def update(self, p, g, state, lr):
        if not state:
            state["s"] = torch.full_like(p, self.hyper["initial_accumulator_value"])
        s = state["s"]
        s.addcmul_(g, g, value=1)
        p.sub_(lr * (g / s.sqrt().add_(self.hyper["eps"])))
