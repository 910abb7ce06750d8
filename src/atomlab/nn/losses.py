"""Losses: a registry of per-example loss functions.

A loss is called as ``loss(output, target)`` and returns one value per example (the trainer
takes the mean, so that padded or masked examples can be left out). ``output`` is the network's raw
last layer ``[..., K]``. For classification ``target`` holds integer labels ``[...]``; for
regression it holds float targets ``[..., K]``.

Classification losses other than cross-entropy (mse, mae, fourth power) compare the *softmax
probabilities* with one-hot targets, so that every loss sees the same bounded quantity; hinge
works on the logits with targets in {-1, +1}. Written out in the docstrings because the source
notebooks leave it implicit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atomlab._lazy import (
    LazyModule,
    torch,  # imported when a loss is first computed
)
from atomlab.registry import Registry

F = LazyModule("torch.nn.functional")

#: ``f(output, target) -> tensor``, one value per example.
Loss = Callable[[Any, Any], Any]

#: Registered losses, by name.
losses: Registry[Loss] = Registry("loss")


def register_loss(name: str, *aliases: str, overwrite: bool = False):
    """Register a per-example loss ``f(output, target) -> tensor[...]`` under ``name``.

    Examples
    --------
    >>> import torch
    >>> @register_loss("cube-error-doc-example", overwrite=True)
    ... def cube_error(output, target):
    ...     return (output - target).abs().pow(3).mean(-1)
    >>> get_loss("cube-error-doc-example")(torch.ones(2, 1), torch.zeros(2, 1)).tolist()
    [1.0, 1.0]
    """
    return losses.register(name, *aliases, overwrite=overwrite)


def get_loss(name: str) -> Loss:
    """Return the loss registered under ``name``; unknown names raise a ConfigError.

    Examples
    --------
    >>> import torch
    >>> get_loss("ce") is get_loss("cross_entropy")
    True
    >>> get_loss("mse")(torch.tensor([[0.0, 0.0]]), torch.tensor([1])).tolist()  # softmax (0.5, 0.5) vs (0, 1)
    [0.25]
    """
    return losses.get(name)


def _is_labels(target: torch.Tensor) -> bool:
    return not torch.is_floating_point(target)


def _probs_and_onehot(output: torch.Tensor, target: torch.Tensor):
    if _is_labels(target):
        return output.softmax(-1), F.one_hot(target, output.shape[-1]).to(output.dtype)
    return output, target.reshape(output.shape)


@register_loss("cross_entropy", "cross-entropy", "ce", "nll", "log_loss")
def cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy on the logits: ``-log softmax(output)[target]``.

    Examples
    --------
    >>> import math, torch
    >>> loss = cross_entropy(torch.zeros(1, 4), torch.tensor([2]))
    >>> math.isclose(loss.item(), math.log(4), rel_tol=1e-6)  # uniform over 4 classes
    True
    """
    logp = output.log_softmax(-1)
    return -logp.gather(-1, target.unsqueeze(-1)).squeeze(-1)


@register_loss("mse", "mean_squared_error", "l2_loss")
def mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error (on softmax probabilities against one-hot labels for classification).

    Examples
    --------
    >>> import torch
    >>> mse(torch.tensor([[0.5, 1.5]]), torch.tensor([[0.0, 1.0]])).tolist()  # float targets: as given
    [0.25]
    """
    pred, goal = _probs_and_onehot(output, target)
    return (pred - goal).square().mean(-1)


@register_loss("mae", "mean_absolute_error", "l1_loss")
def mae(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error (on softmax probabilities against one-hot labels for classification).

    Examples
    --------
    >>> import torch
    >>> mae(torch.tensor([[0.5, 1.5]]), torch.tensor([[0.0, 1.0]])).tolist()
    [0.5]
    """
    pred, goal = _probs_and_onehot(output, target)
    return (pred - goal).abs().mean(-1)


@register_loss("fourth_power", "fourth-power", "quartic")
def fourth_power(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean fourth power of the error (on probabilities for classification).

    Examples
    --------
    >>> import torch
    >>> fourth_power(torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 0.0]])).tolist()
    [8.0]
    """
    pred, goal = _probs_and_onehot(output, target)
    return (pred - goal).pow(4).mean(-1)


@register_loss("hinge", "hinge_loss")
def hinge(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Hinge loss ``mean(max(0, 1 - t * output))`` with one-hot targets mapped to {-1, +1}.

    Examples
    --------
    >>> import torch
    >>> hinge(torch.tensor([[-2.0, 2.0]]), torch.tensor([1])).tolist()  # both margins met
    [0.0]
    >>> hinge(torch.tensor([[0.0, 0.0]]), torch.tensor([1])).tolist()
    [1.0]
    """
    if _is_labels(target):
        t = 2 * F.one_hot(target, output.shape[-1]).to(output.dtype) - 1
    else:
        t = target.reshape(output.shape)
    return torch.relu(1 - t * output).mean(-1)


@register_loss("constant", "zero")
def constant(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """A negative control: a loss that does not depend on the network, so nothing is learned.

    Returns ``0 * output`` (not a bare constant) so that autograd still sees the graph and every
    gradient is exactly zero.

    Examples
    --------
    >>> import torch
    >>> out = torch.ones(2, 3, requires_grad=True)
    >>> constant(out, torch.tensor([0, 1])).sum().backward()
    >>> out.grad.abs().sum().item()
    0.0
    """
    return (output * 0).sum(-1)


# 000's classification losses are computed on the network's *linear outputs* against one-hot
# targets (its code feeds the logits to mean_squared_error etc.); the built-ins above compare
# softmax probabilities instead, so 000's own definitions are registered beside them.
def _onehot(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if torch.is_floating_point(target):
        return target.reshape(output.shape)
    return F.one_hot(target, output.shape[-1]).to(output.dtype)


@register_loss("logit_mse")
def logit_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """000's ``mean_squared_error``: mean of ``(output - onehot)^2`` on the raw linear outputs.

    Examples
    --------
    >>> logit_mse(torch.tensor([[2.0, 0.0]]), torch.tensor([0])).tolist()
    [0.5]
    """
    return (output - _onehot(output, target)).square().mean(-1)


@register_loss("logit_mae")
def logit_mae(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """000's ``mean_abs_error``: mean of ``|output - onehot|`` on the raw linear outputs.

    Examples
    --------
    >>> logit_mae(torch.tensor([[2.0, 0.0]]), torch.tensor([0])).tolist()
    [0.5]
    """
    return (output - _onehot(output, target)).abs().mean(-1)


@register_loss("logit_fourth_power")
def logit_fourth_power(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """000's ``mean_fourth_pow_error``: mean of ``(output - onehot)^4`` on the raw linear outputs.

    Examples
    --------
    >>> logit_fourth_power(torch.tensor([[2.0, 0.0]]), torch.tensor([0])).tolist()
    [0.5]
    """
    return (output - _onehot(output, target)).pow(4).mean(-1)


#: 002's floor inside the logarithm: ``log(p + 0.01)`` (``epsilon = 1e-2`` in its ``graph.py``).
PADDED_CE_EPSILON = 0.01


@register_loss("padded_cross_entropy", "cross_entropy_002")
def padded_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """002's loss: ``-2 log(softmax(output)[target] + 0.01)`` per example.

    The code behind 002 (``graph.py`` of BigRedT/nn_pred_surf) computes, on the softmax of two logits,
    ``2 * mean(-(t log(p1 + 0.01) + (1 - t) log(p0 + 0.01)))``: the cross-entropy of the probability of
    the true class padded by 0.01, doubled. Per example that is ``-2 log(p_y + 0.01)``, which is what
    this returns (for any number of classes). Compared with :func:`cross_entropy` the gradient with
    respect to the logits is the cross-entropy's multiplied by ``2 p_y / (p_y + 0.01)``: twice as large
    while an example is predicted well, fading to zero as ``p_y`` falls far below 0.01, so badly
    misclassified points stop pulling.

    Examples
    --------
    >>> import math, torch
    >>> loss = padded_cross_entropy(torch.zeros(1, 2), torch.tensor([1]))  # p = 1/2
    >>> math.isclose(loss.item(), -2 * math.log(0.51), rel_tol=1e-6)
    True
    """
    p = output.softmax(-1).gather(-1, target.unsqueeze(-1)).squeeze(-1)
    return -2.0 * torch.log(p + PADDED_CE_EPSILON)
