"""Network diagrams (a circle per unit, a line per weight) and the shapes of activation functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from atomlab.errors import ConfigError
from atomlab.viz.style import OKABE_ITO

__all__ = ["draw_neural_net", "plot_activation_shapes"]

_INPUT, _HIDDEN, _OUTPUT = OKABE_ITO["sky_blue"], "#FFFFFF", OKABE_ITO["orange"]


def _shown_units(n: int, max_units: int) -> tuple[list[int | None], bool]:
    """Unit indices to draw for a layer of n units; None marks the ellipsis slot."""
    if n <= max_units:
        return list(range(n)), False
    keep = max_units - 1
    top = (keep + 1) // 2
    bottom = keep - top
    return [*range(top), None, *range(n - bottom, n)], True


def draw_neural_net(
    ax: Axes,
    left: float,
    right: float,
    bottom: float,
    top: float,
    layer_sizes: Sequence[int],
    *,
    max_units: int = 9,
    show_sizes: bool = True,
    layer_labels: Sequence[str] | None = None,
) -> None:
    """Draw a fully connected network: one circle per unit, one line per weight.

    The classic diagram of the atomic-experiments notebook, made readable for wide layers: a layer
    with more than ``max_units`` units shows its first and last units with a vertical ellipsis
    between them, and (with ``show_sizes``) its true size underneath, so a 100-unit layer takes the
    same room as a 9-unit one. Circles stay round whatever the axes' aspect ratio.

    Parameters
    ----------
    ax
        Axes to draw on. Its limits become the unit square (widened to hold the box) and its frame
        is turned off.
    left, right, bottom, top
        The box the diagram fills, in data coordinates of the unit square (``.15, .9, .1, .85`` in
        the notebook).
    layer_sizes
        Units per layer, input first: ``[1, 16, 1]``.
    max_units
        Most circles drawn in one layer, counting the ellipsis slot (at least 3).
    show_sizes
        Write each layer's number of units below it.
    layer_labels
        Optional names written above the layers (``["x", "hidden", "y"]``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> draw_neural_net(ax, .15, .9, .1, .85, [1, 100, 1])
    >>> len(ax.collections[0].get_segments())  # 8 of the 100 hidden units are drawn, 2 weights each
    16
    >>> plt.close(fig)
    """
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ConfigError(f"layer_sizes needs at least two layers of >= 1 unit, got {list(layer_sizes)}")
    if max_units < 3:
        raise ConfigError(f"max_units must be >= 3, got {max_units}")
    if layer_labels is not None and len(layer_labels) != len(sizes):
        raise ConfigError(f"got {len(layer_labels)} layer labels for {len(sizes)} layers")
    if not (left < right and bottom < top):
        raise ConfigError(f"need left < right and bottom < top, got {left}, {right}, {bottom}, {top}")

    ax.set_xlim(min(0.0, left - 0.05), max(1.0, right + 0.05))
    ax.set_ylim(min(0.0, bottom - 0.08), max(1.0, top + 0.05))
    ax.set_axis_off()

    layers = [_shown_units(n, max_units) for n in sizes]
    max_slots = max(len(units) for units, _ in layers)
    v_spacing = (top - bottom) / max(max_slots - 1, 1)
    h_spacing = (right - left) / (len(sizes) - 1)
    mid = (top + bottom) / 2

    # Circle size in points from the spacing a full (max_units) layer would have, so that diagrams
    # of different widths drawn side by side share one circle size.
    bbox = ax.get_window_extent()
    to_pt = 72.0 / ax.figure.dpi
    xr, yr = np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim())
    v_pt = (top - bottom) / (max_units - 1) / yr * bbox.height * to_pt
    h_pt = h_spacing / xr * bbox.width * to_pt
    diameter = float(np.clip(0.6 * min(v_pt, 0.5 * h_pt), 3.0, 22.0))

    positions: list[list[tuple[float, float] | None]] = []
    for i, (units, _) in enumerate(layers):
        x = left + i * h_spacing
        y_top = mid + v_spacing * (len(units) - 1) / 2
        positions.append([None if u is None else (x, y_top - k * v_spacing) for k, u in enumerate(units)])

    segments = [
        [a, b]
        for la, lb in zip(positions[:-1], positions[1:])
        for a in la
        if a is not None
        for b in lb
        if b is not None
    ]
    lw = 0.9 if len(segments) <= 60 else 0.5
    ax.add_collection(LineCollection(segments, colors="#8C8C8C", linewidths=lw, alpha=0.7, zorder=1))

    for i, ((units, clipped), pos) in enumerate(zip(layers, positions)):
        face = _INPUT if i == 0 else _OUTPUT if i == len(sizes) - 1 else _HIDDEN
        pts = np.array([p for p in pos if p is not None])
        ax.scatter(pts[:, 0], pts[:, 1], s=diameter**2, c=face, edgecolors="#333333",
                   linewidths=1.0, zorder=3, clip_on=False)
        x = left + i * h_spacing
        if clipped:
            slot = units.index(None)
            y = mid + v_spacing * (len(units) - 1) / 2 - slot * v_spacing
            ax.text(x, y, "\u22ee", ha="center", va="center", fontsize=max(10.0, 1.3 * diameter), fontweight="bold",
                    color="#333333", zorder=3)
        low = mid - v_spacing * (len(units) - 1) / 2
        if show_sizes:
            ax.annotate(str(sizes[i]), (x, low), xytext=(0, -diameter / 2 - 3), textcoords="offset points",
                        ha="center", va="top", fontsize=9, color="#333333")
        if layer_labels is not None:
            high = mid + v_spacing * (len(units) - 1) / 2
            ax.annotate(layer_labels[i], (x, high), xytext=(0, diameter / 2 + 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=9)


def plot_activation_shapes(
    axes_or_fig: Figure | Axes | Sequence[Axes] | np.ndarray,
    funcs: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    *,
    x: np.ndarray | None = None,
    ncols: int = 6,
) -> list[Axes]:
    """Plot each activation function on its own small axes, with the x and y axes marked.

    Parameters
    ----------
    axes_or_fig
        A figure (axes are created on it, ``ncols`` to a row) or the axes to use, at least one per
        function.
    funcs
        Name -> function acting element-wise on a NumPy array (``{"relu": lambda z: np.maximum(z, 0)}``).
    x
        Inputs to evaluate (default 401 points on [-4, 4]).
    ncols
        Panels per row when a figure is given.

    Returns
    -------
    list of Axes
        The axes used, one per function, in order.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(figsize=(6, 2))
    >>> axes = plot_activation_shapes(fig, {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh})
    >>> [ax.get_title() for ax in axes]
    ['relu', 'tanh']
    >>> plt.close(fig)
    """
    if not funcs:
        raise ConfigError("plot_activation_shapes needs at least one function")
    n = len(funcs)
    if isinstance(axes_or_fig, Figure):
        nc = max(1, min(ncols, n))
        nr = -(-n // nc)
        grid = np.atleast_1d(axes_or_fig.subplots(nr, nc, squeeze=False)).ravel()
        for extra in grid[n:]:
            extra.remove()
        axes = list(grid[:n])
    else:
        axes = [axes_or_fig] if isinstance(axes_or_fig, Axes) else list(np.ravel(axes_or_fig))
        if len(axes) < n:
            raise ConfigError(f"got {len(axes)} axes for {n} functions")
    z = np.linspace(-4.0, 4.0, 401) if x is None else np.asarray(x, dtype=float)
    for ax, (name, fn) in zip(axes, funcs.items()):
        try:
            out = np.asarray(fn(z), dtype=float)
        except Exception as exc:  # a user's callable; say which one broke
            raise ConfigError(f"activation {name!r} failed on a NumPy array: {exc}") from exc
        if out.shape != z.shape:
            raise ConfigError(f"activation {name!r} returned shape {out.shape} for input shape {z.shape}")
        ax.axhline(0, color="#999999", linewidth=0.8, zorder=1)
        ax.axvline(0, color="#999999", linewidth=0.8, zorder=1)
        ax.plot(z, np.where(np.isfinite(out), out, np.nan), color=OKABE_ITO["blue"], linewidth=2, zorder=2)
        ax.set_title(name)
        ax.set_xlabel("x")
    axes[0].set_ylabel("f(x)")
    return axes
