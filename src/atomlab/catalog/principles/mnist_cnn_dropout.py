"""004, part 3 D: a small CNN on MNIST trained with dropout probabilities 0.0 to 0.9.

The source (a Keras course problem set) swept the dropout rate of its "sample net" and reported
the test accuracy of each: 0.9887 at 0.1, 0.9869 at 0.2, 0.9852 at 0.3, 0.9833 at 0.4, 0.9794 at
0.6, 0.9722 at 0.7, then 0.9248 at 0.8 and 0.8706 at 0.9, and 0.9873 for its final model. The
shape to check: accuracy is highest at a small dropout rate and falls steeply at 0.8 and 0.9.
"""

from __future__ import annotations

import pandas as pd

from atomlab._lazy import pyplot as plt
from atomlab.catalog import _mnist as M
from atomlab.engine import TrainSpec
from atomlab.lab import Experiment, PerSeed, SourceNumber, Trial, register_experiment
from atomlab.metrics import metric_bounds
from atomlab.stats import counted

LEVELS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
#: The source's test accuracies. Its "Dropout = 1" run (0.985) is plotted at 0.0: Keras 2.1's
#: Dropout layer applies dropout only when 0 < rate < 1, so a rate of 1 trains without dropout.
SOURCE_ACC = {0.1: 0.9887, 0.2: 0.9869, 0.3: 0.9852, 0.4: 0.9833, 0.6: 0.9794, 0.7: 0.9722, 0.8: 0.9248,
              0.9: 0.8706}
SOURCE_RATE_ONE = 0.985
SOURCE_LOSS = {0.1: 0.03374705762484664, 0.2: 0.03534207882474002, 0.3: 0.044779233676521105,
               0.4: 0.05504944748673588, 0.6: 0.08381787260100246, 0.7: 0.10473713158369065,
               0.8: 0.2807534393787384, 0.9: 0.5690752512454986}
SOURCE_FINAL = 0.9873
SMALL = 0.3  # "a small dropout": at most this


def make_trial(cfg, levels, seed):
    model = {"name": "small_cnn", "activation": "relu", "dropout": float(levels["dropout"]),
             "channels": list(cfg["channels"]), "hidden": cfg["hidden"], "kernel": 3, "init": "glorot",
             "channels_last": cfg["channels_last"], "threads": cfg["threads"],
             "probe": {"every": cfg["probe_every"], "eval_size": 1000, "stats_batch": 256} if cfg["probe"] else None}
    # metrics on the whole training and test sets before and after training only: evaluating is
    # dearer than a one-epoch run of this network
    train = TrainSpec(optimizer="adam", lr=cfg["lr"], batch_size=cfg["batch_size"], epochs=cfg["epochs"],
                      sampling="shuffle", loss="cross_entropy",
                      record_every=M.steps_per_epoch(cfg, normalize=False) * cfg["epochs"])
    return Trial(levels, seed, M.mnist_spec(cfg, normalize=False), model, train, kind="module")


def _pivot(final):
    return final.pivot_table(index="seed", columns="dropout", values="test_acc", aggfunc="mean").sort_index(axis=1)


def peak_lead(final: pd.DataFrame) -> pd.Series:
    """Per seed: the best accuracy at a small rate (<= SMALL) minus the best at a larger rate."""
    pivot = _pivot(final)
    small = [c for c in pivot.columns if float(c) <= SMALL + 1e-9]
    large = [c for c in pivot.columns if float(c) > SMALL + 1e-9]
    if not small or not large:
        return pd.Series(dtype=float)
    return pivot[small].max(axis=1) - pivot[large].max(axis=1)


def tail_steepness(final: pd.DataFrame) -> pd.Series:
    """Per seed: the fall of accuracy per unit of rate over the last two levels minus that before them."""
    pivot = _pivot(final)
    if pivot.shape[1] < 5:
        return pd.Series(dtype=float)
    a, m, z = pivot.columns[0], pivot.columns[-3], pivot.columns[-1]
    body = (pivot[a] - pivot[m]) / (float(m) - float(a))
    tail = (pivot[m] - pivot[z]) / (float(z) - float(m))
    return tail - body


def claims(cfg):
    rates = sorted(float(r) for r in cfg["dropout"])
    out = [PerSeed(peak_lead, f"best test accuracy at a rate <= {SMALL} minus the best above", bounds=(-1.0, 1.0),
                   text=f"test accuracy is highest at a small dropout rate (<= {SMALL})")]
    if len(rates) >= 5:
        out.append(PerSeed(tail_steepness, f"fall of accuracy per unit rate {rates[-3]:g}->{rates[-1]:g} minus "
                                           f"{rates[0]:g}->{rates[-3]:g}",
                           text=f"accuracy falls faster on the tail of rates ({rates[-3]:g} to {rates[-1]:g}) "
                                f"than before it (source: {(0.9722 - 0.8706) / 0.2:.3f} against "
                                f"{(0.9887 - 0.9722) / 0.6:.3f} per unit of rate)"))
    return out


def figures(result, out_dir, formats=("png",)):
    M.ensure_data_notes(result)
    final = result.final
    levels = sorted(final["dropout"].unique())
    full = result.config["mnist_source"] == "full" and not result.config["n_train"]
    with M.style():
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for ax, metric, source, ylabel in ((axes[0], "test_acc", SOURCE_ACC, "test accuracy"),
                                           (axes[1], "test_loss", SOURCE_LOSS, "test loss (cross-entropy)")):
            values = final.pivot_table(index="seed", columns="dropout", values=metric).reindex(columns=levels)
            M.band(ax, levels, values.to_numpy(), color="C0", marker="o", bounds=metric_bounds(metric),
                   label=f"ours, mean of {counted(len(values))} (95% band)")
            ax.plot(list(source), list(source.values()), "s--", color="C3", ms=5, lw=1,
                    label="source (one run each)")
            if metric == "test_acc":
                ax.plot([0.0], [SOURCE_RATE_ONE], "D", color="C3", mfc="none", ms=7,
                        label="source's 'dropout = 1' (= none in Keras)")
            ax.set_xlabel("dropout probability")
            ax.set_ylabel(ylabel)
            ax.set_xticks(levels)
        axes[1].set_yscale("log")
        axes[0].legend(fontsize=8, loc="lower left")
        fig.suptitle(f"{M.data_note(result)}; {result.config['epochs']} epoch(s)", fontsize=9)
        fig.tight_layout()
    main = M.save(fig, out_dir, "dropout-sweep",
                  "Test accuracy (left) and loss (right) against the dropout probability, ours over seeds "
                  "beside the source's single runs: look for the flat top at small rates and the drop after 0.7"
                  + ("." if full else " (this run is not on the full training set, so only the shape is "
                                      "comparable with the source)."), main=True, formats=formats)
    with M.style():
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for metric, color, label in (("train_acc", "C1", "training accuracy (eval mode)"),
                                     ("test_acc", "C0", "test accuracy")):
            values = final.pivot_table(index="seed", columns="dropout", values=metric).reindex(columns=levels)
            M.band(ax, levels, values.to_numpy(), color=color, marker="o", label=label, bounds=(0.0, 1.0))
        ax.set_xlabel("dropout probability")
        ax.set_ylabel("accuracy")
        ax.set_xticks(levels)
        ax.legend(fontsize=8)
        fig.tight_layout()
    gap = M.save(fig, out_dir, "train-test", "Training and test accuracy against the dropout probability: a "
                 "test accuracy above the training accuracy means the network is under-fitted (too little "
                 "training for that much noise), not over-fitted.", formats=formats)
    return [main, gap]


def discussion(result):
    pivot = _pivot(result.final)
    if pivot.empty:
        return ""
    means = pivot.mean()
    best = float(means.idxmax())
    text = (f"Mean test accuracy peaks at dropout {best:.1f} ({means.max():.4f}); at 0.8 and 0.9 it is "
            + ", ".join(f"{means.get(p, float('nan')):.4f}" for p in (0.8, 0.9) if p in means)
            + f" ({M.data_note(result)}, {result.config['epochs']} epoch(s)). ")
    text += ("The source's sample network is not given: we use the layout of Keras's MNIST example (two "
             "convolutions with pooling, dropout, a dense layer of 64, dropout), narrowed to 16 and 32 filters, "
             "with the swept rate at both dropouts. How steeply accuracy falls at high rates depends on how many "
             "dropout layers the network has and how long it trains, neither of which the source states. ")
    text += ("The source also lists 'Dropout = 1' at 0.985: in Keras 2.1 a Dropout layer with rate 1 is "
             "skipped entirely, so that run had no dropout; we draw it at 0.0.")
    return text


EXPERIMENT = register_experiment(Experiment(
    name="mnist-cnn-dropout",
    title="Dropout rate sweep of a small CNN on MNIST",
    source="004", section="CS 155 set 4, part 3 (Convolutional Neural Networks), problem D",
    question="How does the dropout probability of a small CNN change its MNIST test accuracy?",
    hypothesis="Accuracy is highest at a small dropout rate (0.1 in the source) and falls steeply at 0.8 and 0.9.",
    method="A small CNN in the layout of Keras's MNIST example (conv 3x3 1->16, ReLU, max-pool 2, conv 3x3 "
           "16->32, ReLU, max-pool 2, dropout p, dense 1568->64, ReLU, dropout p, dense 64->10; 'same' padding, "
           "Glorot-uniform weights, zero biases) on MNIST pixels scaled to [0, 1], trained with Adam "
           "(lr 0.001) on the cross-entropy in batches of 32 (Keras's default) for one epoch per rate, "
           "p = 0.0, 0.1, ..., 0.9. Test accuracy "
           "and loss on the whole test set, over seeds.",
    source_conclusion="What I found to be an effective strategy to modify the sample net was have increasingly "
                      "strong dropout layers in the network feeding forward. This seems to have helped a lot in "
                      "preventing overfitting",
    settings={"dropout": LEVELS, "epochs": 1, "batch_size": 32, "lr": 0.001, "channels": [16, 32], "hidden": 64,
              "probe": False, "probe_every": 100, "channels_last": True, "threads": 1, **M.DATA_SETTINGS, "seeds": 5},
    provenance={"dropout": "source text: 0.1 to 0.9 and 1; 0.0 stands for its 'dropout = 1' (Keras applies none at "
                "rate 1), 0.5 is ours", "epochs": "assumed: one epoch per rate, our reading of the sweep (the text "
                "states none)", "batch_size": "assumed: Keras's default 32 (tensorflow 1.5 / Keras 2.1.3, as the "
                "source lists)", "lr": "assumed: Adam at Keras's default 0.001", "channels": "assumed: the layout "
                "of Keras's MNIST example", "hidden": "assumed", "probe": "assumed", "probe_every": "assumed",
                "channels_last": "assumed: a speed setting", "threads": "assumed: a speed setting",
                "mnist_source": "source text: MNIST", "n_train": "source text: the full training set (0 = all)",
                "n_test": "source text: the full test set (0 = all)",
                "seeds": "changed: 5 seeds; the source ran each rate once"},
    source_numbers=[*(SourceNumber("test_acc", v, {"dropout": k}, f"text: 'Dropout = {k:g}', test accuracy")
                      for k, v in SOURCE_ACC.items()),
                    *(SourceNumber("test_loss", v, {"dropout": k}, f"text: 'Dropout = {k:g}', test score (loss)")
                      for k, v in SOURCE_LOSS.items()),
                    SourceNumber("test_acc", SOURCE_RATE_ONE, {"dropout": 0.0}, "text: 'Dropout = 1', which Keras "
                                 "treats as no dropout")],
    factors=["dropout"],
    scales={"smoke": {"dropout": [0.0, 0.5, 0.9], "mnist_source": "subset", "n_train": 256, "n_test": 200,
                      "batch_size": 64, "seeds": 2},
            "quick": {"dropout": [0.0, 0.2, 0.4, 0.6, 0.8, 0.9], "mnist_source": "subset", "n_train": 3000,
                      "seeds": 3}},
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    metric="test_acc",
    differences="The source's 'sample net', optimiser, batch size and epochs are not in the text; we use a "
                "small CNN in the layout of Keras's MNIST example (dropout after the convolutions and after the dense "
                "layer, both at the swept rate), Adam at Keras's defaults (lr 0.001, "
                "batch 32) and one epoch per rate (our reading of the course's sweep, which the source's "
                "accuracies fit: a 10-epoch sweep would not fall to 0.87 at 0.9). It ran each rate once and "
                "omitted 0.0 and 0.5; we run all ten over seeds and test the shape of the curve rather than "
                "its values. The source's 'final model' (0.9873) is a different, unspecified network, not "
                "reproduced. At quick scale the data is 3,000 images of atomlab's offline subset and six of the "
                "ten rates, so the accuracies are lower and only the shape is comparable.",
    tags=("mnist", "cnn", "dropout"),
))
