"""004, part 2: depth versus width of dense networks on MNIST under a budget of hidden units.

The source (a Keras course problem set) flattened each 28 x 28 image to a 784-long vector and
trained dense networks with 100, 200 and 1,000 hidden units in total, reaching 0.9785, 0.9808
and 0.9832 test accuracy. We spend each budget as one wide layer, two layers of half the width
or four of a quarter, with and without dropout, and ask which allocation wins and whether the
best one reaches the source's accuracy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomlab._lazy import pyplot as plt
from atomlab.catalog import _mnist as M
from atomlab.engine import TrainSpec
from atomlab.lab import Experiment, PerSeed, Reaches, SourceNumber, Trial, register_experiment
from atomlab.nn import MLPSpec

#: The source's test accuracy for each budget of hidden units (problems C, D, E).
SOURCE_ACC = {100: 0.9785, 200: 0.9808, 1000: 0.9832}


def layers_for(budget: int, depth: int) -> tuple[int, ...]:
    """``depth`` hidden layers sharing ``budget`` units as evenly as possible (widest first).

    Examples
    --------
    >>> layers_for(100, 4), layers_for(200, 3)
    ((25, 25, 25, 25), (67, 67, 66))
    """
    base, extra = divmod(int(budget), int(depth))
    return tuple(base + (1 if i < extra else 0) for i in range(depth))


def make_trial(cfg, levels, seed):
    per_epoch = M.steps_per_epoch(cfg, normalize=False)
    model = MLPSpec(layers=layers_for(levels["budget"], levels["depth"]), activation="relu", init="xavier",
                    bias_init="zeros", dropout=float(levels["dropout"]))
    train = TrainSpec(optimizer="adam", lr=cfg["lr"], batch_size=cfg["batch_size"], epochs=cfg["epochs"],
                      sampling="shuffle", loss="cross_entropy", record_every=per_epoch * cfg["record_epochs"])
    return Trial(levels, seed, M.mnist_spec(cfg, normalize=False), model, train)


def best_arms(final):
    """Per budget, the (depth, dropout) arm with the highest mean test accuracy, and that mean."""
    means = final.groupby(["budget", "depth", "dropout"])["test_acc"].mean()
    out = {}
    for budget, sub in means.groupby(level="budget"):
        (_, depth, dropout), value = sub.idxmax(), sub.max()
        out[int(budget)] = (int(depth), float(dropout), float(value))
    return out


def _best_values(final, budget, arm):
    depth, dropout, _ = arm
    sel = final[(final["budget"] == budget) & (final["depth"] == depth) & (final["dropout"] == dropout)]
    return sel.set_index("seed")["test_acc"]


def budget_steps(final: pd.DataFrame) -> pd.DataFrame:
    """Per seed and pair of consecutive budgets: the best arm's accuracy at the larger minus at the smaller."""
    best = best_arms(final)
    budgets = sorted(best)
    rows = []
    for small, large in zip(budgets[:-1], budgets[1:]):
        diffs = _best_values(final, large, best[large]) - _best_values(final, small, best[small])
        rows += [{"seed": seed, "budgets": f"{small}->{large} units", "gain": d} for seed, d in diffs.items()]
    return pd.DataFrame(rows, columns=["seed", "budgets", "gain"])


def best_rows(budget: int):
    """The rows of the best arm (by mean test accuracy) at ``budget``."""
    def frame(final: pd.DataFrame) -> pd.DataFrame:
        depth, dropout, _ = best_arms(final)[budget]
        return final[(final["budget"] == budget) & (final["depth"] == depth) & (final["dropout"] == dropout)]
    return frame


def claims(cfg):
    budgets = list(cfg["budget"])
    out = [PerSeed(lambda rows: rows.set_index("seed")["gain"], "best test accuracy at the larger budget minus "
                   "the best at the smaller", by=["budgets"], frame=budget_steps, bounds=(-1.0, 1.0),
                   text="the best network's test accuracy grows with the budget of hidden units (as the source's "
                        "0.9785 < 0.9808 < 0.9832)")]
    if cfg["mnist_source"] == "full" and not cfg["n_train"] and not cfg["n_test"]:
        out += [Reaches("test_acc", SOURCE_ACC[b], frame=best_rows(b),
                        text=f"at {b} hidden units the best network reaches at least the source's test accuracy "
                             f"({SOURCE_ACC[b]}) on full MNIST")
                for b in budgets if b in SOURCE_ACC]
    return out


def figures(result, out_dir, formats=("png",)):
    M.ensure_data_notes(result)
    final = result.final
    budgets = sorted(final["budget"].unique())
    depths = sorted(final["depth"].unique())
    dropouts = sorted(final["dropout"].unique())
    full = result.config["mnist_source"] == "full" and not result.config["n_train"]
    colors = dict(zip(depths, M.palette(len(depths))))
    best = best_arms(final)
    with M.style():
        fig, axes = plt.subplots(1, len(budgets), figsize=(3.9 * len(budgets), 3.9), squeeze=False)
        width = 0.8 / max(len(dropouts), 1)
        for ax, budget in zip(axes[0], budgets):
            for j, depth in enumerate(depths):
                for k, p in enumerate(dropouts):
                    vals = final[(final["budget"] == budget) & (final["depth"] == depth) &
                                 (final["dropout"] == p)]["test_acc"].to_numpy()
                    if not len(vals):
                        continue
                    x = j + (k - (len(dropouts) - 1) / 2) * width
                    lo, hi = M.interval(vals, bounds=(0.0, 1.0))
                    ax.bar(x, vals.mean(), width * 0.9, color=colors[depth], alpha=1.0 if p == 0 else 0.5,
                           hatch=None if p == 0 else "//", edgecolor="white")
                    ax.errorbar(x, vals.mean(), yerr=[[vals.mean() - lo], [hi - vals.mean()]], color="0.2",
                                capsize=2, lw=1)
                    ax.plot(np.full(len(vals), x), vals, ".", color="0.2", ms=3)
            if full and budget in SOURCE_ACC:
                ax.axhline(SOURCE_ACC[budget], color="C3", ls="--", lw=1.2, label=f"source {SOURCE_ACC[budget]}")
                ax.legend(fontsize=8, loc="lower right")
            bd, bp, bv = best[int(budget)]
            ax.set_title(f"{budget} hidden units\nbest: {list(layers_for(budget, bd))}, dropout {bp} ({bv:.4f})",
                         fontsize=9)
            ax.set_xticks(range(len(depths)))
            ax.set_xticklabels([f"{d} x {layers_for(budget, d)[0]}" if len(set(layers_for(budget, d))) == 1
                                else str(list(layers_for(budget, d))) for d in depths], fontsize=8)
            ax.set_xlabel("hidden layers x width")
            sub = final[final["budget"] == budget]["test_acc"]
            ax.set_ylim(max(0.0, sub.min() - 0.01), min(1.0, max(sub.max(), SOURCE_ACC.get(budget, 0)) + 0.005))
        axes[0, 0].set_ylabel("test accuracy")
        handles = [plt.Rectangle((0, 0), 1, 1, color="0.5", alpha=1.0 if p == 0 else 0.5,
                                 hatch=None if p == 0 else "//") for p in dropouts]
        fig.legend(handles, [f"dropout {p}" for p in dropouts], loc="upper right", fontsize=8, ncol=len(dropouts))
        fig.tight_layout(rect=(0, 0, 1, 0.93))
    main = M.save(fig, out_dir, "budgets", "Test accuracy of each way to spend the budget of hidden units (bars: "
                  "mean over seeds with 95% interval, dots: seeds; hatched: with dropout)"
                  + ("; dashed lines are the source's accuracies: look at which allocation tops each panel and "
                     "whether it clears the line." if full else
                     "; look at which allocation tops each panel (this run is not on the full training set, so "
                     "the source's accuracies are not drawn)."), main=True, formats=formats)

    with M.style():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for depth in depths:
            for p in dropouts:
                sub = final[(final["depth"] == depth) & (final["dropout"] == p)]
                g = sub.groupby("budget")["test_acc"].mean()
                params = [MLPSpec(layers=layers_for(b, depth)).n_params(784, 10) for b in g.index]
                ax.plot(params, g.to_numpy(), marker="o", color=colors[depth], ls="-" if p == 0 else "--",
                        label=f"{depth} layer(s), dropout {p}")
                for x, b, y in zip(params, g.index, g.to_numpy()):
                    ax.annotate(str(b), (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel("parameters (log scale; labels: hidden units)")
        ax.set_ylabel("test accuracy (mean over seeds)")
        ax.legend(fontsize=7)
        fig.tight_layout()
    params_fig = M.save(fig, out_dir, "accuracy-vs-parameters", "Mean test accuracy against the number of "
                        "parameters: for a fixed budget of units, deeper networks have fewer parameters (most "
                        "weights sit in the first layer, 784 x width), so compare lines at equal parameter counts "
                        "too.", formats=formats)
    return [main, params_fig]


def discussion(result):
    best = best_arms(result.final)
    parts = []
    for b, (depth, p, acc) in sorted(best.items()):
        src = f" (source {SOURCE_ACC[b]})" if b in SOURCE_ACC else ""
        parts.append(f"{b} units: {list(layers_for(b, depth))}, dropout {p}, {acc:.4f}{src}")
    text = "Best allocation per budget (mean test accuracy over seeds): " + "; ".join(parts) + ". "
    text += f"Data: {M.data_note(result)}. "
    cfg = result.config
    text += ("With a fixed number of hidden units, one wide layer has the most parameters (the first layer's "
             "784 x width weights dominate), so 'wide versus deep' at equal units is also 'more versus fewer "
             "parameters'; the second figure shows accuracy against parameters. The source does not say which "
             "architectures it tried, which optimiser or how many epochs; this run used Adam (lr "
             f"{cfg['lr']}), batches of {cfg['batch_size']} and {cfg['epochs']} epoch(s).")
    return text


EXPERIMENT = register_experiment(Experiment(
    name="mnist-depth-vs-width",
    title="Depth versus width of dense networks on MNIST, at a fixed budget of hidden units",
    source="004", section="CS 155 set 4, part 2 (Depth vs Width on the MNIST Dataset), problems C-E",
    question="With 100, 200 or 1,000 hidden units in total, is one wide layer or several narrower ones better "
             "on MNIST, and how close does the best get to the source's accuracies?",
    hypothesis="The best network of each budget reaches the source's test accuracy (0.9785, 0.9808, 0.9832), "
               "and accuracy grows with the budget.",
    method="Each 28 x 28 image is flattened to 784 pixels scaled to [0, 1]. Dense ReLU networks with the budget "
           "split into 1, 2 or 4 equal hidden layers, with and without dropout (0.2 after every hidden layer), "
           "Glorot-uniform weights and zero biases, a softmax output and the cross-entropy loss, are trained "
           "with Adam (lr 0.001) in shuffled batches of 32 for 10 epochs. All seeds and dropout rates of one "
           "allocation train together as one population; test accuracy on the 10,000 test images.",
    source_conclusion="Problem C: Test accuracy: 0.9785. Problem D: Test accuracy: 0.9808. Problem E: Test "
                      "accuracy: 0.9832.",
    settings={"budget": [100, 200, 1000], "depth": [1, 2, 4], "dropout": [0.0, 0.2], "epochs": 10,
              "batch_size": 32, "lr": 0.001, "record_epochs": 10, **M.DATA_SETTINGS, "seeds": 5},
    provenance={"budget": "source text: problems C, D and E allow 100, 200 and 1,000 hidden units",
                "depth": "assumed: 1, 2 or 4 equal layers (the source does not give its architectures)",
                "dropout": "assumed: none or 0.2 after every hidden layer", "epochs": "assumed: 10 epochs",
                "batch_size": "assumed: Keras's default 32", "lr": "assumed: Adam at Keras's default 0.001",
                "record_epochs": "assumed", "mnist_source": "source text: MNIST",
                "n_train": "source text: the full training set (0 = all)",
                "n_test": "source text: the full test set (0 = all)",
                "seeds": "changed: 5 seeds; the source reports one network per budget"},
    source_numbers=[SourceNumber("test_acc", v, {"budget": b}, f"text, problem {p}: test accuracy of the "
                                 f"source's network with {b} hidden units (architecture not given; compare with the "
                                 "best allocation)")
                    for (b, v), p in zip(SOURCE_ACC.items(), "CDE")],
    factors=["budget", "depth", "dropout"],
    scales={"smoke": {"mnist_source": "subset", "n_train": 300, "n_test": 200, "epochs": 1, "record_epochs": 1,
                      "budget": [100, 1000], "depth": [1, 4], "dropout": [0.0], "seeds": 2},
            "quick": {"mnist_source": "subset", "n_train": 3000, "epochs": 1, "record_epochs": 1, "seeds": 3}},
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    metric="test_acc",
    differences="The source reports one accuracy per budget without the architectures, optimiser, batch size or "
                "epochs behind them; we try three allocations (1, 2 and 4 equal layers), with and without "
                "dropout 0.2, over 5 seeds, using Keras's defaults where a Keras user would leave them (Glorot "
                "weights, batch 32) and Adam at lr 0.001 for 10 epochs. The best arm per budget is chosen by its "
                "mean over the same seeds it is tested on, which biases its estimate slightly upwards (a "
                "winner's curse among the six arms of a budget). At quick scale the data is "
                "3,000 images of atomlab's offline subset and one epoch, so only the growth with budget is tested.",
    tags=("mnist", "mlp", "population"),
))
