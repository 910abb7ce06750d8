"""Pure functions ``Dataset -> Dataset``: the manipulations 000's experiments apply to their data.

Each returns a new :class:`~atomlab.data.Dataset` (the input is never modified), appends a record
of what it did to ``params["transforms"]`` and a phrase to ``note``, so a transformed data set still
says how to make it again. Anything fitted (PCA, standardisation) is fitted on the training set only
and then applied to both sets, so no test information leaks into training.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from atomlab.data._validation import (
    RandomState,
    check_choice,
    check_float,
    check_int,
    check_random_state,
    seed_record,
    split_counts,
)
from atomlab.data.dataset import Dataset
from atomlab.errors import ConfigError
from atomlab.registry import Registry

__all__ = [
    "imbalance",
    "oversample_minority",
    "random_labels",
    "add_dummy_dimensions",
    "random_rotation",
    "pca",
    "standardize",
    "minmax_scale",
    "with_domain",
    "transforms",
]


def _derive(ds: Dataset, record: dict[str, Any], note: str, **changes: Any) -> Dataset:
    """A copy of ``ds`` with ``changes``, the transform recorded in params and note."""
    params = dict(ds.params)
    params["transforms"] = [*ds.params.get("transforms", []), record]
    note = f"{ds.note}; {note}" if ds.note else note
    return dataclasses.replace(ds, params=params, note=note, **changes)


def _require_classification(ds: Dataset, what: str, *, binary: bool = False) -> None:
    if ds.task != "classification":
        raise ConfigError(f"{what} needs a classification data set; '{ds.name}' is {ds.task}")
    if binary and ds.n_classes != 2:
        raise ConfigError(f"{what} needs two classes; '{ds.name}' has {ds.n_classes}")


def _flat(X: np.ndarray) -> np.ndarray:
    return X.reshape(len(X), -1)


def imbalance(
    ds: Dataset, *, ratio: float, n_train: int, minority: int = 0, random_state: RandomState = 0
) -> Dataset:
    """Subsample the training set to a ``ratio : 1`` class imbalance; leave the test set alone.

    000's class-imbalance experiment trains on 1,200 points at ratios 1, 2, 5, 10, 20, 50 and
    100 to 1 and tests on a fixed balanced set of 300. Build one balanced pool with enough points
    of each class (for example ``make_gaussian_mixture(n_features=2, class_sep="1/i", n_train=2400,
    n_test=300)``) and call this once per ratio: the test set is the pool's, identical for every
    ratio. The rows kept are prefixes of one random order of each class, so for a given seed the
    minority examples at ratio 100 are a subset of those at ratio 50, and so on (common random
    numbers: the arms differ by the imbalance, not by which points were drawn).

    Parameters
    ----------
    ds : Dataset
        A binary classification data set whose training set has enough examples of each class.
    ratio : float >= 1
        Majority examples per minority example.
    n_train : int
        Size of the new training set: ``round(n_train / (ratio + 1))`` minority examples, the rest
        majority.
    minority : {0, 1}, default 0
        The class made rare (000 makes class 0 the minority).
    random_state : int or numpy.random.Generator, default 0
        Seed for which examples are kept and their order.

    Returns
    -------
    Dataset
        The same test set; a training set of ``n_train`` examples.

    Examples
    --------
    >>> from atomlab.data import make_gaussian_mixture
    >>> pool = make_gaussian_mixture(n_features=2, class_sep="1/i", n_train=2400, n_test=300)
    >>> skewed = imbalance(pool, ratio=5, n_train=1200)
    >>> np.bincount(skewed.y_train).tolist(), skewed.X_test is pool.X_test
    ([200, 1000], True)
    """
    _require_classification(ds, "imbalance", binary=True)
    ratio = check_float("ratio", ratio, minimum=1.0)
    n_train = check_int("n_train", n_train, minimum=2)
    minority = check_int("minority", minority, minimum=0, maximum=1)
    majority = 1 - minority
    n_min, n_maj = split_counts(n_train, ratio)
    if n_min < 1:
        raise ConfigError(
            f"n_train={n_train} at ratio {ratio:g}:1 leaves no minority example; use more points"
        )
    rng = check_random_state(random_state)
    # Draw both orders first, whatever the ratio, so that subsets are nested across ratios.
    order = {c: rng.permutation(np.flatnonzero(ds.y_train == c)) for c in (0, 1)}
    for c, need in ((minority, n_min), (majority, n_maj)):
        if len(order[c]) < need:
            raise ConfigError(
                f"imbalance at ratio {ratio:g}:1 with n_train={n_train} needs {need} training examples of "
                f"class {c}, but '{ds.name}' has {len(order[c])}; generate a larger balanced pool"
            )
    keep = np.concatenate([order[minority][:n_min], order[majority][:n_maj]])
    keep = keep[rng.permutation(len(keep))]
    record = {"transform": "imbalance", "ratio": ratio, "n_train": n_train, "minority": minority,
              "random_state": seed_record(random_state)}
    what = f"training set subsampled to {n_maj}:{n_min} (ratio {ratio:g}:1), test set unchanged"
    return _derive(ds, record, what, X_train=ds.X_train[keep], y_train=ds.y_train[keep])


def oversample_minority(ds: Dataset, *, method: str = "random", random_state: RandomState = 0) -> Dataset:
    """Duplicate training examples of the smaller classes until every class is as large as the largest.

    Every original example is kept; the extra copies are drawn from each smaller class. The test
    set is unchanged.

    Parameters
    ----------
    ds : Dataset
        A classification data set.
    method : {"random", "tile"}, default "random"
        ``"random"``: the extra copies are drawn at random with replacement (000's text: "samples
        from the minority class are sampled with replacement"). ``"tile"``: the class is repeated
        whole as often as fits, the remainder drawn without replacement (000's code tiles the
        minority class ``ratio`` times).
    random_state : int or numpy.random.Generator, default 0
        Seed for the copies and the final order.

    Returns
    -------
    Dataset
        A training set with equal class counts, shuffled.

    Examples
    --------
    >>> from atomlab.data import make_gaussian_mixture
    >>> skewed = make_gaussian_mixture(n_features=2, n_train=1100, class_ratio=10)
    >>> np.bincount(skewed.y_train).tolist()
    [100, 1000]
    >>> np.bincount(oversample_minority(skewed).y_train).tolist()
    [1000, 1000]
    """
    _require_classification(ds, "oversample_minority")
    method = check_choice("oversampling method", method, ("random", "tile"))
    rng = check_random_state(random_state)
    classes = np.arange(int(ds.n_classes or ds.y_train.max() + 1))
    members = [np.flatnonzero(ds.y_train == c) for c in classes]
    counts = np.array([len(m) for m in members])
    if np.any(counts == 0):
        missing = classes[counts == 0].tolist()
        raise ConfigError(f"cannot oversample classes with no training example: {missing}")
    target = int(counts.max())
    extra = []
    for idx in members:
        need = target - len(idx)
        if need == 0:
            continue
        if method == "random":
            extra.append(rng.choice(idx, size=need, replace=True))
        else:
            whole, rest = divmod(need, len(idx))
            extra.append(np.concatenate([np.tile(idx, whole), rng.choice(idx, size=rest, replace=False)]))
    keep = np.concatenate([np.arange(len(ds.y_train)), *extra])
    keep = keep[rng.permutation(len(keep))]
    record = {"transform": "oversample_minority", "method": method, "random_state": seed_record(random_state)}
    return _derive(ds, record, f"smaller classes oversampled ({method}) to {target} each",
                   X_train=ds.X_train[keep], y_train=ds.y_train[keep])


def random_labels(ds: Dataset, *, fraction: float = 1.0, random_state: RandomState = 0) -> Dataset:
    """Shuffle the training labels, breaking their link to the inputs (000's memorisation test).

    The labels are permuted, not redrawn, so the class counts stay exactly the same, as 000's
    memorisation code (``Experiment5``) does. The test set keeps its true labels.

    Parameters
    ----------
    ds : Dataset
        Any data set (for regression the targets are permuted).
    fraction : float in [0, 1], default 1.0
        Fraction of training examples whose labels are shuffled among themselves (Zhang et al.'s
        partially corrupted labels); 1.0 permutes all of them.
    random_state : int or numpy.random.Generator, default 0
        Seed.

    Returns
    -------
    Dataset
        Same inputs, permuted training labels.

    Examples
    --------
    >>> from atomlab.data import make_gaussian_mixture
    >>> ds = make_gaussian_mixture(n_features=6, n_train=150)
    >>> shuffled = random_labels(ds, random_state=1)
    >>> sorted(shuffled.y_train.tolist()) == sorted(ds.y_train.tolist())
    True
    """
    fraction = check_float("fraction", fraction, minimum=0.0, maximum=1.0)
    rng = check_random_state(random_state)
    n = len(ds.y_train)
    m = int(round(fraction * n))
    idx = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
    y = ds.y_train.copy()
    y[idx] = ds.y_train[idx][rng.permutation(m)]
    record = {"transform": "random_labels", "fraction": fraction, "random_state": seed_record(random_state)}
    what = "training labels randomly permuted" if m == n else f"{m} of {n} training labels randomly permuted"
    return _derive(ds, record, what, y_train=y)


def random_rotation(dim: int, *, random_state: RandomState = 0) -> np.ndarray:
    """A rotation matrix drawn uniformly (Haar measure) from SO(dim).

    QR of a standard Gaussian matrix, with the signs of R's diagonal moved into Q (without this
    fix the distribution is not uniform), then one column negated if needed so that det = +1.

    Examples
    --------
    >>> R = random_rotation(5, random_state=0)
    >>> bool(np.allclose(R @ R.T, np.eye(5))), round(float(np.linalg.det(R)), 6)
    (True, 1.0)
    """
    dim = check_int("dim", dim, minimum=1)
    rng = check_random_state(random_state)
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def add_dummy_dimensions(
    ds: Dataset,
    *,
    n_dummy: int,
    rotation: str | None = "orthogonal",
    noise_scale: float = 1.0,
    random_state: RandomState = 0,
) -> Dataset:
    """Append uninformative noise features, then mix all features with one random matrix (000).

    000's PCA experiment adds "dummy dimensions", features with small random values that carry no
    class information, then multiplies the data by a random rotation to hide them. Each example
    gets ``noise_scale * U[0, 1)`` in every new dimension (drawn independently for train and test);
    then the same matrix ``R`` multiplies both sets, ``X_new = [X, noise] @ R``.

    Parameters
    ----------
    ds : Dataset
        A data set with flat inputs ``(n, d)``.
    n_dummy : int >= 0
        Number of noise features to add.
    rotation : {"orthogonal", "uniform", "gaussian", None}, default "orthogonal"
        ``"orthogonal"``: a proper rotation, uniform on SO(d + n_dummy) (see
        :func:`random_rotation`); it preserves distances, so it hides the dummy dimensions without
        changing the geometry. ``"uniform"``: a matrix of independent U[0, 1) entries, what 000's
        code calls its "random rotation matrix" (``np.random.random((D, D))``); it is *not* a
        rotation: its entries share the mean 1/2, so every output feature carries half the sum
        of all inputs, a direction of very large variance. ``"gaussian"``: a matrix of independent
        standard normal entries, also not a rotation (it stretches and shears without a common
        direction). ``None``: no mixing.
    noise_scale : float > 0, default 1.0
        Scale of the uniform noise (000's ``noise_level``).
    random_state : int or numpy.random.Generator, default 0
        Seed for the noise and the matrix.

    Returns
    -------
    Dataset
        Inputs of width ``d + n_dummy``; ``target_fn`` (if the input had one) undoes the mixing and
        drops the dummy dimensions, so it is still the true function.

    Examples
    --------
    >>> from atomlab.data import make_gaussian_mixture
    >>> ds = make_gaussian_mixture(n_features=10, n_train=100, n_test=50)
    >>> wide = add_dummy_dimensions(ds, n_dummy=90, random_state=0)
    >>> wide.X_train.shape, wide.X_test.shape
    ((100, 100), (50, 100))
    >>> bool(np.allclose(wide.target_fn(wide.X_test), ds.target_fn(ds.X_test)))
    True
    >>> mixed = add_dummy_dimensions(ds, n_dummy=90, rotation="uniform", random_state=0)
    >>> bool(np.allclose(mixed.target_fn(mixed.X_test), ds.target_fn(ds.X_test)))
    True
    """
    if ds.X_train.ndim != 2:
        raise ConfigError(f"add_dummy_dimensions needs flat inputs (n, d); '{ds.name}' has shape "
                          f"{ds.X_train.shape[1:]} per example, flatten it first")
    n_dummy = check_int("n_dummy", n_dummy, minimum=0)
    rotation_name = "none" if rotation is None else check_choice("rotation", rotation,
                                                                  ("orthogonal", "uniform", "gaussian", "none"))
    noise_scale = check_float("noise_scale", noise_scale, minimum=0.0, min_inclusive=False)
    rng = check_random_state(random_state)
    train_rng, test_rng, matrix_rng = rng.spawn(3)
    d = ds.X_train.shape[1]
    width = d + n_dummy

    def widen(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.hstack([X.astype(np.float64), noise_scale * rng.random((len(X), n_dummy))])

    X_train, X_test = widen(ds.X_train, train_rng), widen(ds.X_test, test_rng)
    R: np.ndarray | None = None
    if rotation_name == "orthogonal":
        R = random_rotation(width, random_state=matrix_rng)
    elif rotation_name == "uniform":
        R = matrix_rng.random((width, width))
    elif rotation_name == "gaussian":
        R = matrix_rng.standard_normal((width, width))
    if R is not None:
        X_train, X_test = X_train @ R, X_test @ R

    target_fn: Callable[[np.ndarray], np.ndarray] | None = None
    if ds.target_fn is not None:
        old_fn = ds.target_fn

        def target_fn(X: np.ndarray) -> np.ndarray:
            X = np.asarray(X, dtype=np.float64)
            # Undo the mixing only when asked: X = Z R, so Z^T = R^{-T} X^T (a solve, not an inverse, of a
            # matrix that may be 2,000 wide and ill-conditioned).
            if R is None:
                original = X
            elif rotation_name == "orthogonal":
                original = X @ R.T
            else:
                original = np.linalg.solve(R.T, X.T).T
            return old_fn(original[:, :d])

    domain = None
    if R is None and ds.domain is not None:
        domain = (*ds.domain, *(((0.0, noise_scale),) * n_dummy))
    record = {"transform": "add_dummy_dimensions", "n_dummy": n_dummy, "rotation": rotation_name,
              "noise_scale": noise_scale, "random_state": seed_record(random_state)}
    mixing = {"orthogonal": "a random rotation", "uniform": "a random U[0,1) (non-orthogonal) matrix",
              "gaussian": "a random Gaussian (non-orthogonal) matrix", "none": "no mixing"}[rotation_name]
    return _derive(ds, record, f"{n_dummy} U[0,{noise_scale:g}) dummy dimensions added, then {mixing}",
                   X_train=X_train, X_test=X_test, target_fn=target_fn, domain=domain)


def pca(ds: Dataset, *, n_components: int | float | None, whiten: bool = False) -> Dataset:
    """Project the inputs on their leading principal components, fitted on the training set only.

    Parameters
    ----------
    ds : Dataset
        Any data set; image inputs are flattened.
    n_components : int, float in (0, 1) or None
        Number of components kept (at most ``min(n_train, n_features)``), or the fraction of
        variance to keep; ``None`` keeps the data as it is (000's "No PCA" arm), recorded as a
        transform all the same.
    whiten : bool, default False
        Scale the components to unit variance.

    Returns
    -------
    Dataset
        Inputs of shape ``(n, n_components)``. ``target_fn`` is dropped (the projection cannot be
        undone) and ``domain`` cleared.

    Examples
    --------
    >>> from atomlab.data import make_gaussian_mixture
    >>> ds = make_gaussian_mixture(n_features=12, n_train=100, n_test=50)
    >>> pca(ds, n_components=5).X_test.shape
    (50, 5)
    """
    if n_components is None:
        record = {"transform": "pca", "n_components": None}
        return _derive(ds, record, "no PCA")
    from sklearn.decomposition import PCA

    X_train = _flat(ds.X_train).astype(np.float64)
    limit = min(X_train.shape)
    if isinstance(n_components, float) and not float(n_components).is_integer():
        n_components = check_float("n_components", n_components, minimum=0.0, maximum=1.0,
                                   min_inclusive=False, max_inclusive=False)
    else:
        n_components = check_int("n_components", n_components, minimum=1, maximum=limit)
    model = PCA(n_components=n_components, whiten=bool(whiten), svd_solver="full").fit(X_train)
    record = {"transform": "pca", "n_components": n_components, "whiten": bool(whiten),
              "explained_variance": float(model.explained_variance_ratio_.sum())}
    return _derive(
        ds, record,
        f"PCA to {model.n_components_} components fitted on the training set "
        f"({100 * model.explained_variance_ratio_.sum():.1f}% of its variance)",
        X_train=model.transform(X_train), X_test=model.transform(_flat(ds.X_test).astype(np.float64)),
        target_fn=None, domain=None,
    )


def standardize(ds: Dataset, *, with_mean: bool = True, with_std: bool = True) -> Dataset:
    """Centre and scale each input feature with the training set's mean and standard deviation.

    Constant features are left unscaled (scale 1), as scikit-learn's ``StandardScaler`` does.
    Images keep their shape (each pixel is standardised on its own).

    Parameters
    ----------
    ds : Dataset
        Any data set.
    with_mean, with_std : bool, default True
        Centre; scale to unit variance.

    Returns
    -------
    Dataset
        Standardised inputs of the same shape; ``target_fn`` maps back to the original units first,
        and ``domain`` is transformed accordingly.

    Examples
    --------
    >>> from atomlab.data import make_surface2d
    >>> ds = standardize(make_surface2d(n_train=1000, domain=(0, 10)))
    >>> bool(np.allclose(ds.X_train.mean(axis=0), 0)), bool(np.allclose(ds.X_train.std(axis=0), 1))
    (True, True)
    """
    from sklearn.preprocessing import StandardScaler

    shape_train, shape_test = ds.X_train.shape, ds.X_test.shape
    scaler = StandardScaler(with_mean=bool(with_mean), with_std=bool(with_std))
    X_train = scaler.fit_transform(_flat(ds.X_train).astype(np.float64))
    X_test = scaler.transform(_flat(ds.X_test).astype(np.float64))
    mean = scaler.mean_ if with_mean else np.zeros(X_train.shape[1])
    scale = scaler.scale_ if with_std else np.ones(X_train.shape[1])
    dtype = ds.X_train.dtype if np.issubdtype(ds.X_train.dtype, np.floating) else np.float64

    target_fn = None
    if ds.target_fn is not None:
        old_fn = ds.target_fn

        def target_fn(X: np.ndarray) -> np.ndarray:
            X = np.asarray(X, dtype=np.float64)
            return old_fn((_flat(X) * scale + mean).reshape(X.shape))

    domain = None
    if ds.domain is not None and len(ds.domain) == X_train.shape[1]:
        domain = tuple(((lo - m) / s, (hi - m) / s) for (lo, hi), m, s in zip(ds.domain, mean, scale))
    record = {"transform": "standardize", "with_mean": bool(with_mean), "with_std": bool(with_std)}
    return _derive(ds, record, "standardised with the training set's mean and standard deviation",
                   X_train=X_train.reshape(shape_train).astype(dtype, copy=False),
                   X_test=X_test.reshape(shape_test).astype(dtype, copy=False),
                   target_fn=target_fn, domain=domain)


def minmax_scale(ds: Dataset, *, fit: str = "train") -> Dataset:
    """Scale each input feature to [0, 1] by its minimum and maximum.

    Parameters
    ----------
    ds : Dataset
        A data set with flat inputs ``(n, d)``.
    fit : {"train", "each"}, default "train"
        ``"train"``: the training set's minimum and maximum scale both sets (scikit-learn's
        ``MinMaxScaler`` fitted on the training set; test values may fall outside [0, 1]).
        ``"each"``: every set is scaled by its own minimum and maximum, as 000's class-imbalance
        code normalises its training and test sets separately. The test set then lies in [0, 1]
        too, but a test point's scaled value depends on the other test points.

    Returns
    -------
    Dataset
        Inputs of the same shape; ``target_fn`` and ``domain`` are dropped (with ``fit="each"`` no
        single map takes the scaled inputs back to the original ones).

    Examples
    --------
    >>> from atomlab.data import make_gaussian_mixture
    >>> ds = minmax_scale(make_gaussian_mixture(n_features=2, n_train=100, n_test=30), fit="each")
    >>> float(ds.X_train.min()), float(ds.X_train.max()), float(ds.X_test.min()), float(ds.X_test.max())
    (0.0, 1.0, 0.0, 1.0)
    """
    from sklearn.preprocessing import MinMaxScaler

    fit = check_choice("minmax fit", fit, ("train", "each"))
    if ds.X_train.ndim != 2:
        raise ConfigError(f"minmax_scale needs flat inputs (n, d); '{ds.name}' has shape {ds.X_train.shape[1:]} "
                          "per example, flatten it first")
    X_train = np.asarray(ds.X_train, dtype=np.float64)
    X_test = np.asarray(ds.X_test, dtype=np.float64)
    scaler = MinMaxScaler().fit(X_train)
    scaled_train = scaler.transform(X_train)
    scaled_test = (MinMaxScaler().fit_transform(X_test) if fit == "each" and len(X_test) else scaler.transform(X_test))
    record = {"transform": "minmax_scale", "fit": fit}
    what = ("each set min-max scaled to [0, 1] by its own range" if fit == "each"
            else "min-max scaled to [0, 1] by the training set's range")
    return _derive(ds, record, what, X_train=scaled_train, X_test=scaled_test, target_fn=None, domain=None)


def with_domain(data: Dataset, *, box: Sequence[Sequence[float]]) -> Dataset:
    """The same data with a fixed drawing box ``[[x0, x1], [y0, y1]]``.

    The population engine predicts every member's grid on the first member's domain, and a
    generator such as make_moons derives the domain from the points drawn: with the data redrawn
    per seed, one fixed box keeps every grid (and every figure) on the same mesh.

    Parameters
    ----------
    data : Dataset
        Any data set.
    box : sequence of (low, high) pairs
        One pair per input dimension.

    Returns
    -------
    Dataset
        ``data`` with ``domain`` replaced (the arrays are shared, not copied).

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> ds = with_domain(make_dataset("moons", n_train=20, random_state=0), box=[[-2, 3], [-1.5, 2]])
    >>> ds.domain
    ((-2.0, 3.0), (-1.5, 2.0))
    """
    return dataclasses.replace(data, domain=tuple((float(a), float(b)) for a, b in box))


#: Transforms usable by name in a data spec (``atomlab.lab.DataSpec(..., transforms=(("pca", {...}),))``):
#: ``f(dataset, **params) -> dataset``. A user's own joins with ``@transforms.register("name")``.
transforms: Registry[Callable[..., Dataset]] = Registry("transform")
for _fn in (imbalance, oversample_minority, random_labels, add_dummy_dimensions, pca, standardize, minmax_scale,
            with_domain):
    transforms.add(_fn.__name__, _fn)
