"""Shared code of 002's prediction-surface suite ("What 2D data reveals about deep nets", Gupta).

The activation entry (``activation_surfaces.py``) fixes the recipe of the source's code: 10,000
points uniform on [-2, 2]^2 labelled by the sign of four decision functions, He-normal weights,
plain SGD (lr 0.01, batches of 1,000, 100 epochs), L2 1e-4, a 400 x 400 prediction grid. The five
entries of this suite (depth, width, dropout, batch norm, residual connections) reuse that recipe
and share here:

- :func:`suite_trial`: the recipe, plus animation frames for one seed when ``animate`` is set;
- :func:`surface_metrics` (the suite's derive hook): the per-trial *disagreement* (fraction of
  the box where the learned boundary and the true one put a point on different sides) and the
  mean *confidence* of the prediction surface, computed from the ``grid`` artefact;
- the figures: the source's grid of surfaces, a statistics figure, and :func:`write_animation`,
  a GIF of the surfaces over training.

On noise-free labels and uniform test points, the test error is a Monte-Carlo estimate of the
same disagreement fraction (the grid computes it by quadrature); the claims of the suite test the
test accuracy, which the lab has in its final table when claims are checked, and the figures and
summary table report the grid disagreement beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np  # noqa: E402

from atomlab import stats
from atomlab._lazy import pyplot as plt
from atomlab.catalog.surfaces_2d.activation_surfaces import (  # noqa: E402
    SURFACE_PROVENANCE,
    SURFACE_SCALES,
    SURFACE_SETTINGS,
    surface_trial,
)
from atomlab.data.surfaces import SURFACES  # noqa: E402
from atomlab.engine.grids import grid_axes  # noqa: E402
from atomlab.errors import ConfigError  # noqa: E402
from atomlab.lab import Experiment, Trial  # noqa: E402
from atomlab.lab import figures as F  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402
from atomlab.nn import MLPSpec  # noqa: E402

#: Frames in an animation (the grid is recorded about this many times over training).
N_FRAMES = 24
#: Settings every entry of the suite adds to the activation entry's.
SUITE_SETTINGS: dict[str, Any] = {**SURFACE_SETTINGS, "record_every": None, "animate": False}
#: The activation entry's scales; quick records metrics every 100 of its 1,000 steps (evaluating the
#: training and test sets 21 times cost as much as the training itself).
SUITE_SCALES: dict[str, dict[str, Any]] = {k: dict(v) for k, v in SURFACE_SCALES.items()}
SUITE_SCALES["quick"]["record_every"] = 100
#: Where the suite's settings come from (each entry adds its factor's).
SUITE_PROVENANCE: dict[str, str] = {**SURFACE_PROVENANCE, "record_every": "assumed: metrics about 20 times a run",
                                    "animate": "assumed: an option of ours (a GIF of the surfaces during training)"}
#: Columns computed from each trial's grid, shown in the summary table.
SURFACE_METRICS = ("disagreement", "confidence")


METHOD = ("The 2-D suite's recipe, as in the source's code: 10,000 points uniform on [-2, 2]^2 labelled by "
          "the sign of y-x, y-|x|, 1-x^2/4-y^2 or y-sin(pi x) (a fresh draw per seed); each hidden layer is "
          "linear, then batch norm (optional), residual add (optional, where widths match), activation, "
          "dropout; relu, He-normal weights, zero biases, softmax output; plain SGD with learning rate "
          "0.01, batches of 1,000, 100 epochs, on the code's loss 2 * mean(-log(p_y + 0.01)) plus "
          "1e-4 * sum ||W||^2 / 2 (TensorFlow's l2_loss). We record the test accuracy on "
          "2,000 held-out points and, from the 400 x 400 prediction grid, the disagreement: the fraction "
          "of the box where the learned boundary (P = 0.5) and the true one put a point on different sides.")
DIFFERENCES = ("The source trained each setting once and judged the surfaces by eye; we train every arm from "
               "several seeds (data set, initialisation and batch order redrawn per seed), check the claim on "
               "the test accuracy over seeds, and add the disagreement with the true boundary, measured on "
               "the prediction grid. On noise-free labels and uniform test points the test error is a "
               "Monte-Carlo estimate of that same fraction, so the claims on test accuracy are claims on the "
               "disagreement area (the lab checks claims before the grid metrics exist). The post says Xavier "
               "initialisation while its code uses He-normal; we follow the code. The source draws one data set "
               "(seed 0) for every configuration and every run; we redraw it per seed. Its loss is followed "
               "exactly (atomlab's former mean cross-entropy with 1e-4 ||W||^2 remains available as --set "
               "loss_form=atomlab; activation-surfaces runs both).")
DISAGREEMENT_NOTE = ("The disagreement is the fraction of the [-2, 2]^2 box (area 16) where the learned and "
                     "the true boundaries disagree, computed on the prediction grid; the test error estimates "
                     "the same fraction from random points.")


def n_params(layers: Sequence[int], **model: Any) -> int:
    """Trainable parameters of an MLP of the suite (2 inputs, 2 outputs)."""
    return MLPSpec(layers=tuple(layers), **model).n_params(2, 2)


def surface_derive(trial: Trial, outcome, cfg: dict[str, Any]) -> dict[str, float]:
    """The suite's derive hook: :func:`surface_metrics` of each trial (columns of ``final.csv``)."""
    return surface_metrics(trial, outcome)


@dataclass
class SurfaceExperiment(Experiment):
    """An :class:`Experiment` of the suite: each trial's grid disagreement and confidence are derived columns."""

    derive: Callable[..., dict[str, float]] | None = surface_derive


def formula(function: Any) -> str:
    """Readable formula of a decision function: ``"sine"`` -> ``"y - sin(pi x)"``."""
    name = str(function)
    return SURFACES[name][0] if name in SURFACES else name


def suite_trial(cfg: dict[str, Any], levels: dict[str, Any], seed: int, **model_overrides: Any) -> Trial:
    """A trial of the suite: the activation entry's recipe, ``levels`` and ``model_overrides``.

    With ``cfg["animate"]`` the first seed also records the prediction grid about
    :data:`N_FRAMES` times during training. Only the first seed does: at paper scale each
    animated trial keeps ~25 frames of 400 x 400 (16 MB in memory and in the trial cache), and the
    GIF shows one seed anyway. Its trials train in their own populations (the recording schedule
    is part of the population key) and match a run without frames up to float rounding.
    """
    trial = surface_trial(cfg, levels, seed, **model_overrides)
    if cfg.get("animate") and seed == int(cfg["seed"]):
        total = trial.train.total_steps(int(cfg["n_train"]))
        trial = replace(trial, train=replace(trial.train, grid_every=max(1, total // N_FRAMES)))
    return trial


# ----- metrics from the grid -----------------------------------------------------------------
def surface_metrics(trial: Trial, outcome) -> dict[str, float]:
    """Disagreement and confidence of one trial's final prediction surface.

    Parameters
    ----------
    trial : Trial
        A trial whose data set has a true decision function (``surface2d``).
    outcome : Outcome
        Its outcome, with the ``grid`` artefact (``P(class 1)`` on a ``G x G`` mesh).

    Returns
    -------
    dict
        ``disagreement``: fraction of the box where ``P(class 1) > 0.5`` differs from
        ``f(x, y) > 0`` (multiply by the box area, 16 for [-2, 2]^2, for an area);
        ``confidence``: mean of ``|2 P(class 1) - 1|`` over the box (1 = every prediction
        certain, 0 = a flat 0.5). NaN for a diverged trial or a missing grid.

    Examples
    --------
    >>> from atomlab.engine import TrainSpec
    >>> from atomlab.engine.outcome import Outcome
    >>> from atomlab.lab import DataSpec
    >>> from atomlab.nn import MLPSpec
    >>> t = Trial({}, 0, DataSpec("surface2d", {"function": "linear", "n_train": 10}), MLPSpec(),
    ...           TrainSpec(steps=1))
    >>> G = 101
    >>> xx, yy = np.meshgrid(np.linspace(-2, 2, G), np.linspace(-2, 2, G))
    >>> perfect = surface_metrics(t, Outcome(artefacts={"grid": (yy > xx).astype(float)}))
    >>> perfect["disagreement"], perfect["confidence"]
    (0.0, 1.0)
    >>> round(surface_metrics(t, Outcome(artefacts={"grid": (yy > 0).astype(float)}))["disagreement"], 2)
    0.25
    """
    grid = outcome.artefacts.get("grid")
    if grid is None or outcome.diverged or not np.all(np.isfinite(grid)):
        return {"disagreement": math.nan, "confidence": math.nan}
    data = materialize(trial.data)
    xx, yy = grid_axes(data, grid.shape[0])
    # class 1 is predicted where P(class 1) > 0.5 (argmax of two outputs picks class 0 on a tie)
    return {"disagreement": F.viz.surfaces.disagreement_area(grid, data.target_fn, xx, yy),
            "confidence": float(np.mean(np.abs(2.0 * grid - 1.0)))}


def per_seed(final, metric: str, where: dict[str, Any]) -> np.ndarray:
    """``metric`` averaged over the decision functions, one value per seed, for the rows ``where``."""
    mask = np.ones(len(final), dtype=bool)
    for k, v in where.items():
        mask &= np.array([_key(c) == _key(v) for c in final[k]], dtype=bool)
    return final[mask].groupby("seed")[metric].mean().to_numpy()


def _key(v: Any) -> Any:
    return tuple(v) if isinstance(v, list | tuple) else v


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(_key(a[k]) == _key(b[k]) for k in a)


def summary(values: Sequence[float], bounds: tuple[float, float] | None = (0.0, 1.0)) -> dict[str, float]:
    """Mean and 95% interval over seeds of the finite ``values`` (a fraction by default, so inside [0, 1])."""
    v = np.asarray(values, dtype=float)
    mean, low, high = stats.mean_interval(v[np.isfinite(v)], bounds=bounds)
    return {"mean": mean, "ci_low": low, "ci_high": high}


def mean_ci_text(values: Sequence[float], *, percent: bool = True, digits: int = 3) -> str:
    """``"1.23% [0.9, 1.5]"``: the mean of a fraction and its 95% interval over seeds (inside [0, 1])."""
    v = np.asarray(values, dtype=float)
    mean, lo, hi = stats.mean_interval(v[np.isfinite(v)], bounds=(0.0, 1.0))
    k = 100.0 if percent else 1.0
    unit = "%" if percent else ""
    return f"{k * mean:.{digits}g}{unit} [{k * lo:.{digits}g}, {k * hi:.{digits}g}]"


# ----- layout shared by the surface grid and the animation -----------------------------------
@dataclass
class Cells:
    """Rows (decision functions) and columns (the other factor levels) of a surface grid."""

    rows: list[Any]
    cols: list[dict[str, Any]]
    col_titles: list[str]


def cells(result, col_title: Callable[[dict[str, Any]], str]) -> Cells:
    """The grid of a result: one row per decision function, one column per other arm, plan order."""
    rows: list[Any] = []
    cols: list[dict[str, Any]] = []
    for t in result.trials:
        fn = t.levels.get("function")
        if fn not in rows:
            rows.append(fn)
        rest = {k: v for k, v in t.levels.items() if k != "function"}
        if not any(_same(c, rest) for c in cols):
            cols.append(rest)
    return Cells(rows, cols, [col_title(c) for c in cols])


def _pick(result, fn: Any, col: dict[str, Any]):
    """(trial, outcome) of the first seed in cell (fn, col), and every seed's pairs."""
    pairs = result.select(function=fn, **col)
    seed0 = int(result.config["seed"])
    first = next(((t, o) for t, o in pairs if t.seed == seed0), pairs[0] if pairs else (None, None))
    return first, pairs


def surface_grid_figure(result, out_dir, *, col_title: Callable[[dict[str, Any]], str], name: str = "surfaces",
                        caption: str = "", formats=("png",)):
    """002's figure: one row per decision function, one column per arm, one seed's surface each.

    Under every panel: the disagreement with the true boundary as mean [95% interval] over seeds.
    """
    lay = cells(result, col_title)
    grid_cells = {}
    for i, fn in enumerate(lay.rows):
        for j, col in enumerate(lay.cols):
            (trial, outcome), pairs = _pick(result, fn, col)
            if trial is None or outcome.artefacts.get("grid") is None:
                continue
            data = materialize(trial.data)
            grid = outcome.artefacts["grid"]
            xx, yy = grid_axes(data, grid.shape[0])
            keys = {t.key for t, _ in pairs}
            dis = result.final.loc[result.final["trial"].isin(keys), "disagreement"]
            grid_cells[(i, j)] = {"xx": xx, "yy": yy, "prob": grid, "true_fn": data.target_fn,
                                  "title": f"dis {mean_ci_text(dis, digits=2)}"}
    with F.viz.style.apply_style():
        fig = F.viz.surfaces.surface_grid(list(range(len(lay.rows))), list(range(len(lay.cols))), grid_cells,
                                          row_labels=[formula(r) for r in lay.rows], col_labels=lay.col_titles,
                                          cell_size=2.0)
        for ax in fig.axes:
            ax.title.set_fontsize(9)
    return F.save(fig, out_dir, name, caption or "Predicted probability of class 1 over the box for one "
                  "seed: the solid line is the learned boundary, the dashed one the true boundary; under "
                  "each panel, the disagreement (fraction of the box on the wrong side of the true "
                  "boundary) as mean [95% interval] over seeds.", main=True, formats=formats)


def stats_figure(result, out_dir, *, x: Callable[[dict[str, Any]], str], metric: str = "disagreement",
                 name: str = "disagreement", caption: str = "", xlabel: str = "", logy: bool = True,
                 connect: bool = False, formats=("png",)):
    """``metric`` per arm (mean and 95% interval over seeds), one colour per decision function.

    ``x`` turns an arm's non-function levels into its tick label; arms keep their plan order.
    ``connect`` joins the points of a function with lines, for arms that are ordered levels.
    """
    lay = cells(result, x)
    colors = F.viz.style.level_colors([formula(r) for r in lay.rows])
    with F.viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(max(5.5, 0.95 * len(lay.cols) + 2.8), 4.0))
        pos = np.arange(len(lay.cols))
        for i, fn in enumerate(lay.rows):
            summaries = []
            for col in lay.cols:
                keys = {t.key for t, _ in result.select(function=fn, **col)}
                summaries.append(summary(result.final.loc[result.final["trial"].isin(keys), metric]))
            means = np.array([s["mean"] for s in summaries])
            lows = np.array([s["ci_low"] for s in summaries])
            highs = np.array([s["ci_high"] for s in summaries])
            if logy:  # an interval may reach 0, which a log axis cannot show: it stops at a floor
                floor = 0.3 * np.nanmin(np.where(means > 0, means, np.nan)) if np.any(means > 0) else 1e-4
                lows = np.maximum(lows, floor)
            off = (i - (len(lay.rows) - 1) / 2) * 0.07
            ax.errorbar(pos + off, means, yerr=[means - lows, highs - means], marker="o", ms=4.5, lw=1.3,
                        ls="-" if connect else "none", capsize=2.5, color=colors[formula(fn)], label=formula(fn))
        ax.set_xticks(pos, [t.replace(" (", "\n(").replace(", ", ",\n") for t in lay.col_titles], fontsize=8.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_metric_label(metric), fontsize=9.5)
        if logy and metric == "disagreement":
            percent_log_axis(ax)
        elif logy:
            ax.set_yscale("log")
        ax.legend(fontsize=8.5, title="decision function", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
    return F.save(fig, out_dir, name, caption or f"{_metric_label(metric).capitalize()} per arm and decision "
                  "function; points are means over seeds, bars 95% intervals.", formats=formats)


def percent_log_axis(ax) -> None:
    """A log y axis for fractions, labelled in percent at 1-2-5 steps."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{100 * v:.3g}%"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _metric_label(metric: str) -> str:
    return {"disagreement": "disagreement (share of the box)",
            "confidence": "mean confidence |2p - 1|"}.get(metric, F.label(metric))


# ----- animation ---------------------------------------------------------------------------
def write_animation(result, out_dir, *, col_title: Callable[[dict[str, Any]], str] | None = None,
                    name: str = "training", fps: int = 5, dpi: int = 65) -> Path:
    """Write a GIF of one seed's prediction surfaces over training, one panel per grid cell.

    Parameters
    ----------
    result : Result
        A result of the suite run with ``animate=true`` (its first seed recorded ``frames``).
    out_dir : path
        Directory for ``NAME.gif``.
    col_title : callable, optional
        Column title from an arm's non-function levels (default: ``key=value`` pairs).
    name, fps, dpi
        File name (without suffix), frames per second and resolution.

    Returns
    -------
    Path
        The GIF.

    Raises
    ------
    ConfigError
        When the result holds no frames (it was not run with ``animate=true``).
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    col_title = col_title or (lambda c: ", ".join(f"{k}={v}" for k, v in c.items()))
    lay = cells(result, col_title)
    panels = []
    for fn in lay.rows:
        for col in lay.cols:
            (trial, outcome), _ = _pick(result, fn, col)
            if trial is None or "frames" not in outcome.artefacts:
                raise ConfigError(f"{result.name}: no animation frames were recorded; run it with "
                                  "--set animate=true")
            data = materialize(trial.data)
            frames = outcome.artefacts["frames"]
            xx, yy = grid_axes(data, frames.shape[-1])
            k = max(1, frames.shape[-1] // 150)  # a GIF panel is ~120 px wide: draw at most 150 x 150
            panels.append({"data": data, "frames": frames[:, ::k, ::k], "steps": outcome.artefacts["frame_steps"],
                           "xx": xx[::k, ::k], "yy": yy[::k, ::k]})
    n_frames = max(len(p["frames"]) for p in panels)
    nr, nc = len(lay.rows), len(lay.cols)
    with F.viz.style.apply_style(**{"font.size": 8}):
        fig, axes = plt.subplots(nr, nc, figsize=(1.8 * nc + 0.4, 1.8 * nr + 0.7), squeeze=False)
        title = fig.suptitle("", fontsize=10)
        fig.tight_layout(rect=(0.02, 0, 1, 0.94))

        same_steps = all(np.array_equal(p["steps"], panels[0]["steps"]) for p in panels)

        def update(f: int):
            share = f / max(n_frames - 1, 1)
            for k, p in enumerate(panels):
                i, j = divmod(k, nc)
                ax = axes[i, j]
                ax.clear()
                # panels may train for different lengths (residual-surfaces): show the same share of each
                idx = int(round(share * (len(p["frames"]) - 1)))
                F.viz.surfaces.plot_surface(ax, p["xx"], p["yy"], p["frames"][idx], true_fn=p["data"].target_fn,
                                            ticks=False)
                if i == 0:
                    ax.set_title(lay.col_titles[j], fontsize=7.5)
                if j == 0:
                    ax.set_ylabel(formula(lay.rows[i]), fontsize=7.5)
            steps = panels[0]["steps"]
            when = (f"step {int(steps[f])} of {int(steps[-1])}" if same_steps
                    else f"{100 * share:.0f}% of training")
            title.set_text(f"{result.name}: {when} (seed {int(result.config['seed'])})")
            return []

        anim = FuncAnimation(fig, update, frames=n_frames, blit=False)
        path = Path(out_dir) / f"{name}.gif"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.gif")
        anim.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
        tmp.replace(path)
        plt.close(fig)
    return path


def animation_record(result, out_dir, *, col_title: Callable[[dict[str, Any]], str]):
    """The GIF of :func:`write_animation` as a figure record, when ``animate`` is set."""
    path = write_animation(result, out_dir, col_title=col_title)
    return F.viz.style.FigureRecord(name="training", path=path, caption="One seed's prediction surfaces "
                                    "during training (GIF): watch where each boundary forms and how fast "
                                    "it settles.")


def suite_figures(result, out_dir, formats, *, col_title: Callable[[dict[str, Any]], str],
                  stats: dict[str, Any] | None = None, extra=()) -> list:
    """The suite's figures: surfaces (main), disagreement per arm, ``extra`` and the animation.

    ``stats`` holds keyword arguments of :func:`stats_figure` (``connect``, ``xlabel``...), or
    ``{"skip": True}`` when an entry draws its own statistics figure in ``extra``.
    """
    stats = dict(stats or {})
    figs = [surface_grid_figure(result, out_dir, col_title=col_title, formats=formats)]
    if not stats.pop("skip", False):
        figs.append(stats_figure(result, out_dir, x=col_title, formats=formats, **stats))
    figs.extend(extra)
    if result.config.get("animate"):
        figs.append(animation_record(result, out_dir, col_title=col_title))
    return figs
