"""How to train: the optimiser, the data schedule, the loss and what to record."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from atomlab.errors import ConfigError

if TYPE_CHECKING:
    import torch

SAMPLING = ("shuffle", "random")
#: The floating-point types a recipe may train in (names of ``torch`` dtypes).
DTYPES = ("float32", "float64")
#: The most steps or epochs a recipe may ask for: 10^8 steps of even the smallest population take days; a
#: longer recipe is a typo (``steps=10000000000000`` once hung a run), so it is refused when it is made.
MAX_STEPS = 100_000_000
#: The largest batch a recipe may ask for (any batch at least the training set's size is a full batch).
MAX_BATCH = 10_000_000


@dataclass(frozen=True)
class TrainSpec:
    """A training recipe, declared.

    Parameters
    ----------
    optimizer : str
        Registered optimiser name (``sgd``, ``momentum``, ``adam``, ``rmsprop``, ``adagrad``, ...).
    lr : float
        Learning rate. Members of one population may differ in it.
    optimizer_params : dict
        Extra hyper-parameters of the optimiser (``{"momentum": 0.9}``).
    batch_size : int or None
        Examples per step; ``None`` (or at least the training-set size) means full batch.
    steps, epochs : int or None
        Training length: give exactly one. An epoch is ``ceil(n_train / batch_size)`` steps.
    sampling : {"shuffle", "random"}
        ``shuffle``: each epoch is a fresh permutation cut into batches (the last one may be
        smaller), as Keras and PyTorch's DataLoader do. ``random``: each step draws ``batch_size``
        indices independently and uniformly (with replacement), as 000's code draws a fresh batch
        every step.
    loss : str
        Registered loss name. Members of one population may differ in it.
    regularizer : str or None
        Registered weight penalty (``l1``, ``l2``, ``l2_sum``) scaled by ``reg_lambda``.
    reg_lambda : float
        Strength of the penalty; members may differ in it.
    record_every : int or None
        Record metrics every this many steps (and at step 0 and the last step). ``None`` records
        about 20 times over the run.
    snapshot_every : int or None
        Keep a copy of every weight every this many steps (weight trajectories).
    grid : int or None
        For 2-D inputs: predict on a ``grid x grid`` mesh of the data's domain at the end.
    grid_every : int or None
        Also predict on the grid every this many steps (animation frames).
    unit_spread : bool
        Record, for each hidden layer, how different its units are (the standard deviation across
        units of their activations, averaged over training examples): 0 means every unit is a copy.
    dtype : {"float32", "float64"}
        Arithmetic precision.

    Examples
    --------
    >>> spec = TrainSpec(optimizer="adam", lr=0.01, batch_size=10, epochs=2)
    >>> spec.total_steps(n_train=95)  # 10 batches an epoch
    20
    >>> TrainSpec(optimizer="adma")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: unknown optimizer 'adma'; did you mean 'adam'? known: ...
    >>> TrainSpec(steps=10**13)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: steps must be at most 100,000,000, got 10,000,000,000,000
    """

    optimizer: str = "adam"
    lr: float = 0.003
    optimizer_params: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = 64
    steps: int | None = None
    epochs: int | None = None
    sampling: str = "random"
    loss: str = "cross_entropy"
    regularizer: str | None = None
    reg_lambda: float = 0.0
    record_every: int | None = None
    snapshot_every: int | None = None
    grid: int | None = None
    grid_every: int | None = None
    unit_spread: bool = False
    dtype: str = "float32"

    def __post_init__(self) -> None:
        # The registries are imported here, where a recipe is made (at plan time), not where one is declared.
        from atomlab.nn.losses import losses
        from atomlab.nn.optimizers import optimizers
        from atomlab.nn.regularizers import regularizers

        object.__setattr__(self, "optimizer", optimizers.canonical(self.optimizer))
        object.__setattr__(self, "loss", losses.canonical(self.loss))
        if self.regularizer is not None:
            object.__setattr__(self, "regularizer", regularizers.canonical(self.regularizer))
        if not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr >= 0):
            raise ConfigError(f"lr must be a non-negative number, got {self.lr!r}")
        if (self.steps is None) == (self.epochs is None):
            raise ConfigError(f"give exactly one of steps and epochs, got steps={self.steps!r}, "
                              f"epochs={self.epochs!r}")
        for name in ("steps", "epochs", "batch_size", "record_every", "snapshot_every", "grid", "grid_every"):
            value = getattr(self, name)
            # a bool is an int to Python, but epochs=True is a typo, not one epoch
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise ConfigError(f"{name} must be a positive integer or None, got {value!r}")
        for name, most in (("steps", MAX_STEPS), ("epochs", MAX_STEPS), ("batch_size", MAX_BATCH)):
            value = getattr(self, name)
            if value is not None and value > most:
                raise ConfigError(f"{name} must be at most {most:,}, got {value:,}")
        if self.sampling not in SAMPLING:
            raise ConfigError(f"unknown sampling {self.sampling!r}; known: {', '.join(SAMPLING)}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {self.dtype!r}; known: {', '.join(DTYPES)}")
        if self.reg_lambda < 0:
            raise ConfigError(f"reg_lambda must be >= 0, got {self.reg_lambda!r}")

    def full_batch(self, n_train: int) -> bool:
        """Whether every step sees the whole training set."""
        return self.batch_size is None or self.batch_size >= n_train

    def steps_per_epoch(self, n_train: int) -> int:
        """Steps in one pass over ``n_train`` examples."""
        return 1 if self.full_batch(n_train) else math.ceil(n_train / self.batch_size)

    def total_steps(self, n_train: int) -> int:
        """Number of parameter updates for a training set of ``n_train`` examples."""
        if self.steps is not None:
            return self.steps
        return self.epochs * self.steps_per_epoch(n_train)

    def record_steps(self, n_train: int) -> list[int]:
        """The steps (0 = before training) at which metrics are recorded."""
        total = self.total_steps(n_train)
        every = self.record_every or max(1, total // 20)
        steps = list(range(0, total + 1, every))
        if steps[-1] != total:
            steps.append(total)
        return steps

    def group_key(self, n_train: int) -> tuple:
        """What must be equal for two trials to train in one population."""
        return (self.optimizer, tuple(sorted(self.optimizer_params.items())),
                None if self.full_batch(n_train) else self.batch_size, self.total_steps(n_train),
                self.sampling, self.regularizer, tuple(self.record_steps(n_train)), self.snapshot_every,
                self.grid, self.grid_every, self.unit_spread, self.dtype,
                n_train if self.sampling == "shuffle" and not self.full_batch(n_train) else None)

    @property
    def torch_dtype(self) -> torch.dtype:
        """The ``torch.dtype`` for :attr:`dtype`."""
        import torch

        return getattr(torch, self.dtype)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the spec."""
        return asdict(self)
