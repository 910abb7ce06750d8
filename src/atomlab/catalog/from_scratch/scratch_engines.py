"""003, part I, checked against PyTorch: do two engines draw the same boundary from the same weights?

003 writes its network in NumPy with hand-derived backpropagation. Every atomlab entry of 003's
part I can run it on :mod:`atomlab.scratch` or, with ``--set engine=torch``, on the population
engine, starting from the same initial weights (see :mod:`atomlab.catalog.from_scratch._recipe`). This entry
trains each of 003's networks on every engine and measures how far they end apart, with two
controls that say why they differ when they do: the NumPy engine restarted from weights that differ
by one part in 10^15 (how much the training dynamics amplify a rounding-sized change), and the NumPy
engine with PyTorch's convention ReLU'(0) = 0 instead of 003's ReLU'(0) = 1.
"""

from __future__ import annotations

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from atomlab._lazy import pyplot as plt
from atomlab.catalog.from_scratch._recipe import ENGINES, PROVENANCE_003, SETTINGS_003, moons_data, trial_003  # noqa: E402
from atomlab.engine import grid_axes  # noqa: E402
from atomlab.engine.kinds.scratch_net import NUDGE  # noqa: E402
from atomlab.lab import Check, Compare, Experiment, register_experiment  # noqa: E402
from atomlab.lab import figures as F  # noqa: E402
from atomlab.lab import figures as SF  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402

LABELS = {"scratch": "NumPy (003: ReLU'(0)=1)", "scratch0": "NumPy, ReLU'(0)=0", "torch": "population engine",
          "autograd": "PyTorch autograd", "nudged": "NumPy, W₁[0,0]·(1+10⁻¹⁵)"}
NETWORK_KEYS = ["activation", "depth", "seed"]
#: Curves that coincide (population engine and autograd; NumPy with ReLU'(0)=0 and the population engine)
#: stay visible with their own line style and marker.
STYLES = {"torch": ("-", "o", 4.5), "autograd": ("--", "s", 3.0), "nudged": (":", "^", 3.5),
          "scratch0": ("-.", "x", 5.0)}


def make_trial(cfg, levels, seed):
    if levels["engine"] == "scratch0" and levels["activation"] != "relu":
        return None  # the ReLU'(0) convention only matters for ReLU
    layers = [cfg["width"]] * int(levels["depth"])
    return trial_003(cfg, levels, seed, moons_data(cfg, seed), layers, levels["activation"])


def gap_to(reference: str, metric: str = "train_loss"):
    """A column function: |metric - metric of the ``reference`` engine's trial of the same network and seed|."""

    def column(final: pd.DataFrame) -> pd.Series:
        ref = final[final["engine"] == reference].set_index(NETWORK_KEYS)[metric]
        idx = pd.MultiIndex.from_frame(final[NETWORK_KEYS])
        return pd.Series(np.abs(final[metric].to_numpy() - ref.reindex(idx).to_numpy()), index=final.index)

    return column


def excess_gap(final: pd.DataFrame, tolerance: float) -> pd.Series:
    """How far each trial ends from the NumPy engine beyond ``max(tolerance, 10 x the nudged restart's gap)``.

    Examples
    --------
    >>> final = pd.DataFrame({"engine": ["scratch", "torch", "nudged"], "activation": "tanh", "depth": 1,
    ...                       "seed": 0, "train_loss": [0.1, 0.1 + 2e-5, 0.1 + 3e-4]})
    >>> bool((excess_gap(final, 1e-6) <= 0).all())  # 2e-5 is under 10 x 3e-4
    True
    """
    gap = gap_to("scratch")(final)
    keys = pd.MultiIndex.from_frame(final[NETWORK_KEYS])
    control = pd.Series(gap.to_numpy(), index=keys)[(final["engine"] == "nudged").to_numpy()]
    allowed = np.maximum(tolerance, 10 * np.nan_to_num(control.reindex(keys).to_numpy()))
    return pd.Series(gap.to_numpy() - allowed, index=final.index)


def log_gap_to(reference: str):
    """``log10`` of :func:`gap_to` (floored at 1e-17, below float64 resolution of a loss near 0.1)."""
    return lambda final: np.log10(np.maximum(gap_to(reference)(final), 1e-17))


def max_grid_difference(result, a: str, b: str, **levels) -> float:
    """Max |P(class 1) difference| on the grid between engines ``a`` and ``b``, over the run's seeds."""
    worst = 0.0
    grids = {}
    for t, o in result.select(**levels):
        if t.levels["engine"] in (a, b):
            grids[(t.levels["engine"], t.seed)] = o.artefacts.get("grid")
    seeds = {s for e, s in grids if e == a} & {s for e, s in grids if e == b}
    if not seeds:
        return float("nan")
    for s in seeds:
        ga, gb = grids[(a, s)], grids[(b, s)]
        if ga is None or gb is None:
            return float("nan")
        worst = max(worst, float(np.abs(ga - gb).max()))
    return worst


def figures(result, out_dir, formats=("png",)):
    engines = list(result.config["engine"])
    depths, acts = list(result.config["depth"]), list(result.config["activation"])
    nets = [(a, d) for d in depths for a in acts]
    w = result.config["width"]
    image = None
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(len(nets), len(engines) + 1,
                                 figsize=(2.2 * (len(engines) + 1) + 0.6, 2.15 * len(nets) + 0.5), squeeze=False)
        for i, (a, d) in enumerate(nets):
            for j, e in enumerate(engines):
                ax = axes[i, j]
                pair = SF.seed0_pair(result, engine=e, activation=a, depth=d)
                if pair is None:
                    ax.axis("off")
                    if i == 0:
                        ax.set_title(LABELS.get(e, e), fontsize=8)
                    continue
                SF.draw_boundary(ax, *pair, title=LABELS.get(e, e) if i == 0 else None, point_size=4)
                if i == 0:
                    ax.title.set_fontsize(8)
            axes[i, 0].set_ylabel(f"{a}, {d}×{w}", fontsize=9)
            ax = axes[i, -1]
            ref = SF.seed0_pair(result, engine="scratch", activation=a, depth=d)
            other = SF.seed0_pair(result, engine="torch", activation=a, depth=d)
            ga = None if ref is None else ref[1].artefacts.get("grid")
            gb = None if other is None else other[1].artefacts.get("grid")
            if ga is None or gb is None:
                ax.axis("off")
                continue
            xx, yy = grid_axes(materialize(ref[0].data), ga.shape[0])
            image = ax.pcolormesh(xx, yy, np.log10(np.maximum(np.abs(gb - ga), 1e-8)), vmin=-8, vmax=0,
                                  cmap="magma", shading="auto")
            text = f"max {max_grid_difference(result, 'scratch', 'torch', activation=a, depth=d):.0e}"
            if a == "relu" and "scratch0" in engines:
                text += f"; ReLU'(0)=0: {max_grid_difference(result, 'scratch0', 'torch', activation=a, depth=d):.0e}"
            ax.set_title(("|Δp| NumPy vs population\n" if i == 0 else "") + text, fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=axes[:, -1].tolist(), shrink=0.4, label="log₁₀ |Δ P(class 1)|")
    main = F.save(fig, out_dir, "boundaries", "The first seed's boundary of each network (rows) as each engine draws "
                  "it (columns), and the log difference between the NumPy and population engines' probabilities on "
                  "the grid (right; max over all seeds in the title). " + F.claim_captions(result),
                  main=True, formats=formats)

    table = result.table
    ref = table[table["engine"] == "scratch"].set_index([*NETWORK_KEYS, "step"])["train_loss"]
    colors = F.viz.style.level_colors(engines)
    with F.viz.style.apply_style():
        fig, axes = plt.subplots(len(depths), len(acts), figsize=(3.9 * len(acts), 3.1 * len(depths)),
                                 squeeze=False, sharex=True, sharey=True)
        for i, d in enumerate(depths):
            for j, a in enumerate(acts):
                ax = axes[i, j]
                for e in engines:
                    sub = table[(table["engine"] == e) & (table["depth"] == d) & (table["activation"] == a)]
                    if e == "scratch" or sub.empty:
                        continue
                    idx = pd.MultiIndex.from_frame(sub[[*NETWORK_KEYS, "step"]])
                    diff = np.abs(sub["train_loss"].to_numpy() - ref.reindex(idx).to_numpy())
                    worst = pd.Series(np.maximum(diff, 1e-18), index=sub["step"].to_numpy()).groupby(level=0).max()
                    ls, marker, ms = STYLES.get(e, ("-", "o", 3.0))
                    ax.plot(worst.index, worst.to_numpy(), ls=ls, marker=marker, ms=ms, lw=1.3, color=colors[e],
                            label=LABELS[e], mfc="none" if marker in "os^" else None)
                ax.set_yscale("log")
                ax.set_ylim(1e-18, 10)
                ax.set_title(f"{a}, {d} hidden layer{'s' * (d > 1)} of {w}", fontsize=9)
                if i == len(depths) - 1:
                    ax.set_xlabel("pass")
                if j == 0:
                    ax.set_ylabel("max |Δ training loss|\nvs NumPy (003)")
        handles, labels = [], []
        for ax in axes.ravel():
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    growth = F.save(fig, out_dir, "divergence", "Largest difference in training loss from the NumPy engine, over "
                    "seeds, at each recorded pass (1e-18 stands for 0), beside the NumPy engine restarted from "
                    "weights 1e-15 apart. " + F.claim_captions(result), formats=formats)
    return [main, growth]


def claims(cfg):
    engines = list(cfg["engine"])
    out = []
    labels = {"torch": "the population engine (the engine of --set engine=torch)", "autograd": "PyTorch autograd"}
    if "scratch" in engines and 1 in cfg["depth"]:
        # "The same network" cannot mean "equal losses" where the dynamics amplify rounding: at 003's step of
        # 2.0 a tanh network restarted from weights 1e-15 apart ends up to 3e-4 away on some seeds. So each
        # trial is checked against the tolerance or, where the nudged restart itself moves further, against
        # 10x that restart's distance (the entry's own control): exact per trial, no sampling.
        for other in ("torch", "autograd"):
            if other in engines:
                out.append(Check(
                    "gap_excess", 0.0, where={"engine": other, "depth": 1},
                    frame=lambda final, tol=cfg["tolerance"]: final.assign(gap_excess=excess_gap(final, tol)),
                    text=f"one hidden layer: {labels[other]} ends within {cfg['tolerance']:g} of the NumPy engine's "
                         "training loss, or no further than 10x the NumPy engine restarted from weights 1e-15 "
                         "apart, for every activation and seed"))
    smooth = [a for a in cfg["activation"] if a != "relu"]
    if {"scratch", "torch", "nudged"} <= set(engines) and 4 in cfg["depth"] and smooth:
        # Non-inferiority on a log scale: a - b < 1 means the engine moves the loss by less than 10x what the
        # 1e-15 nudge does.
        out.append(Compare(
            "log_gap", {"engine": "torch"}, {"engine": "nudged"}, direction="smaller", margin=-1.0,
            where={"depth": 4, "activation": smooth},
            frame=lambda final: final.assign(log_gap=log_gap_to("scratch")(final)),
            text="four tanh or sigmoid layers: the population engine ends less than 10x further from the NumPy "
                 "engine than the NumPy engine itself restarted from weights 1e-15 apart (log10 |Δ training "
                 "loss|, paired by network and seed)"))
    if {"scratch", "scratch0", "torch"} <= set(engines) and 4 in cfg["depth"] and "relu" in cfg["activation"]:
        out.append(Compare(
            "log_gap_torch", {"engine": "scratch0"}, {"engine": "scratch"}, direction="smaller",
            where={"depth": 4, "activation": "relu"},
            frame=lambda final: final.assign(log_gap_torch=log_gap_to("torch")(final)),
            text="four ReLU layers: with PyTorch's ReLU'(0) = 0 the NumPy engine ends closer to the population "
                 "engine than with 003's ReLU'(0) = 1 (log10 |Δ training loss|, paired by seed)"))
    return out


register_experiment(Experiment(
    name="scratch-engines",
    title="From scratch: do the NumPy and PyTorch engines draw the same boundary?",
    source="003", section="Problem Set #1, I. Backpropagation in a simple neural network (the network from "
                          "scratch, checked against PyTorch)",
    question="From the same initial weights, do 003's hand-derived NumPy network and PyTorch train the same "
             "network and draw the same boundary?",
    hypothesis="The engines compute the same gradients, so they follow the same trajectory and draw the same "
               "boundary up to rounding.",
    method="003's networks (1 or 4 hidden layers of 3 tanh, sigmoid or ReLU units) on make_moons (200 points, "
           "noise 0.2, redrawn per seed), full-batch gradient descent on the mean cross-entropy plus 5e-5/2 "
           "||W||^2 with step 2.0 (003's settings), float64, all engines from the same initial weights "
           "(N(0, 1/fan_in), zero biases). Engines: the NumPy network of atomlab.scratch (003's ReLU'(0) = 1); "
           "the population engine (all networks of one shape in one vectorised run; on the CPU it runs its own "
           "hand-derived NumPy backward pass); PyTorch autograd on one plain nn.Module; and two controls: the "
           f"NumPy engine with one initial weight multiplied by 1 + {NUDGE:g}, and the NumPy engine with "
           "PyTorch's ReLU'(0) = 0. Claims compare final training losses; the figures compare the probabilities "
           "on the grid and follow the loss difference along training.",
    source_conclusion="For backpropagation, the following gradients were derived and implemented: [...] "
                      "Rectified linear unit (ReLU) derivative: d/dz f(z) = 1 for z ≥ 0 and f(z) = 0 for z < 0",
    settings={**SETTINGS_003, "engine": ["scratch", "scratch0", "torch", "autograd", "nudged"],
              "activation": ["tanh", "sigmoid", "relu"], "depth": [1, 4], "width": 3, "tolerance": 1e-6,
              "seeds": 5},
    provenance={**PROVENANCE_003, "engine": "changed: 003 has one engine, its own (scratch); the others are ours, "
                "to check it against PyTorch and autograd", "activation": "source text: tanh, sigmoid, ReLU",
                "depth": "source text: the 3-layer network and 4 hidden layers", "width": "source text: 3 units",
                "tolerance": "assumed: how close two engines must end to count as the same",
                "seeds": "changed: 5 seeds; 003 trained each network once"},
    factors=["depth", "activation", "engine"],
    scales={"smoke": {"passes": 100, "grid": 30, "seeds": 2},
            "quick": {"passes": 1500, "grid": 100, "seeds": 3}},
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    metric="train_loss",
    differences="003 has no second engine and no such comparison; its one statement on the matter is the ReLU "
                "derivative it implemented, quoted above. The initial weights are drawn once (N(0, 1/fan_in), 003's "
                "randn / sqrt(fan_in)) from the trial's seed and given to every engine, rather than by "
                "np.random.seed as in 003's code. Everything trains in float64; grid probabilities are stored in "
                "float32, so grid differences below about 1e-7 read as 0.",
))

assert set(LABELS) == set(ENGINES)
