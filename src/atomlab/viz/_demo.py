"""A gallery of every figure kind, a report and an atlas, built from synthetic data.

Run ``python -m atomlab.viz._demo OUT_DIR`` to look at the catalog's visual style without training
anything; the test suite runs it too, as an end-to-end check of the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from atomlab.viz.atlas import AtlasEntry, render_atlas
from atomlab.viz.boundaries import plot_decision_boundary
from atomlab.viz.curves import plot_curves, plot_metric_by_level
from atomlab.viz.diagrams import draw_neural_net, plot_activation_shapes
from atomlab.viz.report import ReportContent, render_report
from atomlab.viz.ridges import plot_histogram_ridges, plot_stat_small_multiples
from atomlab.viz.style import FigureRecord, apply_style, level_colors, save_figure
from atomlab.viz.surfaces import disagreement_area, surface_grid

# The four decision functions of "What 2D data reveals about deep nets?".
TRUE_FNS = {
    "y - x": lambda X: X[:, 1] - X[:, 0],
    "y - |x|": lambda X: X[:, 1] - np.abs(X[:, 0]),
    "ellipse": lambda X: 1 - X[:, 0] ** 2 / 4 - X[:, 1] ** 2,
    "y - sin(πx)": lambda X: X[:, 1] - np.sin(np.pi * X[:, 0]),
}


_ORDER = {"sin(12x)": 0, "polynomial": 1, "|x|": 2}


def synthetic_results(seed: int = 0) -> pd.DataFrame:
    """A tidy table like the runner's: width x function arms, 5 seeds, curves every 100 steps."""
    rng = np.random.default_rng(seed)
    rows = []
    for fn, difficulty in (("sin(12x)", 3.0), ("polynomial", 1.0), ("|x|", 0.6)):
        for width in (2, 4, 16, 64):
            for s in range(5):
                trial = f"{fn}-{width}-{s}"
                final = 0.4 * difficulty / width**0.8 + 0.01 * rng.random()
                diverged_at = 1200 if (fn == "polynomial" and width == 64 and s == 4) else None
                for step in range(0, 2001, 100):
                    transient = np.exp(-step / (200 + 1600 / width))
                    mse = final + 0.5 * difficulty * transient * (1 + 0.1 * rng.normal())
                    bad = diverged_at is not None and step >= diverged_at
                    rows.append({
                        "trial": trial, "arm": f"{fn}, {width} units", "seed": s, "step": step,
                        "epoch": step / 50, "function": fn, "hidden_units": width,
                        "train_mse": np.nan if bad else mse * 0.9, "test_mse": np.nan if bad else mse,
                        "diverged": bad,
                    })
    return pd.DataFrame(rows)


def _surface(fn, xx: np.ndarray, yy: np.ndarray, sharpness: float, wobble: float, rng) -> np.ndarray:
    score = fn(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    noise = wobble * np.sin(2.3 * xx + rng.uniform(0, 6)) * np.cos(1.7 * yy + rng.uniform(0, 6))
    return 1 / (1 + np.exp(-sharpness * (score + noise)))


def build_demo(out_dir: str | Path, *, grid_points: int = 90) -> dict[str, Path]:
    """Write the demo gallery, one report and the atlas under ``out_dir``; return their paths.

    ``grid_points`` is the resolution of the prediction surfaces (lower is faster, for tests).
    """
    out = Path(out_dir)
    rep_dir = out / "width"
    figs = rep_dir / "figures"
    rng = np.random.default_rng(0)
    df = synthetic_results()
    records: list[FigureRecord] = []

    with apply_style():
        # 1. Diagrams above the metric, as in the notebook's universal-approximation figure.
        widths = [2, 16, 100]
        fig = plt.figure(figsize=(11, 7.2), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 2.1])
        for ax, w in zip(top.subplots(1, 3), widths):
            draw_neural_net(ax, 0.1, 0.9, 0.12, 0.9, [1, w, 1])
            ax.set_title(f"1 hidden layer, {w} units", fontsize=11)
        axl, axr = bottom.subplots(1, 2)
        colors = level_colors(["sin(12x)", "polynomial", "|x|"])
        plot_metric_by_level(axl, df, x="hidden_units", y="test_mse", hue="function", logx=True, colors=colors,
                             ylabel="Test MSE (final)", legend="none")
        axl.set_yscale("log")
        plot_curves(axr, df.loc[df["hidden_units"] == 16], x="step", y="test_mse", hue="function", logy=True,
                    colors=colors, ylabel="Test MSE", title="16 hidden units")
        fig.suptitle("Wider hidden layers fit every function better")
        p = save_figure(fig, figs / "width_mse", formats=("png", "svg"))[0]
        records.append(FigureRecord("width_mse", p, "Final test MSE falls steadily with width for all three "
                                    "functions (bands: 95% t-intervals over 5 seeds); sin(12x) needs the most "
                                    "units. One polynomial trial at 64 units diverged and is left out.", main=True))

        # 2. Grid of surfaces: rows = decision functions, columns = activations.
        xx, yy = np.meshgrid(np.linspace(-3, 3, grid_points), np.linspace(-3, 3, grid_points))
        acts = {"sigmoid": (1.0, 0.9), "tanh": (4.0, 0.25), "relu": (3.5, 0.35), "elu": (4.0, 0.3),
                "swish": (4.0, 0.3)}
        cells = {}
        for fname, fn in TRUE_FNS.items():
            for act, (sharp, wob) in acts.items():
                prob = _surface(fn, xx, yy, sharp, wob, rng)
                err = disagreement_area(prob, fn, xx, yy)
                X = rng.uniform(-3, 3, size=(60, 2))
                cells[(fname, act)] = {"xx": xx, "yy": yy, "prob": prob, "true_fn": fn, "X": X,
                                       "y": (fn(X) > 0).astype(int), "title": f"wrong on {err:.1%}"}
        fig = surface_grid(list(TRUE_FNS), list(acts), cells, suptitle="Prediction surfaces by activation")
        p = save_figure(fig, figs / "surfaces")[0]
        records.append(FigureRecord("surfaces", p, "Solid lines (learned boundary) hug the dashed true boundaries "
                                    "for tanh, relu, elu and swish; sigmoid stays blurred and misses the sine."))

        # 3. Multi-class decision regions (4 blobs).
        centers = np.array([[-2, -2], [2, -2], [-2, 2], [2, 2]])
        Xb = np.concatenate([c + rng.normal(scale=0.9, size=(50, 2)) for c in centers])
        yb = np.repeat(np.arange(4), 50)
        fig, ax = plt.subplots(figsize=(5.8, 4.2), layout="constrained")
        plot_decision_boundary(
            ax, lambda P: np.argmin(((P[:, None, :] - centers[None]) ** 2).sum(-1), axis=1), Xb, yb,
            class_names=["blob A", "blob B", "blob C", "blob D"], title="Nearest-centre classifier",
        )
        p = save_figure(fig, figs / "blobs")[0]
        records.append(FigureRecord("blobs", p, "Four regions meet at the origin; the few points on the wrong "
                                    "side are where the blobs overlap."))

        # 4. Activation shapes.
        fig = plt.figure(figsize=(11, 2.4), layout="constrained")
        plot_activation_shapes(fig, {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "x²": np.square,
                                     "sin": np.sin, "sign": np.sign, "identity": lambda z: z})
        p = save_figure(fig, figs / "activations")[0]
        records.append(FigureRecord("activations", p, "The six activations compared: only sign is flat almost "
                                    "everywhere, so its gradient carries no signal."))

        # 5. Training statistics per layer.
        stats_rows = []
        for k, layer in enumerate(["dense_0", "dense_1", "dense_2", "output"]):
            for step in range(0, 2001, 50):
                decay = np.exp(-step / (600 * (k + 1)))
                mean = 0.02 * k * (1 - decay)
                std = 0.3 * (0.4 + 0.6 * decay) / (k + 1) ** 0.5
                stats_rows += [{"tensor": "weights", "layer": layer, "step": step, "stat": st, "value": v}
                               for st, v in (("mean", mean), ("std", std), ("min", mean - 3 * std),
                                             ("max", mean + 3.2 * std))]
                gstd = 0.05 * decay / (k + 1)
                stats_rows += [{"tensor": "gradients", "layer": layer, "step": step, "stat": st, "value": v}
                               for st, v in (("mean", 0.0), ("std", gstd), ("min", -4 * gstd), ("max", 4 * gstd))]
        fig = plot_stat_small_multiples(pd.DataFrame(stats_rows), row="tensor", suptitle="Layer statistics")
        p = save_figure(fig, figs / "stats")[0]
        records.append(FigureRecord("stats", p, "Weight spread shrinks fastest in the first layer; gradients "
                                    "vanish towards the output as training converges."))

        edges = np.linspace(-1.5, 1.5, 61)
        steps = np.arange(0, 2001, 100)
        counts = np.stack([np.histogram(rng.normal(0.1 * t / 2000, 0.6 - 0.35 * t / 2000, 4000), edges)[0]
                           for t in steps])
        fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
        plot_histogram_ridges(ax, steps, edges, counts, xlabel="Weight value (dense_0)", title="Weights over time")
        p = save_figure(fig, figs / "ridges")[0]
        records.append(FigureRecord("ridges", p, "The weight distribution of dense_0 narrows and drifts slightly "
                                    "positive over 2,000 steps."))

    last = df.loc[df.groupby("trial")["step"].idxmax()]
    summary = (
        last.loc[~last["diverged"]]
        .groupby(["function", "hidden_units"], sort=False)["test_mse"]
        .agg(mean="mean", sd="std", n="count")
        .reset_index()
        .sort_values(["function", "hidden_units"], key=lambda c: c.map(_ORDER) if c.name == "function" else c)
    )
    content = ReportContent(
        title="How many hidden units does a function need?",
        name="universal-approximation",
        source="Atomic experiments in deep learning, §1 (universal approximation)",
        question="Does the fit of a one-hidden-layer network improve as the layer gets wider?",
        hypothesis="As the number of hidden units increases, the test MSE decreases for each function.",
        method=("Train a 1-hidden-layer MLP on 50 points drawn from each function on [-1, 1] and measure the MSE "
                "of the fit.\n\nWidths 2, 4, 16 and 64; 5 seeds per arm; the claim is checked with a "
                "Spearman rank correlation per function, pooled over seeds. Uses `adam` with `lr=0.01`."),
        parameters={"dataset": {"name": "function1d", "n_train": 50, "domain": [-1, 1]},
                    "model": {"layers": [1, "<width>", 1], "activation": "relu", "init": "xavier"},
                    "train": {"optimizer": "adam", "lr": 0.01, "steps": 2000, "batch_size": 50},
                    "hidden_units": [2, 4, 16, 64], "functions": ["sin(12x)", "polynomial", "|x|"]},
        scale="quick",
        seeds=5,
        verdict="supported",
        verdict_text="Spearman ρ(width, MSE) = −0.93, 95% CI [−0.97, −0.86], n = 59 trials",
        claims=[
            {"claim": "Test MSE decreases with width (sin(12x))", "verdict": "supported", "statistic": -0.95,
             "ci": (-0.99, -0.88), "n_seeds": 5, "test": "Spearman, bootstrap CI"},
            {"claim": "Test MSE decreases with width (polynomial)", "verdict": "supported", "statistic": -0.91,
             "ci": (-0.97, -0.8), "n_seeds": 5, "test": "Spearman, bootstrap CI", "note": "1 trial diverged"},
            {"claim": "Test MSE decreases with width (|x|)", "verdict": "inconclusive", "statistic": -0.42,
             "ci": (-0.81, 0.12), "n_seeds": 5, "test": "Spearman, bootstrap CI",
             "note": "already near zero at 4 units"},
        ],
        source_conclusion=("As the number of hidden units increase, the approximation error on the training data "
                           "generally decreases."),
        agreement="Agrees: the error falls with width for every function, as the notebook says <and then some>.",
        discussion=("Wider layers give more linear pieces to a ReLU network, so oscillating targets such as "
                    "sin(12x) keep improving up to 64 units while |x| is fit almost exactly by 2 units."),
        figures=records,
        summary_table=summary,
        provenance={"versions": {"atomlab": "0.1.0", "torch": "2.4.0", "numpy": np.__version__},
                    "seed": 0, "threads": 2, "wall_time_s": 41.7, "machine": "x86_64, 2 cores",
                    "command": "atomlab run universal-approximation --scale quick"},
        data_note="Synthetic demo data: no network was trained to make this page.",
    )
    report = render_report(content, rep_dir)

    entries = [
        AtlasEntry(name="universal-approximation", title=content.title, source="Atomic experiments in deep learning",
                   section="§1 Universal approximation", question=content.question, verdict="supported",
                   report="width/report.html", verdict_text=content.verdict_text,
                   source_conclusion=content.source_conclusion, agreement="Agrees.", agrees=True,
                   thumbnail="width/figures/width_mse.png", thumbnail_caption=records[0].caption),
        AtlasEntry(name="depth-fixed-params", title="Depth at a fixed parameter budget",
                   source="Atomic experiments in deep learning", section="§2 Deeper networks",
                   question="With weights shared across layers, does depth raise accuracy on alternating labels?",
                   verdict="inconclusive", report="width/report.html",
                   verdict_text="Δacc(3 vs 1 layers) = +0.04, 95% CI [−0.02, 0.10]",
                   source_conclusion="Accuracy increases with increasing depth in most runs of the experiments.",
                   agreement="Partly: the trend is there but the interval covers zero.", agrees=None,
                   thumbnail="width/figures/blobs.png", thumbnail_caption=records[2].caption),
        AtlasEntry(name="activations-2d", title="Effect of activation on prediction surfaces",
                   source="What 2D data reveals about deep nets?", section="Effect of activation",
                   question="Which activations let a 4x10 MLP recover the four true boundaries?",
                   verdict="refuted", report="width/report.html",
                   verdict_text="tanh − relu disagreement area = +0.8 pp, 95% CI [+0.2, +1.4]",
                   source_conclusion="In fact tanh works better than relu in this case.",
                   agreement="Disagrees: relu is slightly better here.", agrees=False,
                   thumbnail="width/figures/surfaces.png", thumbnail_caption=records[1].caption),
        AtlasEntry(name="batchnorm-2d", title="Batch normalisation", source="What 2D data reveals about deep nets?",
                   section="Effect of batch normalization", question="Does batch norm beat an 8-layer plain net?",
                   verdict="failed", report="width/report.html", verdict_text="all trials diverged (lr too high)",
                   agrees=None),
    ]
    atlas = render_atlas(
        entries, out,
        header={"title": "atomlab: the atlas of atomic experiments",
                "intro": "Every experiment of the source documents, rerun with many seeds and checked.",
                "versions": {"atomlab": "0.1.0", "torch": "2.4.0"}, "machine": "x86_64, 2 cores",
                "wall_time_s": 612.0, "scale": "quick"},
        sections={"Where the sources disagree": [
            "The notebook finds tanh and relu about equal; the blog finds tanh better. With 10 seeds the "
            "difference is within noise on three of four functions.",
        ]},
    )
    return {"report": report, "atlas": atlas, "figures": figs}


if __name__ == "__main__":  # pragma: no cover
    paths = build_demo(sys.argv[1] if len(sys.argv) > 1 else "viz-demo")
    for k, v in paths.items():
        print(f"{k}: {v}")
