"""Figure recipes shared by catalog entries: they read a Result and draw with ``atomlab.viz``."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from atomlab import stats  # noqa: E402
from atomlab.engine.population import grid_axes  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402


class _Viz:
    """Lazy access to ``atomlab.viz`` so that importing the catalog stays cheap."""

    def __getattr__(self, name):
        import importlib

        if name.startswith("_"):  # doctest and inspect probe attributes such as __wrapped__
            raise AttributeError(name)
        return importlib.import_module(f"atomlab.viz.{name}")


viz = _Viz()

LABELS = {"train_mse": "training MSE", "test_mse": "test MSE", "train_acc": "training accuracy",
          "test_acc": "test accuracy", "train_loss": "training loss", "test_loss": "test loss",
          "step": "training step", "epoch": "epoch"}


def label(name: str) -> str:
    """Axis label for a column name."""
    return LABELS.get(name, name.replace("_", " "))


def save(fig, out_dir: Path, name: str, caption: str, *, main: bool = False, formats=("png",)):
    """Save ``fig`` as ``out_dir/name.png`` (and other formats) and return its FigureRecord."""
    paths = viz.style.save_figure(fig, Path(out_dir) / name, formats=formats)
    plt.close(fig)
    return viz.style.FigureRecord(name=name, path=paths[0], caption=caption, main=main)


def _ci_text(values, lower: float = -np.inf, upper: float = np.inf) -> str:
    """``mean [low, high]`` over seeds, the interval inside the metric's range (an MSE is never below 0)."""
    v = np.asarray(values, dtype=float)
    mean, lo, hi = stats.mean_interval(v[np.isfinite(v)], bounds=(lower, upper))
    return f"{mean:.3g} [{lo:.3g}, {hi:.3g}]"


def level_figure(result, out_dir, *, metric: str, x: str, hue: str | None = None, logx: bool = False,
                 logy: bool = False, name: str = "by-level", caption: str = "", main: bool = False,
                 formats=("png",)):
    """Final ``metric`` against the levels of factor ``x``, one line per ``hue`` level, with bands."""
    with viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        viz.curves.plot_metric_by_level(ax, result.final, x=x, y=metric, hue=hue, logx=logx)
        ax.set_xlabel(label(x))
        ax.set_ylabel(label(metric))
        if logy:
            ax.set_yscale("log")
        fig.tight_layout()
    return save(fig, out_dir, name, caption or f"Final {label(metric)} by {label(x)}; bands are 95% "
                "intervals over seeds.", main=main, formats=formats)


def curves_figure(result, out_dir, *, metric: str = "test_acc", hue: str = "arm", x: str = "step",
                  where: dict | None = None, name: str | None = None, caption: str = "", main: bool = False,
                  formats=("png",)):
    """``metric`` against training step, mean over seeds with a band, one line per ``hue`` level."""
    df = result.table
    for k, v in (where or {}).items():
        df = df[df[k].map(lambda c: tuple(c) if isinstance(c, list) else c) == v]
    with viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        viz.curves.plot_curves(ax, df, x=x, y=metric, hue=hue)
        ax.set_xlabel(label(x))
        ax.set_ylabel(label(metric))
        fig.tight_layout()
    return save(fig, out_dir, name or f"curves-{metric}", caption or f"{label(metric).capitalize()} "
                f"during training by {label(hue)}; mean over seeds with a 95% band.", main=main,
                formats=formats)


def function_fits_figure(result, out_dir, *, titles: dict, formats=("png",)):
    """000's universal-approximation grid: diagrams on top, true and fitted curves below."""
    functions = list(result.config["function"])
    units = list(result.config["hidden_units"])
    seed0 = int(result.config["seed"])
    colors = viz.style.level_colors(units)
    with viz.style.apply_style():
        fig, axes = plt.subplots(len(functions) + 1, len(units), figsize=(3.6 * len(units),
                                                                          2.9 * (len(functions) + 1)),
                                 squeeze=False)
        for j, n in enumerate(units):
            ax = axes[0, j]
            ax.axis("off")
            viz.diagrams.draw_neural_net(ax, 0.1, 0.9, 0.1, 0.9, [1, n, 1])
            ax.set_title(f"{n} hidden units")
        for i, fn in enumerate(functions):
            for j, n in enumerate(units):
                ax = axes[i + 1, j]
                pairs = result.select(function=fn, hidden_units=n)
                trial, outcome = next(((t, o) for t, o in pairs if t.seed == seed0), pairs[0])
                data = materialize(trial.data)
                xs = grid_axes(data, len(outcome.artefacts["grid"]))[0]
                ax.plot(xs, data.target_fn(xs[:, None]), color="0.2", lw=1.5, label="true function")
                ax.plot(data.X_train[:, 0], data.y_train, "o", ms=3, color="0.4", label="training points")
                ax.plot(xs, outcome.artefacts["grid"], color=colors[n], lw=2, label=f"fit (seed {trial.seed})")
                mses = [o.final.get("train_mse", np.nan) for _, o in pairs]
                ax.set_title(f"{titles.get(fn, fn)}\nMSE {_ci_text(mses, lower=0.0)}", fontsize=9)
                ax.set_xlabel("x")
                if j == 0:
                    ax.set_ylabel("y")
        axes[1, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
    return save(fig, out_dir, "fits", "Each panel overlays one fitted network (coloured) on the true "
                "function (grey): with more hidden units the fit follows the function more closely; titles "
                "give the training MSE as mean [95% interval] over seeds.", main=True, formats=formats)


def surface_grid_figure(result, out_dir, *, rows: str, cols: str, name: str = "surfaces",
                        caption: str = "", col_title=None, metric: str = "test_acc", formats=("png",),
                        fixed: dict | None = None):
    """002's grid of prediction surfaces: one row per level of ``rows``, one column per ``cols``."""
    row_levels = list(result.config[rows])
    col_levels = list(result.config[cols])
    seed0 = int(result.config["seed"])
    with viz.style.apply_style():
        fig, axes = plt.subplots(len(row_levels), len(col_levels),
                                 figsize=(2.6 * len(col_levels) + 0.6, 2.6 * len(row_levels) + 0.4),
                                 squeeze=False)
        image = None
        for i, r in enumerate(row_levels):
            for j, c in enumerate(col_levels):
                ax = axes[i, j]
                pairs = result.select(**{rows: r, cols: c}, **(fixed or {}))
                if not pairs:
                    ax.axis("off")
                    continue
                trial, outcome = next(((t, o) for t, o in pairs if t.seed == seed0), pairs[0])
                data = materialize(trial.data)
                grid = outcome.artefacts.get("grid")
                if grid is None:
                    ax.axis("off")
                    continue
                xx, yy = grid_axes(data, grid.shape[0])
                accs = [o.final.get(metric, np.nan) for _, o in pairs]
                title = (col_title(c) if col_title else f"{c}") if i == 0 else None
                image = viz.surfaces.plot_surface(ax, xx, yy, grid, true_fn=data.target_fn, title=title)
                ax.text(0.03, 0.03, f"acc {_ci_text(accs, 0.0, 1.0)}", transform=ax.transAxes, fontsize=7,
                        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5})
                ax.set_xticks([])
                ax.set_yticks([])
                if j == 0:
                    ax.set_ylabel(str(r))
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="P(class 1)")
    return save(fig, out_dir, name, caption or "Predicted probability of class 1 on the input box; the "
                "dashed line is the true boundary, the solid one the learned boundary; the corner text "
                "gives test accuracy as mean [95% interval] over seeds.", main=True, formats=formats)
