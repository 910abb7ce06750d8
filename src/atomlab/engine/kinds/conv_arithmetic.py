"""The ``conv_arithmetic`` trial kind: conv and pool facts computed by PyTorch, compared with expected answers.

Nothing is trained. A trial's ``model`` names one computation and carries its inputs and the
answer to compare with (a source's hand-worked number); the outcome's single row holds the
library's ``value`` and whether it ``match``-es (1.0 or 0.0), plus the details of the computation:

``{"op": "conv_params", "in_shape": [H, W, C], "filters": F, "kernel": K, "expected": n}``
    parameters of ``Conv2d(C, F, K)`` (``n_weights``, ``n_biases``).
``{"op": "conv_size", "in_shape": [H, W, C], "filters": F, "kernel": K, "padding": P, "expected": [h, w]}``
    the output's spatial size (``out_h``, ``out_w``, ``out_channels``); a match needs the formula to agree too.
``{"op": "pool", "pool": "avg" | "max", "images": [...], "expected": [...]}``
    2x2 pooling of each image; ``value`` is the largest absolute error (the pooled images are an artefact).
``{"op": "pool_shift", "images": [...]}``
    1.0 if max pooling gives one output for all images and average pooling does not.

Every row also has ``mnist_out_h``: the first convolution applied to the trial's data set (an
MNIST batch: 28 -> 24).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from atomlab.engine.outcome import Outcome
from atomlab.engine.trial_kinds import register_trial_kind
from atomlab.errors import unknown_choice
from atomlab.nn.cnn import conv_layer_facts, pool2x2

#: The computations this kind knows.
OPS = ("conv_params", "conv_size", "pool", "pool_shift")


def compute(model: dict[str, Any]) -> dict[str, Any]:
    """The library's numbers for one computation, and whether they match ``model["expected"]``.

    Parameters
    ----------
    model : dict
        One computation, as in the module docstring.

    Returns
    -------
    dict
        ``value`` and ``match`` first, then the details; NumPy arrays are artefacts.

    Examples
    --------
    >>> compute({"op": "conv_params", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "expected": 608})
    {'value': 608, 'match': 1.0, 'n_weights': 600, 'n_biases': 8}
    >>> compute({"op": "pool", "pool": "max", "images": [[[1, 0], [0, 0]]], "expected": [[[1]]]})["match"]
    1.0
    """
    op = model.get("op")
    if op == "conv_params":
        f = conv_layer_facts(tuple(model["in_shape"]), filters=model["filters"], kernel=model["kernel"])
        return {"value": f["n_params"], "match": float(f["n_params"] == model["expected"]),
                "n_weights": f["n_weights"], "n_biases": f["n_biases"]}
    if op == "conv_size":
        f = conv_layer_facts(tuple(model["in_shape"]), filters=model["filters"], kernel=model["kernel"],
                             padding=model["padding"])
        h, w, c = f["out_shape"]
        return {"value": h, "match": float((h, w) == tuple(model["expected"]) and f["formula_size"] == h),
                "out_h": h, "out_w": w, "out_channels": c}
    if op == "pool":
        outs = [pool2x2(np.asarray(img), model["pool"]) for img in model["images"]]
        err = max(float(np.abs(o - np.asarray(s)).max()) for o, s in zip(outs, model["expected"]))
        return {"value": err, "match": float(err < 1e-12), "max_abs_error": err, "pooled": np.stack(outs)}
    if op == "pool_shift":
        mx = [pool2x2(np.asarray(img), "max") for img in model["images"]]
        av = [pool2x2(np.asarray(img), "avg") for img in model["images"]]
        same_max = all(np.array_equal(mx[0], m) for m in mx)
        same_avg = all(np.array_equal(av[0], a) for a in av)
        return {"value": float(same_max and not same_avg), "match": float(same_max and not same_avg)}
    raise unknown_choice("conv_arithmetic op", op, OPS)


@register_trial_kind("conv_arithmetic")
def run_conv_arithmetic(trials, datasets, *, device: str = "auto") -> list[Outcome]:
    """Trial kind ``conv_arithmetic``: one row of library numbers per trial (see the module docstring).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> mnist = make_dataset("mnist", source="subset", subset=[10, 10], normalize=False, random_state=0)
    >>> model = {"op": "conv_size", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "padding": 2,
    ...          "expected": [32, 32]}
    >>> row = run_conv_arithmetic([SimpleNamespace(model=model)], [mnist])[0].final
    >>> row["value"], row["match"], row["mnist_out_h"]
    (32.0, 1.0, 24.0)
    """
    outs = []
    for trial, data in zip(trials, datasets):
        res = compute(trial.model)
        arrays = {k: v for k, v in res.items() if isinstance(v, np.ndarray)}
        row = {"step": 0, "epoch": 0.0, **{k: float(v) for k, v in res.items() if k not in arrays}}
        # the same layer applied to a real MNIST batch: 28x28 -> 24x24 without padding
        f = conv_layer_facts(data.X_train.shape[2:] + (1,), filters=8, kernel=5)
        row["mnist_out_h"] = float(f["out_shape"][0])
        outs.append(Outcome(rows=[row], artefacts=arrays, info={"data_note": data.note, "path": "conv_arithmetic"}))
    return outs
