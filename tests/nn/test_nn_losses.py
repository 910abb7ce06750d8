"""000's losses on the linear outputs, registered beside the built-ins."""

from __future__ import annotations

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
