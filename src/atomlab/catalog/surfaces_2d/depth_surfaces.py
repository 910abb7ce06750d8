"""002, "Effect of depth": prediction surfaces of relu MLPs with 1, 2, 4 and 8 hidden layers of 10.

Gupta, "What 2D data reveals about deep nets", section "Effect of depth": the approximation of the
four decision functions "becomes increasingly accurate with higher confidence predictions and
crisper decision boundaries as the depth increases".
"""

from __future__ import annotations

from atomlab.catalog.surfaces_2d import _surface_suite as S
from atomlab.lab import Trend, register_experiment


def make_trial(cfg, levels, seed):
    return S.suite_trial(cfg, levels, seed, layers=(int(cfg["width"]),) * int(levels["depth"]))


def figures(result, out_dir, formats=("png",)):
    width = result.config["width"]

    def title(levels):
        d = int(levels["depth"])
        return f"{d} × {width} ({S.n_params((width,) * d)} params)"

    confidence = S.stats_figure(result, out_dir, x=lambda c: str(c["depth"]), metric="confidence",
                                name="confidence", xlabel="hidden layers", logy=False, connect=True,
                                formats=formats,
                                caption="Mean confidence |2p - 1| of the prediction over the box by depth: the "
                                        "source's 'higher confidence predictions' would show as a rise with "
                                        "depth; points are means over seeds, bars 95% intervals.")
    return S.suite_figures(result, out_dir, formats, col_title=title, extra=[confidence],
                           stats={"connect": True, "xlabel": "hidden layers"})


def discussion(result) -> str:
    f = result.final
    parts = [f"{d} layer{'s' if d > 1 else ''}: test accuracy "
             f"{S.mean_ci_text(S.per_seed(f, 'test_acc', {'depth': d}))}, disagreement "
             f"{S.mean_ci_text(S.per_seed(f, 'disagreement', {'depth': d}))}, confidence "
             f"{S.mean_ci_text(S.per_seed(f, 'confidence', {'depth': d}), percent=False)}"
             for d in result.config["depth"]]
    return ("Averaged over the decision functions (mean [95% interval] over seeds): " + "; ".join(parts) + ". "
            + S.DISAGREEMENT_NOTE)


EXPERIMENT = register_experiment(S.SurfaceExperiment(
    name="depth-surfaces",
    title="Effect of depth on 2-D prediction surfaces",
    source="002", section="What 2D data reveals about deep nets (Gupta), Effect of depth",
    question="Does a relu MLP draw the four 2-D decision boundaries more accurately as hidden layers of 10 "
             "units are added?",
    hypothesis="Test accuracy rises (and the disagreement with the true boundary falls) from 1 to 2, 4 and 8 "
               "hidden layers; the surfaces grow more confident.",
    method=S.METHOD + " Here: 1, 2, 4 and 8 hidden layers of 10 relu units; each depth trains as one "
                      "population over functions and seeds.",
    source_conclusion="As mentioned in the previous section, relus produce piecewise linear functions. From "
                      "the figure above we observe that the approximation becomes increasingly accurate with "
                      "higher confidence predictions and crisper decision boundaries as the depth increases.",
    settings={**S.SUITE_SETTINGS, "depth": [1, 2, 4, 8], "width": 10},
    provenance={**S.SUITE_PROVENANCE, "depth": "source code: [10], [10]*2, [10]*4, [10]*8",
                "width": "source code: 10 units per layer"},
    factors=["function", "depth"],
    scales=S.SUITE_SCALES,
    make_trial=make_trial,
    claims=[Trend("test_acc", "depth", "increasing",
                  text="test accuracy increases with depth (averaged over the decision functions)")],
    figures=figures,
    discussion=discussion,
    differences=S.DIFFERENCES,
))
