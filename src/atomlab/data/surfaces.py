"""Two-dimensional classification by the sign of a decision function: the suite of 002.

Gupta's "What 2D data reveals about deep nets" samples points uniformly in a 2-D box and labels each
one by the sign of a function of increasing complexity:

==========  =======================  ==========================
name        f(x, y)                  boundary
==========  =======================  ==========================
linear      y - x                    a line
abs         y - |x|                  a wedge
ellipse     1 - x^2/4 - y^2          an ellipse
sine        y - sin(pi x)            a sine wave
==========  =======================  ==========================

The label is 1 where ``f > 0`` and 0 elsewhere. Any callable ``f(x, y)`` or safe expression string
(``"y - x**3"``, see :func:`~atomlab.data.parse_expression`) works the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from atomlab.data._validation import (
    RandomState,
    as_labels,
    check_float,
    check_int,
    check_interval,
    check_random_state,
    seed_record,
)
from atomlab.data.dataset import Dataset, register_dataset, register_variant
from atomlab.data.expr import parse_expression
from atomlab.errors import ConfigError, unknown_choice

__all__ = ["make_surface2d", "SURFACES"]

#: The four decision functions of 002, by name: (formula, f(x, y)).
SURFACES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "linear": ("y - x", lambda x, y: y - x),
    "abs": ("y - |x|", lambda x, y: y - np.abs(x)),
    "ellipse": ("1 - x^2/4 - y^2", lambda x, y: 1.0 - x**2 / 4.0 - y**2),
    "sine": ("y - sin(pi x)", lambda x, y: y - np.sin(np.pi * x)),
}
_ALIASES = {"line": "linear", "sin": "sine", "wedge": "abs"}


def _decision_function(function: Any) -> tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], str]:
    """Resolve ``function`` into ``f(x, y)`` and its formula."""
    if callable(function):
        return function, getattr(function, "__name__", repr(function))
    if not isinstance(function, str):
        raise ConfigError(f"function must be a name ({', '.join(SURFACES)}), an expression in x and y, "
                          f"or a callable f(x, y); got {function!r}")
    key = _ALIASES.get(function.strip().lower(), function.strip().lower())
    if key in SURFACES:
        formula, f = SURFACES[key]
        return f, formula
    if key.isidentifier() and key not in ("x", "y", "pi", "e"):
        # A bare word that is not a surface name is a typo, not an expression: say so.
        raise unknown_choice("surface", function, [*SURFACES, *_ALIASES])
    return parse_expression(function, variables=("x", "y")), function


def _parse_domain(domain: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """Accept ``(low, high)`` for both axes or ``((xlow, xhigh), (ylow, yhigh))``."""
    try:
        items = list(domain)
    except TypeError:
        raise ConfigError(
            f"domain must be (low, high) or ((xlow, xhigh), (ylow, yhigh)), got {domain!r}"
        ) from None
    if len(items) == 2 and all(np.isscalar(v) for v in items):
        box = check_interval("domain", *items)
        return box, box
    if len(items) == 2 and all(isinstance(v, Sequence | np.ndarray) and len(v) == 2 for v in items):
        return check_interval("domain x", *items[0]), check_interval("domain y", *items[1])
    raise ConfigError(f"domain must be (low, high) or ((xlow, xhigh), (ylow, yhigh)), got {domain!r}")


def make_surface2d(
    *,
    function: str | Callable[[np.ndarray, np.ndarray], np.ndarray] = "sine",
    n_train: int = 10_000,
    n_test: int = 2_000,
    domain: Sequence[float] | Sequence[Sequence[float]] = (-2.0, 2.0),
    flip_y: float = 0.0,
    random_state: RandomState = 0,
) -> Dataset:
    """Points uniform in a 2-D box, labelled by the sign of a decision function (002).

    Parameters
    ----------
    function : {"linear", "abs", "ellipse", "sine"}, str or callable, default "sine"
        The decision function: one of 002's four (see :data:`SURFACES`), a safe expression in
        ``x`` and ``y`` such as ``"y - x**3"``, or a vectorised callable ``f(x, y)``.
    n_train : int, default 10000
        Training points (002 uses 10,000).
    n_test : int, default 2000
        Test points, drawn independently from the same box.
    domain : (low, high) or ((xlow, xhigh), (ylow, yhigh)), default (-2, 2)
        The box; one pair applies to both axes.
    flip_y : float in [0, 1), default 0.0
        Fraction of *training* labels flipped (exactly ``round(flip_y * n_train)`` of them, chosen
        at random): label noise. Test labels stay clean.
    random_state : int or numpy.random.Generator, default 0
        Seed. Train and test points come from separate streams, so the test set does not change
        when only ``n_train`` (or ``flip_y``) does.

    Returns
    -------
    Dataset
        Binary classification; ``X`` float64 of shape ``(n, 2)``, ``y`` int64 with
        ``y = 1`` where ``f(x, y) > 0``; ``target_fn(X)`` returns ``f`` at the rows of ``X``;
        ``domain`` is the box.

    Examples
    --------
    >>> ds = make_surface2d(function="sine", n_train=1000, n_test=200, random_state=0)
    >>> ds.X_train.shape, ds.y_train.dtype.name, ds.n_classes
    ((1000, 2), 'int64', 2)
    >>> bool(np.all(ds.y_train == (ds.target_fn(ds.X_train) > 0)))
    True
    >>> ds.domain
    ((-2.0, 2.0), (-2.0, 2.0))
    >>> make_surface2d(function="y - x**3", n_train=5).note
    'label = 1 where y - x**3 > 0, 5 points uniform on [-2, 2] x [-2, 2]'
    """
    f, formula = _decision_function(function)
    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=1)
    (xlo, xhi), (ylo, yhi) = box = _parse_domain(domain)
    flip_y = check_float("flip_y", flip_y, minimum=0.0, maximum=1.0, max_inclusive=False)
    rng = check_random_state(random_state)

    def target_fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        out = np.asarray(f(X[:, 0], X[:, 1]), dtype=np.float64)
        if out.shape != (len(X),):
            raise ConfigError(f"decision function {formula!r} returned shape {out.shape} for {len(X)} points")
        return out

    train_rng, test_rng, flip_rng = rng.spawn(3)

    def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        X = np.column_stack([rng.uniform(xlo, xhi, n), rng.uniform(ylo, yhi, n)])
        score = target_fn(X)
        if np.isnan(score).any():
            bad = X[np.isnan(score)][0]
            raise ConfigError(f"decision function {formula!r} is undefined (nan) at x={bad[0]:.3g}, "
                              f"y={bad[1]:.3g} in the domain")
        return X, as_labels(score > 0)

    X_train, y_train = sample(n_train, train_rng)
    X_test, y_test = sample(n_test, test_rng)
    n_flip = int(round(flip_y * n_train))
    if n_flip:
        idx = flip_rng.choice(n_train, size=n_flip, replace=False)
        y_train[idx] = 1 - y_train[idx]
    if n_train > 1 and len(np.unique(y_train)) < 2:
        warnings.warn(f"decision function {formula!r} has one sign on the whole domain: every training label "
                      f"is {int(y_train[0])}", UserWarning, stacklevel=2)

    params = {
        "function": function if isinstance(function, str) else formula,
        "n_train": n_train,
        "n_test": n_test,
        "domain": [list(box[0]), list(box[1])],
        "flip_y": flip_y,
        "random_state": seed_record(random_state),
    }
    note = (f"label = 1 where {formula} > 0, {n_train} points uniform on "
            f"[{xlo:g}, {xhi:g}] x [{ylo:g}, {yhi:g}]")
    if n_flip:
        note += f"; {n_flip} training labels flipped"
    return Dataset(X_train, y_train, X_test, y_test, task="classification", n_classes=2, name="surface2d",
                   params=params, target_fn=target_fn, domain=box, note=note)


register_dataset("surface2d", "surface")(make_surface2d)
for _name in SURFACES:
    register_variant(f"{_name}2d", make_surface2d, function=_name)
