"""002, "Effect of width": prediction surfaces of 4-hidden-layer relu MLPs of different widths.

Gupta, "What 2D data reveals about deep nets", section "Effect of width": uniform widths 5, 10, 20
and 40, and three shapes (hour glass [10, 5, 5, 10], decreasing [40, 20, 10, 5], increasing
[5, 10, 20, 40]). "As with depth, increasing the width improves performance. However, comparing
Very Wide Uniform with 8 hidden layers network of the previous section [...], increasing depth
seems to be a significantly more efficient use of parameters (~5k vs ~1k)." The 8 x 10 network of
"Effect of depth" is added here as a reference arm so that this comparison is checked.
"""

from __future__ import annotations

import numpy as np

from atomlab._lazy import pyplot as plt
from atomlab.catalog.surfaces_2d import _surface_suite as S
from atomlab.lab import Compare, Trend, register_experiment
from atomlab.lab import figures as F

NAMES = {(5, 5, 5, 5): "narrow", (10, 10, 10, 10): "medium", (20, 20, 20, 20): "wide",
         (40, 40, 40, 40): "very wide", (10, 5, 5, 10): "hour glass", (40, 20, 10, 5): "decreasing",
         (5, 10, 20, 40): "increasing", (10,) * 8: "deep"}
UNIFORM = [(5,) * 4, (10,) * 4, (20,) * 4, (40,) * 4]
DEEP, VERY_WIDE, WIDE = (10,) * 8, (40,) * 4, (20,) * 4
#: Non-inferiority margin of the parameter-efficiency claim (test accuracy, absolute).
MARGIN = 0.005


def name(layers) -> str:
    """Short name of an architecture: the source's where it has one, else its widths."""
    layers = tuple(int(w) for w in layers)
    return NAMES.get(layers, widths(layers))


def widths(layers) -> str:
    """``[40]×4`` for uniform widths, else ``[10,5,5,10]``."""
    layers = tuple(int(w) for w in layers)
    if len(set(layers)) == 1 and len(layers) > 1:
        return f"[{layers[0]}]×{len(layers)}"
    return "[" + ",".join(map(str, layers)) + "]"


def col_title(levels) -> str:
    layers = tuple(levels["layers"])
    return f"{name(layers)}\n{widths(layers)}\n{S.n_params(layers):,} params"


def make_trial(cfg, levels, seed):
    return S.suite_trial(cfg, levels, seed, layers=tuple(int(w) for w in levels["layers"]))


def claims(cfg):
    present = {tuple(v) for v in cfg["layers"]}
    out = []
    uniform = [u for u in UNIFORM if u in present]
    if len(uniform) >= 2:
        out.append(Trend("test_acc", "layers", "increasing", where={"layers": uniform}, levels=uniform,
                         text="test accuracy increases with the width of 4 uniform hidden layers "
                              f"({', '.join(str(u[0]) for u in uniform)} units; averaged over the functions)"))
    if {DEEP, VERY_WIDE} <= present:
        out.append(Compare("test_acc", {"layers": DEEP}, {"layers": VERY_WIDE}, direction="greater",
                           margin=-MARGIN,
                           text=f"depth is the more parameter-efficient: 8 × 10 ({S.n_params(DEEP):,} params) "
                                f"is at least as accurate as 4 × 40 ({S.n_params(VERY_WIDE):,} params), within "
                                f"{100 * MARGIN:g} accuracy points"))
    if {DEEP, WIDE} <= present:
        out.append(Compare("test_acc", {"layers": DEEP}, {"layers": WIDE}, direction="greater",
                           text=f"at a similar budget depth beats width: 8 × 10 ({S.n_params(DEEP):,} params) "
                                f"is more accurate than 4 × 20 ({S.n_params(WIDE):,} params)"))
    return out


def efficiency_figure(result, out_dir, formats=("png",)):
    """Disagreement against parameter count, one point per architecture (mean over functions)."""
    f = result.final
    with F.viz.style.apply_style():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        seen: dict[int, int] = {}
        for layers in result.config["layers"]:
            layers = tuple(layers)
            vals = S.per_seed(f, "disagreement", {"layers": layers})
            s = S.summary(vals)
            n = S.n_params(layers)
            seen[n] = seen.get(n, 0) + 1
            x = n * 1.04 ** (seen[n] - 1)  # decreasing and increasing share a count: nudge the second
            family = "uniform width" if layers in UNIFORM else ("depth (8 × 10)" if layers == DEEP else "shaped")
            style = {"uniform width": ("o", "C0"), "depth (8 × 10)": ("s", "C3"), "shaped": ("^", "C2")}[family]
            low = max(s["ci_low"], 0.3 * s["mean"])  # an interval may reach 0, which a log axis cannot show
            ax.errorbar([x], [s["mean"]], yerr=[[s["mean"] - low], [s["ci_high"] - s["mean"]]],
                        marker=style[0], color=style[1], ms=6, capsize=3, lw=1.2)
            ax.annotate(name(layers), (x, s["mean"]), textcoords="offset points", xytext=(5, 4), fontsize=7.5)
        uni = [(S.n_params(u), S.summary(S.per_seed(f, "disagreement", {"layers": u}))["mean"])
               for u in UNIFORM if u in {tuple(v) for v in result.config["layers"]}]
        if uni:
            ax.plot(*zip(*uni), color="C0", lw=1, alpha=0.6)
        for lbl, (m, c) in {"uniform width": ("o", "C0"), "shaped": ("^", "C2"),
                            "depth (8 × 10)": ("s", "C3")}.items():
            ax.plot([], [], m, color=c, label=lbl)
        ax.set_xscale("log")
        S.percent_log_axis(ax)
        ax.set_xlabel("trainable parameters")
        ax.set_ylabel("disagreement (share of the box)")
        ax.legend(fontsize=8, frameon=False)
        ax.grid(alpha=0.3, which="both")
        fig.tight_layout()
    found = F.claim_captions(result, "parameter-efficient", "depth beats width")
    return F.save(fig, out_dir, "efficiency", "Disagreement with the true boundary against the parameter count, "
                  "averaged over the four functions (bars: 95% intervals over seeds); the deep 8 × 10 net is the "
                  "red square, the uniform widths the blue line." + (f" On test accuracy: {found}" if found else ""),
                  formats=formats)


def figures(result, out_dir, formats=("png",)):
    return S.suite_figures(result, out_dir, formats, col_title=col_title,
                           extra=[efficiency_figure(result, out_dir, formats=formats)])


def discussion(result) -> str:
    f = result.final
    parts = [f"{name(layers)} ({S.n_params(layers):,} params): test accuracy "
             f"{S.mean_ci_text(S.per_seed(f, 'test_acc', {'layers': tuple(layers)}))}, disagreement "
             f"{S.mean_ci_text(S.per_seed(f, 'disagreement', {'layers': tuple(layers)}))}"
             for layers in result.config["layers"]]
    text = "Averaged over the decision functions (mean [95% interval] over seeds): " + "; ".join(parts) + ". "
    present = {tuple(v) for v in result.config["layers"]}
    if {DEEP, VERY_WIDE} <= present:
        deep = float(np.mean(S.per_seed(f, "disagreement", {"layers": DEEP})))
        wide = float(np.mean(S.per_seed(f, "disagreement", {"layers": VERY_WIDE})))
        text += (f"Parameter efficiency, defined as the error reached at a given parameter count: the 8 × 10 "
                 f"net's disagreement is {deep / wide:.2g} times the 4 × 40 net's with "
                 f"{S.n_params(DEEP) / S.n_params(VERY_WIDE):.0%} of its parameters")
        uni = [u for u in UNIFORM if u in present]
        below = [u for u in uni if S.n_params(u) <= S.n_params(DEEP)]
        above = [u for u in uni if S.n_params(u) > S.n_params(DEEP)]
        if below and above:
            # the uniform-width curve, interpolated in log-log at the deep net's parameter count
            lo, hi = below[-1], above[0]
            d_lo, d_hi = (float(np.mean(S.per_seed(f, "disagreement", {"layers": u}))) for u in (lo, hi))
            t = (np.log(S.n_params(DEEP)) - np.log(S.n_params(lo))) / (np.log(S.n_params(hi)) - np.log(S.n_params(lo)))
            matched = float(np.exp((1 - t) * np.log(max(d_lo, 1e-9)) + t * np.log(max(d_hi, 1e-9))))
            text += (f"; a uniform 4-layer net of the same {S.n_params(DEEP):,} parameters, interpolated between "
                     f"{widths(lo)} and {widths(hi)}, would disagree on {matched:.2%} of the box against the deep "
                     f"net's {deep:.2%}")
        text += ". "
    return text + S.DISAGREEMENT_NOTE


EXPERIMENT = register_experiment(S.SurfaceExperiment(
    name="width-surfaces",
    title="Effect of width on 2-D prediction surfaces",
    source="002", section="What 2D data reveals about deep nets (Gupta), Effect of width",
    question="Do wider hidden layers draw the 2-D decision boundaries more accurately, and is width or depth "
             "the better use of parameters?",
    hypothesis="Test accuracy rises with the width of 4 uniform hidden layers (5, 10, 20, 40 units); an 8 × 10 "
               "network is at least as accurate as the 4 × 40 one with about a sixth of its parameters.",
    method=S.METHOD + " Here: 4 hidden layers of 5, 10, 20 or 40 units, the hour glass [10, 5, 5, 10], "
                      "decreasing [40, 20, 10, 5] and increasing [5, 10, 20, 40] shapes, and the 8 × 10 "
                      "network of 'Effect of depth' as a reference for the parameter comparison. Parameter "
                      "efficiency is tested as non-inferiority of the 8 × 10 net (822 parameters) against the "
                      "4 × 40 net (5,122) within 0.5 accuracy points, and superiority over the 4 × 20 net "
                      "(1,362), paired by seed and averaged over the functions.",
    source_conclusion="As with depth, increasing the width improves performance. However, comparing Very Wide "
                      "Uniform with 8 hidden layers network of the previous section (same width as the Medium "
                      "Uniform network), increasing depth seems to be a significantly more efficient use of "
                      "parameters (~5k vs ~1k). [...] More experiments are needed to comment on the effect of "
                      "the last three configurations.",
    settings={**S.SUITE_SETTINGS,
              "layers": [list(u) for u in UNIFORM] + [[10, 5, 5, 10], [40, 20, 10, 5], [5, 10, 20, 40], [10] * 8]},
    provenance={**S.SUITE_PROVENANCE, "layers": "source code: [5]*4, [10]*4, [20]*4, [40]*4, hourglass "
                "[10, 5, 5, 10], decreasing [40, 20, 10, 5], increasing [5, 10, 20, 40]; the 8 x 10 reference is "
                "the depth figure's network the text compares with"},
    factors=["function", "layers"],
    scales=S.SUITE_SCALES,
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    differences=S.DIFFERENCES + " The 8 × 10 reference arm is trained here (the source compared against its "
                                "depth figure); the parameter counts in the titles include the biases.",
))
