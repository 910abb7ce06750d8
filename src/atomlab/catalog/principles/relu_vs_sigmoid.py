"""004, part 1, problem A (ii): how fast ReLU and sigmoid networks train, and the shape of their boundaries.

004 trains the TensorFlow playground's network on its circle data with small random weights, first with
ReLU units, then with sigmoid units, and reports that the sigmoid network "takes significantly longer
to achieve good training" and learns a smoother boundary, where the ReLU network's "looks like a
hexagon with sharp edges". Same networks and recipe as ``zero-initialization`` (its random arms).
"""

from __future__ import annotations

from atomlab._lazy import pyplot as plt
from atomlab.catalog.principles import _playground as P  # noqa: E402
from atomlab.lab import Compare, Experiment, register_experiment  # noqa: E402
from atomlab.lab import figures as F  # noqa: E402

SECTION = "1 Deep Learning Principles, Problem A (part ii), on the TensorFlow playground networks"


def make_trial(cfg, levels, seed):
    # The levels name the initialisation too, so these trials are the random arms of zero-initialization
    # (same cache entries when the settings agree).
    return P.playground_trial(cfg, {**levels, "init": "random"}, seed, activation=levels["activation"],
                              init="random", epochs=cfg["epochs"])


def speed_figure(result, out_dir, formats=("png",)):
    """Training loss along training (mean and band) with each arm's epochs to a loss of 0.1."""
    acts = list(result.config["activation"])
    colors = F.viz.style.level_colors(acts)
    with F.viz.style.apply_style():
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.5, 3.9), gridspec_kw={"width_ratios": [2.2, 1]})
        F.viz.curves.plot_curves(ax, result.table, x="epoch", y="train_loss", hue="activation", logy=True,
                                 colors=colors, show_seeds=True)
        ax.axhline(0.1, color="0.4", lw=0.8, ls=":")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        F.viz.curves.plot_metric_by_level(ax2, result.final, x="activation", y="epochs_to_0.1", colors=colors,
                                          legend="none")
        ax2.set_ylabel("epochs to a training loss of 0.1")
        ax2.set_xlabel("activation")
        fig.tight_layout()
    return F.save(fig, out_dir, "speed", "Training loss along training (left; thin lines: seeds, band: 95% interval) "
                  "and the epochs each arm takes to reach a loss of 0.1 (right, the dotted level; runs that never "
                  "reach it count as the last epoch; mean over seeds with a 95% interval). "
                  + F.claim_captions(result, "fewer epochs"), main=True, formats=formats)


def shape_figure(result, out_dir, formats=("png",)):
    """The first seed's surfaces side by side with the share of the box where each network is affine."""
    acts = list(result.config["activation"])
    surfaces = P.surfaces_figure(
        result, out_dir, [(a, {"activation": a}) for a in acts], name="surfaces",
        caption="Predicted probability of the disc class at the end (first seed; dashed: the true circle, solid: "
                "the learned boundary; corner: test accuracy over seeds): the ReLU network's boundary is a polygon, "
                "the sigmoid network's a smooth curve.", formats=formats)
    with F.viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(4.6, 3.6))
        F.viz.curves.plot_metric_by_level(ax, result.final, x="activation", y="affine_fraction", legend="none",
                                          colors=F.viz.style.level_colors(list(result.config["activation"])))
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel("share of the box where\nthe logit is locally affine")
        fig.tight_layout()
    affine = F.save(fig, out_dir, "affine", "Share of points on random lines across the box where the trained "
                    "network's logit has zero second difference (mean over seeds with 95% intervals); a piecewise "
                    "affine function, such as a ReLU network, has a polygonal boundary. "
                    + F.claim_captions(result, "locally affine"), formats=formats)
    return [surfaces, affine]


def figures(result, out_dir, formats=("png",)):
    return [speed_figure(result, out_dir, formats), *shape_figure(result, out_dir, formats)]


register_experiment(Experiment(
    name="relu-vs-sigmoid-speed",
    title="ReLU versus sigmoid: speed of training and shape of the boundary",
    source="004", section=SECTION,
    question="With the same small random initial weights, does a ReLU network reach a low loss in fewer steps than "
             "a sigmoid one, and do their boundaries differ in shape?",
    hypothesis="ReLU trains much faster (sigmoid's gradient vanishes for large |signal|, ReLU's is constant where "
               "the unit is active); ReLU draws a polygon, sigmoid a smooth curve.",
    method="The TensorFlow playground's circle (250 training and 250 test points, redrawn per seed); two hidden "
           "layers of 4 ReLU or sigmoid units, softmax output; weights uniform in [-0.5, 0.5], zero biases; plain "
           "SGD with step 0.03 on batches of 10 for 3,500 epochs. Speed: the first recorded epoch (every 1% of "
           "training) with training loss <= 0.1. Shape: on 24 random lines across the box, the share of points "
           "where the trained network's logit difference has a zero second difference (<= 1e-9 of its largest "
           "first difference), i.e. where it is locally affine.",
    source_conclusion="The first network starts with low random weights and they slowly begin to increase and the "
                      "model collectively comes to achieve a very low loss similar to before. This model takes "
                      "significantly longer to achieve good training relative to the model in part i. Additionally, "
                      "the boundary that is learned is smoother whereas the model in part I learned a boundary that "
                      "looks like a hexagon with sharp edges.",
    settings={**P.PLAYGROUND_SETTINGS, "activation": ["relu", "sigmoid"], "epochs": 3500, "seeds": 10},
    provenance={**P.PLAYGROUND_PROVENANCE, "activation": "source text: ReLU (part i), sigmoid (part ii)",
                "epochs": "assumed: 3,500 epochs, as long as 004 watched its zero network",
                "seeds": "changed: 10 seeds; 004 ran each network once"},
    factors=["activation"],
    scales={"smoke": {"epochs": 8, "records": 8, "grid": 30, "seeds": 2},
            "quick": {"epochs": 600, "records": 60, "grid": 80, "seeds": 5}},
    make_trial=make_trial,
    claims=[
        Compare("epochs_to_0.1", {"activation": "relu"}, {"activation": "sigmoid"}, direction="smaller",
                text="ReLU reaches a training loss of 0.1 in fewer epochs than sigmoid"),
        Compare("affine_fraction", {"activation": "relu"}, {"activation": "sigmoid"}, direction="greater",
                text="the ReLU network is locally affine on more of the box than the sigmoid one (polygonal versus "
                     "smooth boundary)"),
    ],
    figures=figures,
    metric="epochs_to_0.1",
    differences="004 ran the playground (tanh output, squared error, biases 0.1, one run each) and judged speed and "
                "shape by eye; we train a softmax output with cross-entropy, zero biases, redraw data and weights "
                "per seed, and measure both: speed as epochs to a loss of 0.1, shape as the share of the box where "
                "the network is affine. A run that never reaches 0.1 counts as the last epoch, which can only shrink "
                "the measured gap.",
))
