"""Figures of the 003 entries: 003's grids of decision boundaries, and accuracy by level."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from atomlab import stats  # noqa: E402
from atomlab.catalog import _figures as F  # noqa: E402
from atomlab.engine import grid_axes  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402
from atomlab.metrics import metric_bounds  # noqa: E402


def seed0_pair(result, **levels: Any):
    """The (trial, outcome) of the run's first seed at ``levels`` (or the first one there), or None."""
    pairs = result.select(**levels)
    if not pairs:
        return None
    seed0 = int(result.config["seed"])
    return next(((t, o) for t, o in pairs if t.seed == seed0), pairs[0])


def acc_text(result, metric: str = "test_acc", **levels: Any) -> str:
    """``metric`` (a column of the trials' final rows) over seeds at ``levels`` as ``mean [95% interval]``."""
    pairs = result.select(**levels)

    def value(o) -> float:
        if o.diverged:
            return np.nan
        return o.final.get(metric, np.nan)

    values = np.array([value(o) for _, o in pairs], dtype=float)
    finite = values[np.isfinite(values)]
    mean, low, high = stats.mean_interval(finite, bounds=metric_bounds(metric))
    text = f"{mean:.3f} [{low:.3f}, {high:.3f}]" if len(finite) else "n/a"
    bad = int(np.sum(~np.isfinite(values)))
    return text + (f", {bad} diverged" if bad else "")


def draw_boundary(ax, trial, outcome, *, title: str | None = None, point_size: float = 9.0) -> None:
    """003's picture: the class each region is given, with the training points on top."""
    data = materialize(trial.data)
    grid = outcome.artefacts.get("grid")
    if grid is None:
        ax.text(0.5, 0.5, "diverged\n(no boundary)", ha="center", va="center", transform=ax.transAxes,
                fontsize=9, color="0.4")
        ax.set_xticks([])
        ax.set_yticks([])
        if title:
            ax.set_title(title, fontsize=9)
        return
    xx, yy = grid_axes(data, grid.shape[0])
    F.viz.boundaries.plot_decision_boundary(ax, (xx, yy, grid), data.X_train, data.y_train, legend="none",
                                            point_size=point_size, title=None)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    if title:
        ax.set_title(title, fontsize=9)


def boundary_figure(result, out_dir, *, panels: Sequence[tuple[str, dict[str, Any]]], name: str, caption: str,
                    ncols: int | None = None, main: bool = False, row_titles: Sequence[str] | None = None,
                    formats=("png",)):
    """A grid of decision boundaries (the first seed's network), one panel per ``(title, levels)``.

    Each panel's title adds the test accuracy over seeds as mean [95% interval].
    """
    n = len(panels)
    ncols = ncols or n
    nrows = int(np.ceil(n / ncols))
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.5 * ncols + 0.3, 2.45 * nrows + 0.5), squeeze=False)
        for ax in axes.ravel()[n:]:
            ax.axis("off")
        for ax, (title, levels) in zip(axes.ravel(), panels):
            pair = seed0_pair(result, **levels)
            if pair is None:
                ax.axis("off")
                continue
            draw_boundary(ax, *pair, title=f"{title}\ntest acc {acc_text(result, **levels)}")
        if row_titles:
            for i, t in enumerate(row_titles):
                axes[i, 0].set_ylabel(t, fontsize=10)
        fig.tight_layout()
    return F.save(fig, out_dir, name, caption, main=main, formats=formats)


def accuracy_figure(result, out_dir, *, x: str, hue: str | None = None, where: dict[str, Any] | None = None,
                    name: str = "accuracy", caption: str = "", logx: bool = False, formats=("png",)):
    """Training accuracy, test accuracy and their gap against the levels of ``x``, mean over seeds with bands."""
    df = result.final.assign(gap=result.final["train_acc"] - result.final["test_acc"])
    for k, v in (where or {}).items():
        df = df[df[k].isin(v if isinstance(v, list) else [v])]
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.6))
        for ax, metric, label in zip(axes, ("train_acc", "test_acc", "gap"),
                                     ("training accuracy", "test accuracy", "train − test accuracy")):
            F.viz.curves.plot_metric_by_level(ax, df, x=x, y=metric, hue=hue, logx=logx,
                                              legend="none" if metric != "gap" else "auto")
            ax.set_ylabel(label)
            ax.set_xlabel(F.label(x))
        fig.tight_layout()
    return F.save(fig, out_dir, name, caption or f"Accuracy by {F.label(x)}: bands are 95% intervals over seeds.",
                  formats=formats)
