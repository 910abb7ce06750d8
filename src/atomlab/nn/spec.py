"""Declarative model specifications.

An :class:`MLPSpec` says what a multi-layer perceptron is (widths, activation, initialisers,
dropout, batch norm, residual connections, weight sharing) without building anything. The
population engine stacks many members of one spec; :meth:`MLPSpec.build_module` builds one as a
plain ``torch.nn.Module`` with the very same initial weights.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from atomlab.errors import ConfigError
from atomlab.nn.activations import activations
from atomlab.nn.initializers import make_weights, parse_initializer
from atomlab.nn.seeding import torch_generator

if TYPE_CHECKING:  # torch is imported by the code that builds or trains a model, not by a declaration
    import torch

    from atomlab.nn.mlp import MLP


#: The widest hidden layer a spec may declare. Two layers of 100,000 units already hold 10^10 weights (40 GB in
#: float32); a wider one is a typo (``layers=[10000000]`` once exhausted a machine's memory), so it is refused
#: when the spec is made, and the runner's memory guard refuses what would not fit below it.
MAX_WIDTH = 100_000


@dataclass(frozen=True)
class MLPSpec:
    """A multi-layer perceptron, declared.

    Parameters
    ----------
    layers : sequence of int
        Widths of the hidden layers, e.g. ``(10, 10, 10, 10)``; empty for a linear model.
    activation : str
        Name of a registered activation for every hidden layer. The output layer is linear (logits).
    init : str
        Initialiser of the weight matrices (``"xavier"``, ``"he_normal"``, ``"normal(0.01)"``...).
    bias_init : str
        Initialiser of the biases, or ``"same"`` to use ``init`` for the biases too, as TensorFlow's
        ``tf.get_variable`` does in 000's code: a bias vector of width n is drawn with fan_in = fan_out = n
        (Glorot-uniform limit sqrt(3 / n), not the layer's sqrt(6 / (fan_in + fan_out))).
    dropout : float
        Probability of dropping a hidden unit during training (0 = no dropout; keep = 1 - dropout).
    batchnorm : bool
        Batch normalisation after each hidden linear layer, before the residual add and activation.
    residual : bool
        Add the layer's input to its (normalised) pre-activation when the widths match.
    share_weights : bool
        Every hidden-to-hidden layer uses one shared weight matrix and bias (they must all have the
        same width): depth changes while the parameter count does not.
    bn_momentum, bn_eps : float
        Batch-norm running-average momentum (PyTorch convention) and epsilon.

    Examples
    --------
    >>> spec = MLPSpec(layers=(10, 10), activation="relu")
    >>> spec.n_params(input_dim=2, output_dim=2)
    162
    >>> MLPSpec(layers=(10, 10, 10), share_weights=True).n_params(1, 2)
    152
    >>> MLPSpec(layers=[10_000_000])
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: layer widths must be whole numbers from 1 to 100,000, got [10000000]
    """

    layers: tuple[int, ...] = (10, 10)
    activation: str = "relu"
    init: str = "xavier"
    bias_init: str = "zeros"
    dropout: float = 0.0
    batchnorm: bool = False
    residual: bool = False
    share_weights: bool = False
    bn_momentum: float = 0.1
    bn_eps: float = 1e-5

    def __post_init__(self) -> None:
        widths = self.layers or ()
        if isinstance(widths, numbers.Number | str) or not all(
                isinstance(w, numbers.Integral) and not isinstance(w, bool) or isinstance(w, float) and w.is_integer()
                for w in widths):
            raise ConfigError(f"layers must be a list of whole numbers (hidden-layer widths), got {self.layers!r}")
        layers = tuple(int(w) for w in widths)
        if any(not 1 <= w <= MAX_WIDTH for w in layers):
            raise ConfigError(f"layer widths must be whole numbers from 1 to {MAX_WIDTH:,}, got {list(layers)}")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "activation", activations.canonical(self.activation))
        parse_initializer(self.init)
        if self.bias_init != "same":
            parse_initializer(self.bias_init)
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ConfigError(f"dropout must be a probability in [0, 1), got {self.dropout!r}")
        if self.share_weights and len(set(layers)) > 1:
            raise ConfigError(
                f"share_weights needs hidden layers of one width, got {list(layers)}"
            )

    # ----- shapes -------------------------------------------------------------------------
    def layer_plan(self, input_dim: int, output_dim: int) -> tuple[list[tuple[int, int]], list[int]]:
        """The distinct parameter shapes and, for each layer applied in order, its parameter slot.

        With ``share_weights`` all hidden-to-hidden layers point at one slot.
        """
        dims = [input_dim, *self.layers, output_dim]
        shapes: list[tuple[int, int]] = []
        slots: list[int] = []
        shared_slot: int | None = None
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
            hidden_to_hidden = 0 < i < len(dims) - 2
            if self.share_weights and hidden_to_hidden and shared_slot is not None:
                slots.append(shared_slot)
                continue
            shapes.append((fan_in, fan_out))
            slots.append(len(shapes) - 1)
            if self.share_weights and hidden_to_hidden:
                shared_slot = len(shapes) - 1
        return shapes, slots

    def n_params(self, input_dim: int, output_dim: int) -> int:
        """Number of trainable parameters (batch-norm scale and shift included)."""
        shapes, _ = self.layer_plan(input_dim, output_dim)
        n = sum(a * b + b for a, b in shapes)
        if self.batchnorm:
            n += 2 * sum(self.layers)
        return n

    def shape_key(self, input_dim: int, output_dim: int) -> tuple:
        """What must be equal for two models to train in one population."""
        return (input_dim, self.layers, output_dim, self.batchnorm, self.residual, self.share_weights,
                self.bn_momentum, self.bn_eps)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the spec."""
        d = asdict(self)
        d["layers"] = list(self.layers)
        return d

    # ----- parameters ---------------------------------------------------------------------
    def init_params(self, input_dim: int, output_dim: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Draw the initial ``(W, b)`` of every parameter slot in float64 from the trial's seed.

        ``W`` has shape ``[fan_in, fan_out]`` and ``b`` shape ``[fan_out]``.
        """
        gen = torch_generator(seed, "init")
        params = []
        for fan_in, fan_out in self.layer_plan(input_dim, output_dim)[0]:
            w = make_weights(self.init, (fan_in, fan_out), generator=gen)
            if self.bias_init == "same":
                # TensorFlow's fans of a 1-D shape [n] are (n, n): 000's Glorot biases have limit sqrt(3 / n).
                b = make_weights(self.init, (1, fan_out), generator=gen, fan_in=fan_out, fan_out=fan_out)[0]
            else:
                b = make_weights(self.bias_init, (1, fan_out), generator=gen, fan_in=fan_in,
                                 fan_out=fan_out)[0]
            params.append((w, b))
        return params

    def build_module(self, input_dim: int, output_dim: int, seed: int, dtype: torch.dtype | None = None) -> MLP:
        """Build this spec as one ordinary ``torch.nn.Module`` (:class:`~atomlab.nn.mlp.MLP`, float32 unless
        ``dtype`` says otherwise) with the trial's initial weights."""
        from atomlab.nn.mlp import MLP

        return MLP(self, input_dim, output_dim, seed, dtype=dtype)


def as_layers(value: int | Sequence[int]) -> tuple[int, ...]:
    """Normalise a width or list of widths to a tuple (``10`` -> ``(10,)``).

    Examples
    --------
    >>> as_layers(10), as_layers([4, 4])
    ((10,), (4, 4))
    """
    if isinstance(value, int):
        return (value,)
    return tuple(int(v) for v in value)


__all__ = ["MAX_WIDTH", "MLPSpec", "as_layers"]
