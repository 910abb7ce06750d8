"""A hand-derived batched backward pass for the common MLP population (the fast path).

Autograd records a graph and walks it every step; for networks of a few hundred parameters that
bookkeeping costs more than the arithmetic. For the family the catalog uses most (element-wise
activations with a known derivative, cross-entropy or MSE, optional residual connections,
dropout and weight sharing, no batch norm) the gradients are short enough to write out, using
PyTorch's own fused backward kernels for each activation. ``tests/engine`` checks that this path
and autograd agree to 1e-10 in float64.

Derivation, per member (rows of a batch of size n; h_0 = x):
    z_l = h_{l-1} W_l + b_l [+ h_{l-1} if residual],  h_l = f(z_l) [* mask_l / keep],  out = z_L
    cross-entropy: dL/dz_L = (softmax(z_L) - onehot(y)) / n
    mse on probabilities p = softmax(z_L) against onehot t: dL/dp = 2 (p - t) / (K n), and
        dL/dz = p * (dL/dp - sum_k p_k dL/dp_k)   (the softmax Jacobian)
    dL/dW_l = h_{l-1}^T dL/dz_l,  dL/db_l = sum over rows of dL/dz_l
    dL/dh_{l-1} = dL/dz_l W_l^T,  and back through mask, residual and f'.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

aten = torch.ops.aten

# d(loss)/dz from d(loss)/dh, given z and h = f(z): fused PyTorch kernels where they exist.
ACTIVATION_BACKWARD: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "relu": lambda g, z, h: aten.threshold_backward(g, h, 0),
    "tanh": lambda g, z, h: aten.tanh_backward(g, h),
    "sigmoid": lambda g, z, h: aten.sigmoid_backward(g, h),
    "identity": lambda g, z, h: g,
    "swish": lambda g, z, h: aten.silu_backward(g, z),
    "gelu": lambda g, z, h: aten.gelu_backward(g, z),
    "elu": lambda g, z, h: aten.elu_backward(g, 1.0, 1, 1.0, False, z),
    "softplus": lambda g, z, h: aten.softplus_backward(g, z, 1, 20),
    "leaky_relu": lambda g, z, h: aten.leaky_relu_backward(g, z, 0.01, False),
    "square": lambda g, z, h: g * 2 * z,
    "sin": lambda g, z, h: g * torch.cos(z),
    "abs": lambda g, z, h: g * torch.sign(z),
    "sign": lambda g, z, h: torch.zeros_like(g),
}
LOSSES = ("cross_entropy", "mse")
REGULARIZERS = (None, "l2", "l1", "l2_sum", "l1_sum")


def supported(net, loss: str, regularizer: str | None, task: str = "classification") -> bool:
    """Whether :func:`loss_and_grads` can train ``net`` with ``loss`` and ``regularizer``.

    Examples
    --------
    >>> from atomlab.nn import MLPSpec, PopulationMLP
    >>> net = PopulationMLP([MLPSpec(layers=(4,), activation="relu")] * 2, seeds=[0, 1], input_dim=2, output_dim=2)
    >>> supported(net, "cross_entropy", "l2"), supported(net, "hinge", None)
    (True, False)
    """
    return ((task == "classification" or loss == "mse") and not net.batchnorm and len(net.activation_runs) == 1
            and net.specs[0].activation in ACTIVATION_BACKWARD and loss in LOSSES
            and regularizer in REGULARIZERS and all(s.activation == net.specs[0].activation for s in net.specs))


def loss_and_grads(net, X: torch.Tensor, y: torch.Tensor, loss: str, regularizer: str | None,
                   reg_lambda: torch.Tensor, mask: torch.Tensor | None = None,
                   ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Per-member mean loss ``[P]`` and the gradients of ``net.parameters()`` (same order).

    ``mask`` (``[P, n]``, 1 for real examples and 0 for padding) restricts each member's mean to its own data.

    Examples
    --------
    >>> import torch
    >>> from atomlab.nn import MLPSpec, PopulationMLP
    >>> net = PopulationMLP([MLPSpec(layers=(4,), activation="tanh")] * 2, seeds=[0, 1], input_dim=2, output_dim=2,
    ...                     dtype=torch.float64)
    >>> X, y = torch.randn(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)), torch.arange(8) % 2
    >>> loss, grads = loss_and_grads(net, X, y, "cross_entropy", None, torch.zeros(2, dtype=torch.float64))
    >>> params = [p.requires_grad_() for p in net.parameters()]
    >>> ref = torch.autograd.grad(sum(torch.nn.functional.cross_entropy(z, y) for z in net(X)), params)
    >>> all(torch.allclose(g, r) for g, r in zip(grads, ref))  # the hand-derived backward is autograd's
    True
    """
    act = net.activation_runs[0][0]
    act_back = ACTIVATION_BACKWARD[net.specs[0].activation]
    h = X if X.dim() == 3 else X.unsqueeze(0)
    inputs, pre, post, masks = [], [], [], []  # masks: dropout's, one per hidden layer
    with torch.no_grad():
        for i, slot in enumerate(net.slots):
            W, b = net.weights[slot], net.biases[slot]
            z = torch.baddbmm(b, h, W) if h.shape[0] == net.P else torch.matmul(h, W) + b
            inputs.append(h)
            if i == net.n_hidden:
                break
            if net.residual and z.shape[-1] == h.shape[-1]:
                z = z + h  # 002's residual: added before the activation
            a = act(z)
            pre.append(z)
            post.append(a)
            nxt = a
            if net.any_dropout:
                keep = 1 - net.drop_rate
                drop = (torch.stack([torch.rand(nxt.shape[1:], generator=g, dtype=nxt.dtype)
                                     for g in net.dropout_generators]).to(nxt.device) >= net.drop_rate) / keep
                masks.append(drop)
                nxt = nxt * drop
            h = nxt
        n = z.shape[1]
        # Each example's weight in its member's mean loss: 1/n, or mask/count when members' data were padded
        # to a common length (a mask of 0 marks padding).
        if mask is None:
            weight = None

            def mean(per_example):
                return per_example.mean(dim=1)
        else:
            weight = (mask / mask.sum(dim=1, keepdim=True)).unsqueeze(-1)

            def mean(per_example):
                return (per_example * weight[..., 0]).sum(dim=1)
        regression = torch.is_floating_point(y)
        if regression:  # mse on the raw outputs
            target = y.reshape(*y.shape[:-1], n, z.shape[-1]) if y.dim() < 3 else y
            diff = z - target
            member_loss = mean(diff.square().mean(dim=-1))
            g = diff * (2.0 / (z.shape[-1] * n)) if weight is None else diff * (weight * (2.0 / z.shape[-1]))
        logp = z.log_softmax(-1)
        probs = logp.exp()
        yy = y if y.dim() == 2 else y.expand(net.P, -1)
        if regression:
            pass
        elif loss == "cross_entropy":
            member_loss = mean(-logp.gather(-1, yy.unsqueeze(-1))[..., 0])
            g = probs.scatter_add(-1, yy.unsqueeze(-1), torch.full_like(probs[..., :1], -1.0))
            g = g.div_(n) if weight is None else g.mul_(weight)
        else:  # mse on softmax probabilities against one-hot targets
            K = z.shape[-1]
            diff = probs.scatter_add(-1, yy.unsqueeze(-1), torch.full_like(probs[..., :1], -1.0))
            member_loss = mean(diff.square().mean(dim=-1))
            gp = diff.mul_(2.0 / (K * n)) if weight is None else diff.mul_(weight * (2.0 / K))
            g = probs * (gp - (gp * probs).sum(-1, keepdim=True))

        gW: list[torch.Tensor | None] = [None] * len(net.weights)
        gb: list[torch.Tensor | None] = [None] * len(net.biases)
        skip = None  # gradient reaching a layer's input through its residual connection
        for i in range(len(net.slots) - 1, -1, -1):
            slot = net.slots[i]
            dW = torch.matmul(inputs[i].transpose(-1, -2), g)
            db = g.sum(1, keepdim=True)
            gW[slot] = dW if gW[slot] is None else gW[slot] + dW
            gb[slot] = db if gb[slot] is None else gb[slot] + db
            if i == 0:
                break
            dh = torch.bmm(g, net.weights[slot].transpose(1, 2))
            if skip is not None:
                dh = dh + skip
            k = i - 1  # the hidden layer whose output fed layer i
            if net.any_dropout:
                dh = dh * masks[k]
            g = act_back(dh, pre[k], post[k])
            skip = g if net.residual and pre[k].shape[-1] == inputs[k].shape[-1] else None

        if regularizer is not None:
            lam = reg_lambda.view(-1, 1, 1)
            penalty = torch.zeros_like(member_loss)
            for k, W in enumerate(net.weights):
                numel = W.shape[1] * W.shape[2]
                if regularizer == "l2":
                    penalty += W.square().sum(dim=(1, 2)) / numel
                    gW[k] = torch.addcmul(gW[k], W, lam * (2.0 / numel))
                elif regularizer == "l2_sum":
                    penalty += W.square().sum(dim=(1, 2))
                    gW[k] = torch.addcmul(gW[k], W, lam * 2.0)
                elif regularizer == "l1":
                    penalty += W.abs().sum(dim=(1, 2)) / numel
                    gW[k] = torch.addcmul(gW[k], W.sign(), lam / numel)
                else:
                    penalty += W.abs().sum(dim=(1, 2))
                    gW[k] = torch.addcmul(gW[k], W.sign(), lam)
            member_loss = member_loss + reg_lambda * penalty
    return member_loss, [*gW, *gb]

