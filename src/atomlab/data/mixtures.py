"""Two Gaussian classes sharing one random covariance: the workhorse data set of 000.

Most of 000's experiments (dataset size, imbalance, random labels, PCA, batch size, losses,
initialisers, weight trajectories, regularisation) draw from the same generator
(``Dataset.generate_mixture_of_gaussians`` in its ``utils.py``):

- class 0 is centred at the origin, class 1 at ``class_sep``: a separation per dimension, either one
  number for all (``1`` in most experiments) or ``1/i`` in dimension ``i = 1..d`` ("some dimensions
  allow models to easily discriminate between classes, while other dimensions are more difficult");
- both classes share the covariance ``cov = c^T c`` with ``c = covariance_scale * U[0, 1)^{d x d}``;
- with a class ratio ``r``, class 0 (the minority) gets ``n / (r + 1)`` of the points.

000 then splits 80/20 at random. Here the train and test sets are drawn separately from the same
mixture with the same class proportions, so their sizes and class counts are exact; ``n`` plus
``test_size`` reproduce 000's way of giving sizes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from atomlab.data._validation import (
    RandomState,
    as_features,
    as_labels,
    check_float,
    check_int,
    check_random_state,
    seed_record,
    split_counts,
)
from atomlab.data.dataset import Dataset, register_dataset
from atomlab.errors import ConfigError

__all__ = ["make_gaussian_mixture", "class_separations"]


def class_separations(class_sep: Any, n_features: int) -> np.ndarray:
    """The per-dimension distance between the class means.

    Parameters
    ----------
    class_sep : float, "1/i" or sequence of float
        One separation for every dimension; ``"1/i"`` for ``1/i`` in dimension ``i = 1..d`` (000's
        ``[1/(i+1) for i in range(d)]``); or one value per dimension (a length-1 sequence is
        repeated, as 000 allows).
    n_features : int
        The dimension ``d``.

    Examples
    --------
    >>> class_separations("1/i", 4)
    array([1.        , 0.5       , 0.33333333, 0.25      ])
    >>> class_separations(2, 3)
    array([2., 2., 2.])
    """
    if isinstance(class_sep, str):
        rule = class_sep.replace(" ", "").lower()
        if rule in ("1/i", "1/(i)", "inverse"):
            return 1.0 / np.arange(1, n_features + 1, dtype=np.float64)
        raise ConfigError(
            f"class_sep rule {class_sep!r} is unknown; known: '1/i', a number, or one number per dimension"
        )
    if np.isscalar(class_sep):
        return np.full(n_features, check_float("class_sep", class_sep), dtype=np.float64)
    seps = np.asarray(class_sep, dtype=np.float64).reshape(-1)
    if len(seps) == 1:
        seps = np.repeat(seps, n_features)
    if len(seps) != n_features:
        raise ConfigError(f"class_sep has {len(seps)} values; it needs 1 or n_features={n_features}")
    if not np.all(np.isfinite(seps)):
        raise ConfigError(f"class_sep must be finite, got {class_sep!r}")
    return seps


def _sizes(n_train: int | None, n_test: int | None, n: int | None, test_size: float) -> tuple[int, int]:
    """Resolve the train/test sizes from either (n_train, n_test) or 000's (n, test_size)."""
    if n is None:
        n_train = 400 if n_train is None else check_int("n_train", n_train, minimum=2)
        n_test = 100 if n_test is None else check_int("n_test", n_test, minimum=0)
        return n_train, n_test
    if n_train is not None or n_test is not None:
        raise ConfigError("give either n (with test_size) or n_train/n_test, not both")
    n = check_int("n", n, minimum=3)
    test_size = check_float("test_size", test_size, minimum=0.0, maximum=1.0, max_inclusive=False)
    n_test = math.ceil(test_size * n)  # scikit-learn's train_test_split rounds the test set up
    return n - n_test, n_test


def make_gaussian_mixture(
    *,
    n_features: int = 12,
    class_sep: float | str | Sequence[float] = 1.0,
    covariance_scale: float = 1.0,
    n_train: int | None = None,
    n_test: int | None = None,
    n: int | None = None,
    test_size: float = 0.2,
    class_ratio: float = 1.0,
    cov: np.ndarray | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """Two Gaussian classes with a shared random covariance, as in 000.

    Parameters
    ----------
    n_features : int, default 12
        Dimension ``d`` (000: 12 for most experiments, 2 for imbalance, 6 for random labels,
        10 for PCA).
    class_sep : float, "1/i" or sequence of float, default 1.0
        Distance between the class means in each dimension; see :func:`class_separations`.
    covariance_scale : float, default 1.0
        Scale of the covariance factor: ``cov = c^T c`` with ``c = covariance_scale * U[0, 1)^{d x d}``.
    n_train, n_test : int, default 400 and 100
        Sizes of the two sets (000's most common 500 points split 400/100).
    n : int, optional
        Total size instead, split with ``test_size`` as 000 does (``n_test = ceil(test_size * n)``).
    test_size : float, default 0.2
        Fraction of ``n`` that goes to the test set; only used with ``n``.
    class_ratio : float >= 1, default 1.0
        Class-1 points per class-0 point, in both sets (class 0, the one at the origin, is the
        minority, as in 000). For a skewed training set with a balanced test set use
        :func:`~atomlab.data.imbalance` instead.
    cov : array of shape (d, d), optional
        Use this covariance instead of drawing one (000's ``load_covs``).
    random_state : int or numpy.random.Generator, default 0
        Seed. The covariance is drawn first and the two sets from separate streams, so the same
        seed gives the same mixture whatever the sizes, and the same test set whatever ``n_train``.

    Returns
    -------
    Dataset
        Binary classification with float64 ``X`` and int64 ``y``; ``target_fn(X)`` is the Bayes
        log-odds of class 1 (a linear function, since the covariance is shared), so
        ``target_fn(X) > 0`` is the optimal classifier.

    Examples
    --------
    >>> ds = make_gaussian_mixture(n_features=12, class_sep=1.0, n_train=400, n_test=100)
    >>> ds.X_train.shape, ds.X_test.shape, np.bincount(ds.y_train).tolist()
    ((400, 12), (100, 12), [200, 200])
    >>> ds = make_gaussian_mixture(n_features=12, class_sep="1/i", n=1000, test_size=0.2)
    >>> ds.n_train, ds.n_test
    (800, 200)
    >>> np.bincount(make_gaussian_mixture(n_features=2, n_train=1200, class_ratio=5).y_train).tolist()
    [200, 1000]
    """
    d = check_int("n_features", n_features, minimum=1)
    seps = class_separations(class_sep, d)
    scale = check_float("covariance_scale", covariance_scale, minimum=0.0, min_inclusive=False)
    n_train, n_test = _sizes(n_train, n_test, n, test_size)
    ratio = check_float("class_ratio", class_ratio, minimum=1.0)
    rng = check_random_state(random_state)

    if cov is None:
        factor = scale * rng.random((d, d))
        cov_matrix = factor.T @ factor
    else:
        cov_matrix = np.asarray(cov, dtype=np.float64)
        if cov_matrix.shape != (d, d) or not np.allclose(cov_matrix, cov_matrix.T):
            raise ConfigError(f"cov must be a symmetric {d}x{d} matrix, got shape {cov_matrix.shape}")
        eigval, eigvec = np.linalg.eigh(cov_matrix)
        if eigval.min() < -1e-10 * max(1.0, eigval.max()):
            raise ConfigError("cov must be positive semi-definite")
        factor = np.sqrt(np.clip(eigval, 0, None))[:, None] * eigvec.T  # factor.T @ factor == cov
    mean1 = seps

    # Independent streams: the test set does not change when only n_train does.
    train_rng, test_rng = rng.spawn(2)

    def sample(n_set: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n0, n1 = split_counts(n_set, ratio)
        if n_set >= 2 and (n0 == 0 or n1 == 0):
            raise ConfigError(
                f"{n_set} points at class_ratio={ratio:g} leave class 0 empty; use more points"
            )
        # Rows x = z c with z ~ N(0, I) have covariance c^T c: no factorisation needed.
        X = rng.standard_normal((n_set, d)) @ factor
        y = np.repeat([0, 1], [n0, n1])
        X[n0:] += mean1
        order = rng.permutation(n_set)
        return as_features(X[order]), as_labels(y[order])

    X_train, y_train = sample(n_train, train_rng)
    X_test, y_test = sample(n_test, test_rng)

    # Bayes log-odds for two Gaussians with a shared covariance: linear discriminant analysis.
    w = np.linalg.lstsq(cov_matrix, mean1, rcond=None)[0]
    b = -0.5 * float(mean1 @ w) + math.log(ratio)

    def target_fn(X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ w + b

    sep_record: Any = class_sep if isinstance(class_sep, str) else np.atleast_1d(class_sep).tolist()
    params = {
        "n_features": d,
        "class_sep": sep_record,
        "covariance_scale": scale,
        "n_train": n_train,
        "n_test": n_test,
        "class_ratio": ratio,
        "cov": "given" if cov is not None else "drawn",
        "random_state": seed_record(random_state),
    }
    if isinstance(class_sep, str):
        sep_text = "1/i"
    else:
        sep_text = f"{seps[0]:g}" if np.all(seps == seps[0]) else "given distances"
    note = (f"two {d}-d Gaussians, means {sep_text} apart per dimension, shared covariance c^T c "
            f"(c = {scale:g} U[0,1)^{{{d}x{d}}}), class ratio {ratio:g}:1")
    return Dataset(X_train, y_train, X_test, y_test, task="classification", n_classes=2,
                   name="gaussian_mixture", params=params, target_fn=target_fn, domain=None, note=note)


register_dataset("gaussian_mixture", "mixture", "gaussians")(make_gaussian_mixture)
