"""The TensorFlow playground's "circle" data set, which 004's problem A (initialisation) links to.

A disc of one class inside a ring of the other, inputs in ``[-6, 6]^2``, made as the playground's
``classifyCircleData`` makes it.
"""

from __future__ import annotations

import numpy as np

from atomlab.data._validation import check_float, check_int, check_random_state, seed_record
from atomlab.data.dataset import Dataset, register_dataset

#: The playground's drawing box.
PLAYGROUND_BOX = ((-6.0, 6.0), (-6.0, 6.0))


@register_dataset("playground_circle")
def make_playground_circle(*, n_train: int = 250, n_test: int = 250, noise: float = 0.0, radius: float = 5.0,
                           random_state: int | np.random.Generator = 0) -> Dataset:
    """The TensorFlow playground's "circle" set: class 1 in a disc, class 0 in a ring around it.

    As in the playground's ``classifyCircleData``: half the points have radius ``U(0, r/2)``,
    half ``U(0.7 r, r)``, at a uniform angle; each coordinate gets ``U(-r, r) * noise`` added and the
    label is whether the noisy point lies within ``r/2`` of the centre. The playground draws 500
    points and trains on half of them.

    Parameters
    ----------
    n_train, n_test : int, default 250
        Sizes (each split evenly between disc and ring).
    noise : float, default 0.0
        The playground's noise level (0 to 0.5).
    radius : float, default 5.0
        Outer radius ``r``.
    random_state : int or numpy.random.Generator, default 0
        Seed.

    Returns
    -------
    Dataset
        Binary classification on ``[-6, 6]^2``; ``target_fn(X) = 0.6 r - |X|`` is positive inside
        the circle halfway between disc and ring.

    Examples
    --------
    >>> ds = make_playground_circle(n_train=100, random_state=0)
    >>> ds.X_train.shape, np.bincount(ds.y_train).tolist()
    ((100, 2), [50, 50])
    >>> bool(np.all((ds.target_fn(ds.X_train) > 0) == ds.y_train))
    True
    """
    n_train = check_int("n_train", n_train, minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    noise = check_float("noise", noise, minimum=0.0, maximum=0.5)
    radius = check_float("radius", radius, minimum=0.0, min_inclusive=False)
    train_rng, test_rng = check_random_state(random_state).spawn(2)

    def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        inside = np.arange(n) < n // 2
        r = np.where(inside, rng.uniform(0, 0.5 * radius, n), rng.uniform(0.7 * radius, radius, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
        X_noisy = X + rng.uniform(-radius, radius, (n, 2)) * noise
        # The playground labels by the noisy position but plots (and trains on) the clean one.
        y = (np.hypot(X_noisy[:, 0], X_noisy[:, 1]) < 0.5 * radius).astype(np.int64)
        order = rng.permutation(n)
        return X[order], y[order]

    X_train, y_train = sample(n_train, train_rng)
    X_test, y_test = sample(n_test, test_rng)

    def target_fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return 0.6 * radius - np.hypot(X[:, 0], X[:, 1])

    params = {"n_train": n_train, "n_test": n_test, "noise": noise, "radius": radius,
              "random_state": seed_record(random_state)}
    return Dataset(X_train, y_train, X_test, y_test, task="classification", n_classes=2,
                   name="playground_circle", params=params, target_fn=target_fn, domain=PLAYGROUND_BOX,
                   note=f"TensorFlow playground 'circle' (radius {radius:g}, noise {noise:g})")
