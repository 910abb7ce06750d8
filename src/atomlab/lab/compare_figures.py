"""The figures of a comparison: the metric per arm and during training, the loss, and decision surfaces.

Every figure copes with diverged trials (they are left out and counted in the legend) and with a run in
which every trial diverged (the panel says so instead of failing), so that such a run still gets its
report. matplotlib is imported when a figure is first drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from atomlab._lazy import pyplot as plt
from atomlab.engine.grids import grid_axes
from atomlab.lab.data import materialize
from atomlab.lab.figures import colors, dot_ci, label, save, viz
from atomlab.lab.hypothesis import arm_label, level_text
from atomlab.metrics import metric_bounds
from atomlab.stats import counted

if TYPE_CHECKING:  # annotations only: figures read results, and lab.result does not import this module
    from atomlab.lab.result import Result
    from atomlab.viz.style import FigureRecord

#: At most this many arms get a row of decision surfaces (a taller figure stops being readable).
MAX_SURFACE_ROWS = 12
#: Training points drawn over a surface (a random subset, fixed seed, when there are more).
MAX_POINTS = 400


def comparison_figures(result: Result, out_dir: str | Path, formats: Sequence[str] = ("png",)) -> list[FigureRecord]:
    """Every figure of a comparison's report, the overview first (the main one).

    Examples
    --------
    >>> import tempfile
    >>> import atomlab
    >>> r = atomlab.compare({"name": "moons", "n_train": 60, "n_test": 60}, vary={"lr": [0.01, 0.1]},
    ...                     model={"layers": [6]}, train={"steps": 30}, seeds=2, cache=False, device="cpu")
    >>> [(f.name, f.main) for f in comparison_figures(r, tempfile.mkdtemp())]
    [('overview', True), ('loss', False), ('surfaces', False)]
    """
    out = [overview_figure(result, out_dir, formats=formats)]
    if "train_loss" in result.table:
        out.append(loss_figure(result, out_dir, formats=formats))
    surfaces = surfaces_figure(result, out_dir, formats=formats)
    if surfaces is not None:
        out.append(surfaces)
    return out


def _arms(result) -> list[str]:
    return list(dict.fromkeys(t.arm for t in result.trials))


def _table(result, names: dict[str, str]):
    """The tidy table with short arm labels (empty, with its columns, when no trial recorded anything)."""
    import pandas as pd

    table = result.table
    if table.empty or "arm" not in table:
        table = pd.DataFrame(columns=["trial", "arm", "seed", "step", "diverged", result.experiment.metric])
    return table.assign(arm=table["arm"].map(names))


def _labels(result) -> dict[str, str]:
    """Each arm's short label (``snake`` rather than ``activation=snake`` when one factor varies)."""
    return {t.arm: arm_label(t.levels) for t in result.trials}


def _nothing(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def overview_figure(result: Result, out_dir: str | Path, *, formats: Sequence[str] = ("png",)) -> FigureRecord:
    """The metric during training (mean over seeds with a 95% band) and at the end (each seed, mean, interval)."""
    metric = result.experiment.metric
    names = _labels(result)
    arms = [names[a] for a in _arms(result)]
    palette = colors(arms)
    table = _table(result, names)
    with viz.style.apply_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(12.0, 4.4), gridspec_kw={"width_ratios": [3, 2]})
        finite = table[metric].notna() & ~table["diverged"].astype(bool) if metric in table else None
        if finite is not None and finite.any():
            viz.curves.plot_curves(left, table, x="step", y=metric, hue="arm", colors=palette,
                                   bounds=metric_bounds(metric), legend="below")
        else:
            _nothing(left, f"no finite {label(metric)} to draw:\nevery trial diverged")
        left.set_title(f"{label(metric).capitalize()} during training")
        final = result.final.assign(arm=result.final["arm"].map(names))
        pivot = final.pivot_table(index="seed", columns="arm", values=metric, aggfunc="mean", dropna=False) \
            if metric in final else None
        if pivot is not None and np.isfinite(pivot.to_numpy(dtype=float)).any():
            pivot = pivot.reindex(columns=arms)
            # each seed's arms joined by a faint line: the comparison is paired by seed
            for _, row in pivot.iterrows():
                right.plot(range(len(arms)), row.to_numpy(dtype=float), color="#9aa4ae", lw=0.6, alpha=0.5,
                           zorder=1)
            dot_ci(right, arms, [pivot[a].to_numpy(dtype=float) for a in arms], color_map=palette, jitter=False,
                   bounds=metric_bounds(metric))
            right.set_ylabel(label(metric))
            for tick in right.get_xticklabels():
                tick.set_rotation(20 if len(arms) > 3 else 0)
        else:
            _nothing(right, "no finite final values:\nevery trial diverged")
        right.set_title(f"Final {label(metric)}, each seed")
        fig.tight_layout()
    seeds = int(result.config.get("seeds", 0))
    return save(fig, out_dir, "overview", f"Left: {label(metric)} during training, mean over {counted(seeds)} with a "
                "95% band, per arm. Right: its final value for each seed (grey lines join one seed's arms: the "
                "comparison is paired by seed), the mean and its 95% interval. Diverged trials are left out.",
                main=True, formats=formats)


def loss_figure(result: Result, out_dir: str | Path, *, formats: Sequence[str] = ("png",)) -> FigureRecord:
    """Training loss per arm (log scale): does it fall, and does any arm blow up?"""
    names = _labels(result)
    arms = [names[a] for a in _arms(result)]
    table = _table(result, names)
    with viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        finite = table["train_loss"].notna() & ~table["diverged"].astype(bool)
        positive = finite & (table["train_loss"] > 0)
        if finite.any():
            viz.curves.plot_curves(ax, table, x="step", y="train_loss", hue="arm", colors=colors(arms),
                                   bounds=(0.0, np.inf), logy=bool(positive[finite].all()), legend="below")
        else:
            _nothing(ax, "no finite training loss:\nevery trial diverged")
        ax.set_title("Training loss")
        fig.tight_layout()
    return save(fig, out_dir, "loss", "Training loss per arm, mean over seeds with a 95% band (log scale): an arm "
                "whose loss stays flat did not learn; diverged trials are left out and counted in the legend.",
                formats=formats)


def _mean_grid(pairs) -> np.ndarray | None:
    grids = [o.artefacts.get("grid") for _, o in pairs if not o.diverged and not o.failed]
    grids = [np.asarray(g, dtype=float) for g in grids if g is not None]
    grids = [g for g in grids if np.isfinite(g).all()]
    return np.mean(grids, axis=0) if grids else None


def surfaces_figure(result: Result, out_dir: str | Path, *,
                    formats: Sequence[str] = ("png",)) -> FigureRecord | None:
    """For 2-D classification data: each arm's decision surface, mean over seeds and the first seed, data drawn.

    Returns None when the trials recorded no prediction grid (data that are not 2-D, or ``grid=None``).
    """
    arms = _arms(result)
    first = {arm: next((t, o) for t, o in zip(result.trials, result.outcomes) if t.arm == arm) for arm in arms}
    if not any(o.artefacts.get("grid") is not None and np.ndim(o.artefacts["grid"]) >= 2
               for t, o in zip(result.trials, result.outcomes)):
        return None
    seed0 = int(result.config.get("seed", 0))
    shown = arms[:MAX_SURFACE_ROWS]
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    columns = ("mean over seeds", f"seed {seed0}")
    for arm in shown:
        pairs = [(t, o) for t, o in zip(result.trials, result.outcomes) if t.arm == arm]
        data = materialize(first[arm][0].data)
        one = next(((t, o) for t, o in pairs if t.seed == seed0), pairs[0])
        grid = one[1].artefacts.get("grid")
        G = np.shape(grid)[0] if grid is not None else int(result.config["train"].get("grid") or 60)
        xx, yy = grid_axes(data, G)
        rng = np.random.default_rng(0)
        keep = rng.choice(data.n_train, size=min(MAX_POINTS, data.n_train), replace=False)
        points = {"X": data.X_train[keep], "y": data.y_train[keep]}
        accs = [o.final.get("test_acc", np.nan) for _, o in pairs if not (o.diverged or o.failed)]
        mean = _mean_grid(pairs)
        cells[(arm, columns[0])] = {"xx": xx, "yy": yy, "prob": mean if mean is not None else np.full(xx.shape, np.nan),
                                    "title": f"test acc {np.mean(accs):.3f}, {counted(len(accs))}" if accs else
                                    "every seed diverged", **points}
        single = None if one[1].diverged or grid is None else np.asarray(grid, dtype=float)
        cells[(arm, columns[1])] = {"xx": xx, "yy": yy,
                                    "prob": single if single is not None else np.full(xx.shape, np.nan),
                                    "title": "diverged" if one[1].diverged else
                                    f"test acc {one[1].final.get('test_acc', np.nan):.3f}", **points}
    multiclass = any(np.ndim(c["prob"]) == 3 for c in cells.values())
    # rows name factor and level ("width=4"): a bare number beside a panel says too little
    names = {t.arm: ", ".join(f"{k}={level_text(v)}" for k, v in t.levels.items()) for t in result.trials}
    with viz.style.apply_style():
        if multiclass:
            fig = _class_regions(cells, shown, columns, [names[a] for a in shown])
        else:
            fig = viz.surfaces.surface_grid(shown, list(columns), cells, cell_size=2.6,
                                            row_labels=[names[a] for a in shown])
    more = f" (the first {MAX_SURFACE_ROWS} of {len(arms)} arms)" if len(arms) > MAX_SURFACE_ROWS else ""
    what = ("the class each region is given" if multiclass else
            "the predicted probability of class 1 (the line: the learned boundary, P = 0.5)")
    return save(fig, out_dir, "surfaces", f"Decision surfaces of every arm{more}, one row each: {what}, averaged "
                f"over the seeds (left) and for seed {seed0} alone (right), with up to {MAX_POINTS} training points "
                "drawn; the text under each panel is the test accuracy.", formats=formats)


def _class_regions(cells, rows, columns, row_labels):
    """A grid of class regions (more than two classes): argmax of the (mean) class probabilities."""
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(2.8 * len(columns) + 0.4, 2.7 * len(rows) + 0.4),
                             squeeze=False, layout="constrained")
    for i, arm in enumerate(rows):
        for j, col in enumerate(columns):
            ax = axes[i, j]
            cell = cells[(arm, col)]
            prob = np.asarray(cell["prob"], dtype=float)
            if not np.isfinite(prob).all():
                _nothing(ax, "diverged")
            else:
                viz.boundaries.plot_decision_boundary(ax, (cell["xx"], cell["yy"], prob), cell["X"], cell["y"],
                                                      legend="none", point_size=7.0)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_xlabel(cell["title"], fontsize=9)
            if i == 0:
                ax.set_title(col, fontweight="bold", fontsize=11)
            ax.set_ylabel(row_labels[i] if j == 0 else "", fontweight="bold", fontsize=11)
    return fig
