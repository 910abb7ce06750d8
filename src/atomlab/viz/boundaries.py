"""Decision regions of 2-D classifiers (binary or multi-class) with the data on top."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap

from atomlab.errors import ConfigError
from atomlab.viz._util import LegendPlace, place_legend
from atomlab.viz.style import class_colors

__all__ = ["plot_decision_boundary", "predicted_classes"]

Domain = tuple[tuple[float, float], tuple[float, float]]
PredictFn = Callable[[np.ndarray], np.ndarray]
Grid = tuple[np.ndarray, np.ndarray, np.ndarray]
_MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*")


def predicted_classes(out: np.ndarray, *, point_ndim: int = 1) -> np.ndarray:
    """Turn classifier output into class indices.

    Per point, integers are classes already, a float is P(class 1) (threshold 0.5), and a trailing
    axis of k > 1 holds per-class scores or probabilities (argmax).

    Parameters
    ----------
    out
        Output with ``point_ndim`` leading point axes (1 for ``(n,)`` points, 2 for a G x G grid),
        plus an optional trailing class axis.
    point_ndim
        Number of leading axes that index points.

    Examples
    --------
    >>> predicted_classes(np.array([0.2, 0.7])).tolist()
    [0, 1]
    >>> predicted_classes(np.array([[0.1, 0.5, 0.4]])).tolist()
    [1]
    >>> predicted_classes(np.array([[0.2, 0.9], [0.6, 0.1]]), point_ndim=2).tolist()
    [[0, 1], [1, 0]]
    """
    out = np.asarray(out)
    if out.ndim == point_ndim + 1:
        if out.shape[-1] > 1:
            return np.argmax(out, axis=-1)
        out = out[..., 0]
    if out.ndim != point_ndim:
        raise ConfigError(f"classifier output has shape {out.shape}; expected {point_ndim} point axes")
    if np.issubdtype(out.dtype, np.integer) or np.issubdtype(out.dtype, np.bool_):
        return out.astype(int)
    finite = np.isfinite(out).all()
    if finite and np.all(out == np.round(out)) and out.min(initial=0) >= 0 and out.max(initial=0) > 1:
        return out.astype(int)  # integer class labels stored as floats
    return (out > 0.5).astype(int)


def _domain_from(X: np.ndarray, margin: float = 0.1) -> Domain:
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def plot_decision_boundary(
    ax: Axes,
    predict_fn_or_grid: PredictFn | Grid,
    X: np.ndarray,
    y: np.ndarray,
    *,
    domain: Domain | None = None,
    resolution: int = 200,
    class_names: Sequence[str] | None = None,
    alpha: float = 0.28,
    point_size: float = 16.0,
    title: str | None = None,
    legend: LegendPlace = "auto",
) -> np.ndarray:
    """Shade the region each class wins, draw the boundaries, and scatter the points by class.

    Parameters
    ----------
    ax
        Axes to draw on.
    predict_fn_or_grid
        Either a function ``(n, 2) array -> output`` evaluated on a ``resolution``-square grid over
        ``domain``, or a precomputed ``(xx, yy, out)`` with ``out`` of shape G x G (labels or
        P(class 1)) or G x G x k (class scores). See :func:`predicted_classes`.
    X, y
        Points (n x 2) and their integer labels, drawn on top.
    domain
        ``((xmin, xmax), (ymin, ymax))``; default: the points' range plus 10%. Ignored for a grid.
    resolution
        Grid points per side when a function is given.
    class_names
        Legend names of the classes (default ``class 0``, ``class 1``, ...).
    alpha
        Opacity of the shaded regions.
    point_size
        Marker area of the points.
    title
        Axes title.
    legend
        Where the class legend goes (outside the data).

    Returns
    -------
    numpy.ndarray
        The G x G grid of predicted classes that was drawn.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 2)); y = (X[:, 0] > 0).astype(int)
    >>> fig, ax = plt.subplots()
    >>> Z = plot_decision_boundary(ax, lambda P: (P[:, 0] > 0).astype(int), X, y, resolution=50)
    >>> Z.shape, sorted(np.unique(Z).tolist())
    ((50, 50), [0, 1])
    >>> plt.close(fig)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int).ravel()
    if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y):
        raise ConfigError(f"X must be (n, 2) with one label per row; got X {X.shape}, y {y.shape}")
    if callable(predict_fn_or_grid):
        (x0, x1), (y0, y1) = domain if domain is not None else _domain_from(X)
        xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        out = np.asarray(predict_fn_or_grid(np.column_stack([xx.ravel(), yy.ravel()])))
        out = out.reshape(xx.shape + out.shape[1:])
    else:
        try:
            xx, yy, out = (np.asarray(a) for a in predict_fn_or_grid)
        except (TypeError, ValueError) as exc:
            raise ConfigError("predict_fn_or_grid must be a callable or an (xx, yy, output) tuple") from exc
        if xx.shape != yy.shape or out.shape[:2] != xx.shape:
            raise ConfigError(f"grid shapes differ: xx {xx.shape}, yy {yy.shape}, output {out.shape}")
    Z = predicted_classes(out, point_ndim=2)
    k = int(max(Z.max(initial=0), y.max(initial=0))) + 1
    k = max(k, 2)
    cols = class_colors(k)
    names = list(class_names) if class_names is not None else [f"class {i}" for i in range(k)]
    if len(names) < k:
        raise ConfigError(f"got {len(names)} class names for {k} classes")

    cmap = ListedColormap(cols)
    bounds = np.arange(-0.5, k, 1.0)
    ax.contourf(xx, yy, Z, levels=bounds, cmap=cmap, norm=BoundaryNorm(bounds, k), alpha=alpha, zorder=0)
    if len(np.unique(Z)) > 1:
        ax.contour(xx, yy, Z, levels=bounds[1:-1], colors="#222222", linewidths=1.1, zorder=1)
    for c in range(k):
        m = y == c
        if m.any():
            ax.scatter(
                X[m, 0], X[m, 1], s=point_size, c=cols[c], marker=_MARKERS[c % len(_MARKERS)],
                edgecolors="#222222", linewidths=0.5, label=names[c], zorder=3,
            )
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    if title:
        ax.set_title(title)
    place_legend(ax, where=legend)
    return Z
