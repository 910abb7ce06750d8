"""002, "Effect of Batch Normalization": [10]*4 relu MLPs with and without batch norm.

Gupta, "What 2D data reveals about deep nets", section "Effect of Batch Normalization": "The above
figure shows the benefit gained by using batch normalization. You will find that this model with
batch normalization beats the 8 hidden layer network without batch normalization in the Effect of
Depth section." The 8 x 10 network without batch norm is trained here as a reference arm.
"""

from __future__ import annotations

from atomlab.catalog.surfaces_2d import _surface_suite as S
from atomlab.lab import Compare, register_experiment

#: Architectures: the source's [10]*4 with and without batch norm, and its 8 x 10 reference.
ARMS = {"plain": ((10,) * 4, False), "batchnorm": ((10,) * 4, True), "deep-8x10": ((10,) * 8, False)}


def make_trial(cfg, levels, seed):
    layers, bn = ARMS[levels["network"]]
    return S.suite_trial(cfg, levels, seed, layers=layers, batchnorm=bn, bn_momentum=cfg["bn_momentum"],
                         bn_eps=cfg["bn_eps"])


def col_title(levels) -> str:
    layers, bn = ARMS[levels["network"]]
    return f"{len(layers)} × {layers[0]}, " + ("batch norm" if bn else "no batch norm")


def claims(cfg):
    arms = set(cfg["network"])
    out = []
    if {"plain", "batchnorm"} <= arms:
        out.append(Compare("test_acc", {"network": "batchnorm"}, {"network": "plain"}, direction="greater",
                           text="batch norm helps: [10]*4 with batch norm is more accurate than without "
                                "(averaged over the functions)"))
    if {"deep-8x10", "batchnorm"} <= arms:
        out.append(Compare("test_acc", {"network": "batchnorm"}, {"network": "deep-8x10"}, direction="greater",
                           text="[10]*4 with batch norm beats the 8 × 10 network without it"))
    return out


def figures(result, out_dir, formats=("png",)):
    return S.suite_figures(result, out_dir, formats, col_title=col_title)


def discussion(result) -> str:
    f = result.final
    parts = [f"{col_title({'network': a})}: test accuracy {S.mean_ci_text(S.per_seed(f, 'test_acc', {'network': a}))}, "
             f"disagreement {S.mean_ci_text(S.per_seed(f, 'disagreement', {'network': a}))}"
             for a in result.config["network"]]
    per_fn = []
    if {"plain", "batchnorm"} <= set(result.config["network"]):
        for fn in dict.fromkeys(t.levels["function"] for t in result.trials):
            a, b = (f[(f["function"] == fn) & (f["network"] == n)]["disagreement"].mean()
                    for n in ("plain", "batchnorm"))
            per_fn.append(f"{S.formula(fn)} {a:.2%} -> {b:.2%}")
    by_fn = "Per function, mean disagreement without -> with batch norm: " + "; ".join(per_fn) + ". " if per_fn else ""
    return ("Averaged over the decision functions (mean [95% interval] over seeds): " + "; ".join(parts) + ". "
            + by_fn + f"Batch norm uses batch statistics in training and running averages (decay "
            f"{1 - float(result.config['bn_momentum']):g}, epsilon {float(result.config['bn_eps']):g}, as the source's "
            "pyAIUtils layer) at evaluation, so the evaluated surface is the running-average network. "
            + S.DISAGREEMENT_NOTE)


EXPERIMENT = register_experiment(S.SurfaceExperiment(
    name="batchnorm-surfaces",
    title="Effect of batch normalization on 2-D prediction surfaces",
    source="002", section="What 2D data reveals about deep nets (Gupta), Effect of Batch Normalization",
    question="Does batch normalization before each relu let a [10]*4 MLP draw the 2-D boundaries more "
             "accurately, enough to beat an 8 × 10 network without it?",
    hypothesis="With batch norm the [10]*4 network is more accurate than without, and more accurate than the "
               "8 × 10 network without batch norm.",
    method=S.METHOD + " Here: [10]*4 relu networks with batch norm after each hidden linear layer (before the "
                      "activation; batch statistics in training, running averages with decay 0.95 and "
                      "epsilon 1e-4 at evaluation, the constants of the source code's pyAIUtils BatchNorm), "
                      "the same without, and the 8 × 10 network without batch norm from 'Effect of depth'.",
    source_conclusion="Batch normalization is reported to speed up training by a factor of 13 for ImageNet "
                      "classification tasks. The above figure shows the benefit gained by using batch "
                      "normalization. You will find that this model with batch normalization beats the 8 hidden "
                      "layer network without batch normalization in the Effect of Depth section.",
    settings={**S.SUITE_SETTINGS, "network": list(ARMS), "bn_momentum": 0.05, "bn_eps": 1e-4},
    provenance={**S.SUITE_PROVENANCE, "network": "source code: [10]*4 with and without batch norm; the 8 x 10 "
                "network without it is the depth figure's, which the text compares with",
                "bn_momentum": "source code: pyAIUtils BatchNorm decay 0.95 (momentum 0.05 in PyTorch's terms)",
                "bn_eps": "source code: pyAIUtils BatchNorm epsilon 1e-4"},
    factors=["function", "network"],
    scales=S.SUITE_SCALES,
    make_trial=make_trial,
    claims=claims,
    figures=figures,
    discussion=discussion,
    differences=S.DIFFERENCES + " Batch-norm constants are the source code's (pyAIUtils BatchNorm: decay 0.95, "
                                "i.e. momentum 0.05 in PyTorch's convention; epsilon 1e-4); until this entry "
                                "followed the code they were Keras' defaults (0.99, 1e-3). The running variance "
                                "averages the unbiased batch variance (PyTorch), the source's TensorFlow "
                                "moving average the biased one: a factor 999/1,000 at batches of 1,000. The "
                                "8 × 10 reference arm is trained here (the source compared against its depth "
                                "figure). The source also compares batch norm with elu by eye; see "
                                "activation-surfaces for elu.",
))
