"""The benchmark workloads: an MLP recipe on a data set (:class:`Task`), and the named ones (W, W2).

Every contender (:mod:`atomlab.bench.contenders`) trains the same :class:`Task`; a worker process
rebuilds a task from its name (:data:`WORKLOADS`), since data sets hold closures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from atomlab.data.dataset import Dataset


@dataclass
class Task:
    """One benchmark workload: an MLP recipe on a data set."""

    name: str
    data: Dataset
    layers: tuple[int, ...]
    activation: str
    optimizer: str  # "sgd" or "adam"
    lr: float
    batch_size: int
    epochs: int

    @property
    def steps(self) -> int:
        return self.epochs * -(-self.data.n_train // self.batch_size)

    def flops_per_model(self) -> float:
        """Multiply-adds x 2 of forward and backward (weights and inputs) over the whole run."""
        dims = [self.data.input_dim, *self.layers, self.data.output_dim]
        return mlp_flops_per_example(dims) * self.data.n_train * self.epochs


def mlp_flops_per_example(dims: list[int]) -> float:
    """Flops (multiply-adds x 2) of one example's forward and backward pass through an MLP of ``dims``.

    Forward and weight gradients cost one multiply-add per weight each; input gradients skip the first layer.

    Examples
    --------
    >>> mlp_flops_per_example([2, 10, 2])  # 40 weights: 2 x (2 x 40 + 20)
    200.0
    """
    macs = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
    input_grad = sum(a * b for a, b in zip(dims[1:-1], dims[2:]))  # no gradient for the input
    return 2.0 * (2 * macs + input_grad)


def _surface_task(n: int = 1000) -> Dataset:
    from atomlab.data import make_dataset

    return make_dataset("surface2d", function="sine", n_train=n, n_test=200, random_state=0)


def _mnist_task(n: int = 5000) -> Dataset:
    from atomlab.data import load_mnist

    return load_mnist(source="subset", subset=(n, 1000), flatten=True)


def workload_w(scale: float = 1.0) -> tuple[Task, int]:
    """W: 64 MLPs 2-10-10-10-10-2 (ReLU), 1,000 points, SGD lr 0.01, batch 10, 100 epochs."""
    return Task("W", _surface_task(), (10, 10, 10, 10), "relu", "sgd", 0.01, 10, max(1, int(100 * scale))), 64


def workload_w2(scale: float = 1.0) -> tuple[Task, int]:
    """W2: MLP 784-100-100-10 on 5,000 MNIST images, Adam, batch 64, 5 epochs; 8 models."""
    return Task("W2", _mnist_task(), (100, 100), "relu", "adam", 0.001, 64, max(1, int(5 * scale))), 8


WORKLOADS: dict[str, Callable[..., tuple[Task, int]]] = {"W": workload_w, "W2": workload_w2}
