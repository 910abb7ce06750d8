"""000's losses on the linear outputs, registered beside the built-ins."""

from __future__ import annotations

import math

import torch

from atomlab.nn import get_loss


def test_logit_losses_follow_the_source_definitions():
    out = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    y = torch.tensor([0, 1])
    onehot = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert torch.allclose(get_loss("logit_mse")(out, y), ((out - onehot) ** 2).mean(-1))
    assert torch.allclose(get_loss("logit_mae")(out, y), (out - onehot).abs().mean(-1))
    assert torch.allclose(get_loss("logit_fourth_power")(out, y), ((out - onehot) ** 4).mean(-1))
    # the built-in mse compares softmax probabilities instead: a different number on the same outputs
    assert not torch.allclose(get_loss("mse")(out, y), get_loss("logit_mse")(out, y))
    # float targets are used as given
    target = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    assert torch.allclose(get_loss("logit_mae")(out, target), (out - target).abs().mean(-1))


def test_padded_cross_entropy_is_002s_formula_by_hand():
    # 002's graph.py: 2 * mean(-(t log(p1 + .01) + (1 - t) log(p0 + .01))) on the softmax of two logits
    logits = torch.tensor([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.7], [4.0, -4.0]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 1, 1])
    p1 = torch.exp(logits[:, 1]) / torch.exp(logits).sum(1)
    p0 = 1 - p1
    t = labels.to(torch.float64)
    by_hand = 2 * torch.mean(-(t * torch.log(p1 + 0.01) + (1 - t) * torch.log(p0 + 0.01)))
    assert torch.allclose(get_loss("padded_cross_entropy")(logits, labels).mean(), by_hand)
    # it is not atomlab's cross-entropy: doubled, and floored at 0.01 inside the log
    assert not torch.allclose(get_loss("cross_entropy")(logits, labels).mean(), by_hand)
    # a hopeless example (p_y ~ 0) costs at most -2 log(0.01), and stops pulling: its gradient vanishes
    z = torch.tensor([[30.0, -30.0]], dtype=torch.float64, requires_grad=True)
    loss = get_loss("padded_cross_entropy")(z, torch.tensor([1]))
    assert loss.item() <= -2 * math.log(0.01) + 1e-9
    (g,) = torch.autograd.grad(loss.sum(), z)
    assert g.abs().max().item() < 1e-20
