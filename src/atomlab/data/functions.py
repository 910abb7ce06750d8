"""One-dimensional regression targets: the universal-approximation experiment of 000.

000 ("Why use neural networks in the first place?") fits a one-hidden-layer network to 50 points of
``sin(12x)``, ``-2x^4 + x^3 + x^2 - 2x`` and ``|x|`` on ``[-1, 1]``. Its code places the points on a
grid, ``np.linspace(-1, 1, num_values)``, and measures the error on those same points; that is the
default here (``spacing="linspace"``), with a denser grid as the test set so that the test error
measures the whole curve, not only the training points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from atomlab.data._validation import (
    RandomState,
    check_choice,
    check_float,
    check_int,
    check_interval,
    check_random_state,
    seed_record,
)
from atomlab.data.dataset import Dataset, register_dataset, register_variant
from atomlab.data.expr import parse_expression
from atomlab.errors import ConfigError

__all__ = ["make_function_1d", "FUNCTIONS_1D"]

#: The named targets of 000, with the defaults that reproduce it.
FUNCTIONS_1D = ("sin", "poly", "abs")
_ALIASES = {"sine": "sin", "polynomial": "poly"}


def _polynomial_text(coefs: np.ndarray) -> str:
    """``-2x^4 + x^3 + x^2 - 2x`` from coefficients in increasing powers."""
    text = ""
    for power in range(len(coefs) - 1, -1, -1):
        c = float(coefs[power])
        if c == 0:
            continue
        size = abs(c)
        number = "" if size == 1 and power > 0 else f"{size:g}"
        variable = "" if power == 0 else ("x" if power == 1 else f"x^{power}")
        sign = ("-" if c < 0 else "") if not text else (" - " if c < 0 else " + ")
        text += f"{sign}{number}{variable}"
    return text or "0"


def _target(function: Any, omega: float, coefficients: Sequence[float]) -> tuple[Callable, str]:
    """Resolve ``function`` to a vectorised ``f(x)`` and a readable description."""
    if callable(function):
        return function, getattr(function, "__name__", repr(function))
    if not isinstance(function, str):
        raise ConfigError(f"function must be one of {', '.join(FUNCTIONS_1D)}, an expression in x, "
                          f"or a callable; got {function!r}")
    key = _ALIASES.get(function.lower(), function.lower())
    if key == "sin":
        return (lambda x: np.sin(omega * x)), f"sin({omega:g}x)"
    if key == "poly":
        try:
            coefs = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            coefs = np.array([np.nan])
        if len(coefs) == 0 or not np.all(np.isfinite(coefs)):
            raise ConfigError(
                f"coefficients must be finite numbers (increasing powers of x), got {coefficients!r}"
            )
        return (lambda x: np.polynomial.polynomial.polyval(x, coefs)), _polynomial_text(coefs)
    if key == "abs":
        return np.abs, "|x|"
    try:
        expr = parse_expression(function, variables=("x",))
    except ConfigError as exc:
        raise ConfigError(
            f"function {function!r} is neither a named function ({', '.join(FUNCTIONS_1D)}) nor a valid "
            f"expression in x: {exc}"
        ) from None
    return expr, function


def make_function_1d(
    *,
    function: str | Callable[[np.ndarray], np.ndarray] = "sin",
    omega: float = 12.0,
    coefficients: Sequence[float] = (0.0, -2.0, 1.0, 1.0, -2.0),
    n_train: int = 50,
    n_test: int = 200,
    low: float = -1.0,
    high: float = 1.0,
    noise: float = 0.0,
    spacing: str = "linspace",
    random_state: RandomState = 0,
) -> Dataset:
    """Sample a one-dimensional function for regression.

    Parameters
    ----------
    function : {"sin", "poly", "abs"}, str or callable, default "sin"
        ``"sin"`` is ``sin(omega * x)``; ``"poly"`` is the polynomial with ``coefficients``;
        ``"abs"`` is ``|x|``. Any other string is parsed as a safe expression in ``x`` (see
        :func:`~atomlab.data.parse_expression`), for example ``"x**2 - 0.5"``. A callable is
        applied to a 1-D float array and must return an array of the same shape.
    omega : float, default 12.0
        Angular frequency of ``"sin"`` (000 uses ``sin(12x)``).
    coefficients : sequence of float, default (0, -2, 1, 1, -2)
        Coefficients of ``"poly"`` in increasing powers of x, as :func:`numpy.polynomial.polynomial.polyval`
        reads them; the default is 000's ``-2x^4 + x^3 + x^2 - 2x``.
    n_train : int, default 50
        Number of training points (000: 50).
    n_test : int, default 200
        Number of test points.
    low, high : float, default -1.0, 1.0
        The interval the points lie in.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to the *training* targets. Test targets stay
        noiseless, so the test error measures the distance to the true function.
    spacing : {"linspace", "uniform"}, default "linspace"
        ``"linspace"``: evenly spaced grids including both ends, as 000's code does; ``"uniform"``:
        points drawn uniformly at random (then sorted) for both sets.
    random_state : int or numpy.random.Generator, default 0
        Seed for the noise and, with ``spacing="uniform"``, the inputs.

    Returns
    -------
    Dataset
        A regression data set with ``X`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)`` (float64),
        ``target_fn`` the noiseless function of ``X`` and ``domain`` ``((low, high),)``.

    Examples
    --------
    >>> ds = make_function_1d(function="sin", omega=12, n_train=50)
    >>> ds.X_train.shape, ds.y_train.shape, ds.task
    ((50, 1), (50,), 'regression')
    >>> float(ds.X_train[0, 0]), float(ds.X_train[-1, 0])
    (-1.0, 1.0)
    >>> bool(np.allclose(ds.y_train, np.sin(12 * ds.X_train[:, 0])))
    True
    >>> make_function_1d(function="poly").target_fn(np.array([[1.0]]))
    array([-2.])
    """
    f, description = _target(function, check_float("omega", omega), coefficients)
    key = _ALIASES.get(function.lower(), function.lower()) if isinstance(function, str) else None
    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=1)
    low, high = check_interval("the interval", low, high)
    noise = check_float("noise", noise, minimum=0.0)
    spacing = check_choice("spacing", spacing, ("linspace", "uniform"))
    rng = check_random_state(random_state)

    train_rng, test_rng, noise_rng = rng.spawn(3)
    if spacing == "linspace":
        x_train = np.linspace(low, high, n_train)
        x_test = np.linspace(low, high, n_test)
    else:
        x_train = np.sort(train_rng.uniform(low, high, n_train))
        x_test = np.sort(test_rng.uniform(low, high, n_test))

    def target_fn(X: np.ndarray) -> np.ndarray:
        x = np.asarray(X, dtype=np.float64).reshape(len(X), -1)[:, 0]
        out = np.asarray(f(x), dtype=np.float64)
        if out.shape != x.shape:
            raise ConfigError(
                f"function {description!r} returned shape {out.shape} for input shape {x.shape}"
            )
        return out

    X_train, X_test = x_train[:, None], x_test[:, None]
    y_train = target_fn(X_train)
    if noise > 0:
        y_train = y_train + noise * noise_rng.standard_normal(n_train)
    y_test = target_fn(X_test)
    if not (np.all(np.isfinite(y_train)) and np.all(np.isfinite(y_test))):
        raise ConfigError(f"function {description!r} gave non-finite values on [{low:g}, {high:g}]")

    params = {
        "function": function if isinstance(function, str) else description,
        "omega": float(omega),
        "coefficients": np.asarray(coefficients, dtype=float).reshape(-1).tolist() if key == "poly" else None,
        "n_train": n_train,
        "n_test": n_test,
        "low": low,
        "high": high,
        "noise": noise,
        "spacing": spacing,
        "random_state": seed_record(random_state),
    }
    return Dataset(
        X_train,
        y_train,
        X_test,
        y_test,
        task="regression",
        n_classes=None,
        name="function1d",
        params=params,
        target_fn=target_fn,
        domain=((low, high),),
        note=f"y = {description} on [{low:g}, {high:g}], {n_train} {spacing} training points",
    )


register_dataset("function1d", "function_1d")(make_function_1d)
register_variant("sin1d", make_function_1d, function="sin")
register_variant("poly1d", make_function_1d, function="poly")
register_variant("abs1d", make_function_1d, function="abs")
