"""Prediction surfaces of 2-D binary classifiers, alone or in a grid, against the true boundary.

A surface is the model's P(class 1) on a G x G grid (``xx``, ``yy``, ``prob``). Every surface shows
the learned boundary (P = 0.5, solid) and, when the data set has one, the true boundary (f = 0,
dashed), so the reader sees the error directly instead of reading it off an accuracy number.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.contour import QuadContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from atomlab.errors import ConfigError
from atomlab.viz.style import SURFACE_CMAP, class_colors

__all__ = ["disagreement_area", "evaluate_on_grid", "plot_surface", "surface_grid", "surface_legend_handles"]

TrueFn = Callable[[np.ndarray], np.ndarray]
_HALO = [pe.Stroke(linewidth=3.2, foreground="white"), pe.Normal()]
_CELL_KEYS = {"xx", "yy", "prob", "true_fn", "X", "y", "title"}


def _grid(xx: np.ndarray, yy: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xx, yy, prob = (np.asarray(a, dtype=float) for a in (xx, yy, prob))
    if xx.ndim != 2 or xx.shape != yy.shape or xx.shape != prob.shape:
        raise ConfigError(
            f"xx, yy and prob must be G x G arrays of one shape; got {xx.shape}, {yy.shape}, {prob.shape}"
        )
    return xx, yy, prob


def evaluate_on_grid(fn: TrueFn, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """Evaluate a decision function ``f((n, 2) array) -> (n,) scores`` on a grid; returns G x G.

    Examples
    --------
    >>> xx, yy = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 3))
    >>> evaluate_on_grid(lambda X: X[:, 1] - X[:, 0], xx, yy)[0]
    array([ 0., -1., -2.])
    """
    pts = np.column_stack([np.ravel(xx), np.ravel(yy)])
    score = np.asarray(fn(pts), dtype=float)
    if score.size != pts.shape[0]:
        raise ConfigError(f"true_fn must return one score per point; got shape {score.shape} for {pts.shape}")
    return score.reshape(np.shape(xx))


def _crosses(z: np.ndarray, level: float) -> bool:
    finite = z[np.isfinite(z)]
    return finite.size > 0 and finite.min() < level < finite.max()


def surface_legend_handles() -> list[Line2D]:
    """Legend entries for the two boundary lines drawn by :func:`plot_surface`."""
    return [
        Line2D([], [], color="black", linewidth=1.6, label="learned boundary (P = 0.5)"),
        Line2D([], [], color="black", linewidth=1.4, linestyle=(0, (4, 3)), label="true boundary (f = 0)"),
    ]


def plot_surface(
    ax: Axes,
    xx: np.ndarray,
    yy: np.ndarray,
    prob: np.ndarray,
    *,
    true_fn: TrueFn | None = None,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    title: str | None = None,
    levels: int = 11,
    point_size: float = 9.0,
    ticks: bool = True,
) -> QuadContourSet:
    """Draw one prediction surface: the probability map, the learned and the true boundary.

    Parameters
    ----------
    ax
        Axes to draw on; its aspect is set to equal.
    xx, yy
        G x G grid coordinates (``np.meshgrid``).
    prob
        G x G predicted probability of class 1; values are clipped to [0, 1]. NaN (a diverged
        model) leaves the cell blank.
    true_fn
        The true decision function, ``f((n, 2) array) -> (n,) scores``; its zero level set is
        drawn dashed. None when the data set has no known boundary.
    X, y
        Optional training points (n x 2) and their labels (0/1), drawn on top.
    title
        Axes title.
    levels
        Number of colour levels between 0 and 1.
    point_size
        Marker area of training points.
    ticks
        Show tick labels (turn off in grids).

    Returns
    -------
    matplotlib.contour.QuadContourSet
        The filled map, for a colorbar.

    Examples
    --------
    >>> xx, yy = np.meshgrid(np.linspace(-1, 1, 50), np.linspace(-1, 1, 50))
    >>> prob = 1 / (1 + np.exp(-8 * (yy - xx)))
    >>> fig, ax = plt.subplots()
    >>> cs = plot_surface(ax, xx, yy, prob, true_fn=lambda X: X[:, 1] - X[:, 0])
    >>> float(cs.get_clim()[1])
    1.0
    >>> plt.close(fig)
    """
    xx, yy, prob = _grid(xx, yy, prob)
    p = np.clip(prob, 0.0, 1.0)
    filled = ax.contourf(
        xx, yy, p, levels=np.linspace(0.0, 1.0, levels), cmap=SURFACE_CMAP, vmin=0.0, vmax=1.0, zorder=0
    )
    if not np.isfinite(p).any():
        ax.text(0.5, 0.5, "no finite predictions\n(diverged)", transform=ax.transAxes, ha="center",
                va="center", fontsize=9, color="#555555")
    elif _crosses(p, 0.5):
        learned = ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.6, zorder=3)
        learned.set(path_effects=_HALO)
    if true_fn is not None:
        score = evaluate_on_grid(true_fn, xx, yy)
        if _crosses(score, 0.0):
            truth = ax.contour(
                xx, yy, score, levels=[0.0], colors="black", linewidths=1.4, linestyles=[(0, (4, 3))], zorder=4
            )
            truth.set(path_effects=_HALO)
    if X is not None:
        X = np.asarray(X, dtype=float)
        labels = np.zeros(len(X), dtype=int) if y is None else np.asarray(y).astype(int).ravel()
        cols = class_colors(max(2, int(labels.max(initial=0)) + 1))
        for k in np.unique(labels):
            m = labels == k
            ax.scatter(
                X[m, 0], X[m, 1], s=point_size, c=cols[k], marker="o" if k == 0 else "^",
                edgecolors="black", linewidths=0.3, zorder=5,
            )
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_aspect("equal")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if not ticks:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        ax.set_title(title)
    return filled


def surface_grid(
    rows: int | Sequence[Hashable],
    cols: int | Sequence[Hashable],
    cells: Mapping[tuple[Any, Any], Mapping[str, Any]],
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    suptitle: str | None = None,
    cell_size: float = 2.1,
    colorbar: bool = True,
) -> Figure:
    """Build a grid of prediction surfaces: rows are decision functions, columns are settings.

    Parameters
    ----------
    rows, cols
        The row and column keys (e.g. function names and activations), or their counts.
    cells
        ``(row_key, col_key) -> dict`` of :func:`plot_surface` arguments: ``xx``, ``yy``, ``prob``
        and optionally ``true_fn``, ``X``, ``y`` and ``title`` (a short note shown under the cell,
        e.g. the accuracy). A missing cell is drawn as "not run".
    row_labels, col_labels
        Labels of the rows (left) and columns (top); default: the keys.
    suptitle
        Figure title.
    cell_size
        Edge length of one cell in inches.
    colorbar
        Add one shared P(class 1) colour bar.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (constrained layout; save it with :func:`~atomlab.viz.style.save_figure`).

    Examples
    --------
    >>> xx, yy = np.meshgrid(np.linspace(-2, 2, 30), np.linspace(-2, 2, 30))
    >>> line = lambda X: X[:, 1] - X[:, 0]
    >>> cells = {("line", w): {"xx": xx, "yy": yy, "prob": 1 / (1 + np.exp(-w * (yy - xx))),
    ...                        "true_fn": line, "title": f"w={w}"} for w in (1, 5)}
    >>> fig = surface_grid(["line"], [1, 5], cells, col_labels=["soft", "sharp"])
    >>> len(fig.axes)  # two surfaces and the colour bar
    3
    >>> plt.close(fig)
    """
    row_keys = list(range(rows)) if isinstance(rows, int) else list(rows)
    col_keys = list(range(cols)) if isinstance(cols, int) else list(cols)
    if not row_keys or not col_keys:
        raise ConfigError("surface_grid needs at least one row and one column")
    row_labels = [str(k) for k in row_keys] if row_labels is None else list(row_labels)
    col_labels = [str(k) for k in col_keys] if col_labels is None else list(col_labels)
    if len(row_labels) != len(row_keys) or len(col_labels) != len(col_keys):
        raise ConfigError(
            f"got {len(row_labels)} row labels for {len(row_keys)} rows and "
            f"{len(col_labels)} column labels for {len(col_keys)} columns"
        )
    for key, cell in cells.items():
        unknown = set(cell) - _CELL_KEYS
        if unknown:
            raise ConfigError(
                f"cell {key!r} has unknown key(s) {sorted(unknown)}; known: {', '.join(sorted(_CELL_KEYS))}"
            )

    nr, nc = len(row_keys), len(col_keys)
    fig, axes = plt.subplots(
        nr, nc, figsize=(cell_size * nc + (1.0 if colorbar else 0.3), cell_size * nr + 0.9),
        layout="constrained", squeeze=False,
    )
    mappable = None
    for i, r in enumerate(row_keys):
        for j, c in enumerate(col_keys):
            ax = axes[i, j]
            cell = cells.get((r, c))
            if cell is None:
                ax.text(0.5, 0.5, "not run", transform=ax.transAxes, ha="center", va="center", color="#777777")
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_aspect("equal")
                ax.grid(False)
            else:
                kw = {k: v for k, v in cell.items() if k != "title"}
                mappable = plot_surface(ax, ticks=False, point_size=7.0, **kw)
                if cell.get("title"):
                    ax.set_xlabel(str(cell["title"]), fontsize=9)
            if i == 0:
                ax.set_title(col_labels[j], fontweight="bold", fontsize=11)
            if j == 0:
                ax.set_ylabel(row_labels[i], fontweight="bold", fontsize=11)
    if colorbar and mappable is not None:
        cb = fig.colorbar(mappable, ax=axes, shrink=min(0.8, 2.5 / nr), aspect=25, pad=0.02)
        cb.set_label("P(class 1)")
        cb.set_ticks([0, 0.25, 0.5, 0.75, 1])
    has_truth = any(cell.get("true_fn") is not None for cell in cells.values())
    handles = surface_legend_handles()[: 2 if has_truth else 1]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def disagreement_area(
    prob: np.ndarray,
    true_score: np.ndarray | TrueFn,
    xx: np.ndarray,
    yy: np.ndarray,
    *,
    area: bool = False,
) -> float:
    """Share of the box where the learned class (P > 0.5) differs from the true class (f > 0).

    On a regular grid the share of grid points is the share of the box's area, up to the grid's
    resolution along the boundaries.

    Parameters
    ----------
    prob
        G x G predicted probability of class 1.
    true_score
        G x G true scores, or the true decision function itself (evaluated on the grid).
    xx, yy
        The grid.
    area
        Return the area (in the units of x times y) instead of the fraction.

    Returns
    -------
    float
        Fraction in [0, 1] (or area); NaN when the prediction has non-finite values.

    Examples
    --------
    >>> xx, yy = np.meshgrid(np.linspace(-1, 1, 101), np.linspace(-1, 1, 101))
    >>> truth = yy - xx
    >>> disagreement_area((truth > 0).astype(float), truth, xx, yy)
    0.0
    >>> round(disagreement_area((xx > 0).astype(float), yy, xx, yy), 2)  # quarter-turned half-plane
    0.5
    """
    xx, yy, prob = _grid(xx, yy, prob)
    score = evaluate_on_grid(true_score, xx, yy) if callable(true_score) else np.asarray(true_score, float)
    if score.shape != prob.shape:
        raise ConfigError(f"true_score has shape {score.shape}, prob has {prob.shape}")
    if not np.isfinite(prob).all():
        return float("nan")
    frac = float(np.mean((prob > 0.5) != (score > 0)))
    if area:
        return frac * float((xx.max() - xx.min()) * (yy.max() - yy.min()))
    return frac
