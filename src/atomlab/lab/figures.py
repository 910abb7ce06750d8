"""Figure recipes that read a :class:`~atomlab.lab.Result` and draw with :mod:`atomlab.viz`.

The catalog's entries draw their own figures; what more than one entry draws lives here, where the
next entry can reuse it: a metric by factor level (:func:`level_figure`), curves during training
(:func:`curves_figure`), grids of prediction surfaces (:func:`surface_grid_figure`) and decision
boundaries (:func:`boundary_figure`), accuracy and generalisation gap by level
(:func:`accuracy_figure`), and the small pieces they are made of (:func:`band`, :func:`dot_ci`,
:func:`save` ...). matplotlib and :mod:`atomlab.viz` are imported when a figure is first drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab._lazy import LazyModule
from atomlab._lazy import pyplot as plt
from atomlab.engine.grids import grid_axes
from atomlab.lab.claims import combine
from atomlab.lab.data import materialize
from atomlab.metrics import metric_bounds, metric_label


class _Viz:
    """``viz.style``, ``viz.surfaces`` ...: the submodules of :mod:`atomlab.viz`, each imported on first use."""

    def __init__(self) -> None:
        self._modules: dict[str, LazyModule] = {}

    def __getattr__(self, name: str) -> LazyModule:
        if name.startswith("_"):  # doctest and inspect probe attributes such as __wrapped__
            raise AttributeError(name)
        return self._modules.setdefault(name, LazyModule(f"atomlab.viz.{name}"))


#: :mod:`atomlab.viz`, its submodules imported when a figure first uses them.
viz = _Viz()


def label(name: str) -> str:
    """Axis label for a column name (:func:`atomlab.metrics.metric_label`).

    Examples
    --------
    >>> label("test_acc"), label("hidden_units")
    ('test accuracy', 'hidden units')
    """
    return metric_label(name)




def save(fig, out_dir, name: str, caption: str, *, main: bool = False, formats=("png",), dpi: int | None = None,
         palette: bool = False):
    """Save ``fig`` as ``out_dir/name.<format>``, close it, and return its ``FigureRecord``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    out_dir : path
        Its directory.
    name, caption : str
        File name (without suffix) and the caption the report shows.
    main : bool, default False
        The report's main figure.
    formats : sequence of str, default ("png",)
        File formats.
    dpi : int, optional
        Resolution (default: :func:`atomlab.viz.style.save_figure`'s).
    palette : bool, default False
        Re-encode PNGs with 256 colours, which shrinks figures of many thin anti-aliased lines (weight
        trajectories) several times over.

    Returns
    -------
    FigureRecord

    Examples
    --------
    >>> import tempfile
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> record = save(fig, tempfile.mkdtemp(), "line", "A line.", dpi=50)
    >>> record.path.name, record.main
    ('line.png', False)
    """
    options = {} if dpi is None else {"dpi": dpi}
    paths = viz.style.save_figure(fig, Path(out_dir) / name, formats=formats, **options)
    plt.close(fig)
    if palette:
        from PIL import Image

        for path in paths:
            if path.suffix == ".png":
                with Image.open(path) as im:
                    small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
                small.save(path, optimize=True)
    return viz.style.FigureRecord(name=name, path=paths[0], caption=caption, main=main)


def style(**overrides: Any):
    """The atomlab figure style, as a context manager (``atomlab.viz.style.apply_style``).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with style():
    ...     inside = mpl.rcParams["axes.spines.top"]
    >>> inside
    False
    """
    return viz.style.apply_style(**overrides)


def interval(values, bounds: tuple[float, float] | None = None) -> tuple[float, float]:
    """The 95% interval of the mean of the finite ``values`` (:func:`atomlab.stats.mean_interval`).

    Examples
    --------
    >>> low, high = interval([0.97, 0.99, 1.0], bounds=(0, 1))
    >>> bool(low < 0.987 < high <= 1)
    True
    """
    v = np.asarray(values, dtype=float)
    return stats.mean_interval(v[np.isfinite(v)], bounds=bounds)[1:]


def ci_text(values, fmt: str = ".3g", *, lower: float = -np.inf, upper: float = np.inf) -> str:
    """``mean [low, high]`` of the finite ``values`` over seeds, the interval inside ``[lower, upper]``.

    Examples
    --------
    >>> ci_text([0.1, 0.2, 0.3], lower=0.0)  # Student's t on distinct values
    '0.2 [0, 0.448]'
    """
    v = np.asarray(values, dtype=float)
    mean, lo, hi = stats.mean_interval(v[np.isfinite(v)], bounds=(lower, upper))
    return f"{mean:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def claim_caption(result, index: int | str = 0) -> str:
    """What the data show for one claim of ``result``, in one sentence for a figure caption.

    A caption states what was found, not what was hoped: it names the groups where the claim holds, where the
    data contradict it, and where the seeds do not settle it.

    Parameters
    ----------
    result : Result
        The run, with its claim results.
    index : int or str, default 0
        The claim: its position, or a piece of its text (for entries whose claims depend on the settings).

    Returns
    -------
    str
        The sentence, or ``""`` when the run has no such claim (a scale that drops it).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> tests = [NS(group="function=sin", verdict="inconclusive", n_seeds=5),
    ...          NS(group="function=abs", verdict="supported", n_seeds=5)]
    >>> run = NS(claims=[NS(text="train_mse falls with hidden units", tests=tests)])
    >>> claim_caption(run)
    "'train_mse falls with hidden units' holds for function=abs and is not settled for function=sin (5 seeds)."
    >>> claim_caption(NS(claims=[NS(text="relu beats tanh", tests=[NS(group="", verdict="refuted", n_seeds=1)])]),
    ...               "relu")
    "The data contradict 'relu beats tanh' (1 seed)."
    >>> claim_caption(run, "no such claim")
    ''
    """
    claims = list(getattr(result, "claims", None) or [])
    if isinstance(index, str):
        claim = next((c for c in claims if index in c.text), None)
    else:
        claim = claims[index] if -len(claims) <= index < len(claims) else None
    if claim is None or not claim.tests:
        return ""
    seeds = stats.counted(min(t.n_seeds for t in claim.tests))
    if all(not t.group for t in claim.tests):
        word = {"supported": "support", "refuted": "contradict",
                "inconclusive": "do not settle"}[combine([t.verdict for t in claim.tests])]
        return f"The data {word} '{claim.text}' ({seeds})."
    by_verdict: dict[str, list[str]] = {"supported": [], "refuted": [], "inconclusive": []}
    for t in claim.tests:
        by_verdict[t.verdict].append(t.group or "the whole run")
    words = {"supported": "holds for", "refuted": "is contradicted for", "inconclusive": "is not settled for"}
    parts = [f"{words[v]} {' and '.join(groups)}" for v, groups in by_verdict.items() if groups]
    return f"'{claim.text}' " + " and ".join(parts) + f" ({seeds})."


def claim_captions(result, *keys: int | str) -> str:
    """:func:`claim_caption` for several claims: by position, or every claim whose text contains a given piece
    (all the claims of ``result`` when no key is given).

    Claims tested as a whole are said in one sentence, grouped by what the data did to them; a claim tested
    per group gets its own sentence.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> run = NS(claims=[NS(text=f"a beats {b}", tests=[NS(group="", verdict=v, n_seeds=6)])
    ...                  for b, v in (("b", "supported"), ("c", "supported"), ("d", "inconclusive"))])
    >>> claim_captions(run, "beats")
    "The data support 'a beats b' and 'a beats c', and do not settle 'a beats d' (6 seeds)."
    """
    claims = list(getattr(result, "claims", None) or [])
    chosen: list[int] = []
    for key in keys or range(len(claims)):
        found = [i for i, c in enumerate(claims) if key in c.text] if isinstance(key, str) else [key]
        chosen += [i for i in found if -len(claims) <= i < len(claims) and i not in chosen]
    whole = [claims[i] for i in chosen if claims[i].tests and all(not t.group for t in claims[i].tests)]
    by_verdict: dict[str, list[str]] = {"supported": [], "refuted": [], "inconclusive": []}
    for c in whole:
        by_verdict[combine([t.verdict for t in c.tests])].append(f"'{c.text}'")
    words = {"supported": "support", "refuted": "contradict", "inconclusive": "do not settle"}
    parts = [f"{words[v]} {_and(texts)}" for v, texts in by_verdict.items() if texts]
    sentences = []
    if parts:
        seeds = stats.counted(min(t.n_seeds for c in whole for t in c.tests))
        sentences.append("The data " + _and(parts, ", and ") + f" ({seeds}).")
    sentences += [claim_caption(result, i) for i in chosen if claims[i] not in whole]
    return " ".join(text for text in sentences if text)


def _and(items: Sequence[str], last: str = " and ") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def pct_text(values) -> str:
    """``mean% [low, high]`` of accuracies over seeds, in percent (the interval stays within [0, 100]).

    Examples
    --------
    >>> pct_text([0.9, 0.92, 0.94])  # t(0.975, 2) * 0.02 / sqrt(3) = 0.0497
    '92.0% [87.0, 97.0]'
    """
    v = 100 * np.asarray(values, dtype=float)
    mean, lo, hi = stats.mean_interval(v[np.isfinite(v)], bounds=(0.0, 100.0))
    return f"{mean:.1f}% [{lo:.1f}, {hi:.1f}]"


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
                ax.text(0.03, 0.03, f"acc {ci_text(accs, lower=0.0, upper=1.0)}", transform=ax.transAxes, fontsize=7,
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
    viz.boundaries.plot_decision_boundary(ax, (xx, yy, grid), data.X_train, data.y_train, legend="none",
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
    with viz.style.apply_style():
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
    return save(fig, out_dir, name, caption, main=main, formats=formats)


def accuracy_figure(result, out_dir, *, x: str, hue: str | None = None, where: dict[str, Any] | None = None,
                    name: str = "accuracy", caption: str = "", logx: bool = False, formats=("png",)):
    """Training accuracy, test accuracy and their gap against the levels of ``x``, mean over seeds with bands."""
    df = result.final.assign(gap=result.final["train_acc"] - result.final["test_acc"])
    for k, v in (where or {}).items():
        df = df[df[k].isin(v if isinstance(v, list) else [v])]
    with viz.style.apply_style():
        fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.6))
        for ax, metric, ylabel in zip(axes, ("train_acc", "test_acc", "gap"),
                                      ("training accuracy", "test accuracy", "train − test accuracy")):
            viz.curves.plot_metric_by_level(ax, df, x=x, y=metric, hue=hue, logx=logx,
                                            legend="none" if metric != "gap" else "auto")
            ax.set_ylabel(ylabel)
            ax.set_xlabel(label(x))
        fig.tight_layout()
    return save(fig, out_dir, name, caption or f"Accuracy by {label(x)}: bands are 95% intervals over seeds.",
                  formats=formats)


def colors(levels: Sequence[Any]) -> dict[Any, Any]:
    """One colour per level, the same in every figure of an experiment.

    Examples
    --------
    >>> c = colors([1, 4, 16])
    >>> sorted(c) == [1, 4, 16] and len(set(c.values())) == 3
    True
    """
    from atomlab.viz import style as _style

    return _style.level_colors(list(levels))


def band(ax, x, values: np.ndarray, color, label: str | None = None, ls: str = "-", marker: str | None = None,
         alpha: float = 0.18, clip: tuple[float, float] | None = None) -> None:
    """Mean over rows of ``values`` (seeds x points) with a 95% band over seeds, inside the range ``clip``.

    Examples
    --------
    >>> import numpy as np
    >>> fig, ax = plt.subplots()
    >>> band(ax, [0, 1, 2], np.array([[0.0, 1.0, 2.0], [0.2, 1.2, 2.2]]), color="C0", label="two seeds")
    >>> [round(float(v), 2) for v in ax.lines[0].get_ydata()]  # the mean line; the band: stats.mean_interval
    [0.1, 1.1, 2.1]
    >>> plt.close(fig)
    """
    values = np.asarray(values, dtype=float)
    mean = np.nanmean(values, axis=0)
    lo, hi = np.array([interval(col, bounds=clip) for col in values.T]).T
    ax.plot(x, mean, ls, color=color, label=label, marker=marker, ms=3)
    if values.shape[0] > 1:
        ax.fill_between(x, lo, hi, color=color, alpha=alpha, lw=0)


def curves(table: pd.DataFrame, metric: str, x: str = "step", **where: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x values, seeds x points array)`` of ``metric`` among the rows matching ``where``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"seed": [0, 0, 1, 1], "step": [0, 10, 0, 10], "loss": [1.0, 0.5, 0.9, 0.3],
    ...                       "arm": ["a"] * 4})
    >>> x, values = curves(table, "loss", arm="a")
    >>> x.tolist(), values.tolist()
    ([0.0, 10.0], [[1.0, 0.5], [0.9, 0.3]])
    """
    df = table
    for k, v in where.items():
        df = df[df[k].map(lambda c: tuple(c) if isinstance(c, list) else c) == v]
    pivot = df.pivot_table(index="seed", columns=x, values=metric, aggfunc="mean")
    return pivot.columns.to_numpy(dtype=float), pivot.to_numpy(dtype=float)


def dot_ci(ax, labels: Sequence[str], groups: Sequence[np.ndarray], color_map: dict | None = None,
           jitter: bool = True, bounds: tuple[float, float] | None = None) -> None:
    """Per label: the seeds as faint dots and the mean with its 95% interval as a bar.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> dot_ci(ax, ["relu", "tanh"], [[0.9, 0.92, 0.91], [0.8, 0.85, 0.83]])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['relu', 'tanh']
    >>> plt.close(fig)
    """
    rng = np.random.default_rng(0)
    for i, (lab, vals) in enumerate(zip(labels, groups)):
        vals = np.asarray(vals, dtype=float)
        vals = vals[np.isfinite(vals)]
        c = (color_map or {}).get(lab, "C0")
        xs = i + (rng.uniform(-0.12, 0.12, len(vals)) if jitter else np.zeros(len(vals)))
        ax.plot(xs, vals, "o", color=c, alpha=0.35, ms=3)
        if len(vals):
            mean, low, high = stats.mean_interval(vals, bounds=bounds)
            ax.errorbar([i], [mean], yerr=[[mean - low], [high - mean]],
                        fmt="s", color=c, ms=6, capsize=4, lw=1.8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
