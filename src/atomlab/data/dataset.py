"""The dataset object every generator returns, and the registry of named data sets."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from atomlab.errors import ConfigError, unknown_choice
from atomlab.registry import Registry

Task = Literal["classification", "regression"]


@dataclass(eq=False)
class Dataset:
    """Train and test arrays plus what is known about how they were made.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n, d) (or (n, c, h, w) for images), float
        Inputs.
    y_train, y_test : ndarray
        Integer class labels of shape (n,) for classification; float targets of shape (n,) or
        (n, k) for regression.
    task : {"classification", "regression"}
        What the targets are.
    n_classes : int or None
        Number of classes for classification, None for regression.
    name : str
        The generator's name (``"sine2d"``, ``"moons"``...).
    params : dict
        The parameters it was called with, the seed included: enough to make it again.
    target_fn : callable or None
        The true function: for regression ``f(X) -> y``; for classification a decision function
        ``f(X) -> score`` whose sign (two classes) or argmax (several) is the true class.
    domain : tuple of (low, high) pairs or None
        The box the inputs were drawn from, for drawing surfaces.
    note : str
        A human note on provenance (for example which MNIST files were used).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: Task
    n_classes: int | None
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    target_fn: Callable[[np.ndarray], np.ndarray] | None = None
    domain: tuple[tuple[float, float], ...] | None = None
    note: str = ""

    @property
    def input_dim(self) -> int:
        """Number of input features (product of the non-batch dimensions)."""
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        return int(len(self.X_train))

    @property
    def n_test(self) -> int:
        """Number of test examples."""
        return int(len(self.X_test))

    @property
    def output_dim(self) -> int:
        """Width of a network's output layer: classes, or regression targets."""
        if self.task == "classification":
            return int(self.n_classes or 2)
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, task={self.task}, train={self.X_train.shape}, "
            f"test={self.X_test.shape}, n_classes={self.n_classes})"
        )


#: Named data set generators: ``f(*, random_state, **params) -> Dataset``.
datasets: Registry[Callable[..., Dataset]] = Registry("dataset")


def register_dataset(name: str, *aliases: str, overwrite: bool = False):
    """Register a data set generator under ``name``.

    The generator takes keyword-only parameters including ``random_state`` and returns a
    :class:`Dataset`. Once registered, experiments and :func:`atomlab.compare` accept the name.

    Examples
    --------
    >>> import numpy as np
    >>> from atomlab.data import register_dataset, make_dataset
    >>> @register_dataset("two-points-doc-example", overwrite=True)
    ... def two_points(*, random_state=0):
    ...     X = np.array([[0.0], [1.0]])
    ...     y = np.array([0, 1])
    ...     return Dataset(X, y, X, y, "classification", 2, "two-points-doc-example")
    >>> make_dataset("two-points-doc-example").n_train
    2
    """
    return datasets.register(name, *aliases, overwrite=overwrite)


def make_dataset(name: str, *, random_state: int = 0, **params: Any) -> Dataset:
    """Materialise the registered data set ``name`` with ``params`` and a seed.

    A parameter the generator does not take is refused with the list of those it does take.

    Examples
    --------
    >>> make_dataset("moons", random_state=0, n_train=400).X_train.shape
    (400, 2)
    >>> make_dataset("moons", n_trian=400)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: data set 'moons' has no parameter 'n_trian'; did you mean 'n_train'? ...
    """
    generator = datasets.get(name)
    accepted = dataset_parameters(generator)
    if accepted is not None:
        for key in params:
            if key not in accepted:
                message = str(unknown_choice("parameter", key, accepted))
                raise ConfigError(f"data set '{name}' has no {message[len('unknown '):]}")
    return generator(random_state=random_state, **params)


def dataset_parameters(generator: Callable[..., Dataset]) -> list[str] | None:
    """The keyword parameters ``generator`` accepts, or None when it takes any (``**params``)."""
    try:
        signature = inspect.signature(generator)
    except (TypeError, ValueError):
        return None
    names = []
    for p in signature.parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return names


def register_variant(
    name: str, base: Callable[..., Dataset], *aliases: str, overwrite: bool = False, **fixed: Any
) -> Callable[..., Dataset]:
    """Register ``base`` with some parameters fixed, under a convenient ``name`` (``"sine2d"``).

    The variant's signature is the base's without the fixed parameters, so :func:`make_dataset`
    still refuses unknown parameters; the returned data set is named ``name``.

    Examples
    --------
    >>> from atomlab.data import make_surface2d
    >>> variant = register_variant("cubic2d-doc-example", make_surface2d, function="y - x**3",
    ...                            overwrite=True)
    >>> make_dataset("cubic2d-doc-example", n_train=10).name
    'cubic2d-doc-example'
    """
    base_signature = inspect.signature(base)

    def variant(**params: Any) -> Dataset:
        for key in params:
            if key in fixed:
                raise ConfigError(
                    f"data set '{name}' fixes {key}={fixed[key]!r}; use {base.__name__} to vary it"
                )
        ds = base(**fixed, **params)
        ds.name = name
        return ds

    variant.__name__ = f"make_{name}".replace("-", "_")
    variant.__qualname__ = variant.__name__
    settings = ", ".join(f"{k}={v!r}" for k, v in fixed.items())
    variant.__doc__ = f"``{base.__name__}({settings}, ...)``, registered as ``{name!r}``."
    variant.__signature__ = base_signature.replace(  # type: ignore[attr-defined]
        parameters=[p for n, p in base_signature.parameters.items() if n not in fixed]
    )
    datasets.add(name, variant, *aliases, overwrite=overwrite)
    return variant
