"""000, experiment 1: the universal approximation theorem in practice.

One hidden layer of 2, 4 or 16 sigmoid units fits sin(12x), -2x^4 + x^3 + x^2 - 2x and |x| on 50
points of [-1, 1]; the training MSE should fall as units are added.
"""

from __future__ import annotations

from atomlab.catalog import _figures as F
from atomlab.engine import TrainSpec
from atomlab.lab import DataSpec, Experiment, Trend, Trial, register_experiment
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


def figures(result, out_dir, formats=("png",)):
    main = F.function_fits_figure(result, out_dir, formats=formats, titles=TITLES)
    level = F.level_figure(result, out_dir, metric="train_mse", x="hidden_units", hue="function",
                           logy=True, name="mse-by-units", formats=formats,
                           caption="Training MSE falls with hidden units for every function; bands are "
                                   "95% bootstrap intervals over seeds.")
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
