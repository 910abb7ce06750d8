"""Small classic classification sets: moons, blobs, circles, XOR, spirals, alternating points.

Moons, blobs and circles come from scikit-learn's own generators (003 uses ``make_moons`` and a
4-class ``make_blobs``; 000's activation experiment uses moons). The train and test sets are drawn
from independent seeds of the same distribution; for blobs the cluster centres are drawn once and
shared by both sets. XOR is 004's question of the minimum depth; the alternating points are 000's
depth experiment ("16 equally-spaced points along the x-axis, with each pair of adjacent points
belonging to opposite classes").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from atomlab.data._validation import (
    RandomState,
    as_features,
    as_labels,
    check_float,
    check_int,
    check_interval,
    check_random_state,
    child_seed,
    seed_record,
)
from atomlab.data.dataset import Dataset, register_dataset
from atomlab.errors import ConfigError

__all__ = [
    "make_moons",
    "make_blobs",
    "make_circles",
    "make_xor",
    "make_spirals",
    "make_alternating_points",
]


def _scores(per_class: np.ndarray) -> np.ndarray:
    """A decision function in the Dataset convention: one score for two classes, else one per class."""
    return per_class[:, 1] - per_class[:, 0] if per_class.shape[1] == 2 else per_class


def _box(X: np.ndarray, margin: float = 0.05) -> tuple[tuple[float, float], ...]:
    """A box around the points, a little wider, for drawing surfaces."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-12)
    return tuple((float(a), float(b)) for a, b in zip(lo - pad, hi + pad))


def make_moons(
    *, n_train: int = 200, n_test: int = 200, noise: float = 0.2, random_state: RandomState = 0
) -> Dataset:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Parameters
    ----------
    n_train, n_test : int, default 200
        Sizes; each set is split evenly between the two moons.
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to the points (0.2 as in 003's network
        from scratch).
    random_state : int or numpy.random.Generator, default 0
        Seed; train and test use independent seeds drawn from it.

    Returns
    -------
    Dataset
        Binary classification, ``X`` float64 of shape ``(n, 2)``.

    Examples
    --------
    >>> ds = make_moons(n_train=400, random_state=0)
    >>> ds.X_train.shape, np.bincount(ds.y_train).tolist()
    ((400, 2), [200, 200])
    """
    from sklearn import datasets as skd

    n_train = check_int("n_train", n_train, minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    rng = check_random_state(random_state)
    seeds = [child_seed(rng), child_seed(rng)]
    X_train, y_train = skd.make_moons(n_samples=n_train, noise=noise, random_state=seeds[0])
    X_test, y_test = skd.make_moons(n_samples=n_test, noise=noise, random_state=seeds[1])
    params = {"n_train": n_train, "n_test": n_test, "noise": noise, "random_state": seed_record(random_state)}
    return Dataset(as_features(X_train), as_labels(y_train), as_features(X_test), as_labels(y_test),
                   task="classification", n_classes=2, name="moons", params=params,
                   domain=_box(np.vstack([X_train, X_test])),
                   note=f"scikit-learn make_moons, noise={noise:g}")


def make_circles(
    *,
    n_train: int = 200,
    n_test: int = 200,
    noise: float = 0.1,
    factor: float = 0.5,
    random_state: RandomState = 0,
) -> Dataset:
    """A small circle inside a large one (scikit-learn's ``make_circles``).

    Parameters
    ----------
    n_train, n_test : int, default 200
        Sizes; each set is split evenly between the circles.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise.
    factor : float in (0, 1), default 0.5
        Radius of the inner circle (class 1) relative to the outer one (class 0, radius 1).
    random_state : int or numpy.random.Generator, default 0
        Seed.

    Returns
    -------
    Dataset
        Binary classification; ``target_fn(X) = (1 + factor)/2 - |X|`` is positive inside the
        circle halfway between the two.

    Examples
    --------
    >>> ds = make_circles(n_train=100, noise=0.0, factor=0.5)
    >>> float(np.mean((ds.target_fn(ds.X_train) > 0) == ds.y_train))
    1.0
    """
    from sklearn import datasets as skd

    n_train = check_int("n_train", n_train, minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    factor = check_float("factor", factor, minimum=0.0, maximum=1.0, min_inclusive=False, max_inclusive=False)
    rng = check_random_state(random_state)
    seeds = [child_seed(rng), child_seed(rng)]
    X_train, y_train = skd.make_circles(n_samples=n_train, noise=noise, factor=factor, random_state=seeds[0])
    X_test, y_test = skd.make_circles(n_samples=n_test, noise=noise, factor=factor, random_state=seeds[1])

    def target_fn(X: np.ndarray) -> np.ndarray:
        return (1.0 + factor) / 2.0 - np.linalg.norm(np.asarray(X, dtype=np.float64), axis=1)

    params = {"n_train": n_train, "n_test": n_test, "noise": noise, "factor": factor,
              "random_state": seed_record(random_state)}
    return Dataset(as_features(X_train), as_labels(y_train), as_features(X_test), as_labels(y_test),
                   task="classification", n_classes=2, name="circles", params=params, target_fn=target_fn,
                   domain=_box(np.vstack([X_train, X_test])),
                   note=f"scikit-learn make_circles, noise={noise:g}, factor={factor:g}")


def make_blobs(
    *,
    n_train: int = 400,
    n_test: int = 400,
    centers: int | Sequence[Sequence[float]] = 4,
    n_features: int = 2,
    cluster_std: float | Sequence[float] = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    random_state: RandomState = 0,
) -> Dataset:
    """Isotropic Gaussian blobs, one class per blob (scikit-learn's ``make_blobs``).

    Parameters
    ----------
    n_train, n_test : int, default 400
        Sizes; each set is split evenly between the blobs.
    centers : int or array of shape (k, n_features), default 4
        Number of blobs (centres drawn uniformly in ``center_box``, once, for both sets; 003 uses
        4) or the centres themselves.
    n_features : int, default 2
        Dimension, when ``centers`` is a number.
    cluster_std : float or sequence of k floats, default 1.0
        Standard deviation of each blob.
    center_box : (float, float), default (-10.0, 10.0)
        Box the random centres are drawn from.
    random_state : int or numpy.random.Generator, default 0
        Seed.

    Returns
    -------
    Dataset
        ``k``-class classification; ``target_fn(X)`` gives each class's Gaussian log-density
        (up to a shared constant), of shape ``(n, k)`` (one score, class 1 minus class 0, when
        ``k = 2``), whose argmax is the Bayes classifier for equal class sizes.

    Examples
    --------
    >>> ds = make_blobs(n_train=400, centers=4, random_state=0)
    >>> ds.n_classes, np.bincount(ds.y_train).tolist()
    (4, [100, 100, 100, 100])
    >>> ds.target_fn(ds.X_test).shape
    (400, 4)
    """
    from sklearn import datasets as skd

    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=1)
    rng = check_random_state(random_state)
    if np.isscalar(centers):
        k = check_int("centers", centers, minimum=2)
        d = check_int("n_features", n_features, minimum=1)
        lo, hi = check_interval("center_box", *center_box)
        center_array = rng.uniform(lo, hi, size=(k, d))
    else:
        center_array = np.asarray(centers, dtype=np.float64)
        if center_array.ndim != 2 or len(center_array) < 2:
            raise ConfigError(f"centers must be a number >= 2 or an array of shape (k, d) with k >= 2, "
                              f"got shape {center_array.shape}")
        k, d = center_array.shape
    try:
        stds = np.asarray(cluster_std, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        stds = np.array([np.nan])
    if stds.size not in (1, k) or not np.all(np.isfinite(stds)) or np.any(stds <= 0):
        raise ConfigError(
            f"cluster_std must be a positive number or {k} positive numbers, got {cluster_std!r}"
        )
    stds = np.broadcast_to(stds, (k,)).copy()
    seeds = [child_seed(rng), child_seed(rng)]
    X_train, y_train = skd.make_blobs(n_samples=n_train, centers=center_array, cluster_std=stds,
                                      random_state=seeds[0])
    X_test, y_test = skd.make_blobs(n_samples=n_test, centers=center_array, cluster_std=stds,
                                    random_state=seeds[1])

    def target_fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        sq = ((X[:, None, :] - center_array[None, :, :]) ** 2).sum(axis=2)
        return _scores(-sq / (2.0 * stds**2) - d * np.log(stds))

    params = {"n_train": n_train, "n_test": n_test, "centers": center_array.tolist(), "n_features": d,
              "cluster_std": stds.tolist(), "random_state": seed_record(random_state)}
    return Dataset(as_features(X_train), as_labels(y_train), as_features(X_test), as_labels(y_test),
                   task="classification", n_classes=k, name="blobs", params=params, target_fn=target_fn,
                   domain=_box(np.vstack([X_train, X_test])) if d <= 3 else None,
                   note=f"scikit-learn make_blobs, {k} blobs in {d}-d")


def make_xor(
    *,
    n_train: int = 4,
    n_test: int = 4,
    noise: float = 0.0,
    signed: bool = False,
    random_state: RandomState = 0,
) -> Dataset:
    """XOR: the four corners of the unit square, or noisy clouds around them (004).

    Point ``i`` sits at corner ``i mod 4`` of ``(0,0), (0,1), (1,0), (1,1)`` (labels 0, 1, 1, 0)
    plus Gaussian noise; with the defaults both sets are exactly the four corners.

    Parameters
    ----------
    n_train, n_test : int, default 4
        Sizes (use multiples of 4 for equal corners).
    noise : float, default 0.0
        Standard deviation of the Gaussian noise around each corner.
    signed : bool, default False
        Corners at -1 and 1 instead of 0 and 1.
    random_state : int or numpy.random.Generator, default 0
        Seed for the noise.

    Returns
    -------
    Dataset
        Binary classification; ``target_fn(X)`` is ``-(x - m)(y - m)`` with ``m`` the centre of the
        square, positive in the two class-1 quadrants.

    Examples
    --------
    >>> ds = make_xor()
    >>> ds.X_train.tolist(), ds.y_train.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> make_xor(n_train=400, noise=0.1).X_train.shape
    (400, 2)
    """
    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=1)
    noise = check_float("noise", noise, minimum=0.0)
    if not isinstance(signed, bool | np.bool_):
        raise ConfigError(f"signed must be True or False, got {signed!r}")
    rng = check_random_state(random_state)
    low = -1.0 if signed else 0.0
    corners = np.array([[low, low], [low, 1.0], [1.0, low], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    middle = (low + 1.0) / 2.0
    train_rng, test_rng = rng.spawn(2)

    def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        idx = np.arange(n) % 4
        X = corners[idx] + (noise * rng.standard_normal((n, 2)) if noise > 0 else 0.0)
        return as_features(X), as_labels(labels[idx])

    X_train, y_train = sample(n_train, train_rng)
    X_test, y_test = sample(n_test, test_rng)

    def target_fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return -(X[:, 0] - middle) * (X[:, 1] - middle)

    pad = max(0.5, 3 * noise)
    params = {"n_train": n_train, "n_test": n_test, "noise": noise, "signed": bool(signed),
              "random_state": seed_record(random_state)}
    return Dataset(X_train, y_train, X_test, y_test, task="classification", n_classes=2, name="xor",
                   params=params, target_fn=target_fn, domain=((low - pad, 1.0 + pad),) * 2,
                   note=f"XOR of the corners of [{low:g}, 1]^2" + (f" with noise {noise:g}" if noise else ""))


def make_spirals(
    *,
    n_train: int = 400,
    n_test: int = 400,
    n_classes: int = 2,
    n_turns: float = 1.5,
    noise: float = 0.05,
    random_state: RandomState = 0,
) -> Dataset:
    """``n_classes`` interleaved Archimedean spirals.

    Class ``k`` lies on ``r = t``, ``angle = 2 pi (n_turns t + k / n_classes)`` for ``t`` in
    ``[0, 1)`` (drawn as ``sqrt(U)``, so points spread evenly along the arms rather than
    crowding the centre), plus Gaussian noise.

    Parameters
    ----------
    n_train, n_test : int, default 400
        Sizes; classes get equal shares (the first classes take the remainder).
    n_classes : int, default 2
        Number of spirals.
    n_turns : float, default 1.5
        Turns of each arm.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise (the arms are ``1 / (n_turns n_classes)`` apart).
    random_state : int or numpy.random.Generator, default 0
        Seed.

    Returns
    -------
    Dataset
        Classification; ``target_fn(X)`` scores each class by ``cos`` of the angle between the
        point and that class's arm at the point's radius (one score when there are two classes).

    Examples
    --------
    >>> ds = make_spirals(n_train=300, n_classes=3, noise=0.0)
    >>> ds.n_classes, np.bincount(ds.y_train).tolist()
    (3, [100, 100, 100])
    >>> bool(np.all(ds.target_fn(ds.X_train).argmax(axis=1) == ds.y_train))
    True
    """
    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=1)
    k = check_int("n_classes", n_classes, minimum=2)
    turns = check_float("n_turns", n_turns, minimum=0.0, min_inclusive=False)
    noise = check_float("noise", noise, minimum=0.0)
    rng = check_random_state(random_state)
    train_rng, test_rng = rng.spawn(2)

    def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        y = rng.permutation(np.arange(n) % k)
        t = np.sqrt(rng.random(n))
        angle = 2 * np.pi * (turns * t + y / k)
        X = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
        if noise > 0:
            X += noise * rng.standard_normal((n, 2))
        return as_features(X), as_labels(y)

    X_train, y_train = sample(n_train, train_rng)
    X_test, y_test = sample(n_test, test_rng)

    def target_fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        r = np.hypot(X[:, 0], X[:, 1])
        phi = np.arctan2(X[:, 1], X[:, 0])
        arms = 2 * np.pi * (turns * r[:, None] + np.arange(k)[None, :] / k)
        return _scores(np.cos(phi[:, None] - arms))

    edge = 1.0 + 3 * noise
    params = {"n_train": n_train, "n_test": n_test, "n_classes": k, "n_turns": turns, "noise": noise,
              "random_state": seed_record(random_state)}
    return Dataset(X_train, y_train, X_test, y_test, task="classification", n_classes=k, name="spirals",
                   params=params, target_fn=target_fn, domain=((-edge, edge), (-edge, edge)),
                   note=f"{k} interleaved spirals, {turns:g} turns, noise {noise:g}")


def make_alternating_points(*, n: int = 16, random_state: RandomState = 0) -> Dataset:
    """``n`` equally spaced points on ``[0, 1)`` with alternating labels 0, 1, 0, 1, ... (000).

    000's depth experiment: a network with a fixed number of shared weights must separate
    neighbours of opposite classes, which needs many "sharp turns". The points are
    ``x_i = i / n`` (000's ``np.linspace(0, 1 - 1/n, n)``); the training set is also the test set.
    (000's code labels the first point 1 instead of 0; the problem is the same by symmetry.)

    Parameters
    ----------
    n : int, default 16
        Number of points (000: 16).
    random_state : int or numpy.random.Generator, default 0
        Accepted for a uniform interface; nothing is random.

    Returns
    -------
    Dataset
        Binary classification with ``X`` of shape ``(n, 1)``; ``target_fn(X) = -cos(pi n x)``, the
        smoothest function whose sign alternates on the points.

    Examples
    --------
    >>> ds = make_alternating_points(n=4)
    >>> ds.X_train[:, 0].tolist(), ds.y_train.tolist()
    ([0.0, 0.25, 0.5, 0.75], [0, 1, 0, 1])
    >>> bool(np.array_equal(ds.X_train, ds.X_test))
    True
    """
    n = check_int("n", n, minimum=2)
    check_random_state(random_state)
    X = (np.arange(n, dtype=np.float64) / n)[:, None]
    y = as_labels(np.arange(n) % 2)

    def target_fn(X: np.ndarray) -> np.ndarray:
        return -np.cos(np.pi * n * np.asarray(X, dtype=np.float64)[:, 0])

    return Dataset(X, y, X.copy(), y.copy(), task="classification", n_classes=2, name="alternating_points",
                   params={"n": n, "random_state": seed_record(random_state)}, target_fn=target_fn,
                   domain=((-0.5 / n, 1.0 - 0.5 / n),),
                   note=f"{n} equally spaced points on [0, 1) with alternating labels; train = test")


register_dataset("moons")(make_moons)
register_dataset("circles")(make_circles)
register_dataset("blobs")(make_blobs)
register_dataset("xor")(make_xor)
register_dataset("spirals", "spiral")(make_spirals)
register_dataset("alternating_points", "alternating")(make_alternating_points)
