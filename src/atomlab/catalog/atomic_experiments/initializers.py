"""000, experiment 10: how does the initialisation affect performance?

Abid (2018), "Atomic Experiments in Deep Learning", section "How Does the Initialization Affect
Performance?" (``Experiment10`` in its ``experiments.py``): the MLP of the loss experiment, trained
with the squared error, starts from Xavier, all-zero, all-one, N(0, 0.01^2) or N(0, 1) weights and
biases. The source found Xavier and the small Gaussian best, and reported that the all-zero
network "eventually leads to training", which it blamed on numerical noise breaking the symmetry
between units. 004 (part 1, problem A) says a zero-initialised ReLU network never moves (part i) and
a zero-initialised sigmoid network moves only after a long plateau, into a poor straight-line fit
(part ii); catalog entry ``zero-initialization`` runs 004's setting.

Beyond the source, the entry measures how far the hidden units of each layer stay identical
(``unit_spread`` during training, the units' weights at the end), trains the all-zero network in
float32 and float64, with ReLU as well (004's setting), and at paper scale for 5,000 steps. What it
finds: the all-zero sigmoid network learns as a one-unit-per-layer network, which is enough for these
two Gaussians (a hyperplane separates them best), and not for 004's circle; rounding separates its
units only by about the machine epsilon, which some seeds amplify much later, and float32 and float64
reach the same accuracy seed by seed, so the noise is not what makes it learn; with ReLU the weights
indeed never move. The two sources agree on this account: 000's "eventually trains" and 004's "moves
into a straight line" describe the same copies, on data where a line does and does not suffice.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from atomlab._lazy import pyplot as plt  # noqa: E402
from atomlab.catalog.atomic_experiments import _training_studies as B
from atomlab.engine import TrainSpec
from atomlab.lab import Check, Compare, Experiment, Reaches, SourceNumber, Trial, register_experiment
from atomlab.lab.figures import claim_captions
from atomlab.nn import MLPSpec
from atomlab.stats import counted

INITS = ["xavier", "zeros", "ones", "normal(0.01)", "normal(1)"]
LABELS = {"xavier": "Xavier", "zeros": "constant 0", "ones": "constant 1", "normal(0.01)": "N(0, 0.01²)",
          "normal(1)": "N(0, 1)"}
CONSTANT = ("zeros", "ones")
#: Units whose spread stays at or below ``COPY_TOL`` are copies for any practical purpose (a Xavier
#: network's units spread by about 0.15); above ``BROKEN`` the symmetry is visibly broken.
COPY_TOL, BROKEN = 1e-3, 1e-2


def make_trial(cfg, levels, seed):
    init, act, dtype, steps = levels["init"], levels["activation"], levels["dtype"], int(levels["steps"])
    probe = init in cfg["probe_inits"]
    if (act != "sigmoid" or dtype != "float32") and not probe:
        return None  # float64 and ReLU are probes of the symmetry question, not a full crossing
    if steps != int(cfg["steps"][0]) and not (probe and act == "sigmoid"):
        return None  # the longer runs only follow the symmetric sigmoid networks
    model = MLPSpec(layers=tuple(cfg["layers"]), activation=act, init=init, bias_init="same")
    train = TrainSpec(optimizer="adam", lr=cfg["lr"], batch_size=cfg["batch_size"], steps=steps,
                      sampling="random", loss=B.loss_name(cfg["loss"], cfg["outputs"]),
                      record_every=max(1, steps // cfg["records"]), unit_spread=True, dtype=dtype)
    return Trial(levels, seed, B.mixture(cfg, seed), model, train)


def symmetry(outcome) -> dict[str, float]:
    """How far a trial's hidden units stayed copies of each other, and how far its weights moved.

    ``max_unit_spread``: the largest spread of any hidden layer's activations (std across units,
    averaged over training examples) at any recorded step. ``param_spread``: the largest difference
    between two units' incoming weights, biases or outgoing weights at the end. ``moved``: the largest
    absolute value of any weight or hidden bias at the end (everything but the output bias), which
    for a zero initialisation is how far it moved.
    """
    spreads = [v for r in outcome.rows for k, v in r.items() if k.startswith("unit_spread_")]
    st = outcome.state
    n_layers = len([k for k in st if k.startswith("W")])
    param, moved = 0.0, 0.0
    for k in range(n_layers):
        W, b = np.asarray(st[f"W{k}"], dtype=float), np.asarray(st[f"b{k}"], dtype=float)
        moved = max(moved, float(np.abs(W).max()))
        if k < n_layers - 1:  # a hidden layer: its units are the columns of W and entries of b
            moved = max(moved, float(np.abs(b).max()))
            W_out = np.asarray(st[f"W{k + 1}"], dtype=float)
            param = max(param, float(np.abs(W - W[:, :1]).max()), float(np.abs(b - b[0]).max()),
                        float(np.abs(W_out - W_out[:1]).max()))
    unit = max(spreads) if spreads else math.nan
    return {"max_unit_spread": unit, "param_spread": param, "moved": moved,
            "copy_spread": float(np.maximum(unit, param))}


def _rows(final, **where):
    df = final
    for k, v in where.items():
        df = df[df[k] == v]
    return df


def precision_gaps(n_test: int):
    """Per seed and length: |accuracy in float32 - accuracy in float64| of the all-zero sigmoid network."""
    def frame(final: pd.DataFrame) -> pd.DataFrame:
        rows = []
        sub = final[(final["init"] == "zeros") & (final["activation"] == "sigmoid")]
        for steps, part in sub.groupby("steps"):
            pivot = part.pivot_table(index="seed", columns="dtype", values="test_acc", aggfunc="mean").dropna()
            if not {"float32", "float64"} <= set(pivot.columns):
                continue
            # Accuracies are counts of test points; float32 stores 0.98 as 0.9800000190..., so compare counts.
            gap = np.abs(np.round(pivot["float32"] * n_test) - np.round(pivot["float64"] * n_test)) / n_test
            rows += [{"seed": seed, "steps": steps, "precision_gap": g} for seed, g in gap.items()]
        return pd.DataFrame(rows, columns=["seed", "steps", "precision_gap"])
    return frame


def claims(cfg):
    inits = set(cfg["init"])
    first = int(cfg["steps"][0])
    base = {"activation": "sigmoid", "dtype": "float32", "steps": first}
    out = [Compare("test_acc", {"init": a}, {"init": b}, direction="greater", where=base, bounds=(0.0, 1.0),
                   text=f"{LABELS.get(a, a)} beats {LABELS.get(b, b)}")
           for a in ("xavier", "normal(0.01)") for b in ("ones", "normal(1)") if {a, b} <= inits]
    if "zeros" not in inits:
        return out
    out.append(Reaches("test_acc", 0.5, where={"init": "zeros", **base}, bounds=(0.0, 1.0),
                       text="the all-zero network still learns: test accuracy above chance (0.5)"))
    constant = [i for i in CONSTANT if i in inits]
    if constant:
        out.append(Check("copy_spread", COPY_TOL, "at_most", refute=BROKEN, by=["init", "dtype"],
                         where={"init": constant, "activation": "sigmoid", "steps": first},
                         text=f"over the source's {first} steps, hidden units that start identical (constant "
                              f"initialisation) stay copies (spread <= {COPY_TOL:g}; > {BROKEN:g} would be "
                              "broken) in float32 and float64: rounding noise exists but does not break the "
                              "symmetry"))
    if {"float32", "float64"} <= set(cfg["dtype"]) and "zeros" in cfg["probe_inits"]:
        one_point = 1.0 / int(cfg["n_test"]) + 1e-9  # one test point: up to that the two precisions agree
        out.append(Check("precision_gap", one_point, "at_most", refute=5 * one_point, by=["steps"],
                         frame=precision_gaps(int(cfg["n_test"])),
                         text="the all-zero network reaches the same test accuracy in float32 and float64, seed "
                              "by seed (within one test point): rounding noise plays no part in its learning"))
    if "relu" in cfg["activation"] and "zeros" in cfg["probe_inits"]:
        where = {"init": "zeros", "steps": first}
        out.append(Check("moved", 0.0, "at_most", by=["dtype"], where={**where, "activation": "relu"},
                         text="as 004 says of its ReLU network (part i): from all-zero weights and biases a ReLU "
                              "network's weights never move (largest |weight| after training stays exactly 0)"))
        out.append(Check("moved", BROKEN, "at_least", refute=COPY_TOL, by=["dtype"],
                         where={**where, "activation": "sigmoid"},
                         text=f"as 004 says of its sigmoid network (part ii): from all-zero weights a sigmoid "
                              f"network's weights move (largest |weight| > {BROKEN:g})"))
    return out


def figures(result, out_dir, formats=("png",)):
    cfg = result.config
    final = result.final
    inits = list(cfg["init"])
    col = B.colors(inits)
    first, longest = int(cfg["steps"][0]), max(int(x) for x in cfg["steps"])
    base = {"activation": "sigmoid", "dtype": "float32"}
    with B.style():
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.3, 1]})
        for i in inits:
            s, v = B.curves(result.table, "test_acc", init=i, steps=first, **base)
            B.band(ax, s, v, col[i], label=LABELS.get(i, i), marker="o", clip=(0, 1))
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("training step")
        ax.set_ylabel("test accuracy")
        ax.set_title("Performance for various initialisers (sigmoid, float32)", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
        # The symmetry probe: the largest spread between the units of a hidden layer, per seed.
        floor = 1e-18
        for i, dtype, ls in [(i, "float32", "-") for i in inits] + [(i, "float64", "--")
                                                                  for i in cfg["probe_inits"]]:
            if dtype not in cfg["dtype"]:
                continue
            steps = longest if i in cfg["probe_inits"] else first
            s0, v0 = B.curves(result.table, "unit_spread_0", init=i, activation="sigmoid", dtype=dtype, steps=steps)
            s1, v1 = B.curves(result.table, "unit_spread_1", init=i, activation="sigmoid", dtype=dtype, steps=steps)
            if not len(s0):
                continue
            v = np.maximum(np.maximum(v0, v1), floor)
            if i in CONSTANT:
                for k, row in enumerate(v):
                    ax2.plot(s0, row, ls, color=col[i], lw=1.0, alpha=0.8,
                             label=f"{LABELS.get(i, i)}, {dtype} (each seed)" if k == 0 else None)
            else:
                ax2.plot(s0, np.nanmean(v, axis=0), ls, color=col[i], lw=2, label=f"{LABELS.get(i, i)} (mean)")
        if longest > first:
            ax2.axvline(first, color="0.5", lw=0.8, ls="--")
            ax2.text(first, 1.0, f" {first} steps\n (the source)", fontsize=7, va="top", color="0.3")
        ax2.axhspan(COPY_TOL, BROKEN, color="0.92", zorder=0)
        ax2.axhline(COPY_TOL, color="0.6", lw=0.8, ls=":")
        ax2.set_yscale("log")
        ax2.set_ylim(floor / 3, 3)
        ax2.set_xlabel("training step")
        ax2.set_ylabel("largest spread between units of a layer")
        ax2.set_title(f"Do the hidden units stay copies? (exact 0 drawn at {floor:g})", fontsize=10)
        ax2.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
    main = B.save(fig, out_dir, "initializers", "Left: test accuracy during training for each initialisation "
                  "(sigmoid, float32; mean over seeds with a 95% band; dotted: chance). Right: the largest spread "
                  "between the hidden units of a layer (log scale; every seed of the constant initialisations, "
                  "the mean of the others; dashed: float64). Units that start as exact copies stay copies while "
                  f"their spread is below the dotted line ({COPY_TOL:g}); the grey band lies between 'copies' "
                  f"and 'visibly broken' ({BROKEN:g}); rounding alone puts copies about the machine epsilon apart "
                  "(1e-8 in float32, 1e-16 in float64). " + claim_captions(result, "beats", "stay copies"),
                  main=True, formats=formats)

    zero = final[final["init"] == "zeros"]
    lengths = sorted(int(x) for x in cfg["steps"])
    with B.style():
        fig, ax = plt.subplots(figsize=(2.0 + 1.25 * (len(cfg["activation"]) * len(cfg["dtype"]) + len(lengths)), 4.0))
        labels, groups = [], []
        for steps in lengths:
            for a in cfg["activation"]:
                for d in cfg["dtype"]:
                    sub = zero[(zero["activation"] == a) & (zero["dtype"] == d) & (zero["steps"] == steps)]
                    if len(sub):
                        labels.append(f"zeros, {a}\n{d}, {steps} st.")
                        groups.append(sub["test_acc"].to_numpy(float))
        if "xavier" in inits:
            labels.append(f"Xavier\nfloat32, {first} st.")
            groups.append(_rows(final, init="xavier", steps=first, **base)["test_acc"].to_numpy(float))
        B.dot_ci(ax, labels, groups)
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        ax.set_ylabel("final test accuracy")
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title("All-zero initialisation: what it reaches", fontsize=10)
        fig.tight_layout()
    stats = B.save(fig, out_dir, "zero-init", "Final test accuracy of the all-zero networks by activation, "
                   "precision and training length, and of Xavier for comparison (each dot a seed; squares: the "
                   "mean with its 95% interval; dotted: chance). "
                   + claim_captions(result, "still learns", "float32 and float64, seed by seed",
                                    "weights never move", "network's weights move"), formats=formats)
    return [main, stats]


def discussion(result):
    cfg = result.config
    f = result.final
    first, longest = int(cfg["steps"][0]), max(int(x) for x in cfg["steps"])
    base = f[(f["activation"] == "sigmoid") & (f["dtype"] == "float32") & (f["steps"] == first)]
    means = ", ".join(f"{LABELS.get(i, i)} {base[base['init'] == i]['test_acc'].mean():.3f}"
                      for i in cfg["init"])
    z = f[(f["init"] == "zeros") & (f["activation"] == "sigmoid")]

    def worst(sub):
        return float(np.nanmax(np.maximum(sub["max_unit_spread"], sub["param_spread"]))) if len(sub) else math.nan

    def same(sub):
        p = sub.pivot_table(index="seed", columns="dtype", values="test_acc", aggfunc="mean").dropna()
        if not {"float32", "float64"} <= set(p.columns):
            return "float64 was not run,"
        n_test = int(cfg["n_test"])
        n = int((np.round(p["float32"] * n_test) == np.round(p["float64"] * n_test)).sum())
        return f"float32 and float64 give the same test accuracy in {n} of {counted(len(p))},"

    text = (f"Mean final test accuracy after {first} steps (sigmoid, float32): {means}. ")
    z1 = z[z["steps"] == first]
    text += ("The all-zero sigmoid network learns, but not by breaking its symmetry. sigmoid(0) = 0.5 feeds "
             "the output layer, whose weights get a gradient at the first step; from then on every hidden unit "
             "of a layer receives the same gradient (same inputs, same outgoing weights), so the units move "
             "together and each layer acts as one unit repeated. A 12 -> 1 -> 1 -> 2 sigmoid network is still a "
             "good classifier here, because the best boundary between two Gaussians with a shared covariance "
             "is a hyperplane: that is what the source saw 'eventually train' (eventually, because it starts "
             "from a saddle where only the output layer has a gradient). Rounding does differ between units "
             "(the kernels do not treat every column of a matrix identically): over "
             f"{first} steps the largest spread between units is {worst(z1[z1['dtype'] == 'float32']):.2g} in "
             f"float32 and {worst(z1[z1['dtype'] == 'float64']):.2g} in float64, and {same(z1)} "
             "so that noise plays no part in the learning. ")
    if longest > first and len(z[z["steps"] == longest]):
        zl = z[z["steps"] == longest]
        text += (f"Over {longest} steps the spread reaches {worst(zl[zl['dtype'] == 'float32']):.2g} (float32) "
                 f"and {worst(zl[zl['dtype'] == 'float64']):.2g} (float64): in some seeds training amplifies the "
                 "rounding differences exponentially (the symmetric state is unstable), float64 lagging float32 "
                 f"by the ratio of their epsilons. Yet {same(zl)} with a mean of "
                 f"{zl['test_acc'].mean():.3f}: the source's mechanism exists, but it is not what makes the "
                 "all-zero network learn. ")
    text += ("004 is right for its ReLU network: relu(0) = 0 and relu'(0) = 0 zero every gradient but the output "
             "bias's, so the weights never leave zero; and right for its sigmoid network, which moves after a "
             "long plateau into a straight-line fit: the same copies, on 004's circle, where one unit per layer "
             "cannot draw the boundary (catalog entry zero-initialization). All-ones weights are as symmetric as "
             "all-zeros and also saturate the sigmoids (pre-activations of about 13 and 100), which is why they do "
             "not train.")
    return text


EXPERIMENT = register_experiment(Experiment(
    name="initializers",
    title="How does the initialisation affect performance?",
    source=B.SOURCE, section=B.SECTION.format(n=10, title="How Does the Initialization Affect Performance?"),
    question="Which initialisations of weights and biases let a sigmoid MLP train, and does an all-zero "
             "network train at all?",
    hypothesis="We expect the Xavier loss to have the best performance (it is the default used in "
               "tensorflow), while the other methods to have poor preformance (especially the constant "
               "initiailizers).",
    method="Two 12-dimensional Gaussians with means 1/i apart in dimension i and a shared random covariance "
           "(400 training and 100 test points, a new draw per seed); sigmoid MLPs (100, 100) with linear "
           "outputs trained on the squared error against one-hot targets with Adam (lr 0.003), 500 steps "
           "of random minibatches of 64. Weights and biases start from Xavier (Glorot uniform), all zeros, "
           "all ones, N(0, 0.01^2) or N(0, 1). Twenty times per run we record test accuracy and the spread "
           "between the units of each hidden layer (the std across units of their activations, averaged over "
           "training examples); at the end we also compare the units' weights directly. The all-zero network "
           "is also trained in float64, with ReLU, and (paper scale) for 5,000 steps.",
    source_conclusion="The Xavier and Gaussian (with lower variance) initializations lead to very good "
                      "training. Interestingly, the constant 0 initialization eventually leads to training, "
                      "while the other initializations do not.",
    settings={"init": INITS, "activation": ["sigmoid", "relu"], "dtype": ["float32", "float64"],
              "steps": [500, 5000], "probe_inits": ["zeros"], "loss": "mse", "outputs": "logits", "d": 12,
              "class_sep": "1/i", "n_train": 400, "n_test": 100, "layers": [100, 100], "lr": 0.003,
              "batch_size": 64, "records": 20, "seeds": 10},
    provenance={"init": "source text: Xavier, zeros, ones, N(0, 0.01^2), N(0, 1), on weights and biases",
                "activation": "changed: sigmoid is the source's; the ReLU arm is ours (004's setting)",
                "dtype": "changed: float32 is the source's (TensorFlow); float64 is ours, to test its noise "
                         "explanation", "steps": "source code: 500 steps; the 5,000-step arm is ours",
                "probe_inits": "assumed: the initialisations that get the float64, ReLU and long arms",
                "loss": "source code: mean squared error", "outputs": "source code: on the linear outputs",
                "d": "source text", "class_sep": "source code: 1/i (the text says 1 in every dimension)",
                "n_train": "source text", "n_test": "source text", "layers": "source code: (100, 100)",
                "lr": "source code", "batch_size": "source code",
                "records": "assumed: 20 records a run (the source records every 50 steps)",
                "seeds": "changed: 10 seeds; the source averaged 5 runs (iters = 5)"},
    source_numbers=[SourceNumber("test_acc", v, {"init": i, "activation": "sigmoid", "dtype": "float32",
                                                 "steps": 500}, "read off the source's figure, last checkpoint")
                    for i, v in (("xavier", 0.965), ("normal(0.01)", 0.95), ("zeros", 0.87), ("normal(1)", 0.63),
                                 ("ones", 0.49))],
    factors=["init", "activation", "dtype", "steps"],
    scales={"smoke": {"steps": [60], "layers": [20, 20], "seeds": 2},
            "quick": {"steps": [500], "seeds": 6}},
    make_trial=make_trial,
    derive=lambda trial, outcome, cfg: symmetry(outcome),
    claims=claims,
    figures=figures,
    discussion=discussion,
    metric="test_acc",
    differences="The source text says the means are 1 apart in every dimension; its code (and this entry) "
                "uses 1/i. It ran 5 repetitions; we run 10 seeds and paired comparisons. The squared error is "
                "computed on the linear outputs against one-hot targets, as in its code. The float64 and ReLU "
                "arms, the unit-spread probe and the symmetry claims go beyond the source, to settle its "
                "'numerical noise' explanation against 004's 'never moves'. Xavier biases are drawn as "
                "TensorFlow's Glorot initialiser draws a vector of width n (fan_in = fan_out = n, limit "
                "sqrt(3/n)), as in the source's code.",
))
