"""004, part 3 A-C: padding, parameter counts and pooling, computed by the library.

The source works out by hand that a convolution with 8 filters of 5 x 5 x 3 has 608 parameters,
that a 32 x 32 x 3 input shrinks to 28 x 28 without padding, and what 2 x 2 average and max
pooling make of four 4 x 4 images (a 3 x 3 block of ones in each corner). Here PyTorch builds
each layer and runs it, and the numbers it produces are checked against the source's.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from atomlab._lazy import pyplot as plt
from atomlab.catalog import _mnist as M
from atomlab.errors import ConfigError
from atomlab.lab import Check, DataSpec, Experiment, SourceNumber, Trial, register_experiment

#: The source's four 4 x 4 images (problem C): a 3 x 3 block of ones in each corner.
IMAGES = [
    np.array([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]),
    np.array([[0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 1, 1], [0, 0, 0, 0]]),
    np.array([[0, 0, 0, 0], [0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 1, 1]]),
    np.array([[0, 0, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0]]),
]
#: The source's answers: part i (average pooling) and part ii (max pooling).
SOURCE_AVG = [np.array([[1, 1 / 2], [1 / 2, 1 / 4]]), np.array([[1 / 2, 1], [1 / 4, 1 / 2]]),
              np.array([[1 / 4, 1 / 2], [1 / 2, 1]]), np.array([[1 / 2, 1 / 4], [1, 1 / 2]])]
SOURCE_MAX = [np.ones((2, 2))] * 4
SOURCE = {"conv_params": 608, "no_padding": (28, 28), "same_padding": (32, 32)}
CASES = ["conv_params", "no_padding", "same_padding", "avg_pool", "max_pool", "max_pool_shift"]
CASE_TEXT = {
    "conv_params": "8 filters of 5x5x3 with biases have 608 parameters",
    "no_padding": "a 32x32x3 input shrinks to 28x28 through a 5x5 convolution without padding",
    "same_padding": "zero padding of 2 keeps a 32x32 input at 32x32 (padding prevents downsizing)",
    "avg_pool": "2x2 average pooling of the four images gives the source's four matrices",
    "max_pool": "2x2 max pooling of the four images gives all ones",
    "max_pool_shift": "max pooling gives the same output for all four shifted images; average pooling does not",
}


#: Each case as a computation of the ``conv_arithmetic`` trial kind (:mod:`atomlab.engine.kinds.conv_arithmetic`),
#: with the source's answer to compare with.
CASE_MODELS = {
    "conv_params": {"op": "conv_params", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5,
                    "expected": SOURCE["conv_params"]},
    "no_padding": {"op": "conv_size", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "padding": 0,
                   "expected": list(SOURCE["no_padding"])},
    "same_padding": {"op": "conv_size", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "padding": 2,
                     "expected": list(SOURCE["same_padding"])},
    "avg_pool": {"op": "pool", "pool": "avg", "images": [i.tolist() for i in IMAGES],
                 "expected": [s.tolist() for s in SOURCE_AVG]},
    "max_pool": {"op": "pool", "pool": "max", "images": [i.tolist() for i in IMAGES],
                 "expected": [s.tolist() for s in SOURCE_MAX]},
    "max_pool_shift": {"op": "pool_shift", "images": [i.tolist() for i in IMAGES]},
}


def make_trial(cfg, levels, seed):
    data = DataSpec("mnist", {"source": cfg["mnist_source"], "subset": [10, 10], "normalize": False}, seed=0)
    case = levels["case"]
    if case not in CASE_MODELS:
        raise ConfigError(f"unknown case {case!r}; known: {', '.join(CASES)}")
    return Trial(levels, seed, data, {"case": case, **CASE_MODELS[case]}, None, kind="conv_arithmetic")


def _frac(x: float) -> str:
    f = Fraction(float(x)).limit_denominator(16)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def figures(result, out_dir, formats=("png",)):
    from atomlab.nn.cnn import conv_layer_facts, padded_output_fraction, pool2x2, sizes_through_convs  # torch

    M.ensure_data_notes(result)
    with M.style():
        fig = plt.figure(figsize=(12, 5.4))
        grid = fig.add_gridspec(3, 6, width_ratios=[1.6, 0.15, 1, 1, 1, 1])
        ax = fig.add_subplot(grid[:, 0])
        n = 8
        for size, ls, what in ((32, "-", "32x32"), (28, ":", "28x28 (MNIST)")):
            ax.plot(range(n + 1), sizes_through_convs(size, 5, n, padding=0), "o" + ls, color="C0",
                    label=f"{what}, no padding")
            ax.plot(range(n + 1), sizes_through_convs(size, 5, n, padding=2), "s" + ls, color="C1", ms=4,
                    label=f"{what}, padding 2")
        ax.set_xlabel("stacked 5x5 convolutions")
        ax.set_ylabel("output height = width")
        facts = conv_layer_facts((32, 32, 3), filters=8, kernel=5)
        ax.set_title(f"8 filters 5x5x3: {facts['n_weights']} weights + {facts['n_biases']} biases = "
                     f"{facts['n_params']} parameters\n32x32x3 -> {facts['out_shape'][0]}x{facts['out_shape'][1]}"
                     f"x{facts['out_shape'][2]}; with padding, {100 * padded_output_fraction(32, 5):.0f}% of outputs "
                     "see some zeros", fontsize=8)
        ax.legend(fontsize=7)
        for j, img in enumerate(IMAGES):
            for i, (mat, title) in enumerate(((img, "input"), (pool2x2(img, "avg"), "average pool"),
                                              (pool2x2(img, "max"), "max pool"))):
                a = fig.add_subplot(grid[i, 2 + j])
                a.imshow(mat, cmap="Blues", vmin=0, vmax=1.6)
                for (r, c), v in np.ndenumerate(mat):
                    a.text(c, r, _frac(v), ha="center", va="center", fontsize=7 if mat.shape[0] == 4 else 9)
                a.set_xticks([])
                a.set_yticks([])
                if j == 0:
                    a.set_ylabel(title, fontsize=8)
        fig.tight_layout()
    return [M.save(fig, out_dir, "padding-pooling", "Left: spatial size through stacked 5x5 convolutions with and "
                   "without padding (the image vanishes after a few unpadded layers). Right: the source's four 4x4 "
                   "images and their 2x2 average and max pooling; max pooling gives the same output for all four "
                   "shifts, average pooling does not.", main=True, formats=formats)]


def discussion(result):
    from atomlab.nn.cnn import conv_layer_facts, conv_output_size, padded_output_fraction, sizes_through_convs

    f = conv_layer_facts((32, 32, 3), filters=8, kernel=5)
    gone = sizes_through_convs(28, 5, 10, padding=0).index(0)
    return (f"PyTorch's Conv2d(3, 8, 5) has {f['n_params']} parameters and maps a 32x32x3 input to "
            f"{f['out_shape'][0]}x{f['out_shape'][1]}x{f['out_shape'][2]}. The source's spatial size (28x28) "
            "and parameter count agree, but it writes the output tensor as 28 x 28 x 3 ('There will still be 3 "
            f"channels'): a convolution has one output channel per filter, so with 8 filters it is "
            f"28 x 28 x {f['out_shape'][2]}. Without padding each 5x5 layer removes 4 pixels, so an MNIST image "
            f"(28x28) is {conv_output_size(28, 5)}x{conv_output_size(28, 5)} after one layer and gone after "
            f"{gone}; padding 2 keeps the size, at the price the source names: "
            f"{100 * padded_output_fraction(32, 5):.0f}% of a 32x32 output's values are computed partly from "
            "zeros. The source's part ii lists one max-pooling example twice (five lines for four images); "
            "all of them pool to ones.")


EXPERIMENT = register_experiment(Experiment(
    name="mnist-padding-pooling",
    title="Padding, parameter counts and pooling, computed rather than worked by hand",
    source="004", section="CS 155 set 4, part 3 (Convolutional Neural Networks), problems A-C",
    question="Do the library's layers give the parameter count, output size and pooled values that the source "
             "works out by hand?",
    hypothesis="A 5x5x3 convolution with 8 filters has 608 parameters; a 32x32x3 input becomes 28x28 without "
               "padding; 2x2 average and max pooling of the four corner images give the source's matrices.",
    method="Each case builds the PyTorch layer (Conv2d, avg_pool2d, max_pool2d), runs it on an input of the "
           "stated shape, and reads the parameter count and the output; the values are compared exactly with "
           "the source's. Nothing is trained, so there is one 'seed'.",
    source_conclusion="Parameters with biases = 8x5x5x3+8 biases = 608 parameters. Each dimension of the image "
                      "will be reduced to 32 - (5 - 1) = 28",
    settings={"case": CASES, "mnist_source": "subset", "seeds": 1},
    provenance={"case": "source text: problems 3A to 3C (parameters, output size, padding, pooling)",
                "mnist_source": "assumed: ten offline images show the padding on MNIST digits (the source "
                                "computes by hand)", "seeds": "assumed: one run, nothing is random"},
    source_numbers=[SourceNumber("value", SOURCE["conv_params"], {"case": "conv_params"}, "text, problem 3B i: "
                                 "8 x 5 x 5 x 3 + 8 biases = 608 parameters"),
                    SourceNumber("value", SOURCE["no_padding"][0], {"case": "no_padding"}, "text, problem 3B ii: "
                                 "32 - (5 - 1) = 28, a 28 x 28 x 3 output")],
    factors=["case"],
    scales={"smoke": {}, "quick": {}},
    make_trial=make_trial,
    claims=[Check("match", 1.0, "equal", by=["case"], deterministic=True,
                  text="the library's parameter count, output sizes and pooled values equal the source's "
                       "hand-worked numbers")],
    figures=figures,
    discussion=discussion,
    metric="match",
    differences="The source computes by hand; we let PyTorch build and run each layer, so the check covers the "
                "formula and the library. The source gives the output of the unpadded convolution as 28 x 28 x 3; "
                "the claim checks the spatial size it derives (28 x 28), and the discussion explains why the "
                "channel count is 8.",
    tags=("cnn", "arithmetic"),
))
