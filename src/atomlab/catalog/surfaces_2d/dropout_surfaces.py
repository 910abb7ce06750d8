"""002, "Effect of dropout": prediction surfaces of [10]*4 relu MLPs trained with dropout.

Gupta, "What 2D data reveals about deep nets", section "Effect of dropout": keep probabilities 0.1,
0.5, 0.7 and 0.9 (the source's code, ``effect_of_dropout.py``), against the plain network (keep 1.0)
of "Effect of depth". "Dropout was introduced as a means to regularize neural networks and so it
does in the above results. The amount of regularization is inversely related to the keep
probability."
"""

from __future__ import annotations

from atomlab.catalog.surfaces_2d import _surface_suite as S
from atomlab.lab import Compare, Trend, register_experiment


def make_trial(cfg, levels, seed):
    return S.suite_trial(cfg, levels, seed, dropout=round(1.0 - float(levels["keep_prob"]), 10))


def col_title(levels) -> str:
    keep = float(levels["keep_prob"])
    return f"keep {keep:g}" + (" (no dropout)" if keep == 1.0 else "")


def claims(cfg):
    keeps = sorted(float(k) for k in cfg["keep_prob"])
    out = []
    if len(keeps) >= 2:
        out.append(Trend("test_acc", "keep_prob", "increasing", levels=keeps,
                         text="the regularisation grows as the keep probability falls: test accuracy on the "
                              "noise-free boundaries increases with the keep probability"))
    if 1.0 in keeps and 0.9 in keeps:
        out.append(Compare("test_acc", {"keep_prob": 0.9}, {"keep_prob": 1.0}, direction="smaller",
                           text="even a high keep probability (0.9) regularises noticeably: test accuracy "
                                "below the network without dropout"))
    return out


def figures(result, out_dir, formats=("png",)):
    train = S.stats_figure(result, out_dir, x=col_title, metric="train_acc", name="train-accuracy", logy=False,
                           connect=True, formats=formats,
                           caption="Training accuracy (dropout off at evaluation) by keep probability: on "
                                   "noise-free labels, regularisation shows as a worse fit to the training set "
                                   "itself; points are means over seeds, bars 95% intervals.")
    return S.suite_figures(result, out_dir, formats, col_title=col_title, extra=[train],
                           stats={"connect": True, "xlabel": "keep probability"})


def discussion(result) -> str:
    f = result.final
    parts = [f"keep {k:g}: training accuracy {S.mean_ci_text(S.per_seed(f, 'train_acc', {'keep_prob': k}))}, "
             f"disagreement {S.mean_ci_text(S.per_seed(f, 'disagreement', {'keep_prob': k}))}"
             for k in result.config["keep_prob"]]
    return ("Averaged over the decision functions (mean [95% interval] over seeds): " + "; ".join(parts) + ". "
            "The labels carry no noise, so whatever dropout does here shows as underfitting (a smoother, "
            "less accurate surface), not as better generalisation; the source says so too ('this "
            "comparison is not entirely fair since there is no noise in the data'). " + S.DISAGREEMENT_NOTE)


EXPERIMENT = register_experiment(S.SurfaceExperiment(
    name="dropout-surfaces",
    title="Effect of dropout on 2-D prediction surfaces",
    source="002", section="What 2D data reveals about deep nets (Gupta), Effect of dropout",
    question="How much does dropout (keep probability 0.1 to 0.9) smooth the prediction surface of a [10]*4 "
             "relu MLP on noise-free 2-D boundaries?",
    hypothesis="The lower the keep probability, the stronger the regularisation: the surfaces get smoother "
               "and less accurate; even keep 0.9 is visibly worse than no dropout.",
    method=S.METHOD + " Here: [10]*4 relu networks with dropout after every hidden activation, keep "
                      "probability 0.1, 0.5, 0.7, 0.9, and 1.0 (no dropout) as the reference; inverted "
                      "dropout, off at evaluation. All keep probabilities train in one population.",
    source_conclusion="Dropout was introduced as a means to regularize neural networks and so it does in the "
                      "above results. The amount of regularization is inversely related to the keep "
                      "probability. Comparing the last row with 4 hidden layers network in the Effect of Depth "
                      "section, we see quite significant regularization effect even with a high keep "
                      "probability. But this comparison is not entirely fair since there is no noise in the "
                      "data.",
    settings={**S.SUITE_SETTINGS, "keep_prob": [0.1, 0.5, 0.7, 0.9, 1.0]},
    provenance={**S.SUITE_PROVENANCE, "keep_prob": "source code: keep 0.1, 0.5, 0.7, 0.9; keep 1.0 is the "
                "[10]*4 network of the depth figure the text compares with"},
    factors=["function", "keep_prob"],
    scales=S.SUITE_SCALES,
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    differences=S.DIFFERENCES + " The source's dropout figure has no keep-1.0 row (it points to the depth "
                                "figure); we train that reference in the same population.",
))
