"""000, experiment 1: the universal approximation theorem in practice.

One hidden layer of 2, 4 or 16 sigmoid units fits sin(12x), -2x^4 + x^3 + x^2 - 2x and |x| on 50
points of [-1, 1]; the training MSE should fall as units are added.
"""

from __future__ import annotations

import numpy as np

from atomlab._lazy import pyplot as plt
from atomlab.engine import TrainSpec, grid_axes
from atomlab.lab import DataSpec, Experiment, Trend, Trial, register_experiment
from atomlab.lab import figures as F
from atomlab.lab.data import materialize
from atomlab.nn import MLPSpec

FUNCTIONS = {
    "sin": {"function": "sin", "omega": 12.0},
    "poly": {"function": "poly", "coefficients": [0.0, -2.0, 1.0, 1.0, -2.0]},
    "abs": {"function": "abs"},
}
TITLES = {"sin": "sin(12x)", "poly": "-2x⁴+x³+x²-2x", "abs": "|x|"}


def make_trial(cfg, levels, seed):
    data = DataSpec("function1d", {**FUNCTIONS[levels["function"]], "n_train": cfg["n_points"],
                                   "n_test": 200}, seed=0)
    model = MLPSpec(layers=(levels["hidden_units"],), activation=cfg["activation"], init="xavier",
                    bias_init="same")
    train = TrainSpec(optimizer="adam", lr=cfg["lr"], steps=cfg["steps"], batch_size=cfg["batch_size"],
                      loss="mse", grid=cfg["curve_points"], record_every=max(1, cfg["steps"] // 20))
    return Trial(levels, seed, data, model, train)


def function_fits_figure(result, out_dir, *, titles: dict, formats=("png",)):
    """000's universal-approximation grid: diagrams on top, true and fitted curves below."""
    functions = list(result.config["function"])
    units = list(result.config["hidden_units"])
    seed0 = int(result.config["seed"])
    colors = F.viz.style.level_colors(units)
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(len(functions) + 1, len(units), figsize=(3.6 * len(units),
                                                                          2.9 * (len(functions) + 1)),
                                 squeeze=False)
        for j, n in enumerate(units):
            ax = axes[0, j]
            ax.axis("off")
            F.viz.diagrams.draw_neural_net(ax, 0.1, 0.9, 0.1, 0.9, [1, n, 1])
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
                ax.set_title(f"{titles.get(fn, fn)}\nMSE {F.ci_text(mses, lower=0.0)}", fontsize=9)
                ax.set_xlabel("x")
                if j == 0:
                    ax.set_ylabel("y")
        axes[1, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
    return F.save(fig, out_dir, "fits", "Each panel overlays one fitted network (coloured) on the true "
                "function (grey), one column per width; titles give the training MSE as mean [95% interval] "
                f"over seeds. {F.claim_caption(result)}", main=True, formats=formats)



def figures(result, out_dir, formats=("png",)):
    main = function_fits_figure(result, out_dir, formats=formats, titles=TITLES)
    level = F.level_figure(result, out_dir, metric="train_mse", x="hidden_units", hue="function",
                           logy=True, name="mse-by-units", formats=formats,
                           caption="Training MSE by hidden units, mean over seeds with 95% intervals. "
                                   + F.claim_caption(result))
    return [main, level]


EXPERIMENT = register_experiment(Experiment(
    name="universal-approximation",
    title="Universal approximation: how many hidden units does a function need?",
    source="000", section="Atomic Experiments in Deep Learning (Abid, 2018), experiment 1",
    question="Does a one-hidden-layer network fit a function better as its hidden layer widens?",
    hypothesis="As the number of units in the hidden layer increases, the accuracy of the resulting fit "
               "will increase (error will decrease).",
    method="One-hidden-layer sigmoid MLPs (Glorot-uniform weights and biases, linear output) are trained "
           "with Adam (lr 0.003) on the MSE of 50 evenly spaced points of each function on [-1, 1] "
           "(full batch: the source's batch of 64 exceeds 50). We record the training MSE over seeds.",
    source_conclusion="As the number of hidden units increase, the approximation error on the training "
                      "data generally decreases.",
    settings={"hidden_units": [2, 4, 16], "function": ["sin", "poly", "abs"], "n_points": 50,
              "activation": "sigmoid", "lr": 0.003, "steps": 20000, "batch_size": 64, "curve_points": 200,
              "seeds": 8},
    factors=["function", "hidden_units"],
    choices={"function": list(FUNCTIONS)},
    scales={"smoke": {"steps": 300, "seeds": 2, "curve_points": 50},
            "quick": {"steps": 8000, "seeds": 5}},
    make_trial=make_trial,
    claims=[Trend("train_mse", "hidden_units", "decreasing", by=["function"],
                  text="training MSE decreases with hidden units, for every function")],
    figures=figures,
    metric="train_mse",
    differences="The source trained each width once and read the error off the plot; we train every "
                "width from several seeds and test the trend per function with a rank statistic. The "
                "number of training steps is not stated in the text; Adam at lr 0.003 needs many steps to grow "
                "the steep sigmoids sin(12x) asks for, so we use 20,000 full-batch steps at paper scale "
                "(8,000 at quick).",
))
