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

from atomlab._lazy import torch  # imported when a model first trains, not when a recipe is declared
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

    Examples
    --------
    >>> import torch
    >>> class Halve(Optimizer):
    ...     def update(self, p, g, state, lr):
    ...         p.mul_(0.5)
    >>> w = torch.tensor([4.0])
    >>> Halve([w]).step([torch.tensor([0.0])], lr=1.0)
    >>> w.item()
    2.0
    >>> Halve([w], beta=0.9)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: unknown parameter(s) ['beta'] for optimizer Halve; known: none
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

    def step(self, grads: Sequence[torch.Tensor], lr: torch.Tensor | float) -> None:
        """Apply one update with ``grads`` (same order as ``params``) and learning rate ``lr``.

        A class may add ``fused_step(grads, lr)``, the same rule over all tensors at once; it is used only
        where the class that defines it also defines the :meth:`update` in force, so a subclass that
        changes ``update`` is never bypassed by its parent's fused step.
        """
        self.t += 1
        with torch.no_grad():
            if _owner(type(self), "fused_step") is _owner(type(self), "update") is not None:
                self.fused_step(list(grads), lr)
                return
            for p, g, state, lr_p in zip(self.params, grads, self.state, _per_param(lr, self.params)):
                if g is None:
                    continue
                self.update(p, g, state, lr_p)

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
    """Build the optimiser registered under ``name`` for ``params``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([1.0, -1.0])
    >>> make_optimizer("sgd", [w]).step([torch.tensor([0.5, 0.5])], lr=0.1)
    >>> w.tolist()
    [0.949999988079071, -1.0499999523162842]
    """
    return optimizers.get(name)(params, **hyper)


def _per_param(lr, params: list[torch.Tensor]) -> list:
    """The learning rate broadcast to each parameter (a ``[P]`` tensor gains trailing dims)."""
    if isinstance(lr, torch.Tensor) and lr.dim() > 0:
        return [lr.reshape(lr.shape[0], *([1] * (p.dim() - 1))) for p in params]
    return [lr for _ in params]


def _owner(cls: type, name: str) -> type | None:
    """The class in ``cls``'s MRO whose body defines ``name`` (None if none does)."""
    return next((k for k in cls.__mro__ if name in vars(k)), None)


def _scalar_lr(lr) -> float | None:
    """``lr`` as one float when every member shares it (checked on the CPU only: no device sync)."""
    if not isinstance(lr, torch.Tensor):
        return float(lr)
    if lr.dim() == 0 or lr.numel() == 1:
        return float(lr.reshape(()))
    if lr.device.type == "cpu" and bool((lr == lr[0]).all()):
        return float(lr[0])
    return None


def _fused_adam_ok(params: list[torch.Tensor], grads: list) -> bool:
    """Whether ``torch._fused_adam_`` can run: one device (CPU or CUDA), floating dtypes, dense grads."""
    if not params or not hasattr(torch, "_fused_adam_") or any(g is None for g in grads):
        return False
    device = params[0].device
    return (device.type in ("cpu", "cuda")
            and all(p.device == device and p.dtype in (torch.float32, torch.float64) for p in params)
            and all(g.dtype == p.dtype and g.shape == p.shape for g, p in zip(grads, params)))


@register_optimizer("sgd")
class SGD(Optimizer):
    """Plain gradient descent: ``p -= lr * g``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([1.0])
    >>> SGD([w]).step([torch.tensor([2.0])], lr=0.25)
    >>> w.item()
    0.5
    """

    def fused_step(self, grads, lr):
        # Over all parameters with torch._foreach_*: one call instead of one per tensor.
        torch._foreach_sub_(self.params, torch._foreach_mul(grads, _per_param(lr, self.params)))

    def update(self, p, g, state, lr):
        p.sub_(lr * g)


@register_optimizer("momentum", "sgd_momentum")
class Momentum(SGD):
    """Heavy-ball momentum as ``torch.optim.SGD(momentum=...)``: ``b = m b + g; p -= lr b``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([0.0])
    >>> opt = Momentum([w], momentum=0.5)
    >>> for _ in range(2):
    ...     opt.step([torch.tensor([1.0])], lr=1.0)
    >>> w.item()  # -1, then -(1 + 0.5)
    -2.5
    """

    defaults = {"momentum": 0.9, "nesterov": False}

    def fused_step(self, grads, lr):
        # update()'s arithmetic over all parameters at once with torch._foreach_*.
        mu = self.hyper["momentum"]
        st = self.state[0]
        if "bufs" not in st:  # as torch.optim.SGD: the first buffer is the gradient itself
            st["bufs"] = [g.clone() for g in grads]
        else:
            torch._foreach_mul_(st["bufs"], mu)
            torch._foreach_add_(st["bufs"], grads)
        steps = torch._foreach_add(grads, st["bufs"], alpha=mu) if self.hyper["nesterov"] else st["bufs"]
        torch._foreach_sub_(self.params, torch._foreach_mul(steps, _per_param(lr, self.params)))

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
    """Adam (Kingma & Ba, 2015) with bias correction, as ``torch.optim.Adam``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([0.0])
    >>> Adam([w]).step([torch.tensor([3.0])], lr=0.1)
    >>> round(w.item(), 4)  # the first step is lr * sign(g), whatever the scale of g
    -0.1
    """

    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def fused_step(self, grads, lr):
        if not self.state[0]:
            for p, st in zip(self.params, self.state):
                st["m"], st["v"] = torch.zeros_like(p), torch.zeros_like(p)
        ms = [st["m"] for st in self.state]
        vs = [st["v"] for st in self.state]
        if _fused_adam_ok(self.params, grads):
            self._kernel_step(grads, ms, vs, lr)
        else:
            self._foreach_step(grads, ms, vs, lr)

    def _foreach_step(self, grads, ms, vs, lr):
        # The same arithmetic as update(), over all parameters at once with torch._foreach_*.
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["eps"]
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

    def _kernel_step(self, grads, ms, vs, lr):
        # PyTorch's fused Adam kernel makes one pass over each tensor where the foreach chain above makes
        # about ten; on W2 (8 x 89k parameters) it cut the update from ~8 ms to under 1 ms a step. The
        # kernel takes one scalar lr, so a per-member lr goes through a zeroed buffer: the kernel writes
        # -update into it with lr = 1, then one addcmul applies each member's lr.
        st = self.state[0]
        if "steps" not in st:
            st["steps"] = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]
        torch._foreach_add_(st["steps"], 1.0)
        hyper = {"beta1": self.hyper["beta1"], "beta2": self.hyper["beta2"], "weight_decay": 0.0,
                 "eps": self.hyper["eps"], "amsgrad": False, "maximize": False}
        scalar = _scalar_lr(lr)
        if scalar is not None:
            torch._fused_adam_(self.params, grads, ms, vs, [], st["steps"], lr=scalar, **hyper)
            return
        if "delta" not in st:
            st["delta"] = [torch.zeros_like(p) for p in self.params]
        delta = st["delta"]
        torch._foreach_zero_(delta)
        torch._fused_adam_(delta, grads, ms, vs, [], st["steps"], lr=1.0, **hyper)
        torch._foreach_addcmul_(self.params, delta, _per_param(lr, self.params))

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
    """RMSprop as ``torch.optim.RMSprop``: ``s = a s + (1-a) g^2; p -= lr g / (sqrt(s) + eps)``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([0.0])
    >>> RMSprop([w]).step([torch.tensor([1.0])], lr=0.01)
    >>> w.item() < 0
    True
    """

    defaults = {"alpha": 0.99, "eps": 1e-8}

    def update(self, p, g, state, lr):
        if not state:
            state["s"] = torch.zeros_like(p)
        s = state["s"]
        s.mul_(self.hyper["alpha"]).addcmul_(g, g, value=1 - self.hyper["alpha"])
        p.sub_(lr * (g / s.sqrt().add_(self.hyper["eps"])))


@register_optimizer("adagrad")
class Adagrad(Optimizer):
    """Adagrad as ``torch.optim.Adagrad``: ``s += g^2; p -= lr g / (sqrt(s) + eps)``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([0.0])
    >>> Adagrad([w]).step([torch.tensor([2.0])], lr=0.5)
    >>> round(w.item(), 4)  # lr * g / sqrt(g^2)
    -0.5
    """

    defaults = {"eps": 1e-10, "initial_accumulator_value": 0.0}

    def update(self, p, g, state, lr):
        if not state:
            state["s"] = torch.full_like(p, self.hyper["initial_accumulator_value"])
        s = state["s"]
        s.addcmul_(g, g, value=1)
        p.sub_(lr * (g / s.sqrt().add_(self.hyper["eps"])))
