"""The TensorFlow playground's network and recipe, as 004's problem A (initialisation) uses them.

- :func:`playground_trial`: two hidden layers of 4, SGD with step 0.03 on batches of 10, on the
  playground's ``playground_circle`` data set (:mod:`atomlab.data.playground`), with weights all
  zero or uniform in [-0.5, 0.5] as the playground draws them. Its trials are of the
  ``population_probed`` kind (:mod:`atomlab.engine.kinds.probed_population`), whose rows say how far
  every parameter group moved.
- :func:`surfaces_figure`: one row of prediction surfaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from atomlab.engine import TrainSpec
from atomlab.lab import DataSpec, Trial
from atomlab.nn import MLPSpec

#: Initialisations by their name in the entries: the playground draws weights as ``Math.random() - 0.5``.
INITS = {"zeros": "zeros", "random": "uniform(0.5)"}
#: Bias initialisations: zero, or the playground's constant 0.1 (``Node.bias = 0.1`` in its ``nn.ts``).
BIASES = {"zero": "zeros", "0.1": "constant(0.1)"}
#: Where the playground's shared settings come from (tensorflow/playground's code and defaults).
PLAYGROUND_PROVENANCE = {
    "layers": "assumed: the playground's default network of two hidden layers of 4 (004 shows no sizes)",
    "n_train": "source code: the playground's 500 circle points, half for training (its default ratio 50 %)",
    "n_test": "source code: the other half", "noise": "source code: the playground's default noise 0",
    "lr": "source code: the playground's default learning rate 0.03",
    "batch_size": "source code: the playground's default batch size 10",
    "records": "assumed: about 100 records a run", "grid": "assumed: figure resolution",
}
#: The playground's settings (the ``paper`` values) shared by the entries of problem A.
PLAYGROUND_SETTINGS = {"layers": [4, 4], "n_train": 250, "n_test": 250, "noise": 0.0, "lr": 0.03,
                       "batch_size": 10, "records": 100, "grid": 150}


def playground_trial(cfg: dict[str, Any], levels: dict[str, Any], seed: int, *, activation: str, init: str,
                     epochs: int, bias: str = "zero") -> Trial:
    """A playground network on the circle: data and weights drawn from ``seed``, recorded ``records`` times.

    ``bias`` is ``"zero"`` or ``"0.1"`` (the playground's own bias initialisation), see :data:`BIASES`.
    """
    if str(bias) not in BIASES:
        from atomlab.errors import unknown_choice

        raise unknown_choice("bias", bias, BIASES)
    data = DataSpec("playground_circle", {"n_train": cfg["n_train"], "n_test": cfg["n_test"], "noise": cfg["noise"]},
                    seed=seed)
    model = MLPSpec(layers=tuple(cfg["layers"]), activation=activation, init=INITS[init], bias_init=BIASES[str(bias)])
    steps = epochs * -(-cfg["n_train"] // cfg["batch_size"])
    every = max(1, steps // cfg["records"])
    # sampling="shuffle": every epoch visits each point once, as the playground does.
    train = TrainSpec(optimizer="sgd", lr=cfg["lr"], batch_size=cfg["batch_size"], epochs=epochs,
                      sampling="shuffle", loss="cross_entropy", grid=cfg["grid"], record_every=every,
                      snapshot_every=every, unit_spread=True)
    return Trial(levels, seed, data, model, train, kind="population_probed")


def surfaces_figure(result, out_dir, panels: Sequence[tuple[str, dict[str, Any]]], *, name: str, caption: str,
                    main: bool = False, formats=("png",)):
    """One row of prediction surfaces (the first seed's), one per ``(title, levels)``."""
    from atomlab._lazy import pyplot as plt
    from atomlab.engine import grid_axes
    from atomlab.lab import figures as F
    from atomlab.lab.data import materialize
    from atomlab.lab.figures import acc_text, seed0_pair

    with F.viz.style.apply_style():
        fig, axes = plt.subplots(1, len(panels), figsize=(3.0 * len(panels) + 0.9, 3.2), squeeze=False)
        image = None
        for ax, (title, levels) in zip(axes[0], panels):
            pair = seed0_pair(result, **levels)
            if pair is None or pair[1].artefacts.get("grid") is None:
                ax.axis("off")
                continue
            trial, outcome = pair
            data = materialize(trial.data)
            grid = outcome.artefacts["grid"]
            xx, yy = grid_axes(data, grid.shape[0])
            image = F.viz.surfaces.plot_surface(ax, xx, yy, grid, true_fn=data.target_fn, X=data.X_train,
                                                y=data.y_train, title=title, point_size=4, ticks=False)
            ax.text(0.03, 0.03, f"acc {acc_text(result, **levels)}", transform=ax.transAxes, fontsize=7,
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5})
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="P(class 1)")
    return F.save(fig, out_dir, name, caption, main=main, formats=formats)


