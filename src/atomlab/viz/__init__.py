"""Figures and reports of atomlab experiments, drawn from plain data (never from models).

Inputs are the tidy result table (a pandas DataFrame with one row per trial and recorded step:
``trial``, ``arm``, ``seed``, ``step``, ``epoch``, factor columns, metric columns such as
``test_acc`` and ``train_mse``, and ``diverged``), NumPy grids of predictions, and dicts.

Modules, one job each:

- :mod:`~atomlab.viz.style`: palette, level colours, rcParams, :func:`save_figure`, :class:`FigureRecord`
- :mod:`~atomlab.viz.curves`: metric by factor level, training curves (means over seeds with bands)
- :mod:`~atomlab.viz.surfaces`: 2-D prediction surfaces, grids of them, disagreement with the truth
- :mod:`~atomlab.viz.diagrams`: network diagrams, activation shapes
- :mod:`~atomlab.viz.boundaries`: decision regions of 2-D classifiers
- :mod:`~atomlab.viz.ridges`: training statistics per layer, histograms over time
- :mod:`~atomlab.viz.report` and :mod:`~atomlab.viz.atlas`: the HTML report and the atlas
"""

from atomlab.viz.atlas import AtlasEntry, render_atlas
from atomlab.viz.boundaries import plot_decision_boundary, predicted_classes
from atomlab.viz.curves import mean_band, plot_curves, plot_metric_by_level
from atomlab.viz.diagrams import draw_neural_net, plot_activation_shapes
from atomlab.viz.report import ReportContent, render_report, result_html
from atomlab.viz.ridges import plot_histogram_ridges, plot_stat_small_multiples
from atomlab.viz.style import (
    CLASS_COLORS,
    OKABE_ITO,
    PALETTE,
    SURFACE_CMAP,
    VERDICT_STYLE,
    FigureRecord,
    apply_style,
    class_colors,
    level_colors,
    save_figure,
)
from atomlab.viz.surfaces import (
    disagreement_area,
    evaluate_on_grid,
    plot_surface,
    surface_grid,
    surface_legend_handles,
)

__all__ = [
    "CLASS_COLORS",
    "OKABE_ITO",
    "PALETTE",
    "SURFACE_CMAP",
    "VERDICT_STYLE",
    "AtlasEntry",
    "FigureRecord",
    "ReportContent",
    "apply_style",
    "class_colors",
    "disagreement_area",
    "draw_neural_net",
    "evaluate_on_grid",
    "level_colors",
    "mean_band",
    "plot_activation_shapes",
    "plot_curves",
    "plot_decision_boundary",
    "plot_histogram_ridges",
    "plot_metric_by_level",
    "plot_stat_small_multiples",
    "plot_surface",
    "predicted_classes",
    "render_atlas",
    "render_report",
    "result_html",
    "save_figure",
    "surface_grid",
    "surface_legend_handles",
]
