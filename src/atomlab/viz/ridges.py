"""Training statistics as TensorBoard shows them, for readers who never open TensorBoard.

:func:`plot_stat_small_multiples` draws the scalar summaries of each layer (min, max, mean, std of
its weights, gradients or activations) against the iteration; :func:`plot_histogram_ridges` draws a
sequence of histograms as overlapping ridges, the newest in front, like TensorBoard's offset view.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from atomlab.errors import ConfigError
from atomlab.viz._util import fmt_level, ordered_levels, pretty, require_columns
from atomlab.viz.style import OKABE_ITO

__all__ = ["plot_histogram_ridges", "plot_stat_small_multiples"]

# How each summary statistic is drawn: colour, line style, legend label.
_STAT_STYLE: dict[str, tuple[str, object, str]] = {
    "mean": (OKABE_ITO["blue"], "-", "mean"),
    "std": (OKABE_ITO["orange"], "--", "std"),
    "min": (OKABE_ITO["bluish_green"], ":", "min"),
    "max": (OKABE_ITO["vermillion"], ":", "max"),
}
_OTHER_STYLES = ("-.", (0, (1, 1)), (0, (5, 1)))


def _stat_style(stat: str, j: int) -> tuple[str, object, str]:
    """Colour, line style and label of a statistic; unknown ones get purple and a distinct dash."""
    return _STAT_STYLE.get(stat, (OKABE_ITO["reddish_purple"], _OTHER_STYLES[j % len(_OTHER_STYLES)], str(stat)))


def _wide_stats(df: pd.DataFrame, stats: Sequence[str], stat_col: str, value_col: str, keys: list[str]) -> pd.DataFrame:
    """Statistics as columns, averaged over trials/seeds at each (row, layer, x)."""
    if all(s in df.columns for s in stats):
        wide = df
    elif stat_col in df.columns and value_col in df.columns:
        extra = [c for c in ("trial", "seed") if c in df.columns]
        wide = df.pivot_table(index=keys + extra, columns=stat_col, values=value_col, aggfunc="mean")
        wide = wide.reset_index()
        missing = [s for s in stats if s not in wide.columns]
        if missing:
            raise ConfigError(f"statistic {missing[0]!r} not found in column {stat_col!r}; have "
                              f"{', '.join(map(str, df[stat_col].unique()))}")
    else:
        require_columns(df, stats, what="statistics table")
    return wide.groupby(keys, sort=False, observed=True)[list(stats)].mean().reset_index()


def plot_stat_small_multiples(
    df: pd.DataFrame,
    *,
    x: str = "step",
    layer: str = "layer",
    stats: Sequence[str] = ("min", "max", "mean", "std"),
    row: str | None = None,
    stat_col: str = "stat",
    value_col: str = "value",
    ncols: int = 4,
    panel_size: tuple[float, float] = (3.0, 2.2),
    sharey: bool | str = "row",
    xlabel: str | None = None,
    suptitle: str | None = None,
) -> Figure:
    """One small panel per layer: lines of min, max, mean and std against the iteration.

    The band between min and max is shaded, so the spread of a layer's values reads at a glance
    and a collapse (dead units, vanishing gradients) or an explosion stands out across layers.
    With several trials (seeds) per step, each statistic is averaged over them.

    Parameters
    ----------
    df
        Either wide (columns ``layer``, ``x`` and one per statistic) or long (columns ``layer``,
        ``x``, ``stat_col`` naming the statistic and ``value_col`` holding it).
    x
        Iteration column.
    layer
        Column naming the layer; one panel per layer, in the table's order.
    stats
        Statistics to draw.
    row
        Optional column (e.g. ``"tensor"``: weights / gradients / activations): one row of panels
        per value. Without it the layers wrap onto rows of ``ncols``.
    stat_col, value_col
        Column names of the long form.
    ncols
        Panels per row when ``row`` is None.
    panel_size
        Width and height of one panel in inches.
    sharey
        Passed to :func:`matplotlib.pyplot.subplots` (``"row"``: panels of one quantity compare).
    xlabel, suptitle
        Labels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([{"layer": f"dense_{k}", "step": s, "stat": st, "value": rng.normal()}
    ...                    for k in range(3) for s in range(0, 50, 10) for st in ("min", "max", "mean", "std")])
    >>> fig = plot_stat_small_multiples(df)
    >>> [ax.get_title() for ax in fig.axes]
    ['dense_0', 'dense_1', 'dense_2']
    >>> plt.close(fig)
    """
    require_columns(df, [x, layer, row], what="statistics table")
    if not stats:
        raise ConfigError("stats must name at least one statistic (min, max, mean, std, ...)")
    keys = [k for k in (row, layer, x) if k is not None]
    wide = _wide_stats(df, stats, stat_col, value_col, keys)
    # Layers keep the table's order (dense_2 before dense_10), unless the column is categorical.
    is_cat = isinstance(df[layer].dtype, pd.CategoricalDtype)
    layers = ordered_levels(df[layer]) if is_cat else list(pd.unique(df[layer].dropna()))
    rows = ordered_levels(df[row]) if row else [None]

    if row:
        nr, nc = len(rows), len(layers)
        slots = [(r, lay) for r in rows for lay in layers]
    else:
        nc = max(1, min(ncols, len(layers)))
        nr = -(-len(layers) // nc)
        slots = [(None, lay) for lay in layers]
    fig, axes = plt.subplots(
        nr, nc, figsize=(panel_size[0] * nc, panel_size[1] * nr + 0.6), sharex=True, sharey=sharey,
        layout="constrained", squeeze=False,
    )
    flat = axes.ravel()
    for ax in flat[len(slots):]:
        ax.remove()
    for idx, (r, lay) in enumerate(slots):
        ax = flat[idx]
        sel = wide[layer] == lay
        if row:
            sel &= wide[row] == r
        g = wide.loc[sel].sort_values(x)
        if "min" in stats and "max" in stats and not g.empty:
            ax.fill_between(g[x], g["min"], g["max"], color="#BBBBBB", alpha=0.25, linewidth=0)
        for j, st in enumerate(stats):
            color, ls, label = _stat_style(st, j)
            ax.plot(g[x], g[st], color=color, linestyle=ls, linewidth=1.6, label=label)
        title = fmt_level(lay)
        ax.set_title(title, fontsize=10)
        if row and idx % nc == 0:
            ax.set_ylabel(fmt_level(r), fontweight="bold")
        if idx >= len(slots) - nc:
            ax.set_xlabel(xlabel if xlabel is not None else pretty(x))
            ax.xaxis.set_tick_params(labelbottom=True)
    handles = []
    for j, st in enumerate(stats):
        color, ls, label = _stat_style(st, j)
        handles.append(Line2D([], [], color=color, linestyle=ls, linewidth=1.6, label=label))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_histogram_ridges(
    ax: Axes,
    steps: Sequence[float] | np.ndarray,
    bin_edges: np.ndarray,
    counts: np.ndarray,
    *,
    height: float = 2.5,
    normalize: str = "global",
    max_ridges: int = 25,
    cmap: str = "cividis",
    xlabel: str = "Value",
    ylabel: str = "Step",
    title: str | None = None,
) -> None:
    """Draw histograms over training time as a ridge plot: oldest at the back (top), newest in front.

    Parameters
    ----------
    ax
        Axes to draw on.
    steps
        T iteration numbers, one per histogram (any order; drawn sorted).
    bin_edges
        Bin edges, shared (B + 1,) or per histogram (T, B + 1).
    counts
        (T, B) counts (or densities).
    height
        Peak height of the tallest ridge, in units of the spacing between ridges; above 1 they overlap.
    normalize
        ``"global"`` scales all ridges by the largest count, so a distribution that narrows grows
        taller; ``"row"`` scales each ridge by its own peak, to compare shapes only.
    max_ridges
        Most ridges drawn; longer runs are thinned evenly, always keeping the first and last.
    cmap
        Sequential colour map for time (cividis: colour-blind safe, dark = early).
    xlabel, ylabel, title
        Labels.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> rng = np.random.default_rng(0)
    >>> edges = np.linspace(-3, 3, 31)
    >>> counts = np.stack([np.histogram(rng.normal(0, 1 / (1 + t), 500), edges)[0] for t in range(10)])
    >>> fig, ax = plt.subplots()
    >>> plot_histogram_ridges(ax, np.arange(10) * 100, edges, counts)
    >>> len(ax.get_yticks()) <= 10
    True
    >>> plt.close(fig)
    """
    steps = np.asarray(steps, dtype=float)
    counts = np.asarray(counts, dtype=float)
    edges = np.asarray(bin_edges, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != steps.size:
        raise ConfigError(f"counts must be (T, B) with T = len(steps) = {steps.size}; got {counts.shape}")
    if edges.ndim == 1:
        edges = np.broadcast_to(edges, (steps.size, edges.size))
    if edges.shape != (steps.size, counts.shape[1] + 1):
        raise ConfigError(f"bin_edges must be (B + 1,) or (T, B + 1) for counts {counts.shape}; got {edges.shape}")
    if normalize not in ("global", "row"):
        raise ConfigError(f"unknown normalize {normalize!r}; known: global, row")

    order = np.argsort(steps, kind="stable")
    if order.size > max_ridges:
        order = order[np.unique(np.round(np.linspace(0, order.size - 1, max_ridges)).astype(int))]
    steps, counts, edges = steps[order], counts[order], edges[order]
    counts = np.where(np.isfinite(counts), counts, 0.0)
    if normalize == "global":
        scale = np.full(len(steps), max(counts.max(initial=0.0), 1e-12))
    else:
        scale = np.maximum(counts.max(axis=1), 1e-12)
    colours = mpl.colormaps[cmap](np.linspace(0.05, 0.85, len(steps)))
    n = len(steps)
    for i in range(n):  # oldest first, at the top; later ridges are drawn over them
        base = float(n - 1 - i)
        h = counts[i] / scale[i] * height
        # A ridge through the bin centres, closed at the outer edges, reads better than stairs.
        xs = np.concatenate([edges[i][:1], 0.5 * (edges[i][1:] + edges[i][:-1]), edges[i][-1:]])
        ys = base + np.concatenate([[0.0], h, [0.0]])
        ax.fill_between(xs, base, ys, color=colours[i], alpha=0.92, linewidth=0, zorder=2 * i)
        ax.plot(xs, ys, color="white", linewidth=0.9, zorder=2 * i + 1)
    tick_idx = np.unique(np.round(np.linspace(0, n - 1, min(n, 8))).astype(int))
    ax.set_yticks([float(n - 1 - i) for i in tick_idx], labels=[fmt_level(steps[i]) for i in tick_idx])
    ax.set_ylim(-0.3, n - 1 + height + 0.2)
    ax.set_xlim(edges.min(), edges.max())
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
