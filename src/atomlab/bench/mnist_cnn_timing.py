"""Timing of 003's CNN on MNIST through the general engine (the numbers in docs/mnist.md).

Run ``python -m atomlab.bench.mnist_cnn_timing --steps 300`` to time a few hundred training
iterations of each variant (threads, channels-last, ``torch.compile``) and extrapolate an epoch of
the full training set (938 iterations of 64 images). Evaluation passes are timed separately.
The machine's load average is printed beside each number, because a busy machine inflates
wall-clock times.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from atomlab.engine import TrainSpec, train_module
from atomlab.engine.general import evaluate_module
from atomlab.lab import DataSpec
from atomlab.lab.data import materialize
from atomlab.nn.cnn import build_cnn


def time_steps(spec: dict, *, steps: int = 300, batch_size: int = 64, optimizer: str = "adam",
               threads: int | None = None, compile_model: bool = False, source: str = "auto",
               device: str = "cpu", warmup: int = 20) -> dict:
    """Seconds per training iteration of the CNN ``spec`` (after ``warmup`` iterations)."""
    if threads:
        torch.set_num_threads(threads)
    data = materialize(DataSpec("mnist", {"source": source, "subset": None, "normalize": True}, seed=0))
    torch.manual_seed(0)
    net = build_cnn(spec)
    model = torch.compile(net) if compile_model else net
    marks: dict[int, tuple[float, float]] = {}

    def clock(step, _model, _x):
        if step in (warmup, steps):
            marks[step] = (time.perf_counter(), time.process_time())

    train = TrainSpec(optimizer=optimizer, lr=0.01, batch_size=batch_size, steps=steps, sampling="shuffle",
                      loss="nll", record_every=steps)
    t0 = time.perf_counter()
    train_module(model, data, train, seed=0, device=device, callbacks=[clock])
    total = time.perf_counter() - t0
    (w0, c0), (w1, c1) = marks[warmup], marks[steps]
    per_step = (w1 - w0) / (steps - warmup)
    per_epoch_steps = -(-data.n_train // batch_size)
    X = torch.as_tensor(data.X_test).to(next(net.parameters()).device)
    y = torch.as_tensor(data.y_test).to(X.device)
    t0 = time.perf_counter()
    evaluate_module(model, X, y, "nll", "classification")
    eval_test = time.perf_counter() - t0
    return {"spec": spec, "threads": torch.get_num_threads(), "compile": compile_model,
            "ms_per_step": 1000 * per_step, "cpu_ms_per_step": 1000 * (c1 - c0) / (steps - warmup),
            "epoch_s": per_step * per_epoch_steps, "n_train": data.n_train,
            "eval_10k_s": eval_test, "run_s_including_compile": total,
            "load_avg": os.getloadavg()[0], "note": data.note}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--variants", default="default,channels_last,threads1,compile")
    args = parser.parse_args(argv)
    base = {"name": "mnist_cnn"}
    variants = {"default": ({**base}, {}), "channels_last": ({**base, "channels_last": True}, {}),
                "threads1": ({**base}, {"threads": 1}), "compile": ({**base}, {"compile_model": True}),
                "small_cnn": ({"name": "small_cnn"}, {"batch_size": 32})}
    for name in args.variants.split(","):
        spec, kw = variants[name]
        res = time_steps(spec, steps=args.steps, **kw)
        print(json.dumps({"variant": name, **{k: (round(v, 3) if isinstance(v, float) else v)
                                              for k, v in res.items()}}), flush=True)
        torch.set_num_threads(os.cpu_count() or 1)


if __name__ == "__main__":
    main()
