"""002, "Effect of Residual Connection": [10]*4 relu MLPs with and without residual connections,
trained on 100 to 100,000 points.

Gupta, "What 2D data reveals about deep nets", section "Effect of Residual Connection" (code:
``effect_of_num_samples.py``): "Whenever the input and output size of a layer matches, the residual
connection adds the input back to the output before applying the activation [...]. Even then,
residual connections noticeably improve performance. The other purpose of this experiment was to
see how the prediction surface changes with the number of training samples available. Mini-batch
size of 100 was used for this experiment since the smallest training set size used is 100."
"""

from __future__ import annotations

import numpy as np

from atomlab._lazy import pyplot as plt
from atomlab.catalog.surfaces_2d import _surface_suite as S
from atomlab.lab import Compare, Trend, register_experiment
from atomlab.lab import figures as F


def make_trial(cfg, levels, seed):
    return S.suite_trial({**cfg, "n_train": int(levels["n_train"])}, levels, seed,
                         residual=bool(levels["residual"]))


def col_title(levels) -> str:
    return f"n = {int(levels['n_train']):,}\n" + ("residual" if levels["residual"] else "plain")


def claims(cfg):
    out = []
    if {True, False} <= {bool(r) for r in cfg["residual"]}:
        out.append(Compare("test_acc", {"residual": True}, {"residual": False}, direction="greater",
                           text="residual connections improve test accuracy (averaged over the functions and "
                                "training-set sizes)"))
    if len(cfg["n_train"]) >= 2:
        out.append(Trend("test_acc", "n_train", "increasing", levels=sorted(int(n) for n in cfg["n_train"]),
                         text="test accuracy increases with the number of training points (averaged over the "
                              "functions and both architectures)"))
    return out


def size_figure(result, out_dir, formats=("png",)):
    """Disagreement against training-set size, plain (dashed) and residual (solid), per function."""
    f = result.final
    functions = list(dict.fromkeys(t.levels["function"] for t in result.trials))
    sizes = sorted({int(n) for n in result.config["n_train"]})
    colors = F.viz.style.level_colors([S.formula(fn) for fn in functions])
    with F.viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(6.8, 4.2))
        for k, fn in enumerate(functions):
            for res in (False, True):
                summaries = [S.summary(f[(f["function"] == fn) & (f["n_train"] == n) & (f["residual"] == res)]
                                       ["disagreement"]) for n in sizes]
                means = np.array([s["mean"] for s in summaries])
                lows = np.maximum([s["ci_low"] for s in summaries], 0.3 * means)  # log axis: no 0
                highs = np.array([s["ci_high"] for s in summaries])
                shift = 1.0 + 0.025 * (2 * k + res - len(functions))
                ax.errorbar(np.array(sizes) * shift, means, yerr=[means - lows, highs - means], marker="o",
                            ms=4.5, lw=1.4, capsize=2.5, color=colors[S.formula(fn)],
                            ls="-" if res else "--", mfc=colors[S.formula(fn)] if res else "white")
        for fn in functions:
            ax.plot([], [], color=colors[S.formula(fn)], lw=2, label=S.formula(fn))
        ax.plot([], [], "k-", marker="o", label="residual")
        ax.plot([], [], "k--", marker="o", mfc="white", label="plain")
        ax.set_xscale("log")
        S.percent_log_axis(ax)
        ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
        ax.set_xlabel("training points (batches of 100, 100 epochs)")
        ax.set_ylabel("disagreement (share of the box)")
        ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
    return F.save(fig, out_dir, "disagreement", "Disagreement with the true boundary against the training-set "
                  "size, one colour per function, residual networks solid and plain ones dashed; points are means "
                  "over seeds, bars 95% intervals. " + F.claim_caption(result, "residual connections"),
                  formats=formats)


def figures(result, out_dir, formats=("png",)):
    return S.suite_figures(result, out_dir, formats, col_title=col_title, stats={"skip": True},
                           extra=[size_figure(result, out_dir, formats=formats)])


def discussion(result) -> str:
    f = result.final
    parts = []
    for n in result.config["n_train"]:
        plain = S.per_seed(f, "disagreement", {"n_train": n, "residual": False})
        res = S.per_seed(f, "disagreement", {"n_train": n, "residual": True})
        parts.append(f"n = {int(n):,}: disagreement {S.mean_ci_text(plain)} plain vs {S.mean_ci_text(res)} residual")
    return ("Averaged over the decision functions (mean [95% interval] over seeds): " + "; ".join(parts) + ". "
            "As in the source's code the number of epochs is fixed (100), so a larger training set also means "
            "more SGD steps (n / 100 per epoch): the size effect mixes more data with more updates. "
            + S.DISAGREEMENT_NOTE)


EXPERIMENT = register_experiment(S.SurfaceExperiment(
    name="residual-surfaces",
    title="Effect of residual connections and training-set size on 2-D prediction surfaces",
    source="002", section="What 2D data reveals about deep nets (Gupta), Effect of Residual Connection",
    question="Do residual connections (input added before the activation where widths match) help a [10]*4 "
             "relu MLP, and how does the surface change with 100 to 100,000 training points?",
    hypothesis="Residual connections noticeably improve the surfaces; accuracy grows with the training set.",
    method=S.METHOD + " Here: [10]*4 relu networks with and without residual connections on layers 2 to 4 "
                      "(the first layer maps 2 inputs to 10 units, so it has none), trained on 100, 1,000, "
                      "10,000 and 100,000 points with batches of 100 for 100 epochs (as the source's code: "
                      "n / 100 steps per epoch).",
    source_conclusion="Here a residual block consists of a single fully connected layer and no relu activation. "
                      "Even then, residual connections noticeably improve performance. The other purpose of this "
                      "experiment was to see how the prediction surface changes with the number of training "
                      "samples available.",
    settings={**S.SUITE_SETTINGS, "n_train": [100, 1000, 10_000, 100_000], "residual": [False, True],
              "batch_size": 100},
    provenance={**S.SUITE_PROVENANCE, "n_train": "source code: N in {100, 1,000, 10,000, 100,000}",
                "residual": "source code: residual [False, True, True, True] (no skip where the widths differ) "
                            "against none", "batch_size": "source text: batches of 100 (also its code)"},
    factors=["function", "n_train", "residual"],
    scales={"smoke": {**S.SUITE_SCALES["smoke"], "n_train": [100, 500]},
            "quick": {**S.SUITE_SCALES["quick"], "n_train": [100, 1000, 4000], "epochs": 100, "record_every": None},
            "paper": {}},
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    differences=S.DIFFERENCES + " The source ran residual connections only as part of its sample-size sweep; "
                                "we keep that design and test both effects over seeds.",
))
