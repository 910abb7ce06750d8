"""Metrics against a factor's levels, and training curves, each a mean over seeds with a band.

Both functions read the tidy result table (one row per trial and recorded step) and return the
summary they drew, so a caller can put the same numbers in a table. Trials that diverged are left
out of the mean of their arm and counted in its legend entry; they never change another arm's line.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from atomlab.errors import ConfigError
from atomlab.metrics import metric_bounds
from atomlab.viz._util import (
    LegendPlace,
    drop_diverged,
    fmt_level,
    is_numeric_levels,
    last_rows,
    ordered_levels,
    place_legend,
    pretty,
    require_columns,
    set_level_ticks,
)
from atomlab.viz.style import level_colors

__all__ = ["mean_band", "plot_curves", "plot_metric_by_level"]

Band = Literal["ci", "sd"]
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_BANDS = ("ci", "sd")


def mean_band(
    values: np.ndarray, *, ci: float | None = 0.95, band: Band = "ci", bounds: tuple[float, float] | None = None
) -> tuple[float, float, float]:
    """Mean of ``values`` and the band around it.

    Parameters
    ----------
    values
        One number per seed; NaNs are ignored.
    ci
        Confidence level of the interval for ``band="ci"``; None for no band.
    band
        ``"ci"``: the confidence interval of the mean from :func:`atomlab.stats.mean_interval` (the
        same calibrated method that decides verdicts); ``"sd"``: mean +- one standard deviation
        (``ci`` ignored).
    bounds
        The range of the metric (``(0, 1)`` for an accuracy): the band never leaves it.

    Returns
    -------
    (mean, low, high)
        ``low`` and ``high`` are NaN when there is no band (no ``ci`` or fewer than 2 values).

    Examples
    --------
    >>> m, lo, hi = mean_band(np.array([0.90, 0.97, 0.99]), bounds=(0, 1))
    >>> round(m, 3), lo < m < hi <= 1
    (0.953, True)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan, np.nan
    m = float(v.mean())
    if v.size < 2 or (ci is None and band != "sd"):
        return m, np.nan, np.nan
    if band == "sd":
        s = float(v.std(ddof=1))
        lo, hi = m - s, m + s
        return (m, lo, hi) if bounds is None else (m, max(lo, bounds[0]), min(hi, bounds[1]))
    import atomlab.stats as stats  # deferred: scipy.stats costs a second at import

    _, lo, hi = stats.mean_interval(v, level=ci, bounds=bounds)
    return m, float(lo), float(hi)


def _check_band(ci: float | None, band: str) -> None:
    if band not in _BANDS:
        raise ConfigError(f"unknown band {band!r}; known: {', '.join(_BANDS)}")
    if ci is not None and not 0 < ci < 1:
        raise ConfigError(f"ci must be between 0 and 1 (e.g. 0.95) or None, got {ci!r}")


def _summarise(
    df: pd.DataFrame, keys: list[str], y: str, ci: float | None, band: Band,
    bounds: tuple[float, float] | None = None,
) -> pd.DataFrame:
    rows = []
    for key, g in df.groupby(keys, sort=False, observed=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        m, lo, hi = mean_band(g[y].to_numpy(), ci=ci, band=band, bounds=bounds if bounds is not None
                              else metric_bounds(y))
        rows.append({**dict(zip(keys, key)), "mean": m, "low": lo, "high": hi, "n": int(g[y].notna().sum())})
    return pd.DataFrame(rows, columns=[*keys, "mean", "low", "high", "n"])


def _hue_label(level: Hashable, n_bad: int, n_total: int) -> str:
    label = fmt_level(level)
    if n_bad:
        label += f" ({n_bad}/{n_total} diverged)"
    return label


def _band_note(ci: float | None, band: Band) -> str:
    if band == "sd":
        return "band: ±1 SD over seeds"
    if ci is None:
        return ""
    return f"band: {ci:.0%} confidence interval of the mean over seeds"


def plot_metric_by_level(
    ax: Axes,
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    logx: bool = False,
    ci: float | None = 0.95,
    band: Band = "ci",
    bounds: tuple[float, float] | None = None,
    step: int | Literal["last"] = "last",
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    colors: Mapping[Hashable, str] | None = None,
    legend: LegendPlace = "auto",
) -> pd.DataFrame:
    """Plot a metric's mean over seeds at each level of a factor, with a confidence band.

    Each trial contributes one value: its metric at its last recorded step (or at ``step``).
    Numeric levels give a line with markers at the levels and a shaded band; named levels (for
    example activations) give dodged points with interval bars, since a line would imply an order.

    Parameters
    ----------
    ax
        Axes to draw on.
    df
        Tidy result table (see :mod:`atomlab.viz`).
    x
        Factor column on the x axis (``"hidden_units"``, ``"depth"``, ``"activation"``).
    y
        Metric column (``"test_acc"``, ``"train_mse"``, ...).
    hue
        Optional second factor: one line per level.
    logx
        Log-scale x axis (levels must be positive).
    ci, band, bounds
        Interval level, kind and the metric's range, as in :func:`mean_band` (default: the range
        :func:`atomlab.metrics.metric_bounds` knows for ``y``); ``ci=None`` draws no band.
    step
        ``"last"`` (each trial's final row) or a recorded step.
    xlabel, ylabel, title
        Labels with units; defaults are derived from the column names.
    colors
        Level -> colour; default :func:`~atomlab.viz.style.level_colors` of the hue levels.
    legend
        ``"auto"``, ``"right"``, ``"below"`` or ``"none"``; always outside the data.

    Returns
    -------
    pandas.DataFrame
        One row per (hue level, x level): ``mean``, ``low``, ``high``, ``n`` (seeds used).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"trial": list("abcdef"), "seed": [0, 1, 2] * 2, "step": 100,
    ...                    "hidden_units": [2, 2, 2, 16, 16, 16],
    ...                    "test_mse": [0.30, 0.28, 0.33, 0.02, 0.03, 0.02]})
    >>> fig, ax = plt.subplots()
    >>> summary = plot_metric_by_level(ax, df, x="hidden_units", y="test_mse", logx=True)
    >>> summary[["hidden_units", "n"]].values.tolist()
    [[2, 3], [16, 3]]
    >>> plt.close(fig)
    """
    require_columns(df, [x, y, hue])
    _check_band(ci, band)
    data, bad = drop_diverged(df)
    data = last_rows(data, step).dropna(subset=[y])
    all_trials = last_rows(df, step)
    if data.empty:
        raise ConfigError(f"no finite values of {y!r} to plot (all trials diverged or missing)")

    x_levels = ordered_levels(df[x])
    numeric = is_numeric_levels(x_levels)
    if logx and (not numeric or min(x_levels) <= 0):
        raise ConfigError(f"logx needs positive numeric levels of {x!r}, got {x_levels}")
    hue_levels = ordered_levels(df[hue]) if hue else [None]
    colors = dict(colors) if colors is not None else level_colors(hue_levels if hue else ["_"])

    keys = [hue, x] if hue else [x]
    summary = _summarise(data, keys, y, ci, band, bounds)
    pos = {lvl: (float(lvl) if numeric else i) for i, lvl in enumerate(x_levels)}
    n_h = len(hue_levels)
    dodge_width = 0.0 if numeric or n_h == 1 else min(0.5, 0.12 * (n_h - 1))

    for j, h in enumerate(hue_levels):
        s = summary if hue is None else summary.loc[summary[hue] == h]
        s = s.set_index(x).reindex([lv for lv in x_levels if lv in set(s[x])])
        xs = np.array([pos[lv] for lv in s.index], dtype=float)
        if dodge_width:
            xs = xs + (j / (n_h - 1) - 0.5) * dodge_width
        color = colors.get(h if hue else "_", "#000000")
        marker = _MARKERS[j % len(_MARKERS)]
        label = None
        if hue:
            trials = set(all_trials.loc[all_trials[hue] == h, "trial"]) if "trial" in df.columns else set()
            label = _hue_label(h, len(bad & trials), len(trials))
        if numeric:
            ax.plot(xs, s["mean"], marker=marker, color=color, label=label)
            if s["low"].notna().any():
                ax.fill_between(xs, s["low"], s["high"], color=color, alpha=0.18, linewidth=0)
        else:
            err = np.vstack([s["mean"] - s["low"], s["high"] - s["mean"]])
            err = np.where(np.isfinite(err), err, 0.0)
            ax.errorbar(
                xs, s["mean"], yerr=err, fmt=marker, color=color, capsize=4, markersize=7, label=label,
                elinewidth=1.6,
            )

    if numeric:
        set_level_ticks(ax, x_levels, logx=logx)
    else:
        ax.set_xticks(range(len(x_levels)), labels=[fmt_level(v) for v in x_levels])
        ax.set_xlim(-0.5, len(x_levels) - 0.5)
        ax.grid(False, axis="x")
    ax.set_xlabel(xlabel if xlabel is not None else pretty(x))
    ax.set_ylabel(ylabel if ylabel is not None else pretty(y))
    if title:
        ax.set_title(title)
    if not hue and bad:
        ax.text(
            0.99, 0.01, f"{len(bad)} diverged trial(s) left out", transform=ax.transAxes,
            ha="right", va="bottom", fontsize=9, color="#555555",
        )
    note = _band_note(ci, band)
    place_legend(ax, title=pretty(hue) + (f"\n({note})" if note else ""), where=legend)
    return summary


def plot_curves(
    ax: Axes,
    df: pd.DataFrame,
    *,
    x: str = "step",
    y: str = "test_acc",
    hue: str | None = "arm",
    ci: float | None = 0.95,
    band: Band = "ci",
    bounds: tuple[float, float] | None = None,
    logx: bool = False,
    logy: bool = False,
    show_seeds: bool = False,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    colors: Mapping[Hashable, str] | None = None,
    legend: LegendPlace = "auto",
) -> pd.DataFrame:
    """Plot a metric against training time: the mean curve over seeds with a band, per arm.

    Parameters
    ----------
    ax
        Axes to draw on.
    df
        Tidy result table with one row per trial and recorded step.
    x
        Time column, ``"step"`` or ``"epoch"``.
    y
        Metric column.
    hue
        Column whose levels get one curve each (default ``"arm"``); None for a single curve.
    ci, band, bounds
        As in :func:`mean_band`; ``ci=None`` draws no band.
    logx, logy
        Log scales (``logy`` suits losses).
    show_seeds
        Also draw each seed's curve, thin and faint, behind the mean.
    xlabel, ylabel, title, colors, legend
        As in :func:`plot_metric_by_level`.

    Returns
    -------
    pandas.DataFrame
        One row per (hue level, x): ``mean``, ``low``, ``high``, ``n``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"trial": ["a"] * 3 + ["b"] * 3, "arm": "relu", "seed": [0] * 3 + [1] * 3,
    ...                    "step": [0, 10, 20] * 2, "test_acc": [0.5, 0.8, 0.9, 0.5, 0.7, 0.95]})
    >>> fig, ax = plt.subplots()
    >>> plot_curves(ax, df)["mean"].round(3).tolist()
    [0.5, 0.75, 0.925]
    >>> plt.close(fig)
    """
    require_columns(df, [x, y, hue])
    _check_band(ci, band)
    data, bad = drop_diverged(df)
    data = data.dropna(subset=[y])
    if data.empty:
        raise ConfigError(f"no finite values of {y!r} to plot (all trials diverged or missing)")
    hue_levels = ordered_levels(df[hue]) if hue else [None]
    colors = dict(colors) if colors is not None else level_colors(hue_levels if hue else ["_"])
    keys = [hue, x] if hue else [x]
    summary = _summarise(data, keys, y, ci, band, bounds).sort_values(keys, kind="stable")
    if hue:  # keep the hue order of the table, not the sort order
        summary = summary.sort_values(
            hue, key=lambda s: s.map({h: i for i, h in enumerate(hue_levels)}), kind="stable"
        )

    for h in hue_levels:
        s = summary if hue is None else summary.loc[summary[hue] == h]
        sub = data if hue is None else data.loc[data[hue] == h]
        color = colors.get(h if hue else "_", "#000000")
        if show_seeds and "trial" in sub.columns:
            for _, g in sub.groupby("trial", sort=False):
                g = g.sort_values(x)
                ax.plot(g[x], g[y], color=color, alpha=0.25, linewidth=0.7, zorder=1)
        label = None
        if hue:
            trials = set(df.loc[df[hue] == h, "trial"]) if "trial" in df.columns else set()
            label = _hue_label(h, len(bad & trials), len(trials))
        few = len(s) <= 15
        ax.plot(s[x], s["mean"], color=color, label=label, marker="o" if few else None, zorder=3)
        if s["low"].notna().any():
            ax.fill_between(s[x], s["low"], s["high"], color=color, alpha=0.18, linewidth=0, zorder=2)

    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel if xlabel is not None else pretty(x))
    ax.set_ylabel(ylabel if ylabel is not None else pretty(y))
    if title:
        ax.set_title(title)
    if not hue and bad:
        ax.text(
            0.99, 0.01, f"{len(bad)} diverged trial(s) left out", transform=ax.transAxes,
            ha="right", va="bottom", fontsize=9, color="#555555",
        )
    note = _band_note(ci, band)
    place_legend(ax, title=pretty(hue) + (f"\n({note})" if note else ""), where=legend)
    return summary
