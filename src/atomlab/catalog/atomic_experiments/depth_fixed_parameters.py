"""000, experiment 2: are deeper networks better at a fixed number of parameters?

Source: "Atomic Experiments in Deep Learning" (Abid, 2018), the second experiment ("Why are deeper
networks better?"; ``Experiment2`` and ``recurrent_multilayer_perceptron`` in the source's code).
16 equally spaced points on [0, 1) carry alternating labels; a ReLU network maps x through an input
layer (1 x 10), then applies *one shared* 10 x 10 hidden layer ``depth`` times, then a 10 x 2
output layer. The parameter count is 152 whatever the depth, so depth alone changes. The source
trained each depth once (62.5, 62.5 and 68.8 % accuracy for 1, 2 and 3 layers) and concluded that
"accuracy increases with increasing depth in most runs".
"""

from __future__ import annotations

import numpy as np  # noqa: E402

from atomlab._lazy import pyplot as plt
from atomlab.catalog.atomic_experiments._data_studies import SOURCE, first_seed, mlp, pct_text, recipe, save, section  # noqa: E402
from atomlab.engine.grids import grid_axes  # noqa: E402
from atomlab.lab import DataSpec, Experiment, SourceNumber, Trend, Trial, register_experiment  # noqa: E402
from atomlab.lab import figures as F  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402
from atomlab.stats import counted  # noqa: E402


def widths(depth: int, units: int = 10) -> tuple[int, ...]:
    """Hidden widths of the shared-weight network of ``depth``: the input layer, then ``depth``
    applications of the shared ``units x units`` layer (``MLPSpec(share_weights=True)``).

    Examples
    --------
    >>> from atomlab.catalog.atomic_experiments._data_studies import mlp
    >>> [mlp(widths(d), "relu", share_weights=True).n_params(1, 2) for d in (1, 2, 3)]
    [152, 152, 152]
    """
    return (int(units),) * (int(depth) + 1)


def make_trial(cfg, levels, seed):
    data = DataSpec("alternating_points", {"n": int(cfg["n_points"])}, seed=0)
    model = mlp(widths(levels["depth"], cfg["units"]), cfg["activation"], share_weights=True)
    train = recipe(cfg, grid=int(cfg["curve_points"]), record_every=max(1, int(cfg["steps"]) // 30))
    return Trial(levels, seed, data, model, train)


def _logit(p: np.ndarray) -> np.ndarray:
    """Score ``z1 - z0`` of a two-class softmax from P(class 1) (what the source plots)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def fits_figure(result, out_dir, formats=("png",)):
    """The source's figure: one diagram per depth on top, the labelled points and the learned score below."""
    depths = list(result.config["depth"])
    seed0 = int(result.config["seed"])
    units = int(result.config["units"])
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(2, len(depths), figsize=(3.9 * len(depths), 6.4), squeeze=False,
                                 gridspec_kw={"height_ratios": [1, 1.5]})
        for j, depth in enumerate(depths):
            pairs = result.select(depth=depth)
            trial, outcome = first_seed(pairs, seed0)
            data = materialize(trial.data)
            n_params = trial.model.n_params(data.input_dim, data.output_dim)
            ax = axes[0, j]
            sizes = [1, *widths(depth, units), 2]
            labels = ["x", "in", *(["W"] * depth), "y"]
            F.viz.diagrams.draw_neural_net(ax, 0.08, 0.92, 0.12, 0.85, sizes, max_units=5, layer_labels=labels)
            ax.set_title(f"{depth} shared layer{'s' if depth > 1 else ''} (W reused)", fontsize=10)
            ax = axes[1, j]
            x = data.X_train[:, 0]
            ax.scatter(x, data.y_train, c=data.y_train, cmap="bwr", vmin=0, vmax=1, edgecolors="k", s=40, zorder=3)
            ax.set_ylim(-0.15, 1.15)
            ax.set_yticks([0, 1])
            ax.set_xlabel("x")
            if j == 0:
                ax.set_ylabel("true label")
            ax2 = ax.twinx()
            if "grid" in outcome.artefacts and not outcome.diverged:
                xs = grid_axes(data, len(outcome.artefacts["grid"]))[0]
                score = _logit(outcome.artefacts["grid"])
                at_points = np.interp(x, xs, score)
                ax2.plot(xs, score, "k--", lw=1.3, label="score z1 - z0")
                ax2.plot(x, at_points, "ko", ms=3)
                # zero score level with the middle of the labels; the steep ends may leave the frame
                lim = 1.3 * max(float(np.abs(at_points).max()), 1e-3)
                ax2.set_ylim(-lim, lim)
            ax2.axhline(0, color="k", lw=0.8)
            if j == len(depths) - 1:
                ax2.set_ylabel("predicted score (> 0: class 1)")
            ax2.grid(False)
            accs = [o.final.get("train_acc", np.nan) for _, o in pairs]
            ax.set_title(f"{depth} layer{'s' if depth > 1 else ''}, {n_params} params, "
                         f"acc {100 * outcome.final.get('train_acc', np.nan):.1f}% (seed {trial.seed})\n"
                         f"over {counted(len(accs))}: {pct_text(accs)}", fontsize=9)
        fig.tight_layout()
    return save(fig, out_dir, "fits", "Bottom row: red and blue dots are the two classes, the dashed line is "
                  "one trained network's score (class 1 where it is above the black zero line); more sign "
                  "changes in the right places mean higher accuracy. Titles give that seed's accuracy and the "
                  "mean [95% interval] over all seeds.", main=True, formats=formats)


def accuracy_figure(result, out_dir, formats=("png",)):
    """Accuracy on the 16 points against depth, every seed as a dot and the mean with its interval."""
    final = result.final
    depths = list(result.config["depth"])
    with F.viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(6.0, 4.0))
        F.viz.curves.plot_metric_by_level(ax, final, x="depth", y="train_acc", legend="none")
        rng = np.random.default_rng(0)
        for d in depths:
            v = final.loc[final["depth"] == d, "train_acc"].to_numpy()
            ax.scatter(d + rng.uniform(-0.08, 0.08, len(v)), v, s=12, color="0.45", alpha=0.6, zorder=2)
        ax.set_xlabel("number of shared hidden layers (152 parameters each)")
        ax.set_ylabel("accuracy on the 16 points")
        fig.tight_layout()
    return save(fig, out_dir, "accuracy-by-depth", "Accuracy on the 16 alternating points for each depth: grey "
                  "dots are single seeds, the line and band are the mean and its 95% interval. "
                  + F.claim_caption(result), formats=formats)


def figures(result, out_dir, formats=("png",)):
    return [fits_figure(result, out_dir, formats), accuracy_figure(result, out_dir, formats)]


def discussion(result) -> str:
    means = result.final.groupby("depth")["train_acc"].mean()
    perfect = result.final.groupby("depth")["train_acc"].apply(lambda s: float((s >= 1.0).mean()))
    parts = ", ".join(f"depth {d}: {100 * m:.1f}% (perfect in {100 * perfect[d]:.0f}% of seeds)"
                      for d, m in means.items())
    return ("Mean accuracy on the 16 points by depth: " + parts + ". A network with a 10-unit ReLU layer "
            "applied k times can make on the order of 10^k linear pieces, so depth buys sign changes; "
            "whether Adam finds them from a given initialisation varies a lot between seeds, which is why "
            "the source's single run per depth could only say 'in most runs'. The test is a Spearman trend "
            "of accuracy with depth within each seed, averaged over seeds.")


EXPERIMENT = register_experiment(Experiment(
    name="depth-fixed-parameters",
    title="Depth at a fixed parameter count: alternating points",
    source=SOURCE, section=section(2, "Why are deeper networks better?"),
    question="With the number of parameters held at 152, does a deeper (weight-shared) ReLU network "
             "classify 16 alternating points better?",
    hypothesis="As the number of layers increase in a neural network with a fixed number of parameters, the "
               "accuracy on a difficult classification problem will improve.",
    method="16 points x = i/16 on [0, 1) with labels 0, 1, 0, 1, ...; a ReLU network x -> 10 -> "
           "(shared 10x10 layer applied 1, 2 or 3 times) -> 2 logits, 152 parameters at every depth "
           "(MLPSpec(share_weights=True)), Glorot-uniform weights and biases; softmax cross-entropy, Adam "
           "(lr 0.003), full batch (the source's batch of 64 exceeds 16 points), 15,000 steps. Accuracy is "
           "measured on the 16 training points, over many seeds.",
    source_conclusion="Accuracy increases with increasing depth in most runs of the experiments.",
    settings={"depth": [1, 2, 3], "units": 10, "n_points": 16, "activation": "relu", "lr": 0.003,
              "batch_size": 64, "steps": 15000, "curve_points": 200, "seeds": 20},
    provenance={"depth": "source text: [10], [10, 10], [10, 10, 10]", "units": "source code: 10 units",
                "n_points": "source text: 16 points", "activation": "source code: ReLU",
                "lr": "source code", "batch_size": "source code: a permutation-slice of 64, the full 16 points",
                "steps": "source code: 15,000 steps", "curve_points": "assumed: figure resolution",
                "seeds": "changed: 20 seeds; the source trained each depth once"},
    source_numbers=[SourceNumber("train_acc", v, {"depth": d}, f"the source's figure title: {d} layers, 152 "
                                 f"params, Acc: {100 * v:.1f}% (one run)")
                    for d, v in ((1, 0.625), (2, 0.625), (3, 0.688))],
    factors=["depth"],
    scales={"smoke": {"steps": 300, "seeds": 2, "curve_points": 50},
            "quick": {"steps": 5000, "seeds": 20}},
    make_trial=make_trial,
    claims=[Trend("train_acc", "depth", "increasing",
                  text="accuracy on the alternating points increases with depth at 152 parameters")],
    figures=figures,
    discussion=discussion,
    metric="train_acc",
    differences="The source ran each depth once (62.5, 62.5, 68.8 %); we run 20 seeds at paper scale and "
                "test the trend with a within-seed rank correlation. The source's code labels the first "
                "point 1 rather than 0 (the same problem mirrored) and draws a batch of 64 by permutation, "
                "which for 16 points is the full set every step, as here. 'Layers' counts applications of "
                "the shared 10x10 matrix, as the source's titles do: depth 1 is x -> 10 -> W -> 10 -> 2. "
                "Quick scale trains 5,000 steps instead of 15,000.",
))
