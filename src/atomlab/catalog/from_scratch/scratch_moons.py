"""003, part I: the network from scratch on make_moons (activation, hidden units, depth, width).

Problem set 003 writes a 3-layer and an N-layer network in NumPy with hand-derived
backpropagation (:mod:`atomlab.scratch`), trains it with full-batch gradient descent (20,000 passes,
``epsilon = 0.01`` on the summed loss, ``reg_lambda = 0.01``) on scikit-learn's ``make_moons(200,
noise=0.2)`` and judges decision boundaries by eye while it varies the activation, the number of
hidden units, the number of hidden layers and their width. These entries redraw its grids of
boundaries, add a test set and several seeds (initial weights and data), and check its readings.

Every entry runs on :mod:`atomlab.scratch` by default; ``--set engine=torch`` trains the same
networks, from the same initial weights, on the population engine (``autograd``: one plain PyTorch
module). ``scratch-engines`` measures how closely the engines agree.
"""

from __future__ import annotations

from atomlab.catalog.from_scratch._recipe import PROVENANCE_003, SCALES_003, SETTINGS_003, moons_data, trial_003
from atomlab.lab import Compare, Equivalent, Experiment, Trend, register_experiment
from atomlab.lab import figures as F
from atomlab.lab import figures as SF
from atomlab.lab.derived import generalisation_gap

SECTION = "Problem Set #1, I. Backpropagation in a simple neural network"
ACTIVATIONS = ["tanh", "sigmoid", "relu"]
METHOD_003 = ("make_moons with 200 training points and noise 0.2 (redrawn per seed) plus 200 test points; "
              "a network with softmax output trained by full-batch gradient descent on the mean cross-entropy "
              "plus 5e-5/2 ||W||^2, step 2.0, for 20,000 passes (003's epsilon = 0.01 and reg_lambda = 0.01 on "
              "the summed loss of 200 points); weights N(0, 1/fan_in) as 003 draws them, zero biases. ")
DIFF_003 = ("003 trained one network per setting on one data set and read its boundaries by eye; we redraw the "
            "data and the initial weights per seed, add a test set of 200 points, and test each reading with a "
            "statistic. 003's code steps along the gradient of the summed loss; we step along that of the mean "
            "loss with the step and penalty rescaled by n = 200 (the same updates, see "
            "atomlab.scratch.problem_set_hyperparameters). The initial weights have 003's distribution "
            "(randn / sqrt(fan_in)) but come from the trial's seed stream, so that every engine starts from the "
            "same ones. 003 states none of its training hyperparameters (step, passes, regularisation, data "
            "size and noise): the values are those of the from-scratch tutorial its code follows, marked "
            "assumed in the settings table.")


def _moons_trial(cfg, levels, seed, layers, activation):
    return trial_003(cfg, levels, seed, moons_data(cfg, seed), layers, activation)


# ----- scratch-moons-activation ---------------------------------------------------------------------------
def activation_trial(cfg, levels, seed):
    return _moons_trial(cfg, levels, seed, [cfg["width"]] * int(levels["depth"]), levels["activation"])


def activation_figures(result, out_dir, formats=("png",)):
    acts, depths = list(result.config["activation"]), list(result.config["depth"])
    width = result.config["width"]
    panels = [(f"{a}, {d} × {width}", {"activation": a, "depth": d}) for d in depths for a in acts]
    main = SF.boundary_figure(result, out_dir, panels=panels, ncols=len(acts), name="boundaries", main=True,
                              row_titles=[f"{d} hidden layer{'s' * (d > 1)}" for d in depths], formats=formats,
                              caption="Decision boundaries of the first seed's network (training points on top), "
                                      "one row per depth; titles give the test accuracy over seeds as mean [95% "
                                      "interval]. " + F.claim_captions(result))
    acc = F.level_figure(result, out_dir, metric="test_acc", x="activation", hue="depth", name="accuracy",
                         caption="Test accuracy per activation and depth, mean over seeds with 95% intervals. "
                                 + F.claim_captions(result), formats=formats)
    return [main, acc]


register_experiment(Experiment(
    name="scratch-moons-activation",
    title="From scratch: tanh, sigmoid and ReLU on make_moons",
    source="003", section=SECTION + ", 3-layer network and N-layer network (activation)",
    question="How does the hidden activation change the boundary a 3-unit network learns on make_moons, with "
             "one hidden layer and with four?",
    hypothesis="tanh and sigmoid give very similar smooth boundaries; ReLU gives a piecewise boundary that fits "
               "worse with 3 units, and with 4 hidden layers of 3 ReLU gives no boundary at all.",
    method=METHOD_003 + "Hidden layers of 3 units (one, as 003's 3-layer network, or four, as its N-layer "
                        "network) with tanh, sigmoid or ReLU.",
    source_conclusion="Upon visual inspection, the hyperbolic tangent (tanh) and sigmoid activation functions "
                      "produce a very similar decision boundary. The decision boundary for both is smooth, "
                      "reflecting the fact that both activation functions are smooth curves. The rectified linear "
                      "unit (ReLU) activation function produced a piecewise decision boundary that does not fit "
                      "the data as well as those from the tanh or sigmoid activation functions given the same "
                      "number of hidden dimensions [...] The rectified linear unit (ReLU) activation function did "
                      "not produce a decision boundary, perhaps due to a shallow gradient or perhaps due to strong "
                      "regularization.",
    settings={**SETTINGS_003, "activation": ACTIVATIONS, "depth": [1, 4], "width": 3},
    provenance={**PROVENANCE_003, "activation": "source text: tanh, sigmoid, ReLU",
                "depth": "source text: the 3-layer network (1 hidden layer) and 4 hidden layers",
                "width": "source text: 3 hidden units"},
    factors=["depth", "activation"],
    scales=SCALES_003,
    # Three of its four effects are a few points of test accuracy: at quick, 12 seeds left them undecided and 24
    # decide all four (about 40 s on 2 cores; paper's 20,000 passes decide them on 10).
    quick_seed_growth=4,
    derive=generalisation_gap,
    make_trial=activation_trial,
    claims=[
        Compare("test_acc", {"activation": "relu"}, {"activation": "tanh"}, direction="smaller",
                where={"depth": 1}, text="one layer of 3: ReLU fits worse than tanh (test accuracy)"),
        Compare("test_acc", {"activation": "relu"}, {"activation": "sigmoid"}, direction="smaller",
                where={"depth": 1}, text="one layer of 3: ReLU fits worse than sigmoid (test accuracy)"),
        Equivalent("test_acc", {"activation": "tanh"}, {"activation": "sigmoid"}, margin=0.02, where={"depth": 1},
                   text="one layer of 3: tanh and sigmoid are equivalent (test accuracy within 2 points)"),
        Compare("test_acc", {"activation": "relu"}, {"activation": "tanh"}, direction="smaller",
                where={"depth": 4}, text="four layers of 3: ReLU is worse than tanh (no boundary)"),
    ],
    figures=activation_figures,
    differences=DIFF_003 + " 003's deep activation comparison (4 layers of 3) is folded in as depth = 4.",
))


# ----- scratch-moons-hidden-units --------------------------------------------------------------------------
def units_trial(cfg, levels, seed):
    return _moons_trial(cfg, levels, seed, [int(levels["hidden_units"])], cfg["activation"])


def units_figures(result, out_dir, formats=("png",)):
    units = list(result.config["hidden_units"])
    panels = [(f"{n} hidden unit{'s' * (n > 1)}", {"hidden_units": n}) for n in units]
    main = SF.boundary_figure(result, out_dir, panels=panels, ncols=min(len(units), 3), name="boundaries",
                              main=True, formats=formats,
                              caption="Decision boundaries of the first seed's tanh network for each number of "
                                      "hidden units; titles give the test accuracy over seeds as mean [95% "
                                      "interval].")
    acc = SF.accuracy_figure(result, out_dir, x="hidden_units", name="accuracy", formats=formats,
                             caption="Training and test accuracy and their gap by hidden units, mean over seeds "
                                     "with 95% bands. " + F.claim_captions(result))
    return [main, acc]


register_experiment(Experiment(
    name="scratch-moons-hidden-units",
    title="From scratch: 1 to 6 hidden tanh units on make_moons",
    source="003", section=SECTION + ", 3-layer network (hidden dimensions)",
    question="How many hidden tanh units does the 3-layer network need on make_moons, and when does it start "
             "fitting noise?",
    hypothesis="Fewer than 3 units underfit; 3-4 units fit well; more than 4 units fit the noise (overfit).",
    method=METHOD_003 + "One hidden layer of 1 to 6 tanh units. Underfitting is read from the training accuracy "
                        "(rising from 1 to 3 units), overfitting from the gap between training and test accuracy "
                        "(rising from 3 to 6 units).",
    source_conclusion="Upon visual inspection, using fewer than 3 hidden dimensions (i.e. nodes/units) for this "
                      "classification task does not produce a good decision boundary (i.e. the model is "
                      "underfit). Training the network with 3-4 hidden dimensions produces the most reasonable "
                      "decision boundary [...] With more than 4 hidden dimensions, the model starts to fit to the "
                      "noise in the data (i.e. the model is overfit).",
    settings={**SETTINGS_003, "hidden_units": [1, 2, 3, 4, 5, 6], "activation": "tanh"},
    provenance={**PROVENANCE_003, "hidden_units": "source text: 1 to 6 hidden units", "activation": "source text"},
    factors=["hidden_units"],
    scales=SCALES_003,
    derive=generalisation_gap,
    make_trial=units_trial,
    claims=[
        Trend("train_acc", "hidden_units", "increasing", where={"hidden_units": [1, 2, 3]},
              text="underfitting below 3 units: training accuracy rises from 1 to 3 units"),
        Trend("gap", "hidden_units", "increasing", where={"hidden_units": [3, 4, 5, 6]},
              text="overfitting beyond 3-4 units: the train - test accuracy gap grows from 3 to 6 units"),
    ],
    figures=units_figures,
    metric="test_acc",
    differences=DIFF_003,
))


# ----- scratch-moons-depth ---------------------------------------------------------------------------------
def depth_trial(cfg, levels, seed):
    return _moons_trial(cfg, levels, seed, [cfg["width"]] * int(levels["depth"]), cfg["activation"])


def depth_figures(result, out_dir, formats=("png",)):
    depths = list(result.config["depth"])
    w = result.config["width"]
    panels = [(f"{d} hidden layer{'s' * (d > 1)} of {w}", {"depth": d}) for d in depths]
    main = SF.boundary_figure(result, out_dir, panels=panels, name="boundaries", main=True, formats=formats,
                              caption="Decision boundaries of the first seed's tanh network with 1 to 4 hidden "
                                      "layers of 3 units: look for sharper angles appearing with depth.")
    acc = SF.accuracy_figure(result, out_dir, x="depth", name="accuracy", formats=formats,
                             caption="Training and test accuracy and their gap by depth, mean over seeds with 95% "
                                     "bands. " + F.claim_captions(result))
    return [main, acc]


register_experiment(Experiment(
    name="scratch-moons-depth",
    title="From scratch: 1 to 4 hidden layers of 3 tanh units on make_moons",
    source="003", section=SECTION + ", N-layer network (number of hidden layers, make_moons)",
    question="Do more hidden layers of 3 tanh units help the network on make_moons?",
    hypothesis="One hidden layer is best for this simple data set; more layers add nothing (and two may overfit).",
    method=METHOD_003 + "1 to 4 hidden layers of 3 tanh units.",
    source_conclusion="Upon visual inspection, for this simple data set (only 2 features and a trivial decision "
                      "boundary), the single hidden layer produced the best result with the lowest computational "
                      "expense. There appeared to be some overfitting in the case of the double hidden layer, where "
                      "the decision boundary sharply angles to fit noise in the data. Adding additional hidden "
                      "layers did not seem to produce any better results.",
    settings={**SETTINGS_003, "depth": [1, 2, 3, 4], "width": 3, "activation": "tanh"},
    provenance={**PROVENANCE_003, "depth": "source text: 1 to 4 hidden layers", "width": "source text: layers of 3",
                "activation": "source text"},
    factors=["depth"],
    scales=SCALES_003,
    derive=generalisation_gap,
    make_trial=depth_trial,
    claims=[Trend("test_acc", "depth", "decreasing",
                  text="test accuracy does not improve with depth: it decreases from 1 to 4 layers")],
    figures=depth_figures,
    differences=DIFF_003,
))


# ----- scratch-moons-width ---------------------------------------------------------------------------------
def width_trial(cfg, levels, seed):
    return _moons_trial(cfg, levels, seed, [int(levels["width"])] * cfg["depth"], cfg["activation"])


def width_figures(result, out_dir, formats=("png",)):
    widths = list(result.config["width"])
    d = result.config["depth"]
    panels = [(f"{d} layers of {w}", {"width": w}) for w in widths]
    main = SF.boundary_figure(result, out_dir, panels=panels, name="boundaries", main=True, formats=formats,
                              caption="Decision boundaries of the first seed's tanh network with 4 hidden layers "
                                      "of 3 to 20 units: look for islands around single points as the layers widen.")
    acc = SF.accuracy_figure(result, out_dir, x="width", name="accuracy", formats=formats,
                             caption="Training and test accuracy and their gap by width (4 hidden layers), mean "
                                     "over seeds with 95% bands; diverged seeds are left out and counted in the "
                                     "legend. " + F.claim_captions(result))
    return [main, acc]


register_experiment(Experiment(
    name="scratch-moons-width",
    title="From scratch: 4 hidden layers of 3 to 20 tanh units on make_moons",
    source="003", section=SECTION + ", N-layer network (hidden dimensions with 4 hidden layers, make_moons)",
    question="With 4 hidden tanh layers, do wider layers overfit make_moons?",
    hypothesis="Narrow layers (3 units) are best; wider layers overfit, with islands around outlying points above "
               "10 units.",
    method=METHOD_003 + "4 hidden layers of 3, 5, 10, 15 or 20 tanh units.",
    source_conclusion="Upon visual inspection, the lower-dimensional hidden layers produced better results (i.e. "
                      "the 3-dimensional hidden layer case). With higher hidden dimensionality (i.e. neural network "
                      "width or number of nodes/units), the model became overfitted; the decision boundary was less "
                      "smooth as noise in the data was fitted. For example, above 10 hidden dimensions in the 4 "
                      "hidden layers, the model produced an 'island' boundary around one of the outlying data "
                      "points.",
    settings={**SETTINGS_003, "width": [3, 5, 10, 15, 20], "depth": 4, "activation": "tanh"},
    provenance={**PROVENANCE_003, "width": "assumed: 003 says 'from 3 to 20'; the five values are ours",
                "depth": "source text: 4 hidden layers", "activation": "source text"},
    factors=["width"],
    scales=SCALES_003,
    derive=generalisation_gap,
    make_trial=width_trial,
    claims=[
        Trend("test_acc", "width", "decreasing", text="narrower is better: test accuracy decreases with width"),
        Trend("gap", "width", "increasing",
              text="wider layers overfit: the train - test accuracy gap grows with width"),
    ],
    figures=width_figures,
    differences=DIFF_003 + " 003 names widths 'from 3 to 20' without the list; we use 3, 5, 10, 15 and 20.",
))
