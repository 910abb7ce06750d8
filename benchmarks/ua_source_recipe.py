"""000's universal-approximation recipe, re-implemented in NumPy with TensorFlow 1's arithmetic.

An independent check of the catalog entry ``universal-approximation`` (no atomlab code): the source's
``Experiment1`` fits ``linspace(-1, 1, 100)`` of a function with a 1 -> n -> 1 sigmoid MLP, Glorot-uniform
weights *and* biases as ``tf.get_variable`` draws them (a bias vector of width n has fans (n, n)), MSE loss
and ``tf.train.AdamOptimizer(0.003)`` for 10,000 full-batch steps, and prints the last step's loss. This
script trains many seeds at once (stacked weights) and prints the spread of those losses per width, so the
source's single runs (MSE 0.422 / 0.233 / 0.033 for sin(12x) at 2 / 4 / 16 units) can be placed among them.

Usage::

    python benchmarks/ua_source_recipe.py                     # full batch, float32, TF biases
    python benchmarks/ua_source_recipe.py --batch 64          # random minibatches of 64 instead
    python benchmarks/ua_source_recipe.py --bias layer --dtype float64
"""

from __future__ import annotations

import argparse

import numpy as np

FUNCTIONS = {"sin": lambda x: np.sin(12 * x), "abs": np.abs,
             "poly": lambda x: np.polynomial.polynomial.polyval(x, [0, -2, 1, 1, -2])}


def train(units: int, *, seeds: int = 20, steps: int = 10_000, lr: float = 0.003, n_points: int = 100,
          function: str = "sin", bias: str = "tf", dtype=np.float32, batch: int | None = None,
          seed: int = 0) -> np.ndarray:
    """The loss of the last step of each of ``seeds`` networks (the number the source prints).

    ``bias``: ``"tf"`` (limit sqrt(3 / n), TensorFlow's fans of a 1-D shape), ``"layer"`` (the weight's
    fans, sqrt(6 / (fan_in + fan_out))) or ``"zero"``. ``batch``: None for the full batch, else random
    minibatches (with replacement) of that size.
    """
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, n_points).reshape(-1, 1).astype(dtype)
    t = FUNCTIONS[function](x).astype(dtype)

    def uniform(shape, limit):
        return ((2 * rng.random(shape) - 1) * limit).astype(dtype)

    w0, w1 = uniform((seeds, 1, units), np.sqrt(6 / (1 + units))), uniform((seeds, units, 1), np.sqrt(6 / (units + 1)))
    limits = {"tf": (np.sqrt(3 / units), np.sqrt(3.0)), "layer": (np.sqrt(6 / (1 + units)),) * 2, "zero": (0.0, 0.0)}
    b0, b1 = uniform((seeds, 1, units), limits[bias][0]), uniform((seeds, 1, 1), limits[bias][1])
    params = [w0, b0, w1, b1]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = dtype(0.9), dtype(0.999), dtype(1e-8)
    for step in range(1, steps + 1):
        if batch:
            idx = rng.integers(0, n_points, size=(seeds, batch))
            xb, tb = x[idx], t[idx]
        else:
            xb, tb = np.broadcast_to(x, (seeds, *x.shape)), np.broadcast_to(t, (seeds, *t.shape))
        h = 1 / (1 + np.exp(-(xb @ w0 + b0)))
        r = h @ w1 + b1 - tb
        loss = (r ** 2).mean(axis=(1, 2))
        gy = (2 / xb.shape[1]) * r
        gz = (gy @ w1.transpose(0, 2, 1)) * h * (1 - h)
        grads = [xb.transpose(0, 2, 1) @ gz, gz.sum(1, keepdims=True), h.transpose(0, 2, 1) @ gy,
                 gy.sum(1, keepdims=True)]
        # TensorFlow 1's Adam: bias correction folded into the step, epsilon added to sqrt(v) uncorrected
        lr_t = dtype(lr * np.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step))
        for k, (p, g) in enumerate(zip(params, grads)):
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            p -= lr_t * m[k] / (np.sqrt(v[k]) + eps)
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--function", default="sin", choices=sorted(FUNCTIONS))
    parser.add_argument("--bias", default="tf", choices=["tf", "layer", "zero"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--batch", type=int, default=None, help="random minibatches of this size (default: full)")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    for units in (2, 4, 16):
        loss = np.sort(train(units, seeds=args.seeds, steps=args.steps, function=args.function, bias=args.bias,
                             dtype=np.dtype(args.dtype).type, batch=args.batch))
        print(f"{args.function}, {units:2d} units: median {np.median(loss):.3f}, range {loss[0]:.3f}-{loss[-1]:.3f};"
              f" sorted: {np.round(loss.astype(float), 3).tolist()}")


if __name__ == "__main__":
    main()
