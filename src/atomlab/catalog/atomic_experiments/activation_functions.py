"""000, experiment 7: can any non-linearity be used as the activation function?

Abid (2018), "Atomic Experiments in Deep Learning", section "Can Any Non-linearity Be Used As the
Activation Function?" (``Experiment7`` in its ``experiments.py``): MLPs with two hidden layers of 30
units and six activations (relu, tanh, x^2, sin, sign, identity) learn the two-moons data set; test
accuracy is recorded ten times over 800 steps. The source found every non-linearity except sign
about equally good (about 1.0), sign at 0.977 and the identity (a linear model) at about 0.89.
"""

from __future__ import annotations

import numpy as np

from atomlab._lazy import pyplot as plt  # noqa: E402
from atomlab.catalog.atomic_experiments import _training_studies as B
from atomlab.engine import TrainSpec
from atomlab.lab import Compare, DataSpec, Experiment, SourceNumber, Trial, register_experiment
from atomlab.lab.figures import claim_captions, viz
from atomlab.metrics import metric_bounds
from atomlab.nn import MLPSpec, get_activation

ACTIVATIONS = ["relu", "tanh", "square", "sin", "sign", "identity"]
SMOOTH = ["relu", "tanh", "square", "sin"]
#: Final test accuracies read off the source's figure (3 runs, one data set each).
SOURCE_FINAL = {"relu": 1.0, "tanh": 1.0, "square": 1.0, "sin": 1.0, "sign": 0.977, "identity": 0.89}


def make_trial(cfg, levels, seed):
    data = DataSpec("moons", {"n_train": cfg["n_train"], "n_test": cfg["n_test"], "noise": cfg["noise"]},
                    seed=seed)
    model = MLPSpec(layers=tuple(cfg["layers"]), activation=levels["activation"], init="xavier",
                    bias_init="same")
    train = TrainSpec(optimizer="adam", lr=cfg["lr"], batch_size=cfg["batch_size"], steps=cfg["steps"],
                      sampling="random", loss="cross_entropy", record_every=cfg["record_every"])
    return Trial(levels, seed, data, model, train)


def claims(cfg):
    acts = list(cfg["activation"])
    out = []
    if "identity" in acts:
        out += [Compare("test_acc", {"activation": "identity"}, {"activation": a}, direction="smaller",
                        text=f"identity is worse than {a}") for a in acts if a != "identity"]
    if "sign" in acts:
        out += [Compare("test_acc", {"activation": "sign"}, {"activation": a}, direction="smaller",
                        text=f"sign is worse than {a}") for a in acts if a in SMOOTH]
    return out


def _numpy_activation(name):
    """A registered (torch) activation as a NumPy function, for the shape panels."""
    import torch  # only to draw: declaring the entry does not load torch

    fn = get_activation(name)
    return lambda z: fn(torch.as_tensor(z)).numpy()


def figures(result, out_dir, formats=("png",)):
    acts = list(result.config["activation"])
    col = B.colors(acts)

    with B.style():
        fig = plt.figure(figsize=(11, 6.4))
        outer = fig.add_gridspec(2, 1, height_ratios=[1, 2.3], hspace=0.4)
        top = outer[0].subgridspec(1, len(acts), wspace=0.35)
        bottom = outer[1].subgridspec(1, 2, width_ratios=[1.6, 1], wspace=0.3)
        shape_axes = [fig.add_subplot(top[0, i]) for i in range(len(acts))]
        viz.diagrams.plot_activation_shapes(shape_axes, {a: _numpy_activation(a) for a in acts},
                                            x=np.linspace(-10, 10, 1001))
        for a_ in shape_axes:
            a_.set_xlabel("")
            a_.tick_params(labelsize=8)
        ax = fig.add_subplot(bottom[0, 0])
        for a in acts:
            x, v = B.curves(result.table, "test_acc", activation=a)
            B.band(ax, x, v, col[a], label=a, marker="o", clip=(0, 1))
        ax.set_xlabel("training step")
        ax.set_ylabel("test accuracy")
        ax.set_title("Test accuracy with various activations (mean, 95% band)", fontsize=10)
        ax.legend(fontsize=8, ncol=2, loc="lower right")
        ax2 = fig.add_subplot(bottom[0, 1])
        finals = [result.final.loc[result.final["activation"] == a, "test_acc"].to_numpy() for a in acts]
        B.dot_ci(ax2, acts, finals, col, bounds=metric_bounds("test_acc"))
        ax2.plot(np.arange(len(acts)) + 0.3, [SOURCE_FINAL.get(a, np.nan) for a in acts], "<", color="k",
                 ms=6, label="source (read off its figure)")
        ax2.set_ylabel(f"test accuracy at step {result.config['steps']}")
        ax2.set_ylim(min(0.75, float(np.nanmin(np.concatenate(finals)))) - 0.02, 1.02)
        ax2.set_title("Final accuracy per seed, mean and 95% interval", fontsize=10)
        ax2.tick_params(axis="x", labelsize=8, rotation=30)
        ax2.legend(fontsize=8, loc="lower left")
    main = B.save(fig, out_dir, "activations", "Top: the activations on [-10, 10]. Bottom: test accuracy on two "
                  "moons during training (left, mean over seeds with a 95% band) and at the end (right: dots are "
                  "seeds, squares the mean with its 95% interval; black triangles the source's values). "
                  + claim_captions(result), main=True, formats=formats)
    return [main]


def discussion(result):
    f = result.final
    means = {a: f.loc[f["activation"] == a, "test_acc"].mean() for a in result.config["activation"]}
    parts = ", ".join(f"{a} {m:.3f}" for a, m in means.items())
    return (f"Mean final test accuracy: {parts}. The identity network is a linear classifier whatever "
            "its depth, so it cannot bend its boundary around the moons; sign has zero derivative almost "
            "everywhere, so backpropagation never changes its hidden weights: only the output layer "
            "learns, on 30 random half-plane features of the input, which is good but not perfect. "
            "Every other non-linearity, even x^2 and sin, reaches about 100%: on this easy task the "
            "exact shape matters little, as the source concluded. Its caveat stands: the network is "
            "shallow and the task simple.")


EXPERIMENT = register_experiment(Experiment(
    name="activation-functions",
    title="Can any non-linearity be used as the activation function?",
    source=B.SOURCE, section=B.SECTION.format(n=7, title="Can Any Non-linearity Be Used As the Activation "
                                                         "Function?"),
    question="Do unusual non-linearities (x^2, sin, sign) work as well as relu and tanh in a small MLP?",
    hypothesis="We would expect that the identity function to perform poorly (as the network remains quite "
               "linear until the last softmax layer). We might further expect that the standard "
               "activation functions to perform the best.",
    method="Two moons (500 points, noise 0.1, 400 for training, 100 for testing, a new draw per seed); "
           "MLPs with two hidden layers of 30 units and one of six activations, Glorot-uniform weights "
           "and biases, linear logits, softmax cross-entropy, Adam (lr 0.003), 800 steps of random "
           "minibatches of 64; test accuracy every 80 steps. All arms of a seed share data and initial "
           "weights; claims are paired differences over seeds.",
    source_conclusion="All of the non-linear activation functions besides $\\text{sign}(x)$ are quite "
                      "effective for this classification task.",
    settings={"activation": ACTIVATIONS, "layers": [30, 30], "n_train": 400, "n_test": 100, "noise": 0.1,
              "lr": 0.003, "batch_size": 64, "steps": 800, "record_every": 80, "seeds": 20},
    provenance={"activation": "source text: relu, tanh, x^2, sin, sign, identity",
                "layers": "source text: 2 hidden layers; (30, 30) from its code",
                "n_train": "source code: make_moons(500) split 400 / 100", "n_test": "source code",
                "noise": "source code: noise 0.1", "lr": "source code", "batch_size": "source code",
                "steps": "source code: 800 steps", "record_every": "source code: test accuracy every 80 steps",
                "seeds": "changed: 20 seeds; the source averaged 3 runs (iters = 3)"},
    source_numbers=[*(SourceNumber("test_acc", 1.0, {"activation": a}, "read off the source's figure: about 1.0 "
                                   "at the end") for a in ("relu", "tanh", "square", "sin")),
                    SourceNumber("test_acc", 0.977, {"activation": "sign"}, "read off the source's figure"),
                    SourceNumber("test_acc", 0.88, {"activation": "identity"}, "text: 'achieves about 88% "
                                 "accuracy' (the figure ends near 0.89)")],
    factors=["activation"],
    scales={"smoke": {"steps": 120, "record_every": 40, "seeds": 2},
            "quick": {"seeds": 8}},
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    metric="test_acc",
    differences="The source ran 3 repetitions and read the curves by eye; we run 20 seeds at paper scale "
                "(8 at quick) and test the two orderings with paired intervals. The source's list says "
                "'7 different activation functions' but names and runs six. Train and test sets are "
                "drawn separately from make_moons (400 and 100 points) instead of splitting 500 at random.",
))
