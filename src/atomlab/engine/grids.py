"""The mesh a 1-D or 2-D model is drawn on: where the ``grid`` artefact's predictions are made.

NumPy only, so that figures can place a recorded grid without loading the engine.
"""

from __future__ import annotations

import numpy as np

from atomlab.data.dataset import Dataset


def grid_points(data: Dataset, G: int) -> np.ndarray | None:
    """The inputs a model is drawn on: ``(G * G, 2)`` mesh points for 2-D data (row-major, as
    :func:`grid_axes`), ``(G, 1)`` points for 1-D data, None otherwise.

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> grid_points(data, 3).shape  # a 3 x 3 mesh, row-major
    (9, 2)
    >>> bool((grid_points(data, 3) == np.stack([a.ravel() for a in grid_axes(data, 3)], axis=1)).all())
    True
    """
    if data.input_dim == 1:
        return grid_axes(data, G)[0][:, None]
    if data.input_dim != 2:
        return None
    xx, yy = grid_axes(data, G)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def grid_axes(data: Dataset, G: int) -> tuple[np.ndarray, ...]:
    """The ``xx, yy`` mesh (each ``G x G``) on which :class:`PopulationTrainer` predicts.

    For 1-D inputs, a 1-tuple holding the ``G`` evenly spaced points of the domain.

    Examples
    --------
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> xx, yy = grid_axes(data, 4)
    >>> xx.shape, bool(xx[0, 0] < data.X_train[:, 0].min())  # the box is padded by 10% on each side
    ((4, 4), True)
    """
    if data.input_dim == 1:
        lo, hi = data.domain[0] if data.domain is not None else (float(data.X_train.min()),
                                                                  float(data.X_train.max()))
        return (np.linspace(lo, hi, G),)
    if data.domain is not None:
        (x0, x1), (y0, y1) = data.domain
    else:
        lo = np.minimum(data.X_train.min(0), data.X_test.min(0))
        hi = np.maximum(data.X_train.max(0), data.X_test.max(0))
        pad = 0.1 * (hi - lo)
        (x0, y0), (x1, y1) = lo - pad, hi + pad
    return np.meshgrid(np.linspace(x0, x1, G), np.linspace(y0, y1, G))
