"""004, part 1, problem B: SGD that sees all the negative examples before the positive ones.

004 answers why one should not loop through all negative examples first: the weights of features that
indicate a negative output grow while those for positives go to zero and "die irrecoverably", then
the opposite happens, and "we would end up with a dead network". We train the playground network of
problem A with per-example SGD, each epoch either shuffled or ordered (negatives, then positives), and
record the weights and the accuracy after each phase.
"""

from __future__ import annotations

import numpy as np  # noqa: E402

from atomlab._lazy import pyplot as plt
from atomlab.catalog.principles import _playground as P  # noqa: E402
from atomlab.engine import grid_axes  # noqa: E402
from atomlab.engine.kinds.ordered_sgd import ORDERS, SWING_EPOCHS  # noqa: E402
from atomlab.errors import unknown_choice  # noqa: E402
from atomlab.lab import Compare, DataSpec, Experiment, Trial, register_experiment  # noqa: E402
from atomlab.lab import figures as F  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402
from atomlab.lab.figures import acc_text, seed0_pair  # noqa: E402
from atomlab.nn import MLPSpec  # noqa: E402

SECTION = "1 Deep Learning Principles, Problem B"
ORDER_LABELS = {"shuffled": "shuffled every epoch", "ordered": "negatives, then positives"}


def make_trial(cfg, levels, seed):
    data = DataSpec("playground_circle", {"n_train": cfg["n_train"], "n_test": cfg["n_test"], "noise": cfg["noise"]},
                    seed=seed)
    model = MLPSpec(layers=tuple(cfg["layers"]), activation=cfg["activation"], init=P.INITS["random"],
                    bias_init="zeros")
    if levels["order"] not in ORDERS:
        raise unknown_choice("order", levels["order"], ORDERS)
    # the ordered_sgd kind (atomlab.engine.kinds.ordered_sgd) takes the network and its recipe together
    recipe = {"order": levels["order"], "lr": float(levels["lr"]), "batch_size": int(cfg["batch_size"]),
              "epochs": int(cfg["epochs"]), "grid": cfg["grid"]}
    return Trial(levels, seed, data, {"model": model, "recipe": recipe}, None, kind="ordered_sgd")


def _phased(result):
    """The table after each phase, with the epoch it ends in and a label per schedule and phase."""
    t = result.table[result.table["phase"] != "start"].copy()
    t["epoch_no"] = np.ceil(t["epoch"]).astype(int)
    names = {("ordered", "negatives"): "ordered, after the negatives",
             ("ordered", "positives"): "ordered, after the positives",
             ("shuffled", "negatives"): "shuffled, mid-epoch", ("shuffled", "positives"): "shuffled, end of epoch"}
    t["schedule"] = [names[(o, p)] for o, p in zip(t["order"], t["phase"])]
    return t, list(names.values())


PHASE_COLORS = ["#D55E00", "#E69F00", "#0072B2", "#56B4E9"]


def phases_figure(result, out_dir, formats=("png",)):
    table, labels = _phased(result)
    colors = dict(zip(labels, PHASE_COLORS))
    lrs = list(result.config["lr"])
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(len(lrs), 2, figsize=(12.0, 3.3 * len(lrs)), squeeze=False, sharex=True)
        for i, lr in enumerate(lrs):
            sub = table[table["lr"] == lr]
            for j, (metric, label) in enumerate((("test_acc", "test accuracy"),
                                                 ("pos_rate", "share of test points\npredicted positive"))):
                ax = axes[i, j]
                F.viz.curves.plot_curves(ax, sub, x="epoch_no", y=metric, hue="schedule", colors=colors, logx=True,
                                         legend="auto" if (i, j) == (0, 1) else "none")
                ax.set_ylabel(label)
                ax.set_xlabel("epoch" if i == len(lrs) - 1 else "")
                ax.set_title(f"step {lr:g}", fontsize=9)
        fig.tight_layout()
    return F.save(fig, out_dir, "phases", "Test accuracy and the share of test points predicted positive after each "
                  "phase of each epoch (log scale), mean over seeds with 95% bands, one row per step size. "
                  + F.claim_captions(result, "ends with a lower test accuracy", "predictions follow the phase"),
                  main=True, formats=formats)


def boundaries_figure(result, out_dir, formats=("png",)):
    panels = [("ordered, after the negatives", "ordered", "grid_after_negatives"),
              ("ordered, after the positives", "ordered", "grid"),
              ("shuffled, end of the last epoch", "shuffled", "grid")]
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(1, 3, figsize=(10.6, 3.4))
        image = None
        for ax, (title, order, key) in zip(axes, panels):
            pair = seed0_pair(result, order=order)
            if pair is None or key not in pair[1].artefacts:
                ax.axis("off")
                continue
            data = materialize(pair[0].data)
            grid = pair[1].artefacts[key]
            xx, yy = grid_axes(data, grid.shape[0])
            image = F.viz.surfaces.plot_surface(ax, xx, yy, grid, true_fn=data.target_fn, X=data.X_train,
                                                y=data.y_train, title=title, point_size=4, ticks=False)
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=list(axes), shrink=0.8, label="P(positive)")
    return F.save(fig, out_dir, "boundaries", "The first seed's predicted probability of the positive (disc) class in "
                  "the last epoch: the ordered network after its negatives and after its positives, and the "
                  "shuffled network at the end of the epoch.", formats=formats)


def weights_figure(result, out_dir, formats=("png",)):
    table, labels = _phased(result)
    colors = dict(zip(labels, PHASE_COLORS))
    metrics = [("b_out", "output bias b₁ − b₀"), ("w_norm", "norm of all weights"),
               ("dead_units", "share of dead ReLU units")]
    metrics = [(m, lab) for m, lab in metrics if m in table]
    lrs = list(result.config["lr"])
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(len(lrs), len(metrics), figsize=(4.3 * len(metrics), 3.1 * len(lrs)),
                                 squeeze=False, sharex=True)
        for i, lr in enumerate(lrs):
            sub = table[table["lr"] == lr]
            for j, (metric, label) in enumerate(metrics):
                ax = axes[i, j]
                F.viz.curves.plot_curves(ax, sub, x="epoch_no", y=metric, hue="schedule", colors=colors, logx=True,
                                         legend="auto" if (i, j) == (0, len(metrics) - 1) else "none")
                ax.set_ylabel(label)
                ax.set_xlabel("epoch" if i == len(lrs) - 1 else "")
                ax.set_title(f"step {lr:g}", fontsize=9)
        fig.tight_layout()
    return F.save(fig, out_dir, "weights", "The output bias, the norm of the weights and the share of dead ReLU units "
                  "after each phase, mean over seeds with 95% bands, one row per step size. "
                  + F.claim_captions(result, "dead ReLU units"), formats=formats)


def figures(result, out_dir, formats=("png",)):
    return [phases_figure(result, out_dir, formats), boundaries_figure(result, out_dir, formats),
            weights_figure(result, out_dir, formats)]


def discussion(result):
    parts = []
    for lr in result.config["lr"]:
        for order in result.config["order"]:
            parts.append(f"step {lr:g}, {ORDER_LABELS.get(order, order)}: final test accuracy "
                         f"{acc_text(result, order=order, lr=lr)}, after the negatives "
                         f"{acc_text(result, 'acc_after_negatives', order=order, lr=lr)}, dead units "
                         f"{acc_text(result, 'dead_units', order=order, lr=lr)}")
    return (f"Mean [95% interval] over seeds (phase averages over the last {SWING_EPOCHS} epochs). "
            + "; ".join(parts) + ".")


register_experiment(Experiment(
    name="example-ordering",
    title="SGD that sees all negatives before all positives",
    source="004", section=SECTION,
    question="What happens to the weights and the accuracy when SGD loops through all negative examples, then all "
             "positive ones, every epoch, instead of a shuffled order?",
    hypothesis="The network follows the class it has just seen: after the negatives it predicts negative, after the "
               "positives positive, and it ends worse than with shuffled data; 004 expects the weights of the other "
               "class's features to die, leaving a dead network.",
    method="The playground network of problem A (two hidden layers of 4 ReLU units, weights uniform in [-0.5, 0.5], "
           "zero biases, softmax output) on the playground's circle (125 negatives = ring, 125 positives = disc, "
           "redrawn per seed), trained with the playground's SGD (batches of 10) for 100 epochs, with its step 0.03 "
           "and with a large step of 1.0. Each epoch visits "
           "every example once, in a fresh random order (shuffled) or all negatives then all positives (ordered, "
           "each class in a fresh random order). After each phase (the negatives, the positives; the same numbers of "
           "examples for the shuffled order) we record test accuracy, the share of test points predicted positive, "
           "the output bias, the weight norm and the share of dead ReLU units (units that output 0 on every "
           "training point). 'swing' is the share predicted positive after the positives minus that after the "
           f"negatives, in the first epoch (swing_first) and averaged over the last {SWING_EPOCHS} epochs (swing).",
    source_conclusion="If we loop through all the negative exmples first, the weights for features that are indicative "
                      "of negative outputs will become very large while the weights that are indicators for positive "
                      "outputs will go to zero and will die irrecoverably when the positive points are read at which "
                      "point the opposite would happen and we would end up with a dead network.",
    settings={**P.PLAYGROUND_SETTINGS, "order": ["shuffled", "ordered"], "lr": [0.03, 1.0], "activation": "relu",
              "epochs": 100, "seeds": 10},
    provenance={**P.PLAYGROUND_PROVENANCE, "order": "source text: all negatives first (the shuffled order is the "
                "reference)", "lr": "source code: the playground's 0.03; the step 1.0 is ours",
                "activation": "source text: problem A's ReLU network", "epochs": "assumed: 004 trains nothing here",
                "seeds": "assumed: 004 trains nothing here"},
    factors=["lr", "order"],
    scales={"smoke": {"epochs": 2, "grid": 30, "seeds": 2},
            "quick": {"epochs": 25, "grid": 80, "seeds": 6}},
    make_trial=make_trial,
    claims=lambda cfg: [
        *(Compare("test_acc", {"order": "ordered"}, {"order": "shuffled"}, direction="smaller", where={"lr": lr},
                  text=f"step {lr:g}: ordered SGD ends with a lower test accuracy than shuffled SGD")
          for lr in cfg["lr"]),
        Compare("swing_first", {"order": "ordered"}, {"order": "shuffled"}, direction="greater", by=["lr"],
                text="ordered SGD's predictions follow the phase: in the first epoch the share of test points "
                     "predicted positive jumps from after the negatives to after the positives, more than with "
                     "shuffled SGD"),
        Compare("dead_units", {"order": "ordered"}, {"order": "shuffled"}, direction="greater", by=["lr"],
                text="ordered SGD ends with more dead ReLU units than shuffled SGD (004's 'dead network')"),
    ],
    figures=figures,
    discussion=discussion,
    differences="004 answers in words, without an experiment; the network, data and recipe are those of its problem "
                "A (the playground), plus a larger step to see where the answer depends on it. 004 does not say "
                "whether the negatives-first order is repeated every epoch; we repeat it, which is the usual failure "
                "(data sorted by class and never shuffled).",
))
