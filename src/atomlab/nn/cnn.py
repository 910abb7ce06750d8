"""The MNIST convolutional networks of 003 (part II) and 004 (part 3), and conv/pool arithmetic.

A CNN is declared as a plain dict (the ``model`` of a trial of kind ``"module"``)::

    {"name": "mnist_cnn", "activation": "relu", "dropout": 0.5}
    {"name": "small_cnn", "activation": "relu", "dropout": 0.2, "channels": [16, 32], "hidden": 64}

and built by :func:`build_cnn` as an ``nn.Sequential`` whose indices follow the source: 003's
statistics are named ``layer_0``, ``layer_3``, ``layer_7`` and ``layer_10`` after the positions of
the two convolutions and the two linear layers in its ``nn.Sequential``; ours sit at the same
positions, so the probe's tags match the source's figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from atomlab.errors import ConfigError, unknown_choice
from atomlab.nn.activations import activations
from atomlab.nn.initializers import make_weights

CNN_NAMES = ("mnist_cnn", "small_cnn")
INITS = ("torch", "glorot")


class Activation(nn.Module):
    """A registered atomlab activation as a module (so that forward hooks can see its output).

    Examples
    --------
    >>> import torch
    >>> act = Activation("lrelu")
    >>> act, act(torch.tensor([-1.0])).item()
    (Activation(leaky_relu), -0.009999999776482582)
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = activations.canonical(name)
        self.fn = activations.get(self.name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


class ChannelsLast(nn.Module):
    """Re-lay the input batch as channels-last (NHWC) so the convolutions that follow use it.

    Examples
    --------
    >>> import torch
    >>> x = ChannelsLast()(torch.zeros(2, 3, 4, 4))
    >>> x.shape, x.is_contiguous(memory_format=torch.channels_last)
    (torch.Size([2, 3, 4, 4]), True)
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last)


class CNN(nn.Sequential):
    """An ``nn.Sequential`` that evaluates large batches in chunks of ``eval_chunk`` images.

    The general trainer evaluates whole data sets in batches of 4,096; on a CPU these small
    convolutions run 1.7 to 2.6 times faster per image in chunks of 256 (their activations then
    stay in cache), measured with one thread. Training batches are smaller and pass unchanged.

    Examples
    --------
    >>> import torch
    >>> net = build_cnn({"name": "small_cnn", "channels": [2, 4], "hidden": 8}).eval()
    >>> x = torch.zeros(600, 1, 28, 28)
    >>> net(x).shape  # evaluated in chunks of 256 images
    torch.Size([600, 10])
    """

    eval_chunk = 256

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training or len(x) <= self.eval_chunk:
            return super().forward(x)
        return torch.cat([super(CNN, self).forward(x[s:s + self.eval_chunk])
                          for s in range(0, len(x), self.eval_chunk)])


def normalize_cnn_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a CNN spec dict and fill in its defaults (raises ConfigError naming a bad value).

    Examples
    --------
    >>> spec = normalize_cnn_spec({"name": "mnist_cnn", "activation": "tanh"})
    >>> spec["dropout"], spec["init"], spec["activation"]
    (0.5, 'torch', 'tanh')
    >>> normalize_cnn_spec({"name": "mnist_cnn", "dropout": 1.0})
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: dropout must be a probability in [0, 1), got 1.0
    """
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError(f"a CNN spec is a dict with a 'name' (one of {', '.join(CNN_NAMES)}), got {spec!r}")
    name = spec["name"]
    if name not in CNN_NAMES:
        raise unknown_choice("CNN", name, CNN_NAMES)
    defaults: dict[str, Any] = {"activation": "relu", "channels_last": False, "threads": 0, "probe": None}
    if name == "mnist_cnn":
        defaults |= {"dropout": 0.5, "init": "torch"}
    else:
        defaults |= {"dropout": 0.0, "init": "glorot", "channels": [16, 32], "hidden": 64, "kernel": 3}
    allowed = set(defaults) | {"name"}
    for key in spec:
        if key not in allowed:
            raise unknown_choice(f"setting of CNN {name!r}", key, sorted(allowed))
    out = {**defaults, **spec}
    out["activation"] = activations.canonical(out["activation"])
    if not 0.0 <= float(out["dropout"]) < 1.0:
        raise ConfigError(f"dropout must be a probability in [0, 1), got {out['dropout']!r}")
    if out["init"] not in INITS:
        raise unknown_choice("CNN init", out["init"], INITS)
    return out


def build_cnn(spec: dict[str, Any], *, generator: torch.Generator | None = None) -> CNN:
    """Build the CNN declared by ``spec`` for 1 x 28 x 28 inputs and 10 classes.

    Parameters
    ----------
    spec : dict
        ``name`` ("mnist_cnn" or "small_cnn"), ``activation``, ``dropout``, ``init`` ("torch":
        PyTorch's default Kaiming-uniform, as 003's PyTorch code; "glorot": Glorot-uniform weights
        and zero biases, as 004's Keras code), ``channels_last``; for "small_cnn" also
        ``channels`` (two ints), ``hidden`` and ``kernel``. ``threads`` and ``probe`` are read by
        the trainer, not here.
    generator : torch.Generator, optional
        Source of the initial weights with ``init="glorot"``; with ``init="torch"`` the modules
        draw from the global generator, so seed it (inside ``torch.random.fork_rng``) first.

    Returns
    -------
    CNN
        An ``nn.Sequential`` (evaluating large batches in chunks).

    Examples
    --------
    >>> net = build_cnn({"name": "mnist_cnn"})
    >>> [i for i, m in enumerate(net) if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    [0, 3, 7, 10]
    >>> sum(p.numel() for p in net.parameters())
    21840
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    spec = normalize_cnn_spec(spec)
    act, p = spec["activation"], float(spec["dropout"])
    if spec["name"] == "mnist_cnn":
        # 003's network, in its nn.Sequential order: conv 5x5 1->10, act, pool 2, conv 5x5 10->20,
        # act, pool 2, flatten (20*4*4 = 320), linear 320->50, act, dropout, linear 50->10, log-softmax.
        layers: list[nn.Module] = [
            nn.Conv2d(1, 10, 5), Activation(act), nn.MaxPool2d(2),
            nn.Conv2d(10, 20, 5), Activation(act), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(320, 50), Activation(act), nn.Dropout(p),
            nn.Linear(50, 10), nn.LogSoftmax(dim=1),
        ]
    else:
        c1, c2 = (int(c) for c in spec["channels"])
        k, hidden = int(spec["kernel"]), int(spec["hidden"])
        # 004's "sample net" is not in the text; this is the layout of Keras's MNIST CNN example (two
        # convolutions, max-pool, dropout, dense, dropout, softmax), narrower and with 'same' padding
        # and a pool after each convolution so that an epoch fits a laptop. Both dropouts get the swept rate.
        layers = [
            nn.Conv2d(1, c1, k, padding=k // 2), Activation(act), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, k, padding=k // 2), Activation(act), nn.MaxPool2d(2), nn.Dropout(p),
            nn.Flatten(), nn.Linear(c2 * 7 * 7, hidden), Activation(act), nn.Dropout(p),
            nn.Linear(hidden, 10),
        ]
    net = CNN(*layers)
    if spec["init"] == "glorot":
        generator = generator if generator is not None else torch.Generator().manual_seed(0)
        with torch.no_grad():
            for m in net:
                if isinstance(m, nn.Conv2d | nn.Linear):
                    w = m.weight
                    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
                    fan_out = w.shape[0] * int(np.prod(w.shape[2:]))
                    drawn = make_weights("xavier", tuple(w.shape), generator=generator,
                                         fan_in=fan_in, fan_out=fan_out)
                    w.copy_(drawn.to(w.dtype))
                    m.bias.zero_()
    if spec["channels_last"]:
        net.insert(0, ChannelsLast())
        net = net.to(memory_format=torch.channels_last)
    return net


def param_layers(net: nn.Sequential) -> list[tuple[str, nn.Module]]:
    """``(tag, module)`` of each convolution and linear layer, tagged ``layer_<index>`` as in 003.

    The index skips a leading :class:`ChannelsLast`, so tags do not depend on the memory layout.

    Examples
    --------
    >>> [tag for tag, _ in param_layers(build_cnn({"name": "mnist_cnn"}))]
    ['layer_0', 'layer_3', 'layer_7', 'layer_10']
    >>> [tag for tag, _ in param_layers(build_cnn({"name": "mnist_cnn", "channels_last": True}))]
    ['layer_0', 'layer_3', 'layer_7', 'layer_10']
    """
    offset = 1 if len(net) and isinstance(net[0], ChannelsLast) else 0
    return [(f"layer_{i - offset}", m) for i, m in enumerate(net)
            if isinstance(m, nn.Conv2d | nn.Linear)]


def n_params(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``.

    Examples
    --------
    >>> from torch import nn
    >>> n_params(nn.Linear(3, 2))
    8
    """
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


# -------------------------------------------------------------------------------------------
# Conv and pool arithmetic (004, part 3 A-C), computed by building the layers
# -------------------------------------------------------------------------------------------

def conv_output_size(size: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Spatial output size of a convolution or pooling window along one axis.

    Examples
    --------
    >>> conv_output_size(32, 5)
    28
    >>> conv_output_size(32, 5, padding=2)
    32
    """
    return math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def conv_layer_facts(in_shape: Sequence[int], filters: int, kernel: int, *, stride: int = 1,
                     padding: int = 0) -> dict[str, Any]:
    """Build ``nn.Conv2d`` for an ``H x W x C`` input and report its parameters and output shape.

    The numbers come from the layer PyTorch builds and the tensor it returns, not from a formula,
    so they check the formula of the source.

    Examples
    --------
    >>> facts = conv_layer_facts((32, 32, 3), filters=8, kernel=5)
    >>> facts["n_params"], facts["out_shape"]
    (608, (28, 28, 8))
    """
    h, w, c = (int(v) for v in in_shape)
    conv = nn.Conv2d(c, filters, kernel, stride=stride, padding=padding)
    with torch.no_grad():
        out = conv(torch.zeros(1, c, h, w))
    return {"n_params": n_params(conv), "n_weights": int(conv.weight.numel()), "n_biases": int(conv.bias.numel()),
            "out_shape": (int(out.shape[2]), int(out.shape[3]), int(out.shape[1])),
            "formula_size": conv_output_size(h, kernel, stride=stride, padding=padding)}


def pool2x2(image: np.ndarray, kind: str) -> np.ndarray:
    """2x2, stride-2 average or max pooling of a 2-D array, through ``torch.nn.functional``.

    Examples
    --------
    >>> pool2x2(np.array([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]), "avg").tolist()
    [[1.0, 0.5], [0.5, 0.25]]
    """
    x = torch.as_tensor(np.asarray(image, dtype=np.float64))[None, None]
    if kind == "avg":
        y = nn.functional.avg_pool2d(x, 2)
    elif kind == "max":
        y = nn.functional.max_pool2d(x, 2)
    else:
        raise unknown_choice("pooling", kind, ("avg", "max"))
    return y[0, 0].numpy()


def sizes_through_convs(size: int, kernel: int, n_layers: int, *, padding: int) -> list[int]:
    """Spatial size after 0, 1, ..., ``n_layers`` stacked convolutions (0 once nothing is left).

    Examples
    --------
    >>> sizes_through_convs(28, 5, 4, padding=0)
    [28, 24, 20, 16, 12]
    >>> sizes_through_convs(28, 5, 2, padding=2)
    [28, 28, 28]
    """
    sizes = [size]
    for _ in range(n_layers):
        s = sizes[-1]
        sizes.append(max(conv_output_size(s, kernel, padding=padding), 0) if s > 0 else 0)
    return sizes


def padded_output_fraction(size: int, kernel: int) -> float:
    """Share of a 'same'-padded convolution's outputs whose window covers some zero padding.

    Examples
    --------
    >>> round(padded_output_fraction(32, 5), 3)  # 1 - 28^2 / 32^2
    0.234
    """
    inner = conv_output_size(size, kernel)  # outputs whose window lies wholly inside the image
    return 1.0 - (inner * inner) / (size * size)
