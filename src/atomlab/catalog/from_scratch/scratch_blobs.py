"""003, part I: the N-layer network from scratch on make_blobs with 4 classes (depth, width, activation).

003 trains its NumPy ``DeepNeuralNetwork`` on scikit-learn's ``make_blobs`` with 4 classes and reads the
decision boundaries while it varies the number of hidden layers of 4 tanh units (1 to 4), the width
of 2 hidden tanh layers (3 to 20) and the activation of 2 hidden layers of 4 units. The three sweeps
share one entry: its factors are crossed only along them (the other cells are skipped).
"""

from __future__ import annotations

from atomlab._lazy import pyplot as plt
from atomlab.catalog.from_scratch._recipe import PROVENANCE_003, SCALES_003, SETTINGS_003, blobs_data, trial_003  # noqa: E402
from atomlab.catalog.from_scratch.scratch_moons import DIFF_003, SECTION  # noqa: E402
from atomlab.lab import Compare, Equivalent, Experiment, Trend, register_experiment  # noqa: E402
from atomlab.lab import figures as F  # noqa: E402
from atomlab.lab import figures as SF  # noqa: E402
from atomlab.lab.derived import generalisation_gap  # noqa: E402


def on_a_sweep(cfg, levels) -> str | None:
    """Which of 003's three sweeps the cell belongs to (``depth``, ``width``, ``activation``), or None."""
    d, w, a = int(levels["depth"]), int(levels["width"]), levels["activation"]
    base_d, base_w, base_a = cfg["base_depth"], cfg["base_width"], cfg["base_activation"]
    if w == base_w and a == base_a:
        return "depth"
    if d == base_d and a == base_a:
        return "width"
    if d == base_d and w == base_w:
        return "activation"
    return None


def make_trial(cfg, levels, seed):
    if on_a_sweep(cfg, levels) is None:
        return None
    return trial_003(cfg, levels, seed, blobs_data(cfg, seed), [int(levels["width"])] * int(levels["depth"]),
                     levels["activation"])


def _where(cfg, sweep: str) -> dict:
    fixed = {"depth": cfg["base_depth"], "width": cfg["base_width"], "activation": cfg["base_activation"]}
    fixed.pop(sweep)
    return fixed


def figures(result, out_dir, formats=("png",)):
    cfg = result.config
    bd, bw, ba = cfg["base_depth"], cfg["base_width"], cfg["base_activation"]
    sweeps = {
        "depth": [(f"{d} layer{'s' * (d > 1)} of {bw}", {"depth": d, "width": bw, "activation": ba})
                  for d in cfg["depth"]],
        "width": [(f"{bd} layers of {w}", {"depth": bd, "width": w, "activation": ba}) for w in cfg["width"]],
        "activation": [(f"{a}, {bd} layers of {bw}", {"depth": bd, "width": bw, "activation": a})
                       for a in cfg["activation"]],
    }
    captions = {
        "depth": "Decision regions of the first seed's tanh network with 1 to 4 hidden layers of 4 units (training "
                 "points on top): the regions stay four simple wedges; look for bends appearing with depth.",
        "width": "Decision regions with 2 hidden tanh layers of 3 to 20 units: look for islands and cut-outs where "
                 "the clusters overlap as the layers widen.",
        "activation": "Decision regions of 2 hidden layers of 4 units with tanh, sigmoid and ReLU: tanh and sigmoid "
                      "draw similar regions; ReLU often merges classes.",
    }
    figs = [SF.boundary_figure(result, out_dir, panels=panels, name=f"boundaries-{sweep}", caption=captions[sweep],
                               main=sweep == "depth", formats=formats)
            for sweep, panels in sweeps.items()]
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.7))
        for ax, sweep in zip(axes, ("depth", "width", "activation")):
            where = _where(cfg, sweep)
            df = result.final
            for k, v in where.items():
                df = df[df[k] == v]
            df = df.assign(gap=df["train_acc"] - df["test_acc"])
            F.viz.curves.plot_metric_by_level(ax, df, x=sweep, y="test_acc", legend="none")
            ax.set_xlabel(F.label(sweep))
            ax.set_ylabel("test accuracy")
            ax.set_title(", ".join(f"{k}={v}" for k, v in where.items()), fontsize=9)
        fig.tight_layout()
    figs.append(F.save(fig, out_dir, "accuracy", "Test accuracy along each sweep, mean over seeds with 95% "
                       "intervals (4 classes: chance is 0.25).", formats=formats))
    return figs


def claims(cfg):
    d, w, a = (_where(cfg, s) for s in ("depth", "width", "activation"))
    return [
        Trend("test_acc", "depth", "decreasing", where=d,
              text="fewer hidden layers are better: test accuracy decreases from 1 to 4 layers of 4 tanh units"),
        Trend("test_acc", "width", "decreasing", where=w,
              text="narrower is better: test accuracy decreases with the width of 2 tanh layers"),
        Trend("gap", "width", "increasing", where=w,
              text="wider layers overfit: the train - test accuracy gap grows with the width of 2 tanh layers"),
        Equivalent("test_acc", {"activation": "tanh"}, {"activation": "sigmoid"}, margin=0.02, where=a,
                   text="2 layers of 4: tanh and sigmoid are equivalent (test accuracy within 2 points)"),
        Compare("test_acc", {"activation": "relu"}, {"activation": "tanh"}, direction="smaller", where=a,
                text="2 layers of 4: ReLU is worse than tanh (003: no decision boundary)"),
    ]


register_experiment(Experiment(
    name="scratch-blobs",
    title="From scratch: depth, width and activation on make_blobs with 4 classes",
    source="003", section=SECTION + ", N-layer network (make_blobs)",
    question="On 4 Gaussian blobs, how do the number of hidden layers, their width and the activation change the "
             "NumPy network's decision regions?",
    hypothesis="Fewer hidden layers are better; narrow layers are better and wide ones overfit (islands, cut-outs "
               "where clusters overlap); tanh and sigmoid are similar; ReLU with 2 layers of 4 gives no boundary.",
    method="scikit-learn's make_blobs with 4 classes and its defaults (centres uniform in [-10, 10]^2, standard "
           "deviation 1), 200 training and 200 test points, redrawn per seed; softmax output, full-batch gradient "
           "descent on the mean cross-entropy plus 5e-5/2 ||W||^2, step 2.0, 20,000 passes (003's settings); "
           "weights N(0, 1/fan_in), zero biases. Three sweeps: 1-4 hidden layers of 4 tanh units; 2 hidden tanh "
           "layers of 3, 4, 5, 10 or 20 units; 2 hidden layers of 4 tanh, sigmoid or ReLU units.",
    source_conclusion="Upon visual inspection, as in the case with the Make Moons dataset, with this relatively simple "
                      "dataset it seems that fewer hidden layers produced better decision boundaries between the 4 "
                      "classes. [...] With higher hidden dimensionality (i.e. neural network width or number of "
                      "nodes/units), the model became overfitted; the decision boundary was less smooth as noise in "
                      "the data was fitted. [...] Upon visual inspection, the hyperbolic tangent (tanh) and sigmoid "
                      "activation functions produce a very similar decision boundary as seen in the Make Moon dataset "
                      "example. Again, the rectified linear unit (ReLU) activation function did not produce a decision "
                      "boundary, perhaps due to a shallow gradient or perhaps due to strong regularization for this "
                      "deep neural network with only 4-dimensional hidden and output layers.",
    settings={**SETTINGS_003, "depth": [1, 2, 3, 4], "width": [3, 4, 5, 10, 20],
              "activation": ["tanh", "sigmoid", "relu"], "base_depth": 2, "base_width": 4,
              "base_activation": "tanh"},
    provenance={**PROVENANCE_003, "n_train": "assumed: 200 points, not stated in 003",
                "noise": "assumed: unused by make_blobs (scikit-learn's cluster_std 1.0)",
                "depth": "source text: 1 to 4 hidden layers", "width": "assumed: 003 says 'from 3 to 20'; the "
                "values 3, 4, 5, 10, 20 are ours", "activation": "source text: tanh, sigmoid, ReLU",
                "base_depth": "source text: 2 hidden layers in the width and activation sweeps",
                "base_width": "source text: 4 hidden dimensions in the depth and activation sweeps",
                "base_activation": "source text: tanh"},
    factors=["depth", "width", "activation"],
    # Ten networks per seed: four seeds keep the quick scale under a minute.
    scales={**SCALES_003, "quick": {**SCALES_003["quick"], "seeds": 4}},
    derive=generalisation_gap,
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    differences=DIFF_003 + " 003 does not give its make_blobs arguments beyond 4 centres; we use scikit-learn's "
                           "defaults and redraw the centres with each seed, so some seeds have overlapping clusters "
                           "and some do not. The 4-unit depth sweep and the 2-layer width sweep share the network "
                           "with 2 layers of 4 tanh units.",
))
